/**
 * @module PodProcess: the shell side of responder.ts. Starts the responder in a namespace, waits
 * for it to be ready, sends probe requests and matches the answers. Every wait is bounded; a
 * probe that gets no answer resolves `error` after its timeout plus a margin. CommandProcess:
 * a pod's command or a `kubectl exec`, run with the lab's applets (busybox.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { appendFileSync } from 'node:fs';
import { responderArgv, type ProbeProto, type ProbeResult, type ResponderConfig } from './responder.js';
import { busyboxArgv } from './busybox.js';

export class PodProcess {
  private readonly _child: ChildProcess;
  private readonly _pending = new Map<number, (r: ProbeResult) => void>();
  private _next = 1;
  private _ready: Promise<void>;
  private _stderr = '';

  constructor(
    readonly netns: string,
    cfg: ResponderConfig,
    nodePath: string = process.execPath,
  ) {
    const [file, ...args] = responderArgv(nodePath, netns, cfg);
    this._child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this._child.stdin!.on('error', () => undefined);
    this._child.stderr!.on('data', (b: Buffer) => {
      if (this._stderr.length < 4096) this._stderr += b.toString('utf8');
    });
    let markReady: () => void = () => undefined;
    let fail: (e: Error) => void = () => undefined;
    this._ready = new Promise<void>((res, rej) => {
      markReady = res;
      fail = rej;
    });
    this._ready.catch(() => undefined);
    const rl = createInterface({ input: this._child.stdout! });
    rl.on('line', (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof msg !== 'object' || msg === null) return;
      const m = msg as { ready?: boolean; id?: number; result?: ProbeResult };
      if (m.ready === true) markReady();
      else if (typeof m.id === 'number') {
        const r = this._pending.get(m.id);
        this._pending.delete(m.id);
        r?.(m.result ?? 'error');
      }
    });
    this._child.on('exit', () => {
      fail(new Error(`responder in ${netns} exited: ${this._stderr.trim()}`));
      for (const r of this._pending.values()) r('error');
      this._pending.clear();
    });
    this._child.on('error', (e) => fail(e));
  }

  get pid(): number | undefined {
    return this._child.pid;
  }

  get stderr(): string {
    return this._stderr;
  }

  /** Resolves when the responder listens (bounded by `ms`). */
  async ready(ms = 10_000): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error(`responder in ${this.netns} not ready after ${ms} ms: ${this._stderr.trim()}`)), ms);
    });
    try {
      await Promise.race([this._ready, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  probe(proto: ProbeProto, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
    const id = this._next++;
    return new Promise((resolve) => {
      const guard = setTimeout(() => {
        this._pending.delete(id);
        resolve('error');
      }, timeoutMs + 2000);
      this._pending.set(id, (r) => {
        clearTimeout(guard);
        resolve(r);
      });
      if (this._child.exitCode !== null || this._child.stdin === null || !this._child.stdin.writable) {
        this._pending.delete(id);
        clearTimeout(guard);
        resolve('error');
        return;
      }
      this._child.stdin.write(`${JSON.stringify({ id, proto, ip, port, timeoutMs })}\n`);
    });
  }

  /** Closes stdin (the responder exits) and kills it if still alive after a short grace. */
  async stop(): Promise<void> {
    if (this._child.exitCode !== null || this._child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this._child.once('exit', () => r()));
    this._child.stdin?.end();
    const t = setTimeout(() => this._child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(t);
  }
}

/**
 * A command inside a pod namespace, run with the lab's applets (busybox.ts): a pod's main
 * command, or one `kubectl exec`. Its output goes to listeners (attach/exec sessions) and, for
 * a main command, to the pod's log file, as a container runtime writes a container's log. With
 * `tty` there is no real terminal (the lab allocates none): stderr joins stdout and the shell
 * prompts, which is what a terminal shows. Ends when the command exits or kill() is called.
 */
export class CommandProcess {
  private readonly _child: ChildProcess;
  private readonly _out: ((d: Uint8Array) => void)[] = [];
  private readonly _err: ((d: Uint8Array) => void)[] = [];
  private _code: number | undefined;
  readonly exit: Promise<{ readonly code: number; readonly message?: string }>;

  constructor(
    readonly netns: string,
    command: readonly string[],
    opts: { readonly tty: boolean; readonly hostname: string; readonly logFile?: string; readonly nodePath?: string },
  ) {
    const [file, ...args] = busyboxArgv(opts.nodePath ?? process.execPath, netns, command);
    this._child = spawn(file!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: opts.hostname, ...(opts.tty ? { TABBY_TTY: '1' } : {}) },
    });
    this._child.stdin!.on('error', () => undefined);
    const log = opts.logFile;
    const emit = (list: ((d: Uint8Array) => void)[], d: Buffer): void => {
      if (log !== undefined) {
        try {
          appendFileSync(log, d);
        } catch {
          // the log directory is gone (lab going down)
        }
      }
      for (const f of list) f(d);
    };
    this._child.stdout!.on('data', (d: Buffer) => emit(this._out, d));
    this._child.stderr!.on('data', (d: Buffer) => emit(opts.tty ? this._out : this._err, d));
    this.exit = new Promise((resolve) => {
      this._child.on('error', (e) => {
        this._code = 126;
        resolve({ code: 126, message: e.message });
      });
      this._child.on('close', (code, signal) => {
        this._code = code ?? 137;
        resolve(signal !== null ? { code: 137, message: `killed by ${signal}` } : { code: code ?? 1 });
      });
    });
  }

  get running(): boolean {
    return this._code === undefined;
  }

  get pid(): number | undefined {
    return this._child.pid;
  }

  onStdout(cb: (d: Uint8Array) => void): void {
    this._out.push(cb);
  }

  onStderr(cb: (d: Uint8Array) => void): void {
    this._err.push(cb);
  }

  writeStdin(d: Uint8Array): void {
    if (this._child.stdin?.writable) this._child.stdin.write(d);
  }

  closeStdin(): void {
    this._child.stdin?.end();
  }

  resize(_cols: number, _rows: number): void {
    // no terminal to resize (see the class comment)
  }

  kill(): void {
    if (this.running) this._child.kill('SIGKILL');
  }
}
