/**
 * @module PolicyWriter: keeps writing GlobalNetworkPolicies through a Datastore (in the fault
 * suite: the Kubernetes API of the lab's API servers, with failover) and proves afterwards that
 * no acknowledged write was lost.
 *
 * Writes cycle over `slots` policy names (`<prefix>-<slot>`); write `seq` stores its number in
 * the label `tabby.dev/fault-seq` and allows one unprobed port (`20000 + seq % 40000`) on the
 * selected pods, so every write is a real policy change the selected pods' agents program, while
 * the verdicts of the prober's ports stay the same.
 *
 * Every acknowledged write is checked: the next write of its slot is a compare-and-swap update on
 * the resourceVersion the acknowledgement returned, which succeeds only if the stored object is
 * still exactly that write; when it fails (or the slot's last write had an unknown outcome) the
 * slot is read back and the acknowledged write counts as lost unless the stored object is that
 * write or a later attempt whose outcome was unknown (a write that failed may still have been
 * applied). `verify()` reads every slot back at the end the same way. A write that failed is not
 * acknowledged and is never counted lost.
 */
import { randomBytes } from 'node:crypto';
import { ResourceClient } from '../../client/index.js';
import { AlreadyExistsError, ConflictError, NotFoundError, type Datastore, type StoredObject } from '../../datastore/index.js';

export const SEQ_LABEL = 'tabby.dev/fault-seq';
const GNP = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' } as const;

export interface WriterOptions {
  readonly datastore: Datastore;
  /** The selector of the written policies (the pods whose agents program them). */
  readonly selector: string;
  /** Policy name prefix (default `fault-w<random>`: unique per writer). */
  readonly prefix?: string;
  readonly slots?: number;
  /** Pause between writes (default 150 ms). */
  readonly intervalMs?: number;
  /** The written policies' order (default 500: after the policies the prober relies on). */
  readonly order?: number;
  readonly log?: (line: string) => void;
}

export interface WriteRecord {
  readonly seq: number;
  readonly name: string;
  readonly resourceVersion: string;
  /** performance.timeOrigin-based wall time (ms since the epoch) the write was sent / acknowledged. */
  readonly sentAt: number;
  readonly ackAt: number;
}

export interface LostWrite {
  readonly seq: number;
  readonly name: string;
  readonly resourceVersion: string;
  /** What the slot held instead (`absent`, or `seq N`). */
  readonly found: string;
}

interface _Slot {
  acked?: WriteRecord;
  /** Attempts after `acked` whose outcome is unknown (they failed, but may have been applied). */
  maybe: Set<number>;
  /** The resourceVersion to compare-and-swap on; undefined = read the slot first. */
  rv?: string;
  exists: boolean;
}

export interface WriterReport {
  readonly acked: number;
  readonly failed: number;
  readonly lost: readonly LostWrite[];
}

const _now = (): number => performance.timeOrigin + performance.now();

export class PolicyWriter {
  private readonly _o: WriterOptions;
  private readonly _client: ResourceClient;
  private readonly _slots: _Slot[];
  private readonly _prefix: string;
  private readonly _records: WriteRecord[] = [];
  private readonly _lost: LostWrite[] = [];
  private readonly _failedAt: number[] = [];
  private _seq = 0;
  private _stop = false;
  private _done: Promise<void> = Promise.resolve();
  private _lastError: string | undefined;

