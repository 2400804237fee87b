/**
 * @module The load generator's client: writes through the API server's Kubernetes REST API (the
 * path kubectl takes), over one keep-alive HTTPS agent with the admin token. `createAll` runs
 * creates with bounded concurrency; every request is bounded in time; an error names the object
 * and the server's Status message.
 */
import { Agent, request } from 'node:https';
import type { SimObject } from './scenario.js';

export interface WriteResult {
  /** The resourceVersion the write produced. */
  readonly revision: number;
  /** CLOCK_MONOTONIC ms when the request was sent. */
  readonly sentAt: number;
}

const _monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function _path(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, withName: boolean): string {
  const plural = `${o.kind.toLowerCase()}s`.replace(/policys$/, 'policies');
  const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  const ns = o.metadata.namespace !== undefined ? `/namespaces/${encodeURIComponent(o.metadata.namespace)}` : '';
  return `${base}${ns}/${plural}${withName ? `/${encodeURIComponent(o.metadata.name)}` : ''}`;
}

export class SimClient {
  private readonly _agent: Agent;
  private readonly _url: URL;

  constructor(
    server: string,
    caPem: string,
    private readonly _token: string,
    private readonly _timeoutMs = 60_000,
  ) {
    this._url = new URL(server);
    this._agent = new Agent({ keepAlive: true, ca: caPem, maxSockets: 64 });
  }

  /**
   * One request; resolves with status and parsed body. A connection reset before any answer (a
   * kept-alive socket the server closed, a full accept queue) is retried, at most 3 times.
   */
  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this._call1(method, path, body, contentType);
      } catch (e) {
        const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
        if (attempt >= 3 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw e;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  private _call1(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this._url),
        {
          method,
          agent: this._agent,
          timeout: this._timeoutMs,
          headers: {
            authorization: `Bearer ${this._token}`,
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown>;
            try {
              parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              parsed = { message: text.slice(0, 200) };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this._timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private _check(what: string, r: { status: number; body: Record<string, unknown> }): WriteResult & { sentAt: number } {
    if (r.status < 200 || r.status > 299) throw new Error(`${what}: HTTP ${r.status}: ${String(r.body['message'] ?? '')}`);
    const meta = r.body['metadata'] as { resourceVersion?: string } | undefined;
    return { revision: Number(meta?.resourceVersion ?? '0'), sentAt: 0 };
  }

  async create(o: SimObject): Promise<WriteResult> {
    const sentAt = _monoMs();
    const r = await this.call('POST', _path(o, false), o);
    return { ...this._check(`create ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, r), sentAt };
  }

  async delete(o: SimObject): Promise<WriteResult> {
    const sentAt = _monoMs();
    const r = await this.call('DELETE', _path(o, true));
    return { ...this._check(`delete ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, r), sentAt };
  }

  /** A JSON merge patch of the object's labels (what `kubectl label --overwrite` sends). */
  async label(o: SimObject, labels: Record<string, string>): Promise<WriteResult> {
    const sentAt = _monoMs();
    const r = await this.call('PATCH', _path(o, true), { metadata: { labels } }, 'application/merge-patch+json');
    return { ...this._check(`label ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, r), sentAt };
  }

  /** Creates every object, `concurrency` at a time; an AlreadyExists is not an error. */
  async createAll(objs: readonly SimObject[], concurrency: number): Promise<void> {
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < objs.length) {
        const o = objs[next++]!;
        const r = await this.call('POST', _path(o, false), o);
        if (r.status === 409 && r.body['reason'] === 'AlreadyExists') continue;
        this._check(`create ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, r);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, one));
  }

  close(): void {
    this._agent.destroy();
  }
}
