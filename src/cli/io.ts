/**
 * @module Io: everything a CLI command may do to the world, injected (style habit 6), so every
 * command runs in-process in tests against a fake. The node implementation is node-io.ts.
 */

export interface FileStat {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/** A failed file operation, in the shape Node reports it (`code` is `ENOENT`, `EACCES`...). */
export class IoError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'IoError';
  }
}

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  /** UTF-8 text of a file; rejects with an IoError. */
  readFile(path: string): Promise<string>;
  /** Names (not paths) of a directory's entries; rejects with an IoError. */
  readDir(path: string): Promise<string[]>;
  /** Follows symlinks; rejects with an IoError. */
  stat(path: string): Promise<FileStat>;
  /** All of standard input as UTF-8 text. */
  readStdin(): Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  cwd(): string;
  /**
   * Resolves when the user asks a long-running command (`tabby server`, `tabby up`) to stop:
   * SIGINT or SIGTERM for the node implementation. Fakes resolve it when the test says so.
   */
  waitForShutdown(): Promise<string>;
  /**
   * Asks the user a yes/no question on the terminal (`tabby promote`): true for yes, false for
   * anything else, undefined when there is no terminal to ask on (then the command needs `--yes`).
   */
  confirm?(question: string): Promise<boolean | undefined>;
}

/** Joins path segments with `/` (POSIX; Node accepts it on every platform). */
export function joinPath(dir: string, name: string): string {
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** Explains an I/O failure the way a user wants to read it: `no such file or directory`. */
export function describeIoError(e: unknown): string {
  const code = e instanceof IoError ? e.code : typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
