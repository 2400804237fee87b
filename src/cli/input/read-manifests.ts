/**
 * @module `-f <file|dir|->` arguments → every manifest file's parse result. Directories give
 * their `.yaml`, `.yml` and `.json` files (sorted; recursively with `-R`), `-` reads stdin.
 * File problems (missing file, unreadable directory) are reported, not thrown.
 */
import { parseManifests, type ManifestResult } from '../../manifest/index.js';
import { describeIoError, joinPath, type Io } from '../io.js';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

export interface ManifestFile {
  /** The name used in messages: the path as given, or `<stdin>`. */
  readonly name: string;
  readonly result: ManifestResult;
}

export interface ReadResult {
  readonly files: ManifestFile[];
  /** `tabby: <path>: no such file or directory` */
  readonly problems: string[];
}

export async function readManifests(io: Io, args: readonly string[], recursive: boolean): Promise<ReadResult> {
  const files: ManifestFile[] = [];
  const problems: string[] = [];
  let stdinUsed = false;
  for (const arg of args) {
    if (arg === '-') {
      if (stdinUsed) continue;
      stdinUsed = true;
      const text = await io.readStdin();
      files.push({ name: '<stdin>', result: parseManifests(text, '<stdin>') });
      continue;
    }
    let paths: string[];
    try {
      paths = await _expand(io, arg, recursive, true);
    } catch (e) {
      problems.push(`${arg}: ${describeIoError(e)}`);
      continue;
    }
    if (paths.length === 0) problems.push(`${arg}: no .yaml, .yml or .json files found${recursive ? '' : ' (use -R to search subfolders)'}`);
    for (const p of paths) {
      try {
        const text = await io.readFile(p);
        files.push({ name: p, result: parseManifests(text, p) });
      } catch (e) {
        problems.push(`${p}: ${describeIoError(e)}`);
      }
    }
  }
  return { files, problems };
}

async function _expand(io: Io, path: string, recursive: boolean, top: boolean): Promise<string[]> {
  const st = await io.stat(path);
  if (!st.isDirectory) return top || MANIFEST_EXT.test(path) ? [path] : [];
  if (!top && !recursive) return [];
  const names = (await io.readDir(path)).filter((n) => !n.startsWith('.')).sort();
  const out: string[] = [];
  for (const n of names) {
    const p = joinPath(path, n);
    const s = await io.stat(p);
    if (s.isDirectory) {
      if (recursive) out.push(...(await _expand(io, p, recursive, false)));
    } else if (MANIFEST_EXT.test(n)) out.push(p);
  }
  return out;
}
