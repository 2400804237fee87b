/**
 * @module The fan-out server's connection to the upstream API server(s): HTTPS (or HTTP) with the
 * cluster CA and the fan-out's own credential (a bearer token), keep-alive. Several upstream URLs
 * are tried in order; a request that cannot connect moves on to the next one and the one that
 * answered is remembered. `forward` sends a downstream request on with the *caller's* headers
 * (its own credential), so writes and everything the cache does not serve are authorised by the
 * upstream exactly as if the caller had asked it directly.
 */
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { describeNetError, kubeAgent } from '../datastore/kube/kube-datastore.js';

export interface UpstreamOptions {
  /** One or more upstream API servers (`https://10.0.0.1:6443`), tried in order. */
  readonly urls: readonly string[];
  /** The fan-out's own bearer token for its list and watch requests. */
  readonly token: string;
  readonly caPem?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** Bound on connecting and on each non-watch request (default 10 s). */
  readonly timeoutMs?: number;
}

/** The upstream could not be reached (every URL tried), or answered with a failure. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
  override get name(): string {
    return 'UpstreamError';
  }
}

/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1), and ones Node sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);

/** Concurrent non-stream requests per upstream server. */
const MAX_REQUEST_SOCKETS = 32;

export class Upstream {
  private readonly urls: URL[];
  /** Connections for streams (the caches' and forwarded watches: long-lived, unlimited). */
  private readonly agents: HttpAgent[];
  /**
   * Connections for everything else (access reviews, forwarded reads and writes), at most
   * `MAX_REQUEST_SOCKETS` per upstream: a thousand agents starting together ask thousands of
   * access reviews at once, and that many TLS handshakes at once had the upstream reset them
   * (issue 19); queued here, they go through a bounded set of kept-alive connections.
   */
  private readonly requestAgents: HttpAgent[];
  private current = 0;
  private readonly timeoutMs: number;

  constructor(private readonly o: UpstreamOptions) {
    if (o.urls.length === 0) throw new UpstreamError('no upstream API server given', 0);
    this.urls = o.urls.map((u) => new URL(u));
    const tls = { ...(o.caPem !== undefined ? { caPem: o.caPem } : {}), ...(o.insecureSkipTlsVerify === true ? { insecureSkipTlsVerify: true } : {}) };
    this.agents = this.urls.map((u) => kubeAgent(u, tls));
    this.requestAgents = this.urls.map((u) => {
      const a = kubeAgent(u, tls);
      a.maxSockets = MAX_REQUEST_SOCKETS;
      return a;
    });
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  get description(): string {
    return this.urls.map((u) => u.origin).join(', ');
  }

  /**
   * Sends one request to the first upstream that accepts the connection and resolves with its
   * response (not yet read). `headers` replace the default ones (accept, the fan-out's token).
   */
  async send(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: NodeJS.ReadableStream | Buffer | string; stream?: boolean; signal?: AbortSignal } = {},
  ): Promise<IncomingMessage> {
    const errors: string[] = [];
    for (let i = 0; i < this.urls.length; i++) {
      const at = (this.current + i) % this.urls.length;
      try {
        const res = await this._one(at, method, path, opts);
        this.current = at;
        return res;
      } catch (e) {
        if (opts.signal?.aborted === true) throw e;
        errors.push(`${this.urls[at]!.origin}: ${describeNetError(e, this.timeoutMs)}`);
        // a request body stream can be sent once only
        if (opts.body !== undefined && typeof opts.body !== 'string' && !Buffer.isBuffer(opts.body)) break;
      }
    }
    throw new UpstreamError(`upstream API server unavailable (${errors.join('; ')})`, 503);
  }

  private _one(
    at: number,
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: NodeJS.ReadableStream | Buffer | string; stream?: boolean; signal?: AbortSignal },
  ): Promise<IncomingMessage> {
    const url = new URL(path, this.urls[at]!);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = opts.headers ?? { accept: 'application/json', authorization: `Bearer ${this.o.token}`, 'user-agent': 'tabby-fanout' };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method, headers, agent: (opts.stream === true ? this.agents : this.requestAgents)[at]!, ...(opts.stream === true ? {} : { timeout: this.timeoutMs }) }, resolve);
      const abort = (): void => void req.destroy(Object.assign(new Error('aborted'), { code: 'ABORTED' }));
      if (opts.signal !== undefined) {
        if (opts.signal.aborted) abort();
        opts.signal.addEventListener('abort', abort, { once: true });
        req.once('close', () => opts.signal!.removeEventListener('abort', abort));
      }
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', reject);
      const body = opts.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }

  /** GET `path` with the fan-out's credential; the parsed JSON body, or an UpstreamError naming the status. */
  async getJson(path: string, headers?: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const res = await this.send('GET', path, headers === undefined ? {} : { headers });
    return { status: res.statusCode ?? 0, body: await readJson(res) };
  }

  /** POST a JSON body with the given headers (the caller's credential); the status and parsed body. */
  async postJson(path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const payload = JSON.stringify(body);
    const res = await this.send('POST', path, { headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }, body: payload });
    return { status: res.statusCode ?? 0, body: await readJson(res) };
  }

  /** The headers of a downstream request to send upstream (hop-by-hop ones dropped). */
  static forwardHeaders(h: IncomingHttpHeaders): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) {
      if (v === undefined || HOP.has(k)) continue;
      out[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    if (typeof h['content-length'] === 'string') out['content-length'] = h['content-length'];
    return out;
  }

  close(): void {
    for (const a of [...this.agents, ...this.requestAgents]) a.destroy();
  }
}

/** Reads a response body as JSON (undefined when it is empty or not JSON); at most 512 MiB. */
export async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > 512 * 1024 * 1024) {
      res.destroy();
      throw new UpstreamError('upstream response larger than 512 MiB', 502);
    }
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
