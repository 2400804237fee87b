/**
 * @module Small pure helpers the workload controllers share: reading stored objects as plain
 * JSON (own properties only), owner references, pod readiness, generated name suffixes and the
 * pod-template-hash. No I/O.
 */
import type { StoredObject } from '../datastore/index.js';

export type Json = Record<string, unknown>;
export type Obj = StoredObject & Json;

/** Own property of a plain object, or undefined. */
export function own(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, key) ? (o as Json)[key] : undefined;
}

export function at(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const k of path) cur = own(cur, k);
  return cur;
}

export const labelsOf = (o: StoredObject): Record<string, string> => (o.metadata.labels ?? {}) as Record<string, string>;

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export function ownerRef(owner: StoredObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The uid of the object's controller owner of `kind`, if any. */
export function controllerUid(o: StoredObject, kind: string): string | undefined {
  for (const r of o.metadata.ownerReferences ?? []) if (own(r, 'kind') === kind && own(r, 'controller') === true && typeof own(r, 'uid') === 'string') return own(r, 'uid') as string;
  return undefined;
}

export function isPodReady(p: StoredObject): boolean {
  const conds = at(p, 'status', 'conditions');
  return Array.isArray(conds) && conds.some((c) => own(c, 'type') === 'Ready' && own(c, 'status') === 'True');
}

export function isPodTerminal(p: StoredObject): boolean {
  const phase = at(p, 'status', 'phase');
  return phase === 'Succeeded' || phase === 'Failed';
}

export const isDeleting = (o: StoredObject): boolean => (o.metadata.deletionTimestamp ?? '') !== '';

/** apimachinery rand.String's alphabet (no vowels, no confusable digits). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = '';
  for (const b of bytes) s += SAFE_ALPHABET[b % SAFE_ALPHABET.length];
  return s;
}

/** JSON with sorted keys: the same value always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Json)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * ComputeHash (pkg/controller): FNV-32a of the template (here its canonical JSON, plus the
 * collision count when set), rendered with rand.SafeEncodeString of its decimal form, e.g.
 * `7c5ddbdf54`.
 */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  const text = canonicalJson(template) + (collisionCount === undefined ? '' : String(collisionCount));
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return [...String(h >>> 0)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');
