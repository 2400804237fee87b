/** @module The real Io: the only file of the CLI that touches node:fs and process. */
import { readFile, readdir, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { IoError, type Io } from './io.js';

function _wrap(path: string, e: unknown): IoError {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'EIO';
  return new IoError(e instanceof Error ? e.message : String(e), code, path);
}

async function _readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

// A reader that stops early (`tabby logs | grep -m1 …`, `| head`) closes the pipe: that ends
// the output, as for any Unix tool, instead of an unhandled EPIPE and a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

async function _confirm(question: string): Promise<boolean | undefined> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export const nodeIo: Io = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  readFile: (p) => readFile(p, 'utf8').catch((e: unknown) => Promise.reject(_wrap(p, e))),
  readDir: (p) => readdir(p).catch((e: unknown) => Promise.reject(_wrap(p, e))),
  stat: (p) =>
    stat(p).then(
      (s) => ({ isFile: s.isFile(), isDirectory: s.isDirectory() }),
      (e: unknown) => Promise.reject(_wrap(p, e)),
    ),
  readStdin: _readStdin,
  env: process.env,
  cwd: () => process.cwd(),
  confirm: _confirm,
  waitForShutdown: () =>
    new Promise<string>((resolve) => {
      const done = (sig: string) => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve(sig);
      };
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
    }),
};
