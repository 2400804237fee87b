/**
 * @module IpsetSession: one long-lived `ipset -exist -` (interactive mode) per network namespace,
 * so an incremental membership change costs a write to a pipe instead of a process spawn
 * (`ip netns exec` + `ipset restore` is 5-10 ms on a busy machine; a 100-member batch through
 * the session is about 1 ms).
 *
 * Why interactive mode and not a kept-open `ipset restore`: restore reads its whole input and
 * only reports at EOF. `ipset -` reads one command per line and runs it at once, printing the
 * prompt `ipset> ` before each line it reads. Errors go to stderr and it carries on.
 *
 * Protocol. The process runs as `sh -c 'exec stdbuf -o0 "$0" -exist - 2>&1' ipset`: stderr is
 * merged into stdout and stdout is unbuffered (ipset's stdout is block-buffered on a pipe), so
 * the output is one ordered stream: `<out 1>ipset> <out 2>ipset> …`. A batch is N lines followed
 * by the sentinel `version`; once the output ends with the version line and the next prompt, the
 * batch is done, and splitting on the prompt gives each line's own output. With `-exist`, `add`
 * and `del` print nothing on success, so any output for a line is its error. Bounded: a batch
 * that does not finish within `timeoutMs` fails and the process is killed.
 *
 * Not transactional (neither is `ipset restore`): lines before and after a failing one apply.
 * On any failure the session is closed for good; the applier re-reads the kernel, repairs with
 * a one-shot `ipset restore`, and starts a fresh session for later changes.
 */
import type { CommandRunner, RunningProcess } from '../../sys/index.js';

export const IPSET_PROMPT = 'ipset> ';
/** The script run under `sh -c`: `$0` is the ipset binary (passed as an argument, never interpolated). */
export const IPSET_SESSION_SCRIPT = 'exec stdbuf -o0 "$0" -exist - 2>&1';
const VERSION_DONE = /protocol version: \d+\n$/;

export type SessionResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export class IpsetSession {
  private readonly _proc: RunningProcess;
  private readonly _timeoutMs: number;
  private _out = '';
  private _ready = false;
  private _dead: string | undefined;
  private _busy = false;
  private _wake: (() => void) | undefined;
  private _exitCode: number | undefined;

  /** Starts `ipset -` through `runner` (which must support `start`). */
  constructor(runner: CommandRunner & Required<Pick<CommandRunner, 'start'>>, binary: string, timeoutMs: number) {
    this._timeoutMs = timeoutMs;
    this._proc = runner.start({
      argv: ['sh', '-c', IPSET_SESSION_SCRIPT, binary],
      onOutput: (text) => {
        this._out += text;
        this._wake?.();
      },
    });
    void this._proc.exited.then((code) => {
      this._exitCode = code;
      this._dead ??= `ipset session exited with code ${code}${this._out.trim() === '' ? '' : `: ${this._out.trim().slice(-300)}`}`;
      this._wake?.();
    });
  }

  get pid(): number | undefined {
    return this._proc.pid;
  }

  /** Undefined while usable; otherwise why not. */
  get failure(): string | undefined {
    return this._dead;
  }

  /** Whether the process has printed its first prompt. */
  get ready(): boolean {
    return this._ready;
  }

  /** Runs `lines` (each one `add`/`del` command, no newlines) and reports the first error. */
  async exec(lines: readonly string[]): Promise<SessionResult> {
    if (this._busy) return { ok: false, error: 'ipset session: a batch is already running' };
    if (this._dead !== undefined) return { ok: false, error: this._dead };
    this._busy = true;
    const deadline = performance.now() + this._timeoutMs;
    try {
      if (!this._ready) {
        const w = await this._waitFor(() => this._out.endsWith(IPSET_PROMPT), deadline, 'the first prompt');
        if (!w.ok) return this._fail(w.error);
        this._ready = true;
        this._out = '';
      }
      for (const l of lines) if (l.includes('\n')) return this._fail(`ipset session: a command contains a newline: ${JSON.stringify(l)}`);
      this._out = '';
      if (!this._proc.write(lines.length === 0 ? 'version\n' : `${lines.join('\n')}\nversion\n`)) return this._fail(this._dead ?? 'ipset session: stdin is closed');
      const w = await this._waitFor(() => this._out.endsWith(IPSET_PROMPT) && VERSION_DONE.test(this._out.slice(0, -IPSET_PROMPT.length)), deadline, 'the end of the batch');
      if (!w.ok) return this._fail(w.error);
      const outs = this._out.split(IPSET_PROMPT);
      this._out = '';
      // One output per line, the sentinel's, and '' after the final prompt.
      if (outs.length !== lines.length + 2) return this._fail(`ipset session: expected ${lines.length + 2} prompts' worth of output, got ${outs.length}`);
      for (let i = 0; i < lines.length; i++) {
        const o = (outs[i] ?? '').trim();
        if (o !== '') return this._fail(`ipset session: batch line ${i + 1} (${lines[i] ?? ''}): ${o}`);
      }
      return { ok: true };
    } finally {
      this._busy = false;
    }
  }

  /** Ends the process (EOF, then SIGKILL after `graceMs`) and waits until it has exited. */
  async close(graceMs = 1000): Promise<number> {
    this._dead ??= 'ipset session closed';
    if (this._exitCode !== undefined) return this._exitCode;
    return this._proc.stop(graceMs);
  }

  private _fail(error: string): SessionResult {
    this._dead ??= error;
    void this._proc.stop(200);
    return { ok: false, error };
  }

  private async _waitFor(done: () => boolean, deadline: number, what: string): Promise<SessionResult> {
    for (;;) {
      if (done()) return { ok: true };
      if (this._dead !== undefined) return { ok: false, error: this._dead };
      const left = deadline - performance.now();
      if (left <= 0) return { ok: false, error: `ipset session: no answer (${what}) within ${this._timeoutMs} ms` };
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this._wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this._wake = undefined;
    }
  }
}