  constructor(o: WriterOptions) {
    this._o = o;
    this._client = new ResourceClient(o.datastore);
    this._prefix = o.prefix ?? `fault-w${randomBytes(3).toString('hex')}`;
    if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(this._prefix)) throw new Error(`writer: invalid prefix ${JSON.stringify(this._prefix)}`);
    const n = o.slots ?? 8;
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error('writer: slots must be 1-1000');
    this._slots = Array.from({ length: n }, () => ({ maybe: new Set<number>(), exists: false }));
  }

  /** Every acknowledged write so far, in order. */
  get records(): readonly WriteRecord[] {
    return this._records;
  }

  /** When each failed write was sent (wall time, ms since the epoch). */
  get failedAt(): readonly number[] {
    return this._failedAt;
  }

  get lastError(): string | undefined {
    return this._lastError;
  }

  /** The last acknowledged write (undefined before the first). */
  lastAcked(): WriteRecord | undefined {
    return this._records[this._records.length - 1];
  }

  /** Writes one policy now (the loop does this every `intervalMs`); returns its record or undefined when it failed. */
  async writeOnce(): Promise<WriteRecord | undefined> {
    const seq = ++this._seq;
    const i = (seq - 1) % this._slots.length;
    const slot = this._slots[i]!;
    const name = `${this._prefix}-${i}`;
    const sentAt = _now();
    try {
      if (slot.rv === undefined && (slot.acked !== undefined || slot.maybe.size > 0)) await this._resync(name, slot);
      const obj = this._policy(name, seq);
      let stored: StoredObject;
      if (!slot.exists) stored = await this._o.datastore.create(GNP, obj);
      else stored = await this._cas(name, slot, obj);
      const rec: WriteRecord = { seq, name, resourceVersion: stored.metadata.resourceVersion ?? '', sentAt, ackAt: _now() };
      slot.acked = rec;
      slot.maybe.clear();
      slot.rv = rec.resourceVersion;
      slot.exists = true;
      this._records.push(rec);
      return rec;
    } catch (e) {
      this._failedAt.push(sentAt);
      this._lastError = e instanceof Error ? e.message : String(e);
      // Not acknowledged; it may still have been applied: read the slot before the next write.
      slot.maybe.add(seq);
      delete slot.rv;
      return undefined;
    }
  }

  /** Update on the acknowledged resourceVersion; a conflict means the slot changed under us (checked). */
  private async _cas(name: string, slot: _Slot, obj: StoredObject): Promise<StoredObject> {
    try {
      return await this._o.datastore.update(GNP, { ...obj, metadata: { ...obj.metadata, resourceVersion: slot.rv! } });
    } catch (e) {
      if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
      await this._resync(name, slot);
      if (!slot.exists) return this._o.datastore.create(GNP, obj);
      return this._o.datastore.update(GNP, { ...obj, metadata: { ...obj.metadata, resourceVersion: slot.rv! } });
    }
  }

  /** Reads the slot: records a lost write when it does not hold its last acknowledged one (or a later maybe). */
  private async _resync(name: string, slot: _Slot): Promise<void> {
    let cur: StoredObject | undefined;
    try {
      cur = await this._o.datastore.get({ ...GNP, namespace: '', name });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    this._judge(slot, cur);
    slot.exists = cur !== undefined;
    if (cur !== undefined) slot.rv = cur.metadata.resourceVersion ?? '';
    else delete slot.rv;
    // What the slot holds now is the new base: earlier acknowledged writes were judged once.
    slot.maybe.clear();
    const seq = cur === undefined ? undefined : _seqOf(cur);
    if (slot.acked !== undefined && seq !== slot.acked.seq) delete slot.acked;
  }

  private _judge(slot: _Slot, cur: StoredObject | undefined): void {
    const a = slot.acked;
    if (a === undefined) return;
    const seq = cur === undefined ? undefined : _seqOf(cur);
    if (seq === a.seq || (seq !== undefined && slot.maybe.has(seq))) return;
    const lost: LostWrite = { seq: a.seq, name: a.name, resourceVersion: a.resourceVersion, found: seq === undefined ? 'absent' : `seq ${seq}` };
    this._lost.push(lost);
    this._o.log?.(`writer: acknowledged write ${a.seq} of ${a.name} (resourceVersion ${a.resourceVersion}) is lost: the slot holds ${lost.found}`);
  }

  private _policy(name: string, seq: number): StoredObject {
    const raw = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name, labels: { [SEQ_LABEL]: String(seq) } },
      spec: {
        order: this._o.order ?? 500,
        selector: this._o.selector,
        types: ['Ingress'],
        ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [20000 + (seq % 40000)] } }],
      },
    };
    return this._client.decode(raw).resource as unknown as StoredObject;
  }

  /** Starts writing every `intervalMs` until stop(). */
  start(): void {
    this._stop = false;
    this._done = (async () => {
      while (!this._stop) {
        await this.writeOnce();
        await new Promise((r) => setTimeout(r, this._o.intervalMs ?? 150));
      }
    })();
  }

  async stop(): Promise<void> {
    this._stop = true;
    await this._done;
  }

  /**
   * Reads every slot back (after stop()): the report of acknowledged, failed and lost writes.
   * A slot that cannot be read within `timeoutMs` is an error (nothing is assumed).
   */
  async verify(timeoutMs = 30_000): Promise<WriterReport> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < this._slots.length; i++) {
      const slot = this._slots[i]!;
      if (slot.acked === undefined) continue;
      for (;;) {
        try {
          await this._resync(`${this._prefix}-${i}`, slot);
          break;
        } catch (e) {
          if (Date.now() > deadline) throw new Error(`writer: cannot read ${this._prefix}-${i} back: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    return { acked: this._records.length, failed: this._failedAt.length, lost: [...this._lost] };
  }

  /** Lost writes found so far (verify() finds the rest). */
  get lost(): readonly LostWrite[] {
    return this._lost;
  }

  /** Deletes the written policies (best effort, bounded). */
  async cleanup(): Promise<void> {
    for (let i = 0; i < this._slots.length; i++) {
      try {
        await this._o.datastore.delete({ ...GNP, namespace: '', name: `${this._prefix}-${i}` });
      } catch (e) {
        if (!(e instanceof NotFoundError) && !(e instanceof AlreadyExistsError)) this._o.log?.(`writer: cleanup of ${this._prefix}-${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

function _seqOf(o: StoredObject): number | undefined {
  const v = o.metadata.labels?.[SEQ_LABEL];
  return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
}
