/**
 * @module FlowReader: the agent's flow-log reader. It runs ulogd2 (ulogd.ts) inside the node's
 * namespace on NFLOG groups 1 and 2, decodes each line's prefix through the tables of what the
 * agent rendered (dataplane/render/flow-log.ts: the newest three DesiredStates, so a packet logged
 * just before a policy change still decodes, and the one being applied, so a packet its new rules
 * log before the driver's write has returned decodes too), groups the packets of each new connection
 * (assembler.ts), joins them with `conntrack -L -o extended` for counts (conntrack.ts), resolves
 * addresses from the agent's snapshot (resolve.ts), and appends the FlowEvents to its
 * FlowEventLog (the file transport described in ./index.ts).
 *
 * Bounds: lines longer than 4 KiB and unknown prefixes are rejected and counted; at most
 * `maxPending` connections are held (the rest counted as dropped); the conntrack listing is
 * read only when at most `conntrackJoinLimit` allowed connections wait for it (above that,
 * under a burst, events carry the NFLOG'd packets' counts and `conntrackJoined` says how many
 * had conntrack's), and is cut at 30 s and 200,000 entries.
 */
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { DesiredState, Snapshot } from '../../engine/index.js';
import { decodeFlowLogPrefix, flowLogTable, FLOW_LOG_GROUP_INBOUND, FLOW_LOG_GROUP_OUTBOUND, type FlowLogTable } from '../../dataplane/render/flow-log.js';
import { findOnPath, type CommandRunner, type RunningProcess } from '../../sys/index.js';
import { FlowAssembler } from './assembler.js';
import { indexConntrack, type ConntrackCounts } from './conntrack.js';
import type { FlowEventLog } from './event-log.js';
import { findUlogdForFlows, flowUlogdConfig, parseGprintLine } from './ulogd.js';

export interface FlowReaderOptions {
  readonly node: string;
  /** Runs commands inside the node's namespace (ulogd, conntrack, sysctl). */
  readonly runner: CommandRunner;
  readonly sink: FlowEventLog;
  /** Where ulogd's configuration file goes. */
  readonly confDir: string;
  /** The DesiredState last programmed (the prefix tables are built from it). */
  readonly desired: () => DesiredState | undefined;
  /**
   * The DesiredState being programmed right now, if any. Its rules judge packets as soon as the
   * driver's write commits, before `desired()` returns it (the nft driver still reads its write
   * back): without its table, the first packets a new rule logs would be rejected as unknown.
   */
  readonly applying?: () => DesiredState | undefined;
  readonly snapshot: () => Snapshot | undefined;
  /** Turn on conntrack accounting in the namespace first (the lab's namespaces only). */
  readonly enableConntrackAcct?: boolean;
  readonly holdMs?: number;
  readonly flushMs?: number;
  readonly maxPending?: number;
  readonly conntrackJoinLimit?: number;
  readonly log?: (msg: string) => void;
}

export class FlowReader {
  private readonly _asm: FlowAssembler;
  private _proc: RunningProcess | undefined;
  private _timer: NodeJS.Timeout | undefined;
  private _carry = '';
  private _tables: FlowLogTable[] = [];
  private _tablesFor: DesiredState | undefined;
  private _applying: { for: DesiredState; table: FlowLogTable } | undefined;
  private _flushing: Promise<void> | undefined;
  private _stopped = false;
  private _lastStderr = '';
  private _fifo: Socket | undefined;
  private _fifoPath: string | undefined;
  private _ulogdLog: string | undefined;
  private _logOffset = 0;
  private readonly _log: (msg: string) => void;

  constructor(private readonly o: FlowReaderOptions) {
    this._asm = new FlowAssembler({ node: o.node, ...(o.holdMs !== undefined ? { holdMs: o.holdMs } : {}), ...(o.maxPending !== undefined ? { maxPending: o.maxPending } : {}) });
    this._log = o.log ?? ((): void => undefined);
  }

