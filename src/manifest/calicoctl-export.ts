/**
 * @module `calicoctl datastore migrate export` dumps. Such a file is the v3 resources as YAML
 * documents, then a line `===`, the ClusterInformation as JSON, another `===`, and Calico's IPAM
 * state as JSON (import.go splits the file at `===\n`). `===` is not YAML, so this turns the
 * dump into plain multi-document YAML with every line where it was: each `===` line becomes a
 * `---` line and the IPAM section (not resources; only `calicoctl datastore migrate import`
 * reads it) becomes blank lines. Other texts are returned unchanged. Pure.
 */

export interface ExportDump {
  /** The text to parse (same number of lines as the input). */
  readonly text: string;
  /** 1-based line of the IPAM section's first line, when one was blanked out. */
  readonly ipamLine?: number;
}

/** A line `===` followed (after blank lines) by a JSON object: the shape export prints. */
export function readExportDump(text: string): ExportDump {
  const lines = text.split('\n');
  const seps: number[] = [];
  for (let i = 0; i < lines.length; i++) if (lines[i]!.replace(/\r$/, '') === '===' && _jsonFollows(lines, i + 1)) seps.push(i);
  if (seps.length === 0) return { text };
  const out = lines.slice();
  for (const i of seps) out[i] = '---';
  if (seps.length < 2) return { text: out.join('\n') };
  const ipamStart = seps[1]! + 1;
  for (let i = ipamStart; i < out.length; i++) out[i] = '';
  return { text: out.join('\n'), ipamLine: ipamStart + 1 };
}

function _jsonFollows(lines: readonly string[], from: number): boolean {
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    return l.startsWith('{');
  }
  return false;
}
