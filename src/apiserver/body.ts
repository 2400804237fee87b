/**
 * @module Request bodies, read and parsed as untrusted input:
 *
 * - readBody: at most `limit` bytes (kube-apiserver's 3 MiB for writes by default). A
 *   `content-length` over the limit is refused before a byte is read; a body without one is
 *   counted while it streams and refused the moment it passes the limit. Either way: 413
 *   RequestEntityTooLarge, and the rest of the body is never buffered.
 * - decodeText: strict UTF-8 (invalid bytes are a 400, not replacement characters).
 * - parseJsonBody / parseYamlBody: 400 BadRequest for a syntax error, for nesting deeper than
 *   MAX_NESTING (checked without recursion, and for YAML before the parser runs) and for the
 *   field names `__proto__`, `constructor` and `prototype` anywhere in the document.
 */
import { parse as parseYaml } from 'yaml';
import type { Json } from '../lib/json-patch.js';
import { checkTree, jsonNesting, MAX_NESTING, yamlNestingEstimate } from '../lib/json-safety.js';
import { badRequest, status, StatusError } from './status.js';

/** kube-apiserver's `--max-request-bytes` default for writes: 3 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;

export const tooLarge = (limit: number): StatusError =>
  new StatusError(status(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));

/** Reads a request body of at most `limit` bytes; throws the 413 StatusError past it. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d+$/.test(declared.trim())) throw badRequest(`invalid Content-Length ${JSON.stringify(declared)}`);
    if (Number(declared) > limit) {
      await req.body?.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
  }
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let r: Awaited<ReturnType<typeof reader.read>>;
    try {
      r = await reader.read();
    } catch (e) {
      throw badRequest(`the request body could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (r.done) break;
    size += r.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(r.value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Strict UTF-8; invalid bytes are a 400. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw badRequest('the request body is not valid UTF-8');
  }
}

function _checkParsed(v: unknown, what: string): Json {
  const problem = checkTree(v);
  if (problem !== undefined) throw badRequest(`${what}: ${problem.message}`);
  return v as Json;
}

/** Parses a JSON body (`what` names it in messages: "the request body", "DeleteOptions"). */
export function parseJsonBody(text: string, what = 'the request body'): Json {
  if (jsonNesting(text) > MAX_NESTING) throw badRequest(`${what}: the document nests deeper than ${MAX_NESTING} levels`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
  return _checkParsed(v, what);
}

/** Parses a YAML (or JSON, which is YAML) body: one document. */
export function parseYamlBody(text: string, what = 'the request body'): Json {
  if (yamlNestingEstimate(text) > MAX_NESTING) throw badRequest(`${what}: the document nests deeper than ${MAX_NESTING} levels`);
  let v: unknown;
  try {
    v = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    const msg = e instanceof RangeError ? 'the document nests too deeply' : e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw badRequest(`error decoding YAML: ${msg}`);
  }
  if (v === undefined || v === null) throw badRequest('error decoding YAML: empty document');
  return _checkParsed(v, what);
}
