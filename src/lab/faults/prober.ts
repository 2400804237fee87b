/**
 * @module Prober: keeps opening real TCP connections between lab pods, on a port policy allows
 * and on a port policy denies, and records every result with its time. Each round probes every
 * pair on both ports at once (a new connection each time: a new source port, so a new flow for
 * conntrack and the rules), then waits `intervalMs`. A denied-port connection that opens is a
 * policy violation; an allowed-port connection that does not open is a dropped allowed
 * connection (expected across a partition, and in an agent's fail-closed window).
 */
import type { ProbeResult } from '../responder.js';

/** Opens one TCP connection from lab source `from` to `ip:port` (Lab.probe, or a PodProcess per source). */
export type TcpProbe = (from: string, ip: string, port: number, timeoutMs: number) => Promise<ProbeResult>;

export interface ProbePair {
  /** A probe source (a pod key `ns/name`). */
  readonly from: string;
  readonly fromNode: string;
  /** The target pod's key and address. */
  readonly to: string;
  readonly toNode: string;
  readonly ip: string;
}

export interface ProbeEvent {
  /** Wall time (ms since the epoch) the connection was started. */
  readonly at: number;
  readonly pair: ProbePair;
  readonly port: 'allowed' | 'denied';
  readonly result: ProbeResult;
}

export interface ProbeSummary {
  readonly allowedOpen: number;
  readonly allowedDropped: number;
  readonly deniedClosed: number;
  /** Denied-port connections that opened, or were refused by the target (the SYN got through): must be 0. */
  readonly deniedAccepted: number;
  /** Probes the harness could not run (the responder answered `error`). */
  readonly errors: number;
}

export interface ProberOptions {
  readonly probe: TcpProbe;
  readonly pairs: readonly ProbePair[];
  readonly allowedPort: number;
  readonly deniedPort: number;
  /** Per-connection timeout (default 500 ms). */
  readonly timeoutMs?: number;
  /** Pause between rounds (default 100 ms). */
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

const _now = (): number => performance.timeOrigin + performance.now();

export class Prober {
  private readonly _events: ProbeEvent[] = [];
  private _stop = false;
  private _done: Promise<void> = Promise.resolve();

  constructor(private readonly _o: ProberOptions) {
    if (_o.pairs.length === 0) throw new Error('prober: no pairs to probe');
  }

  get events(): readonly ProbeEvent[] {
    return this._events;
  }

  /** One round: every pair on both ports, concurrently. */
  async round(): Promise<void> {
    const { probe, pairs, allowedPort, deniedPort } = this._o;
    const t = this._o.timeoutMs ?? 500;
    await Promise.all(
      pairs.flatMap((pair) =>
        (['allowed', 'denied'] as const).map(async (port) => {
          const at = _now();
          const result = await probe(pair.from, pair.ip, port === 'allowed' ? allowedPort : deniedPort, t);
          this._events.push({ at, pair, port, result });
          if (port === 'denied' && (result === 'open' || result === 'refused')) this._o.log?.(`prober: VIOLATION ${pair.from} (${pair.fromNode}) → ${pair.to} ${pair.ip}:${deniedPort} (denied) opened at ${new Date(at).toISOString()}`);
        }),
      ),
    );
  }

  start(): void {
    this._stop = false;
    this._done = (async () => {
      while (!this._stop) {
        await this.round();
        await new Promise((r) => setTimeout(r, this._o.intervalMs ?? 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this._stop = true;
    await this._done;
  }

  /** Counts over the events started in [from, to) (all of them by default). */
  summary(from = -Infinity, to = Infinity): ProbeSummary {
    let allowedOpen = 0;
    let allowedDropped = 0;
    let deniedClosed = 0;
    let deniedAccepted = 0;
    let errors = 0;
    for (const e of this._events) {
      if (e.at < from || e.at >= to) continue;
      if (e.result === 'error') errors++;
      else if (e.port === 'allowed') {
        if (e.result === 'open') allowedOpen++;
        else allowedDropped++;
      } else if (e.result === 'open' || e.result === 'refused') deniedAccepted++; // the target listens there too: `refused` means the SYN got through
      else deniedClosed++;
    }
    return { allowedOpen, allowedDropped, deniedClosed, deniedAccepted, errors };
  }
}
