/**
 * @module `GET /ui/api/denied`: the lab workers' packet logs (written by ulogd into
 * `<labDir>/<worker>.syslog`, see src/lab/logs.ts), read incrementally by byte offset. The
 * browser evaluates each line's flow with the engine to link it to its policy and rule, as
 * `tabby logs` does. No lab directory: `{ lab: false }`, which the page shows as an empty state.
 */
import { existsSync, readdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLogLine } from '../lab/logs.js';
import type { DeniedLine, DeniedResponse } from './protocol.js';

/** At most this many bytes of each log are read per request (the newest ones on first read). */
const MAX_READ = 256 * 1024;
const MAX_LINES = 500;

function _decodeCursor(text: string | null): Record<string, number> {
  if (text === null || text === '') return {};
  try {
    const v: unknown = JSON.parse(atob(text));
    if (typeof v !== 'object' || v === null) return {};
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[k] = n;
    return out;
  } catch {
    return {};
  }
}

export async function readDenied(labDir: string | undefined, cursorText: string | null): Promise<DeniedResponse> {
  if (labDir === undefined || !existsSync(labDir)) return { lab: false, nodes: [], lines: [], cursor: '' };
  const files = readdirSync(labDir).filter((f) => f.endsWith('.syslog')).sort();
  const hasState = existsSync(join(labDir, 'lab.json'));
  if (files.length === 0 && !hasState) return { lab: false, nodes: [], lines: [], cursor: '' };
  const cursor = _decodeCursor(cursorText);
  const fresh = cursorText === null || cursorText === '';
  const next: Record<string, number> = {};
  const lines: DeniedLine[] = [];
  const nodes: string[] = [];
  for (const f of files) {
    const node = f.slice(0, -'.syslog'.length);
    nodes.push(node);
    const path = join(labDir, f);
    const size = (await stat(path)).size;
    let from = cursor[node] ?? (fresh ? Math.max(0, size - MAX_READ) : 0);
    if (from > size) from = 0; // rotated or truncated
    const to = Math.min(size, from + MAX_READ);
    let text = '';
    if (to > from) {
      const fh = await open(path, 'r');
      try {
        const buf = new Uint8Array(to - from);
        await fh.read(buf, 0, buf.length, from);
        text = new TextDecoder().decode(buf);
      } finally {
        await fh.close();
      }
    }
    const cut = text.lastIndexOf('\n') + 1;
    next[node] = from + new TextEncoder().encode(text.slice(0, cut)).length;
    const whole = text.slice(0, cut).split('\n');
    // A first read that started mid-file drops its partial first line.
    if (fresh && from > 0) whole.shift();
    for (const line of whole) {
      if (line.trim() === '') continue;
      const p = parseLogLine(line);
      if (p === undefined) continue;
      lines.push({ node, line, prefix: p.prefix, fields: p.fields });
    }
  }
  return { lab: true, nodes, lines: lines.slice(-MAX_LINES), cursor: btoa(JSON.stringify(next)) };
}
