/**
 * @module Indentation analysis of YAML source lines: the human explanation of why a line does
 * not fit where it stands ("indented less than the mapping it belongs to"). Pure, text only: it
 * works on lines the YAML parser could not make sense of, so it does not trust the parser's tree.
 */

/** Source text split into lines (without line ends), 0-based. */
export type Lines = readonly string[];

export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  return i;
}

/** A line that carries YAML content: not blank, not a comment, not a document marker. */
export function isContentLine(line: string): boolean {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return false;
  if (/^(---|\.\.\.)(\s|$)/.test(t)) return false;
  return !t.startsWith('%');
}

/** Columns (0-based) of the blocks a line opens: `  - action: x` opens a list at 2 and a map at 4. */
function _blockCols(line: string): number[] {
  const cols: number[] = [];
  let i = indentOf(line);
  cols.push(i);
  while (line[i] === '-' && (line[i + 1] === ' ' || i + 1 === line.length)) {
    i += 1;
    while (line[i] === ' ') i++;
    if (i >= line.length || line[i] === '#') break;
    cols.push(i);
  }
  return cols;
}

/** Whether a line ends by opening a nested block (`key:`, `-`, `key: |`). */
function _opensBlock(line: string): boolean {
  const t = line.replace(/\s+#.*$/, '').trimEnd();
  return /:$/.test(t) || /(^|\s)-$/.test(t) || /[:-]\s*[|>][+-]?\d*$/.test(t) || /^\s*[|>][+-]?\d*$/.test(t);
}

function _startsBlockScalar(line: string): boolean {
  const t = line.replace(/\s+#.*$/, '').trimEnd();
  return /(^|[:-]\s)\s*[|>][+-]?\d*$/.test(t);
}

interface Block {
  readonly col: number;
  readonly kind: 'list' | 'mapping';
  /** 0-based index of the line that opened it. */
  readonly line: number;
  /** 0-based index of the latest line at its column. */
  last: number;
}

/** Short, quoted excerpt of a line for messages. */
export function excerpt(line: string): string {
  const t = line.trim();
  return JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t);
}

/**
 * Explains what is wrong with the indentation of line `idx` (0-based) given the lines of its
 * document from `from` on, or undefined when its indentation lines up with an enclosing block.
 */
export function indentationProblem(lines: Lines, from: number, idx: number): string | undefined {
  const line = lines[idx];
  if (line === undefined || !isContentLine(line)) return undefined;
  const stack: Block[] = [];
  let prev = -1;
  let scalarIndent = -1;
  for (let j = Math.max(0, from); j < idx; j++) {
    const l = lines[j]!;
    if (!isContentLine(l)) continue;
    const ind = indentOf(l);
    if (scalarIndent >= 0) {
      if (ind > scalarIndent) continue;
      scalarIndent = -1;
    }
    const cols = _blockCols(l);
    while (stack.length > 0 && stack[stack.length - 1]!.col > cols[0]!) stack.pop();
    const top = stack[stack.length - 1];
    if (top !== undefined && top.col === cols[0]) top.last = j;
    for (const c of cols)
      if (stack.length === 0 || stack[stack.length - 1]!.col < c)
        stack.push({ col: c, line: j, last: j, kind: l[c] === '-' && (l[c + 1] === ' ' || c + 1 === l.length) ? 'list' : 'mapping' });
    if (_startsBlockScalar(l)) scalarIndent = ind;
    prev = j;
  }
  if (prev < 0) return undefined;
  const i = indentOf(line);
  const prevLine = lines[prev]!;
  const prevCols = _blockCols(prevLine);
  const prevDeepest = prevCols[prevCols.length - 1]!;
  if (i > prevDeepest && !_opensBlock(prevLine)) {
    const target = _keyCol(prevLine);
    return (
      `this line is indented more than line ${prev + 1} (${excerpt(prevLine)}), which already has a value, ` +
      `so YAML reads it as part of that value; indent it at column ${target + 1} like line ${prev + 1}`
    );
  }
  let popped: Block | undefined;
  while (stack.length > 0 && stack[stack.length - 1]!.col > i) popped = stack.pop();
  const top = stack[stack.length - 1];
  if (top === undefined) {
    const root = popped ?? { col: 0, line: from, last: from, kind: 'mapping' };
    return `this line is indented less than the top-level ${root.kind === 'list' ? 'list' : 'keys'} of this document (column ${root.col + 1}, line ${root.line + 1})`;
  }
  if (top.col === i || popped === undefined) return undefined;
  return (
    `this line is indented less than the ${popped.kind} it belongs to (column ${popped.col + 1}, line ${popped.line + 1}) ` +
    `and more than the one enclosing it (column ${top.col + 1}, line ${top.last + 1}); line it up with one of them`
  );
}

/** Column of the last key on a line (`  - name: x` → 4). */
function _keyCol(line: string): number {
  const cols = _blockCols(line);
  return cols[cols.length - 1]!;
}

/** The last content line before `idx` (0-based), or -1. */
export function previousContentLine(lines: Lines, idx: number): number {
  for (let j = idx - 1; j >= 0; j--) if (isContentLine(lines[j]!)) return j;
  return -1;
}

/** The first content line after `idx` (0-based), or -1. */
export function nextContentLine(lines: Lines, idx: number): number {
  for (let j = idx + 1; j < lines.length; j++) if (isContentLine(lines[j]!)) return j;
  return -1;
}

/** Whether line `idx` closes a deeper block: the content line before it is indented more. */
export function closesDeeperBlock(lines: Lines, idx: number): boolean {
  const p = previousContentLine(lines, idx);
  if (p < 0) return false;
  const pc = _blockCols(lines[p]!);
  return pc[pc.length - 1]! > indentOf(lines[idx] ?? '') && indentOf(lines[p]!) > indentOf(lines[idx] ?? '');
}
