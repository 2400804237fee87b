/**
 * @module Bootstrap tokens, as kubeadm's: `<id>.<secret>` with a 6-character id and a
 * 16-character secret of `[a-z0-9]` (`abcdef.0123456789abcdef`). A token is made for one node
 * and expires (default 24 h). Only the id and the SHA-256 of the secret are stored — in the
 * cluster's datastore, so every API server on it accepts the token — as a
 * `tabby.dev/v1 BootstrapToken` object named after the id (collection `tabby.dev/bootstraptokens`,
 * which the API does not serve: only the datastore's owner reads it, as kubeadm's tokens are
 * Secrets in kube-system).
 *
 * `checkBootstrapToken` answers why a token is refused, in words for a 401 Status: malformed,
 * unknown, wrong secret, expired, or made for another node. Secrets are compared in constant time.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { AlreadyExistsError, NotFoundError, type Datastore, type StoredObject } from '../datastore/index.js';

export const BOOTSTRAP_TOKENS = { group: 'tabby.dev', plural: 'bootstraptokens' } as const;

/** kubeadm's token format (bootstraputil.BootstrapTokenRegexp). */
export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** A node name the token may be bound to: a DNS-1123 subdomain, as a Node's name. */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface BootstrapTokenInfo {
  readonly id: string;
  readonly node: string;
  readonly expires: Date;
  readonly description: string;
}

export function isNodeName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && NODE_NAME.test(name);
}

const _random = (n: number): string => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

const _hash = (secret: string): string => `sha256:${createHash('sha256').update(secret).digest('hex')}`;

function _info(o: StoredObject): BootstrapTokenInfo | undefined {
  const spec = (o as unknown as { spec?: Record<string, unknown> }).spec;
  if (spec === undefined || typeof spec['node'] !== 'string' || typeof spec['expires'] !== 'string') return undefined;
  return {
    id: o.metadata.name ?? '',
    node: spec['node'],
    expires: new Date(spec['expires']),
    description: typeof spec['description'] === 'string' ? spec['description'] : '',
  };
}

/** Makes and stores a token for NODE, valid TTLMS from NOW; returns the token (the only time its secret is known). */
export async function createBootstrapToken(ds: Datastore, node: string, ttlMs: number, now: Date = new Date(), description = ''): Promise<{ token: string; info: BootstrapTokenInfo }> {
  if (!isNodeName(node)) throw new Error(`node name ${JSON.stringify(node)} is not a valid DNS-1123 subdomain`);
  if (!(ttlMs > 0)) throw new Error('the time to live must be positive');
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = _random(6);
    const secret = _random(16);
    const expires = new Date(now.getTime() + ttlMs);
    const obj = {
      apiVersion: 'tabby.dev/v1',
      kind: 'BootstrapToken',
      metadata: { name: id },
      spec: { node, secretHash: _hash(secret), expires: expires.toISOString(), ...(description !== '' ? { description } : {}) },
    };
    try {
      await ds.create(BOOTSTRAP_TOKENS, obj as unknown as StoredObject);
    } catch (e) {
      if (e instanceof AlreadyExistsError) continue;
      throw e;
    }
    return { token: `${id}.${secret}`, info: { id, node, expires, description } };
  }
  throw new Error('could not find an unused token id');
}

export async function listBootstrapTokens(ds: Datastore): Promise<BootstrapTokenInfo[]> {
  const r = await ds.list(BOOTSTRAP_TOKENS);
  return r.items.flatMap((o) => _info(o) ?? []).sort((a, b) => a.id.localeCompare(b.id));
}

/** Deletes the token with id ID (or `id.secret`); false when there was none. */
export async function deleteBootstrapToken(ds: Datastore, idOrToken: string): Promise<boolean> {
  const id = idOrToken.split('.')[0] ?? '';
  if (!/^[a-z0-9]{6}$/.test(id)) throw new Error(`${JSON.stringify(idOrToken)} is not a token id (6 characters [a-z0-9]) or token`);
  try {
    await ds.delete({ ...BOOTSTRAP_TOKENS, namespace: '', name: id });
    return true;
  } catch (e) {
    if (e instanceof NotFoundError) return false;
    throw e;
  }
}

/**
 * The node TOKEN may join as, or the reason it is refused. NODE, when given, is the node the
 * caller claims to be: a token made for another node is refused.
 */
export async function checkBootstrapToken(ds: Datastore, token: string, node: string | undefined, now: Date = new Date()): Promise<{ ok: true; node: string } | { ok: false; reason: string }> {
  const m = TOKEN_PATTERN.exec(token);
  if (m === null) return { ok: false, reason: 'the bootstrap token is not of the form [a-z0-9]{6}.[a-z0-9]{16}' };
  const [, id, secret] = m as unknown as [string, string, string];
  let obj: StoredObject;
  try {
    obj = await ds.get({ ...BOOTSTRAP_TOKENS, namespace: '', name: id });
  } catch (e) {
    if (e instanceof NotFoundError) return { ok: false, reason: `bootstrap token "${id}" does not exist (deleted, or never made)` };
    throw e;
  }
  const spec = (obj as unknown as { spec?: Record<string, unknown> }).spec ?? {};
  const info = _info(obj);
  const stored = typeof spec['secretHash'] === 'string' ? Buffer.from(spec['secretHash']) : Buffer.alloc(0);
  const given = Buffer.from(_hash(secret));
  if (info === undefined || stored.length !== given.length || !timingSafeEqual(stored, given)) return { ok: false, reason: `bootstrap token "${id}": wrong secret` };
  if (!(info.expires.getTime() > now.getTime())) return { ok: false, reason: `bootstrap token "${id}" expired at ${info.expires.toISOString()}` };
  if (node !== undefined && node !== info.node) return { ok: false, reason: `bootstrap token "${id}" was made for node "${info.node}", not "${node}"` };
  return { ok: true, node: info.node };
}

/** `24h`, `90m`, `3600s`, `1h30m` (Go's duration units s, m, h) → milliseconds; undefined when malformed or zero. */
export function parseDuration(s: string): number | undefined {
  if (!/^(\d+(h|m|s))+$/.test(s)) return undefined;
  let ms = 0;
  for (const [, n, u] of s.matchAll(/(\d+)(h|m|s)/g)) ms += Number(n) * (u === 'h' ? 3_600_000 : u === 'm' ? 60_000 : 1000);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
