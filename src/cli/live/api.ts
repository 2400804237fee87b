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
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: Obj;
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

  /** Watches `path` from `resourceVersion` until `signal` aborts, the server ends it, or it fails. */
  async *watch(path: string, resourceVersion: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const full = `${path}${path.includes('?') ? '&' : '?'}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    let res: IncomingMessage;
    try {
      res = await this.#send(full, true, signal);
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new ApiError(`watch ${path}: HTTP ${res.statusCode ?? 0}`, res.statusCode ?? 0, `HTTP ${res.statusCode ?? 0}`, path);
    }
    const max = this.#o.maxBodyBytes ?? 256 * 1024 * 1024;
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        if (buf.length > max) throw new ApiError(`watch ${path}: an event is larger than ${max} bytes`, 200, 'TooLarge', path);
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const ev = _obj(JSON.parse(line));
          const type = ev['type'];
          const object = _obj(ev['object']);
          if (type === 'ERROR') throw new ApiError(`watch ${path}: ${String(object['message'] ?? 'failed')}`, Number(object['code'] ?? 500), String(object['reason'] ?? ''), path);
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') yield { type, object };
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError) throw e;
      throw new ApiError(`watch ${path}: ${describeNetError(e, this.#timeoutMs)}`, 0, 'Unavailable', path);
    } finally {
      res.destroy();
    }
  }

  close(): void {
    this.#closer.abort();
    this.#agent.destroy();
  }
}
