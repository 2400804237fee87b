/**
 * @module FlowFileTailer: reads the agents' flow-log files (the transport of src/agent/flows:
 * `<dir>/flows-<node>.jsonl`, one FlowEvent per line, rotated to `.1`, counters in
 * `flows-<node>.stats.json`) and hands the events to a FlowEventSink (the API server's
 * FlowCollector). The lab's agents write into the lab's state dir, which `tabby up` serves.
 *
 * Invariants:
 * - Each file is followed by (inode, offset). When the inode changes or the file shrinks below
 *   the offset (rotation), the rest of the old file is read from `.1` (if it is the same inode)
 *   before the new file is read from 0, so no line is read twice or skipped.
 * - Every line is hostile: bounded (`maxLineBytes`), JSON-parsed, decoded with field paths
 *   (model/flow-decode.ts); a line that fails is counted in `rejected`, never folded. A partial
 *   last line waits for its newline.
 * - Each poll reads at most `maxReadBytes` per file, so a huge backlog is taken in slices.
 * - The agents' kernel-side losses (`kernelDropped` and `pendingDropped` in the stats file) are
 *   passed on as increments, so they show in the flows API's drop counters.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FieldPath } from '../model/field/index.js';
import { decodeFlowEvent } from '../model/flow-decode.js';
import type { FlowEvent } from '../model/flows.js';
import type { FlowEventSink } from './flows.js';

export interface FlowFileTailerOptions {
  readonly dir: string;
  readonly sink: FlowEventSink;
  /** Unix ms, for the decoder's bound on event times. */
  readonly now?: () => number;
  readonly pollMs?: number;
  readonly maxLineBytes?: number;
  readonly maxReadBytes?: number;
  readonly log?: (line: string) => void;
}

interface _Cursor {
  ino: number;
  offset: number;
  partial: string;
}

const FILE = /^flows-[A-Za-z0-9._-]+\.jsonl$/;

export class FlowFileTailer {
  /** Lines that did not decode (or were too long), never folded. */
  rejected = 0;
  /** Events handed to the sink. */
  events = 0;
  readonly #o: FlowFileTailerOptions;
  readonly #cursors = new Map<string, _Cursor>();
  readonly #kernel = new Map<string, number>();
  #busy: Promise<void> | undefined;

  constructor(o: FlowFileTailerOptions) {
    this.#o = o;
  }

  /** Polls every `pollMs` until `signal` aborts. */
  start(signal: AbortSignal): void {
    const timer = setInterval(() => void this.poll().catch((e: unknown) => this.#o.log?.(`flow logs: ${e instanceof Error ? e.message : String(e)}`)), this.#o.pollMs ?? 500);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** One pass over every flow-log file (serialised: a pass waits for the previous one). */
  poll(): Promise<void> {
    const run = async (): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(this.#o.dir);
      } catch {
        return; // no lab (yet): nothing to read
      }
      for (const n of names.filter((x) => FILE.test(x)).sort()) await this.#file(n);
    };
    const p = (this.#busy ?? Promise.resolve()).then(run);
    this.#busy = p.finally(() => {
      if (this.#busy === p) this.#busy = undefined;
    });
    return p;
  }

  async #file(name: string): Promise<void> {
    const path = join(this.#o.dir, name);
    let st;
    try {
      st = await stat(path);
    } catch {
      return;
    }
    let cur = this.#cursors.get(name);
    const events: FlowEvent[] = [];
    if (cur !== undefined && (cur.ino !== st.ino || st.size < cur.offset)) {
      // rotated: finish the old file (now `.1`) from where we were
      try {
        const old = await stat(`${path}.1`);
        if (old.ino === cur.ino) await this.#read(`${path}.1`, cur, old.size, events);
      } catch {
        // `.1` is gone too: what was left of it is lost (counted nowhere we can see)
      }
      cur = undefined;
    }
    if (cur === undefined) {
      cur = { ino: st.ino, offset: 0, partial: '' };
      this.#cursors.set(name, cur);
    }
    await this.#read(path, cur, st.size, events);
    const kernel = await this.#kernelDropped(name);
    if (events.length > 0 || kernel > 0) {
      this.events += events.length;
      await this.#o.sink.ingest({ events, kernelDropped: kernel });
    }
  }

  async #read(path: string, cur: _Cursor, size: number, out: FlowEvent[]): Promise<void> {
    const max = this.#o.maxReadBytes ?? 8 * 1024 * 1024;
    const maxLine = this.#o.maxLineBytes ?? 64 * 1024;
    const len = Math.min(size - cur.offset, max);
    if (len <= 0) return;
    const fh = await open(path, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, cur.offset);
      cur.offset += bytesRead;
      text = cur.partial + buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = text.split('\n');
    cur.partial = lines.pop() ?? '';
    if (cur.partial.length > maxLine) {
      this.rejected++;
      cur.partial = '';
    }
    const now = (this.#o.now ?? Date.now)();
    for (const line of lines) {
      if (line === '') continue;
      if (line.length > maxLine) {
        this.rejected++;
        continue;
      }
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        this.rejected++;
        continue;
      }
      const d = decodeFlowEvent(v, FieldPath.root(), now);
      if (d.ok) out.push(d.value);
      else this.rejected++;
    }
  }

  /** The increase of the agent's kernel-side losses since the last look. */
  async #kernelDropped(name: string): Promise<number> {
    const stats = join(this.#o.dir, name.replace(/\.jsonl$/, '.stats.json'));
    let total = 0;
    try {
      const v: unknown = JSON.parse((await readFile(stats, 'utf8')).slice(0, 64 * 1024));
      if (typeof v === 'object' && v !== null) {
        for (const k of ['kernelDropped', 'pendingDropped']) {
          const x = Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<string, unknown>)[k] : undefined;
          if (typeof x === 'number' && Number.isSafeInteger(x) && x > 0) total += x;
        }
      }
    } catch {
      return 0;
    }
    const before = this.#kernel.get(name) ?? 0;
    this.#kernel.set(name, total);
    return total > before ? total - before : 0;
  }
}
