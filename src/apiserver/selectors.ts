/**
 * @module Kubernetes label and field selectors, as in `?labelSelector=` and `?fieldSelector=`
 * (apimachinery `labels.Parse` and `fields.ParseSelector`). Pure.
 *
 * Labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma = AND.
 * Fields: `path=v`, `path==v`, `path!=v`, comma = AND; a path is a dotted JSON path into the
 * object (`metadata.name`, `metadata.namespace`, `spec.nodeName`, `status.phase`).
 */
import type { Labels } from '../model/meta.js';

export type LabelMatcher = (labels: Readonly<Labels>) => boolean;
export type FieldMatcher = (obj: unknown) => boolean;

export class SelectorError extends Error {
  override get name(): string {
    return 'SelectorError';
  }
}

type Req =
  | { readonly op: 'eq' | 'ne'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'notexists'; readonly key: string };

/** Splits on commas that are not inside parentheses. */
function _splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function _key(k: string, whole: string): string {
  if (!KEY.test(k)) throw new SelectorError(`unable to parse requirement: invalid label key "${k}" in "${whole}"`);
  return k;
}
function _value(v: string, whole: string): string {
  if (!VALUE.test(v)) throw new SelectorError(`unable to parse requirement: invalid label value "${v}" in "${whole}"`);
  return v;
}

function _parseReq(term: string): Req {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { op: 'notexists', key: _key(m[1]!, term) };
  m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = m[3]!
      .split(',')
      .map((v) => v.trim())
      .map((v) => _value(v, term));
    return { op: m[2] === 'in' ? 'in' : 'notin', key: _key(m[1]!, term), values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) return { op: m[2] === '!=' ? 'ne' : 'eq', key: _key(m[1]!, term), value: _value(m[3]!, term) };
  if (KEY.test(term)) return { op: 'exists', key: term };
  throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

function _match(r: Req, labels: Readonly<Labels>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.op) {
    case 'eq':
      return has && v === r.value;
    case 'ne':
      return !has || v !== r.value;
    case 'in':
      return has && r.values.includes(v ?? '');
    case 'notin':
      return !has || !r.values.includes(v ?? '');
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Parses a label selector; empty means everything. Throws SelectorError. */
export function parseLabelSelector(s: string): LabelMatcher | undefined {
  const reqs = _splitTop(s).map(_parseReq);
  if (reqs.length === 0) return undefined;
  return (labels) => reqs.every((r) => _match(r, labels));
}

function _lookup(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

/**
 * Which field selectors a kind supports: kube-apiserver answers any other field with 400
 * (`field label not supported: spec.foo`; for custom resources such as Calico's, `"spec.foo" is
 * not a known field selector: only "metadata.name", "metadata.namespace"`).
 */
export interface FieldSupport {
  readonly fields: ReadonlySet<string>;
  /** Custom resources (Calico's kinds) word the refusal differently. */
  readonly custom: boolean;
}

/** Parses a field selector; empty means everything. Throws SelectorError (also for an unsupported field). */
export function parseFieldSelector(s: string, support?: FieldSupport): FieldMatcher | undefined {
  const terms = _splitTop(s).map((t) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (!m) throw new SelectorError(`invalid selector: '${t}'; can't understand '${t}'`);
    const path = m[1]!;
    if (support !== undefined && !support.fields.has(path))
      throw new SelectorError(
        support.custom ? `${JSON.stringify(path)} is not a known field selector: only "metadata.name", "metadata.namespace"` : `field label not supported: ${path}`,
      );
    return { path, ne: m[2] === '!=', value: m[3]!.trim() };
  });
  if (terms.length === 0) return undefined;
  return (obj) =>
    terms.every((t) => {
      const v = _lookup(obj, t.path) ?? '';
      return t.ne ? v !== t.value : v === t.value;
    });
}
