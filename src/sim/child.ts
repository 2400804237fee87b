/**
 * @module Forks the simulation's child processes (API servers, agent workers) from their entry
 * files beside this one: the compiled `.js` when running from dist/, the `.ts` source under tsx
 * (tests, `node --import tsx`). Every child gets an IPC channel; `stopChild` asks it to stop
 * (a `stop` message), then SIGKILLs it after a bounded wait. A process exit hook kills children a
 * crashed run left behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const _live = new Set<ChildProcess>();
let _hooked = false;

function _hook(): void {
  if (_hooked) return;
  _hooked = true;
  process.on('exit', () => {
    for (const c of _live) c.kill('SIGKILL');
  });
}

const _isTs = import.meta.url.endsWith('.ts');

/** Starts `<entry>.js|ts` (a sibling of this file) with `args`; stderr goes to `onStderr`. */
export function forkEntry(entry: string, args: readonly string[], onStderr: (line: string) => void, env?: NodeJS.ProcessEnv): ChildProcess {
  _hook();
  const file = fileURLToPath(new URL(`./${entry}${_isTs ? '.ts' : '.js'}`, import.meta.url));
  const execArgv = _isTs ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  const child = fork(file, [...args], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], ...(env !== undefined ? { env } : {}) });
  _live.add(child);
  let buf = '';
  child.stderr?.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onStderr(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.once('exit', () => _live.delete(child));
  return child;
}

/** Waits for the first IPC message of `type` (rejects when the child exits first or after `timeoutMs`). */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMsg = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) {
        done();
        resolve(m as T);
      }
    };
    const onExit = (code: number | null, sig: string | null): void => {
      done();
      reject(new Error(`child ${child.pid ?? '?'} exited (${code ?? sig}) before sending ${type}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`child ${child.pid ?? '?'} sent no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** Asks the child to stop; SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  try {
    child.send({ type: 'stop' });
  } catch {
    child.kill('SIGTERM');
  }
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
