/**
 * @module core/v1 Secret: type, strict decoder, defaulting and validation (pkg/apis/core
 * validation ValidateSecret). Pure.
 *
 * As kube-apiserver: `stringData` is merged into `data` (base64) on write and dropped, its keys
 * winning; `type` defaults to Opaque; every key is a valid config key (`[-._a-zA-Z0-9]+`, not `.`
 * or `..`), every `data` value valid base64, the whole at most 1 MiB; the built-in types carry
 * the keys they need (`kubernetes.io/tls`: tls.crt and tls.key; `kubernetes.io/dockerconfigjson`:
 * .dockerconfigjson; `kubernetes.io/service-account-token`: the service account annotation;
 * `kubernetes.io/basic-auth` and `kubernetes.io/ssh-auth` their keys); `type` is immutable —
 * not modelled here, since Tabby only validates Secrets (see the API server's dry-run-only kinds).
 */
import type { FieldPath } from '../field/path.js';
import { invalid, required, tooLong, type FieldError } from '../field/errors.js';
import { bool, record, str, type Decoder } from '../decode/index.js';
import type { ObjectMeta } from '../meta.js';
import { typedResource } from './decode.js';

export interface Secret {
  apiVersion: string;
  kind: 'Secret';
  metadata?: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

export const secretDecoder: Decoder<Secret> = typedResource('Secret', { type: str, data: record(str), stringData: record(str), immutable: bool });

/** V's UTF-8 bytes in standard base64 (btoa, not Buffer: the dashboard bundles this module for the browser). */
function _base64Utf8(v: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(v)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** stringData merged into data (its keys win), as the API server converts it; type Opaque by default. */
export function defaultSecret(s: Secret): Secret {
  const { stringData, ...rest } = s;
  const data: Record<string, string> = { ...(s.data ?? {}) };
  for (const [k, v] of Object.entries(stringData ?? {})) data[k] = _base64Utf8(v);
  return { ...rest, type: s.type === undefined || s.type === '' ? 'Opaque' : s.type, ...(Object.keys(data).length > 0 || s.data !== undefined ? { data } : {}) };
}

const MAX_SECRET_BYTES = 1024 * 1024;
const KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The keys each built-in type needs. */
const TYPE_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(s: Secret, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const dp = path.child('data');
  let size = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    const kp = dp.key(k);
    if (!KEY.test(k)) errs.push(invalid(kp, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
    else if (k === '.' || k === '..') errs.push(invalid(kp, k, `must not be '${k}'`));
    if (!BASE64.test(v)) errs.push(invalid(kp, '<secret contents redacted>', 'illegal base64 data'));
    else size += Math.floor((v.length * 3) / 4);
  }
  if (size > MAX_SECRET_BYTES) errs.push(tooLong(dp, '', MAX_SECRET_BYTES));
  const type = s.type ?? 'Opaque';
  const tp = path.child('type');
  for (const key of TYPE_KEYS[type] ?? []) if (!Object.hasOwn(s.data ?? {}, key)) errs.push(required(dp.key(key)));
  if (type === 'kubernetes.io/basic-auth' && !Object.hasOwn(s.data ?? {}, 'username') && !Object.hasOwn(s.data ?? {}, 'password'))
    errs.push(required(dp, 'must contain at least one of username or password'));
  if (type === 'kubernetes.io/service-account-token' && (s.metadata?.annotations ?? {})['kubernetes.io/service-account.name'] === undefined)
    errs.push(required(path.child('metadata').child('annotations').key('kubernetes.io/service-account.name')));
  if (type.length > 253) errs.push(tooLong(tp, type, 253));
  return errs;
}
