/**
 * @module FlowEventLog: where one agent's FlowEvents go (issue 17) — a bounded in-memory ring of
 * the newest events, and JSON lines appended to `<dir>/flows-<node>.jsonl` with size-bounded
 * rotation (the file format and how to read it are in ./index.ts).
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowEvent } from '../../model/flows.js';

export interface FlowEventLogOptions {
  /** Folder of the files (the lab: its state dir). Absent: memory only. */
  readonly dir?: string;
  readonly node: string;
  /** Rotate when the current file would pass this size (default 16 MiB). */
  readonly maxFileBytes?: number;
  /** Events kept in memory (default 10,000). */
  readonly ringSize?: number;
}

/** Counters of the reader and the log; written beside the events as `flows-<node>.stats.json`. */
export interface FlowLogCounters {
  /** Events emitted (into the ring and the file). */
  eventsEmitted: number;
  /** NFLOG packets read from the kernel (ulogd lines). */
  packetsRead: number;
  /** Lines or prefixes rejected (not ours, malformed), never turned into events. */
  rejected: number;
  /** Pending connections dropped because the join table was full (overload). */
  pendingDropped: number;
  /** Late new packets of connections already emitted (retransmissions), not emitted again. */
  repeats: number;
  /** Kernel-side losses reported (NFLOG buffer overruns as ulogd logs them). */
  kernelDropped: number;
  /** Events joined with a conntrack entry (counts from conntrack), the rest carry NFLOG counts. */
  conntrackJoined: number;
  /** File rotations. */
  rotations: number;
}

/** `flows-<node>.jsonl`, the node name made file-safe. */
export function flowFileName(node: string): string {
  return `flows-${node.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`;
}

export class FlowEventLog {
  readonly counters: FlowLogCounters = { eventsEmitted: 0, packetsRead: 0, rejected: 0, pendingDropped: 0, repeats: 0, kernelDropped: 0, conntrackJoined: 0, rotations: 0 };
  /** The file events are appended to, or undefined (memory only). */
  readonly file: string | undefined;
  private readonly _ring: (FlowEvent | undefined)[];
  private _next = 0;
  private _size = 0;
  private readonly _max: number;

  constructor(private readonly o: FlowEventLogOptions) {
    this._ring = new Array<FlowEvent | undefined>(Math.max(1, o.ringSize ?? 10_000));
    this._max = Math.max(4096, o.maxFileBytes ?? 16 * 1024 * 1024);
    if (o.dir !== undefined) {
      mkdirSync(o.dir, { recursive: true });
      this.file = join(o.dir, flowFileName(o.node));
      this._size = existsSync(this.file) ? statSync(this.file).size : 0;
    } else this.file = undefined;
  }

  /** Appends events (one write for the batch), rotating first when the file would grow past the bound. */
  append(events: readonly FlowEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      this._ring[this._next] = e;
      this._next = (this._next + 1) % this._ring.length;
    }
    this.counters.eventsEmitted += events.length;
    if (this.file === undefined) return;
    const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const bytes = Buffer.byteLength(text);
    if (this._size > 0 && this._size + bytes > this._max) {
      renameSync(this.file, `${this.file}.1`);
      this._size = 0;
      this.counters.rotations++;
    }
    appendFileSync(this.file, text);
    this._size += bytes;
  }

  /** The newest events in memory, oldest first (at most `limit`). */
  recent(limit = this._ring.length): FlowEvent[] {
    const out: FlowEvent[] = [];
    for (let i = 0; i < this._ring.length; i++) {
      const e = this._ring[(this._next + i) % this._ring.length];
      if (e !== undefined) out.push(e);
    }
    return out.slice(Math.max(0, out.length - limit));
  }

  /** Writes the counters beside the events (`flows-<node>.stats.json`). */
  writeCounters(): void {
    if (this.file === undefined) return;
    writeFileSync(this.file.replace(/\.jsonl$/, '.stats.json'), JSON.stringify({ node: this.o.node, ...this.counters }) + '\n');
  }
}
