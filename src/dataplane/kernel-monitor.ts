/**
 * @module KernelMonitor: learns of netfilter changes from the kernel as they happen (`nft monitor
 * ruleset`, one long-lived process per driver, in the node's namespace through the runner) and
 * calls `onChange` for each event line that `relevant` accepts, so the agent verifies at once
 * instead of at its next poll. Best effort: without `nft`, without a runner that can start
 * processes, or after the process exits, nothing is reported and the periodic verify (every
 * 250 ms) still finds every change. It sees nftables changes, including iptables-nft's; it does
 * not see IP set or iptables-legacy changes (the poll covers those).
 */
import type { CommandRunner, RunningProcess } from '../sys/index.js';

export class KernelMonitor {
  private _proc: RunningProcess | undefined;
  private _closed = false;
  private _partial = '';
  /** Events reported (for tests and diagnostics). */
  events = 0;

  constructor(
    private readonly _runner: CommandRunner,
    private readonly _relevant: (line: string) => boolean,
    private readonly _log: (msg: string) => void = (): void => undefined,
    private readonly _binary = 'nft',
  ) {}

  /** Starts watching (once); `onChange` runs for every relevant event. */
  start(onChange: () => void): void {
    if (this._proc !== undefined || this._closed || this._runner.start === undefined) return;
    const proc = this._runner.start({
      argv: [this._binary, 'monitor', 'ruleset'],
      onOutput: (text, stream) => {
        if (stream !== 'stdout') return;
        const lines = (this._partial + text).split('\n');
        this._partial = lines.pop() ?? '';
        if (lines.some((l) => this._relevant(l))) {
          this.events++;
          onChange();
        }
      },
    });
    this._proc = proc;
    void proc.exited.then((code) => {
      if (!this._closed) this._log(`kernel monitor (${this._binary} monitor) exited ${code}; drift is found by polling only`);
    });
  }

  /** Stops the process and waits for it to go. */
  async close(): Promise<void> {
    this._closed = true;
    const p = this._proc;
    this._proc = undefined;
    if (p !== undefined) await p.stop(100);
  }
}