  /** Starts ulogd; false (and a log line) when ulogd2 or the runner's streaming is missing. */
  async start(): Promise<boolean> {
    const found = findUlogdForFlows();
    const start = this.o.runner.start?.bind(this.o.runner);
    if (found === undefined || start === undefined) {
      this._log('flow logs: ulogd2 (with GPRINT) not installed or no streaming runner; no flow events');
      return false;
    }
    if (this.o.enableConntrackAcct === true) {
      const r = await this.o.runner.run({ argv: ['sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_acct=1'], timeoutMs: 5000 });
      if (r.code !== 0) this._log(`flow logs: nf_conntrack_acct not set (${r.code}): ${r.stderr.trim()}`);
    }
    const base = join(this.o.confDir, `ulogd-flows-${this.o.node.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    const fifo = `${base}.fifo`;
    this._ulogdLog = `${base}.log`;
    rmSync(fifo, { force: true });
    const mk = await this.o.runner.run({ argv: ['mkfifo', '-m', '600', fifo], timeoutMs: 5000 });
    if (mk.code !== 0) {
      this._log(`flow logs: mkfifo ${fifo} failed: ${mk.stderr.trim()}`);
      return false;
    }
    // Read-write, so the FIFO never reads as ended while ulogd (re)opens it.
    const fd = openSync(fifo, 'r+');
    this._fifo = new Socket({ fd, readable: true, writable: false });
    this._fifo.setEncoding('utf8');
    this._fifo.on('data', (text: string) => this._onStdout(text));
    this._fifo.on('error', (e) => this._log(`flow logs: reading ${fifo}: ${e.message}`));
    this._fifoPath = fifo;
    this._logOffset = existsSync(this._ulogdLog) ? statSync(this._ulogdLog).size : 0;
    const conf = `${base}.conf`;
    writeFileSync(conf, flowUlogdConfig(found.plugins, [FLOW_LOG_GROUP_INBOUND, FLOW_LOG_GROUP_OUTBOUND], fifo, this._ulogdLog));
    // With setpriv, ulogd is SIGKILLed when the agent dies however it dies (it ignores a closed stdin).
    const setpriv = findOnPath('setpriv');
    const argv = setpriv !== undefined ? [setpriv, '--pdeathsig', 'KILL', found.bin, '-c', conf] : [found.bin, '-c', conf];
    this._proc = start({ argv, onOutput: (text) => this._onStderr(text) });
    void this._proc.exited.then((code) => {
      if (!this._stopped) this._log(`flow logs: ulogd exited (${code}): ${this._lastStderr.trim().slice(-500)} ${this._readUlogdLog().trim().slice(-500)}`);
    });
    this._timer = setInterval(() => void this.flush(), this.o.flushMs ?? 250);
    this._timer.unref();
    return true;
  }

  /** ulogd's process id while it runs (for CPU accounting in the benchmark). */
  get ulogdPid(): number | undefined {
    return this._proc?.pid;
  }

  /** Stops ulogd and emits what is still held. */
  async stop(): Promise<void> {
    this._stopped = true;
    if (this._timer !== undefined) clearInterval(this._timer);
    await this._proc?.stop(500);
    // What ulogd wrote before it ended, then the FIFO goes.
    await new Promise((r) => setTimeout(r, 50));
    this._fifo?.destroy();
    if (this._fifoPath !== undefined) rmSync(this._fifoPath, { force: true });
    await this.flush(true);
    this.o.sink.writeCounters();
  }

  /** Feeds one GPRINT line (exposed for tests and the benchmark). */
  line(line: string, now = Date.now()): void {
    const c = this.o.sink.counters;
    const p = parseGprintLine(line);
    if (p === undefined) {
      c.rejected++;
      return;
    }
    c.packetsRead++;
    const dec = decodeFlowLogPrefix(p.prefix, this._currentTables());
    if (!dec.ok) {
      c.rejected++;
      return;
    }
    this._asm.add(p, dec.hit, now);
    c.pendingDropped = this._asm.dropped;
    c.repeats = this._asm.repeats;
  }

  /** Emits the connections held long enough (all with `all`). One flush at a time. */
  async flush(all = false): Promise<void> {
    while (this._flushing !== undefined) await this._flushing;
    this._flushing = this._flush(all).finally(() => (this._flushing = undefined));
    return this._flushing;
  }

  private async _flush(all: boolean): Promise<void> {
    this._scanUlogdLog();
    const due = this._asm.takeDue(Date.now(), all);
    if (due.length === 0) return;
    const allowed = due.filter((e) => FlowAssembler.allowed(e)).length;
    let ct: Map<string, ConntrackCounts> | undefined;
    if (allowed > 0 && allowed <= (this.o.conntrackJoinLimit ?? 5000)) {
      const r = await this.o.runner.run({ argv: ['conntrack', '-L', '-o', 'extended'], timeoutMs: 30_000 });
      if (r.code === 0) ct = indexConntrack(r.stdout, 200_000);
      else this._log(`flow logs: conntrack -L failed (${r.code}): ${r.stderr.trim().slice(0, 200)}`);
    }
    const { events, joined } = this._asm.events(due, this.o.snapshot(), ct);
    this.o.sink.counters.conntrackJoined += joined;
    this.o.sink.append(events);
    this.o.sink.writeCounters();
  }

  private _currentTables(): readonly FlowLogTable[] {
    const d = this.o.desired();
    if (d !== undefined && d !== this._tablesFor) {
      this._tablesFor = d;
      // the table built while it was being applied, if any, is the same one
      this._tables = [this._applying?.for === d ? this._applying.table : flowLogTable(d), ...this._tables].slice(0, 3);
    }
    const a = this.o.applying?.();
    if (a === undefined || a === d) return this._tables;
    if (this._applying?.for !== a) this._applying = { for: a, table: flowLogTable(a) };
    return [this._applying.table, ...this._tables];
  }

  private _onStdout(text: string): void {
    const now = Date.now();
    const s = this._carry + text;
    let start = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
      this.line(s.slice(start, nl), now);
      start = nl + 1;
    }
    this._carry = s.slice(start);
    if (this._carry.length > 65_536) {
      this.o.sink.counters.rejected++;
      this._carry = '';
    }
  }

  private _onStderr(text: string): void {
    this._lastStderr = (this._lastStderr + text).slice(-2000);
  }

  /** New text in ulogd's own log since the last call (bounded to 64 KiB a call). */
  private _readUlogdLog(): string {
    if (this._ulogdLog === undefined || !existsSync(this._ulogdLog)) return '';
    const size = statSync(this._ulogdLog).size;
    if (size < this._logOffset) this._logOffset = 0;
    const n = Math.min(size - this._logOffset, 65_536);
    if (n <= 0) return '';
    const buf = Buffer.alloc(n);
    const fd = openSync(this._ulogdLog, 'r');
    try {
      readSync(fd, buf, 0, n, this._logOffset);
    } finally {
      closeSync(fd);
    }
    this._logOffset += n;
    return buf.toString('utf8');
  }

  /** Counts NFLOG overruns ulogd reported, and passes its errors on. */
  private _scanUlogdLog(): void {
    const text = this._readUlogdLog();
    if (text === '') return;
    // NFLOG overruns: "We are losing events…" and "Maximum buffer size (…) in NFLOG has been reached".
    const m = text.match(/losing events|buffer size \(\d+\) in NFLOG has been reached/gi);
    if (m !== null) this.o.sink.counters.kernelDropped += m.length;
    for (const l of text.split('\n')) if (/<[1-2]>/.test(l)) this._log(`flow logs: ulogd: ${l.trim().slice(0, 300)}`);
  }
}
