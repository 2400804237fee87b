/**
 * @module A read-only client for one Kubernetes API server (the live-cluster reader's only I/O):
 * GET a JSON document, list a resource type page by page (`limit`/`continue`), and watch it
 * (`?watch=1`, newline-delimited events). Bearer token or client certificate, the cluster's CA
 * (or `insecure-skip-tls-verify`), one keep-alive agent.
 *
 * Invariants:
 * - It only ever sends GET: the reader cannot change the cluster it reads.
 * - Every request is bounded: connecting and each response by `timeoutMs`, a response body by
 *   `maxBodyBytes`, a list by `maxItems` (a hostile or broken server cannot exhaust memory).
 * - A failed request is one ApiError carrying the HTTP status, the Status reason and message,
 *   and the path; the caller names the resource and what to do.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setMaxListeners } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { describeNetError, kubeAgent, type KubeDatastoreOptions } from '../../datastore/kube/index.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly code: number,
    readonly reason: string,
    readonly path: string,
  ) {
    super(message);
  }
  override get name(): string {
    return 'ApiError';
  }
}

export interface ApiOptions extends KubeDatastoreOptions {
  /** Bound on a response body (default 256 MiB). */
  readonly maxBodyBytes?: number;
  /** Bound on the items of one list, all pages together (default 1,000,000). */
  readonly maxItems?: number;
  /** Page size (default 500, as kubectl). */
  readonly pageSize?: number;
  /** Bound on one line (event) of a watch stream (default 16 MiB). */
  readonly maxEventBytes?: number;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: Obj;
}

/** The Status body of a failed response (at most 64 KiB read), or {}. */
async function _statusOf(res: IncomingMessage): Promise<Obj> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res) {
      size += (c as Buffer).length;
      if (size > 64 * 1024) break;
      chunks.push(c as Buffer);
    }
  } catch {
    // the body is only for the message
  } finally {
    res.destroy();
  }
  try {
    return _obj(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  } catch {
    return {};
  }
}

export class KubeApi {
  readonly server: string;
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #o: ApiOptions;
  readonly #timeoutMs: number;
  readonly #closer = new AbortController();

  constructor(o: ApiOptions) {
    this.#o = o;
    this.server = o.server;
    this.#url = new URL(o.server);
    if (this.#url.protocol !== 'https:' && this.#url.protocol !== 'http:') throw new ApiError(`server ${o.server}: the URL scheme must be https or http`, 0, 'BadRequest', '');
    this.#timeoutMs = o.timeoutMs ?? 30_000;
    // every request in flight listens on the closer (lists run concurrently)
    setMaxListeners(0, this.#closer.signal);
    this.#agent = kubeAgent(this.#url, o);
  }

  #send(path: string, stream: boolean, signal?: AbortSignal): Promise<IncomingMessage> {
    const target = new URL(path, this.#url);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'tabby-live-reader' };
    if (this.#o.token !== undefined) headers['authorization'] = `Bearer ${this.#o.token}`;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const both = signal === undefined ? this.#closer.signal : AbortSignal.any([signal, this.#closer.signal]);
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (both.aborted) {
        reject(new ApiError(`GET ${path}: aborted`, 0, 'Aborted', path));
        return;
      }
      const req = send(target, { method: 'GET', headers, agent: this.#agent, ...(stream ? {} : { timeout: this.#timeoutMs }) }, resolve);
      const abort = (): void => void req.destroy(Object.assign(new Error('aborted'), { code: 'ABORTED' }));
      both.addEventListener('abort', abort, { once: true });
      req.on('close', () => both.removeEventListener('abort', abort));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e) => reject(new ApiError(`${this.server}: ${describeNetError(e, this.#timeoutMs)}`, 0, 'Unavailable', path)));
      req.end();
    });
  }

  /** GET `path` → the parsed JSON body (status 200), else an ApiError. */
  async get(path: string): Promise<unknown> {
    const res = await this.#send(path, false);
    const max = this.#o.maxBodyBytes ?? 256 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res) {
        size += (c as Buffer).length;
        if (size > max) {
          res.destroy();
          throw Object.assign(new Error(`the response is larger than ${max} bytes`), { code: 'TOO_LARGE' });
        }
        chunks.push(c as Buffer);
      }
    } catch (e) {
      throw new ApiError(`GET ${path}: ${describeNetError(e, this.#timeoutMs)}`, 0, 'Unavailable', path);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const status = res.statusCode ?? 0;
    if (status === 200 && body !== undefined) return body;
    const st = _obj(body);
    const message = typeof st['message'] === 'string' ? st['message'] : status === 200 ? 'the response is not JSON' : text.trim().slice(0, 200) || `HTTP ${status}`;
    const reason = typeof st['reason'] === 'string' ? st['reason'] : `HTTP ${status}`;
    throw new ApiError(message, status, reason, path);
  }

