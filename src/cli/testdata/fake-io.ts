/**
 * @module An in-memory Io for CLI tests: a file tree from a plain object, captured stdout and
 * stderr, and a fixed stdin. Paths are POSIX, relative to the fake cwd.
 */
import { IoError, type FileStat, type Io } from '../io.js';

export interface FakeIo extends Io {
  readonly out: () => string;
  readonly err: () => string;
  /** Makes waitForShutdown() resolve, as a SIGTERM would. */
  readonly shutdown: (signal?: string) => void;
}

/** `files` maps paths (`a/b.yaml`) to contents; folders are implied by the paths. */
export function fakeIo(files: Readonly<Record<string, string>>, stdin = '', env: Record<string, string> = {}): FakeIo {
  let out = '';
  let err = '';
  let stop: (sig: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const norm = (p: string): string => p.replace(/^\.\//, '').replace(/\/+$/, '');
  const isDir = (p: string): boolean => {
    const d = norm(p);
    return d === '' || d === '.' || Object.keys(files).some((f) => f.startsWith(`${d}/`));
  };
  const missing = (p: string): IoError => new IoError(`ENOENT: no such file or directory, '${p}'`, 'ENOENT', p);
  return {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    out: () => out,
    err: () => err,
    readFile: async (p) => {
      const f = files[norm(p)];
      if (f === undefined) throw isDir(p) ? new IoError(`EISDIR: '${p}'`, 'EISDIR', p) : missing(p);
      return f;
    },
    readDir: async (p) => {
      const d = norm(p);
      if (!isDir(p)) throw missing(p);
      const prefix = d === '' || d === '.' ? '' : `${d}/`;
      const names = new Set<string>();
      for (const f of Object.keys(files)) if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]!);
      return [...names];
    },
    stat: async (p): Promise<FileStat> => {
      if (files[norm(p)] !== undefined) return { isFile: true, isDirectory: false };
      if (isDir(p)) return { isFile: false, isDirectory: true };
      throw missing(p);
    },
    readStdin: async () => stdin,
    env,
    cwd: () => '/fake',
    waitForShutdown: () => stopped,
    shutdown: (sig = 'SIGTERM') => stop(sig),
  };
}
