/**
 * @module `-o custom-columns=A,B`: the headings must be columns the kind knows (including
 * `NAMESPACE` for namespaced kinds); otherwise calicoctl's error naming the valid ones.
 */
import type { Result } from '../../../lib/result.js';
import { tableFor } from './columns.js';

/** Checks the requested headings against the kind's columns. */
export function checkHeadings(kind: string, headings: readonly string[]): Result<readonly string[], string> {
  const cells = tableFor(kind).cells;
  for (const h of headings)
    if (cells[h] === undefined)
      return { ok: false, error: `Unknown heading ${h}, valid values are: ${Object.keys(cells).sort().join(', ')}` };
  return { ok: true, value: headings };
}

/** `custom-columns=NAME,ORDER` → `['NAME', 'ORDER']`; undefined when the format is not custom-columns. */
export function parseCustomColumns(output: string): string[] | undefined {
  const [key, value] = output.split(/=(.*)/s) as [string, string | undefined];
  if (key !== 'custom-columns') return undefined;
  return (value ?? '').split(',').filter((h) => h !== '');
}
