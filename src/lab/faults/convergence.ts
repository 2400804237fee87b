/**
 * @module ConvergenceWatch: when has every agent programmed a given datastore revision? It reads
 * what each agent publishes on its Calico Node after every apply (src/agent/status.ts):
 * `tabby.dev/programmed-revision` (the revision its rules reflect) and `tabby.dev/programmed-at`
 * (the wall time of that apply). It polls the Nodes every `intervalMs` and keeps each node's
 * history of (revision, at); a node has programmed revision R at the `at` of the first sample
 * with a revision ≥ R, and every agent has converged at the latest of those. Using the agents'
 * own apply times makes the figure independent of the polling period, except that a sample the
 * poll missed is replaced by a later one (the figure can only come out later, never earlier).
 *
 * An agent that restarted must have applied again: `fresh` names nodes whose sample must also be
 * stamped after a given time (the restart), so the status its previous run left does not count.
 */
import { ANNOTATION } from '../../agent/status.js';
import type { Datastore } from '../../datastore/index.js';

const NODES = { group: 'projectcalico.org', plural: 'nodes' } as const;

interface _Sample {
  readonly revision: bigint;
  readonly at: number;
}

export interface ConvergenceOptions {
  readonly datastore: Datastore;
  /** The agents' node names. */
  readonly nodes: readonly string[];
  /** Poll period (default 50 ms). */
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface FreshAfter {
  readonly node: string;
  /** Wall time (ms since the epoch): only an apply stamped after this counts for the node. */
  readonly after: number;
}

const _now = (): number => performance.timeOrigin + performance.now();

export class ConvergenceWatch {
  private readonly _hist = new Map<string, _Sample[]>();
  private _stop = false;
  private _done: Promise<void> = Promise.resolve();
  private _errors = 0;
  private _lastError: string | undefined;

  constructor(private readonly _o: ConvergenceOptions) {
    for (const n of _o.nodes) this._hist.set(n, []);
  }

  /** Polls once. */
  async poll(): Promise<void> {
    const { items } = await this._o.datastore.list(NODES);
    for (const n of items) {
      const name = n.metadata.name ?? '';
      const h = this._hist.get(name);
      if (h === undefined) continue;
      const a = n.metadata.annotations ?? {};
      const rev = a[ANNOTATION.revision];
      const at = Date.parse(a[ANNOTATION.at] ?? '');
      if (rev === undefined || !/^\d{1,20}$/.test(rev) || !Number.isFinite(at)) continue;
      const last = h[h.length - 1];
      const s = { revision: BigInt(rev), at };
      if (last === undefined || last.revision !== s.revision || last.at !== s.at) h.push(s);
    }
  }

  start(): void {
    this._stop = false;
    this._done = (async () => {
      while (!this._stop) {
        try {
          await this.poll();
        } catch (e) {
          this._errors++;
          const msg = e instanceof Error ? e.message : String(e);
          if (msg !== this._lastError) this._o.log?.(`convergence: reading the Nodes failed: ${msg}`);
          this._lastError = msg;
        }
        await new Promise((r) => setTimeout(r, this._o.intervalMs ?? 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this._stop = true;
    await this._done;
  }

  /** When `node` first had programmed `revision` (its apply time), undefined if not yet. */
  programmedAt(node: string, revision: string, after = -Infinity): number | undefined {
    const r = BigInt(revision);
    return this._hist.get(node)?.find((s) => s.revision >= r && s.at > after)?.at;
  }

  /** When every agent had programmed `revision` (undefined if one has not yet). */
  convergedAt(revision: string, fresh: readonly FreshAfter[] = []): number | undefined {
    let max = -Infinity;
    for (const node of this._o.nodes) {
      const after = fresh.find((f) => f.node === node)?.after ?? -Infinity;
      const t = this.programmedAt(node, revision, after);
      if (t === undefined) return undefined;
      if (t > max) max = t;
    }
    return max;
  }

  /** The nodes that have not programmed `revision` yet, with the last revision each has. */
  behind(revision: string, fresh: readonly FreshAfter[] = []): string[] {
    return this._o.nodes
      .filter((n) => this.programmedAt(n, revision, fresh.find((f) => f.node === n)?.after ?? -Infinity) === undefined)
      .map((n) => `${n} (at ${this._hist.get(n)?.at(-1)?.revision.toString() ?? 'nothing'})`);
  }

  /** Waits (bounded) until every agent programmed `revision`; returns that time. */
  async waitConverged(revision: string, timeoutMs: number, fresh: readonly FreshAfter[] = []): Promise<number> {
    const deadline = _now() + timeoutMs;
    for (;;) {
      const t = this.convergedAt(revision, fresh);
      if (t !== undefined) return t;
      if (_now() > deadline)
        throw new Error(`convergence: revision ${revision} not programmed by every agent within ${timeoutMs} ms; behind: ${this.behind(revision, fresh).join(', ')}${this._lastError ? `; last read error: ${this._lastError}` : ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
