/**
 * @module The one I/O port for the dataplane: running a command (Felix `cmdshim`).
 *
 * `CommandRunner.run` never throws for an expected failure: a non-zero exit, a missing binary
 * (code 127) and a timeout (the process is killed; code 124) all come back as a result. No shell
 * is involved: `argv[0]` is executed directly with `argv.slice(1)` as its arguments, so nothing
 * in an argument is ever interpreted. Every run is bounded by a timeout.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

export interface CommandSpec {
  readonly argv: readonly string[];
  /** Written to the process's stdin, which is then closed. Without it stdin is empty. */
  readonly stdin?: string;
  /** Kill the process after this many milliseconds (default 60 s). */
  readonly timeoutMs?: number;
}

export interface CommandResult {
  /** The exit code; 124 on timeout, 127 when the binary could not be started, 128+n for signal n. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A long-running process driven through its stdin (e.g. `ipset -`, interactive mode). */
export interface StartSpec {
  readonly argv: readonly string[];
  /** Called with each chunk of output as it arrives (utf8). */
  readonly onOutput: (text: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  /** Writes to stdin; false once stdin is closed or the process has exited. */
  write(text: string): boolean;
  /** Resolves with the exit code (127 when it could not start, 128+n for signal n) once it has exited and all output was delivered. */
  readonly exited: Promise<number>;
  /** Closes stdin, waits up to `graceMs` (default 1 s) for the exit, then SIGKILLs; resolves once it is gone. */
  stop(graceMs?: number): Promise<number>;
}

export interface CommandRunner {
  run(cmd: CommandSpec): Promise<CommandResult>;
  /**
   * Optional: starts a long-running process. It does not keep Node's event loop alive by itself
   * (a forgotten one still ends when Node exits: its stdin closes), but its owner must `stop()` it.
   */
  start?(spec: StartSpec): RunningProcess;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };

/** Runs commands as child processes (no shell). */
export class NodeCommandRunner implements CommandRunner {
  run(cmd: CommandSpec): Promise<CommandResult> {
    const [file, ...args] = cmd.argv;
    if (file === undefined) return Promise.resolve({ code: 127, stdout: '', stderr: 'empty argv' });
    const timeoutMs = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      const finish = (r: CommandResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => finish({ code: 127, stdout: '', stderr: `${file}: ${e.message}` }));
      // The child may exit before reading all of stdin (EPIPE); its exit code tells the story.
      child.stdin.on('error', () => undefined);
      child.on('close', (code, signal) => {
        const stderr = Buffer.concat(err).toString('utf8');
        const stdout = Buffer.concat(out).toString('utf8');
        if (timedOut) finish({ code: 124, stdout, stderr: `${stderr}${file}: timed out after ${timeoutMs} ms\n` });
        else finish({ code: code ?? 128 + (signal !== null ? (SIGNALS[signal] ?? 0) : 0), stdout, stderr });
      });
      child.stdin.end(cmd.stdin ?? '');
    });
  }

  start(spec: StartSpec): RunningProcess {
    const [file, ...args] = spec.argv;
    const child = spawn(file ?? '', args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    let open = true;
    const exited = new Promise<number>((resolve) => {
      child.on('error', (e) => {
        open = false;
        spec.onOutput(`${file ?? ''}: ${e.message}\n`, 'stderr');
        resolve(127);
      });
      // 'close', not 'exit': all output has been delivered by then.
      child.on('close', (code, signal) => {
        open = false;
        resolve(code ?? 128 + (signal !== null ? (SIGNALS[signal] ?? 0) : 0));
      });
    });
    child.stdout.setEncoding('utf8').on('data', (t: string) => spec.onOutput(t, 'stdout'));
    child.stderr.setEncoding('utf8').on('data', (t: string) => spec.onOutput(t, 'stderr'));
    child.stdin.on('error', () => undefined);
    child.unref();
    // The stdio pipes are sockets; unreferenced, they do not keep Node alive either.
    for (const s of [child.stdout, child.stderr, child.stdin]) (s as unknown as Socket).unref();
    return {
      pid: child.pid,
      write: (text) => {
        if (!open || child.stdin.destroyed || child.stdin.writableEnded) return false;
        child.stdin.write(text);
        return true;
      },
      exited,
      stop: async (graceMs = 1000) => {
        // Keep Node alive until the exit has been seen (the handles were unreferenced).
        child.ref();
        for (const s of [child.stdout, child.stderr]) (s as unknown as Socket).ref();
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }
}

/** A shared node runner. */
export const nodeRunner: CommandRunner = new NodeCommandRunner();

/** Wraps a runner so every command is prefixed with `prefix` (e.g. `ip netns exec <ns>`). */
export function prefixedRunner(inner: CommandRunner, prefix: readonly string[]): CommandRunner {
  const run = (cmd: CommandSpec): Promise<CommandResult> => inner.run({ ...cmd, argv: [...prefix, ...cmd.argv] });
  const start = inner.start?.bind(inner);
  return start === undefined ? { run } : { run, start: (spec) => start({ ...spec, argv: [...prefix, ...spec.argv] }) };
}
