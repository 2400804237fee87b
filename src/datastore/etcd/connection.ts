/**
 * @module Connecting to etcd (etcd3 over gRPC) and turning its failures into one clear
 * UnavailableError naming the endpoint — never a gRPC stack trace.
 *
 * Retries are ours, not the library's: etcd3's default global policy re-sends a failed call,
 * which for a write whose first attempt did commit turns into a misleading Conflict or
 * AlreadyExists. The datastore instead retries only what is safe (reads; writes whose
 * compare proves the first attempt did not commit).
 */
import { Etcd3, GRPCDeadlineExceededError, type IOptions } from 'etcd3';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { UnavailableError } from '../errors.js';

export interface EtcdConnectionOptions {
  /** Client URLs: `https://10.0.0.1:2379`. */
  readonly endpoints: readonly string[];
  /** Client private key (PEM), Calico's `etcdKeyFile`. */
  readonly keyFile?: string;
  /** Client certificate (PEM), Calico's `etcdCertFile`. */
  readonly certFile?: string;
  /** CA bundle that signed the server certificate (PEM), Calico's `etcdCACertFile`. */
  readonly caFile?: string;
  readonly username?: string;
  readonly password?: string;
  /** Bound on each call and on connecting (default 5,000 ms). */
  readonly timeoutMs?: number;
}

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type GlobalPolicy = NonNullable<FaultHandling['global']>;

const noDispose = { dispose: (): void => undefined };

/** A fault-handling policy that runs each call once. */
const RUN_ONCE: GlobalPolicy = {
  _altReturn: undefined as never,
  onSuccess: () => noDispose,
  onFailure: () => noDispose,
  execute: async (fn, signal) => fn({ signal: signal ?? new AbortController().signal }),
};

export function _endpointList(endpoints: readonly string[]): string {
  return endpoints.join(', ');
}

function readPem(what: string, path: string, endpoints: readonly string[]): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new UnavailableError('etcd', _endpointList(endpoints), `cannot read ${what} ${path}: ${detail}`);
  }
}

export function _connect(o: EtcdConnectionOptions): Etcd3 {
  const endpoints = o.endpoints;
  if (endpoints.length === 0) throw new UnavailableError('etcd', '(none)', 'no endpoints configured');
  const bad = endpoints.find((e) => !/^https?:\/\/[^/]+\/?$/.test(e));
  if (bad !== undefined) throw new UnavailableError('etcd', bad, 'endpoint must look like http://host:port or https://host:port');
  if ((o.keyFile === undefined) !== (o.certFile === undefined)) {
    throw new UnavailableError('etcd', _endpointList(endpoints), 'keyFile and certFile must be given together');
  }
  const tls = o.caFile !== undefined || o.certFile !== undefined || endpoints.some((e) => e.startsWith('https:'));
  const timeoutMs = o.timeoutMs ?? 5_000;
  const options: IOptions = {
    hosts: endpoints.map((e) => e.replace(/\/$/, '')),
    dialTimeout: timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    faultHandling: { global: RUN_ONCE },
  };
  if (tls) {
    options.credentials = {
      rootCertificate: o.caFile !== undefined ? readPem('caFile', o.caFile, endpoints) : Buffer.from(rootCertificates.join('\n')),
      ...(o.keyFile !== undefined && o.certFile !== undefined
        ? { privateKey: readPem('keyFile', o.keyFile, endpoints), certChain: readPem('certFile', o.certFile, endpoints) }
        : {}),
    };
  }
  if (o.username !== undefined) options.auth = { username: o.username, password: o.password ?? '' };
  return new Etcd3(options);
}

/** Failures that retrying cannot fix (credentials, permissions, TLS): surfaced at once. */
export function _isPermanent(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return /permission denied|authentication failed|invalid auth token|user name not found|PERMISSION_DENIED|UNAUTHENTICATED|certificate|SSL routines|handshake/i.test(
    e.message,
  );
}

/** etcd3's per-endpoint circuit breaker refusing a call: says nothing about the cause. */
export function _isBreakerOpen(e: unknown): boolean {
  return e instanceof Error && (e.name === 'BrokenCircuitError' || /circuit breaker is open/i.test(e.message));
}

/** Short, human text for a gRPC/etcd failure. */
export function _describeFailure(e: unknown, timeoutMs: number): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof GRPCDeadlineExceededError || /DEADLINE_EXCEEDED|Deadline exceeded/i.test(msg)) {
    return `no response within ${timeoutMs} ms`;
  }
  if (/ECONNREFUSED/.test(msg)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return 'host not found';
  if (/EHOSTUNREACH|ENETUNREACH/.test(msg)) return 'host unreachable';
  if (/ECONNRESET|Connection dropped|socket hang up/i.test(msg)) return 'connection lost';
  if (/certificate|SSL|TLS|handshake|wrong version number/i.test(msg)) {
    const m = /(alert [a-z ]+|certificate [a-z ]+|self[- ]signed [a-z ]+|unable to [a-z ]+|wrong version number)/i.exec(msg);
    return `TLS handshake failed${m?.[1] !== undefined ? `: ${m[1].trim()}` : ''}`;
  }
  if (/no leader/i.test(msg)) return 'etcd has no leader';
  if (/leader changed/i.test(msg)) return 'etcd leader changed';
  if (/request timed out/i.test(msg)) return 'etcd request timed out';
  if (/permission denied/i.test(msg)) return 'permission denied';
  if (/authentication failed|invalid user ID or password/i.test(msg)) return 'authentication failed';
  if (_isBreakerOpen(e)) return 'every endpoint failed recently';
  if (/closed/i.test(msg)) return 'client closed';
  // gRPC messages look like "14 UNAVAILABLE: No connection established. Last error: …"
  return msg.split('\n')[0]?.replace(/^\d+ [A-Z_]+: /, '').slice(0, 200) ?? 'unknown error';
}

/**
 * The endpoint to name for a failure: the one an error mentions only when the failure is about
 * reaching that endpoint (refused, unreachable, unknown host, TLS); a timeout, a lost leader or
 * a lost connection says nothing about which member is down, so it names every endpoint rather
 * than blaming a member that may be alive.
 */
export function _failedEndpoint(e: unknown, endpoints: readonly string[]): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (!/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|certificate|SSL|TLS|handshake/i.test(msg)) return _endpointList(endpoints);
  const hit = endpoints.find((ep) => msg.includes(ep.replace(/^https?:\/\//, '').replace(/\/$/, '')));
  return hit ?? _endpointList(endpoints);
}

/**
 * Failures that prove a call never reached etcd (nothing was sent, so nothing was applied):
 * the circuit breaker refusing, a refused or unroutable connection, an unknown host. Any other
 * failure of a write leaves its outcome unknown.
 */
export function _notSent(e: unknown): boolean {
  if (_isBreakerOpen(e)) return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|No connection established/i.test(msg);
}

/** etcd refused a request over its `--max-request-bytes`. */
export const _isRequestTooLarge = (e: unknown): boolean => e instanceof Error && /request is too large|received message larger than max/i.test(e.message);

export function _unavailable(e: unknown, endpoints: readonly string[], timeoutMs: number): UnavailableError {
  if (e instanceof UnavailableError) return e;
  return new UnavailableError('etcd', _failedEndpoint(e, endpoints), _describeFailure(e, timeoutMs));
}