  /**
   * Every item of a list (all pages), and the list's resourceVersion (from the last page, as
   * client-go's pager: a watch from it misses nothing).
   */
  async list(path: string): Promise<{ items: Obj[]; resourceVersion: string }> {
    const limit = this.#o.pageSize ?? 500;
    const maxItems = this.#o.maxItems ?? 1_000_000;
    const items: Obj[] = [];
    let cont = '';
    let rv = '';
    for (let page = 0; ; page++) {
      const q = `limit=${limit}${cont === '' ? '' : `&continue=${encodeURIComponent(cont)}`}`;
      const body = _obj(await this.get(`${path}${path.includes('?') ? '&' : '?'}${q}`));
      const list = body['items'];
      if (list !== undefined && list !== null && !Array.isArray(list)) throw new ApiError(`GET ${path}: \`items\` is not a list`, 200, 'BadResponse', path);
      for (const it of (list ?? []) as unknown[]) items.push(_obj(it));
      if (items.length > maxItems) throw new ApiError(`GET ${path}: more than ${maxItems} items`, 200, 'TooLarge', path);
      const meta = _obj(body['metadata']);
      rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : rv;
      const next = typeof meta['continue'] === 'string' ? meta['continue'] : '';
      if (next === '' || next === cont) break;
      cont = next;
    }
    return { items, resourceVersion: rv };
  }

  /**
   * Watches `path` from `resourceVersion` (bookmarks on) until `signal` aborts or the server ends
   * the stream (after `timeoutSeconds`, default 300: the server closes it, so a stream silent
   * for longer than that plus 30 s is a dead connection and fails as one). An `ERROR` event is
   * an ApiError with its Status code (410 Expired: list again). A line longer than
   * `maxEventBytes`, a line that is not JSON or an event that is not an object fails with an
   * ApiError saying so (reason BadResponse) — never a crash.
   */
  async *watch(path: string, resourceVersion: string, signal: AbortSignal, opts: { timeoutSeconds?: number } = {}): AsyncIterable<WatchEvent> {
    const timeoutSeconds = opts.timeoutSeconds ?? 300;
    const full = `${path}${path.includes('?') ? '&' : '?'}watch=1&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    let res: IncomingMessage;
    try {
      res = await this.#send(full, true, signal);
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const code = res.statusCode ?? 0;
    if (code !== 200) {
      const st = await _statusOf(res);
      throw new ApiError(typeof st['message'] === 'string' ? st['message'] : `watch ${path}: HTTP ${code}`, code, typeof st['reason'] === 'string' ? st['reason'] : `HTTP ${code}`, path);
    }
    const maxLine = this.#o.maxEventBytes ?? 16 * 1024 * 1024;
    const idleMs = (timeoutSeconds + 30) * 1000;
    const idle = setTimeout(() => res.destroy(Object.assign(new Error('the watch stream went silent'), { code: 'TIMEOUT' })), idleMs);
    const bad = (what: string): ApiError => new ApiError(`watch ${path}: ${what}`, 200, 'BadResponse', path);
    const decoder = new StringDecoder('utf8');
    let buf = '';
    let scanned = 0;
    let n = 0;
    try {
      for await (const chunk of res) {
        idle.refresh();
        buf += decoder.write(chunk as Buffer);
        let nl: number;
        while ((nl = buf.indexOf('\n', scanned)) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          scanned = 0;
          if (line === '') continue;
          n++;
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch (e) {
            throw bad(`event ${n} is not JSON (${e instanceof Error ? e.message : String(e)})`);
          }
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(`event ${n} is not a JSON object`);
          const ev = parsed as Obj;
          const type = Object.prototype.hasOwnProperty.call(ev, 'type') ? ev['type'] : undefined;
          const object = _obj(Object.prototype.hasOwnProperty.call(ev, 'object') ? ev['object'] : undefined);
          if (type === 'ERROR') {
            const c = Number(object['code']);
            throw new ApiError(`watch ${path}: ${typeof object['message'] === 'string' ? object['message'] : 'failed'}`, Number.isInteger(c) ? c : 500, typeof object['reason'] === 'string' ? object['reason'] : '', path);
          }
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') throw bad(`event ${n} has type ${JSON.stringify(type)}, not ADDED, MODIFIED, DELETED, BOOKMARK or ERROR`);
          if (typeof _obj(object['metadata'])['resourceVersion'] !== 'string') throw bad(`event ${n} (${type}): the object has no metadata.resourceVersion`);
          yield { type, object };
        }
        scanned = buf.length;
        if (buf.length > maxLine) throw bad(`event ${n + 1} is longer than ${maxLine} bytes`);
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError) throw e;
      throw new ApiError(`watch ${path}: ${describeNetError(e, idleMs)}`, 0, 'Unavailable', path);
    } finally {
      clearTimeout(idle);
      res.destroy();
    }
  }

  close(): void {
    this.#closer.abort();
    this.#agent.destroy();
  }
}
