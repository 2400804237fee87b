/**
 * @module Connectivity expectations as code (`tabby test`): decode an expectations document,
 * expand it against a snapshot, and check every case. Pure.
 *
 * The document is a list of entries, or `{expectations: [...]}`. Three entry forms:
 * - a flow: `{from, to, port?, ports?, protocol?, expect: Allow|Deny, name?}`;
 * - `matrix: {from: [...], to: [...], ports: [80/TCP, ...], expect}`: every source × every
 *   destination × every port has the same expectation;
 * - `table: {ports: [80/TCP], rows: "<text grid>"}`: a truth table, first line the
 *   destinations, then one line per source with `.` (Allow) or `X` (Deny) per destination,
 *   the Kubernetes network policy e2e's notation.
 * Endpoints are as in flows (`namespace/pod`, `node:<name>`, an IP) plus patterns over pods:
 * `ns/*` (every pod of a namespace) and `*` or `*\/*` (every pod). Ports are `80`,
 * `80/TCP` or `TCP/80`; `protocol` defaults to TCP. Pod → itself pairs from patterns are left
 * out (loopback never crosses policy).
 *
 * Invariants: every problem is collected with its field path (never stop at the first); cases
 * keep the path of the entry that made them, so failures point at a line of the file.
 */
import { FieldPath } from '../model/field/path.js';
import { invalid, notSupported, required, typeInvalid, unknownField, type FieldError } from '../model/field/errors.js';
import type { Snapshot } from './snapshot.js';
import type { FlowInput, VerdictAction, VerdictOutput } from './types.js';
import { runVerdicts } from './verdicts.js';
import { parseMatrixPort, type MatrixPort } from './matrix.js';

export interface ExpectationCase {
  /** The entry that produced this case (for `file:line:col`). */
  readonly path: FieldPath;
  readonly name?: string;
  readonly flow: FlowInput;
  readonly expect: VerdictAction;
}

export interface ExpectationResult {
  readonly case: ExpectationCase;
  readonly actual: VerdictOutput;
  readonly pass: boolean;
}

type _Endpoints = { readonly texts: readonly string[]; readonly path: FieldPath };

interface _Entry {
  readonly path: FieldPath;
  readonly name?: string;
  readonly from: _Endpoints;
  readonly to: _Endpoints;
  readonly ports: readonly (MatrixPort | { readonly protocol: string; readonly port: undefined })[];
  /** One expectation for all, or a grid [from][to]. */
  readonly expect: VerdictAction | readonly (readonly VerdictAction[])[];
}

export interface DecodedExpectations {
  readonly entries: readonly _Entry[];
  readonly errors: readonly FieldError[];
}

const _isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function _expect(v: unknown, path: FieldPath, errs: FieldError[]): VerdictAction | undefined {
  if (v === undefined) {
    errs.push(required(path, '`expect` must be Allow or Deny'));
    return undefined;
  }
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'allow' || t === 'allowed') return 'Allow';
    if (t === 'deny' || t === 'denied') return 'Deny';
  }
  errs.push(notSupported(path, v, ['Allow', 'Deny']));
  return undefined;
}

function _endpoints(v: unknown, path: FieldPath, errs: FieldError[]): _Endpoints | undefined {
  if (v === undefined) {
    errs.push(required(path));
    return undefined;
  }
  const list = Array.isArray(v) ? v : [v];
  const texts: string[] = [];
  list.forEach((x, i) => {
    if (typeof x === 'string' && x.trim() !== '') texts.push(x.trim());
    else errs.push(typeInvalid(Array.isArray(v) ? path.index(i) : path, x, 'an endpoint: namespace/pod, ns/*, node:<name> or an IP address'));
  });
  return texts.length === list.length && texts.length > 0 ? { texts, path } : undefined;
}

function _ports(o: Record<string, unknown>, path: FieldPath, errs: FieldError[]): _Entry['ports'] | undefined {
  const protoRaw = o['protocol'];
  if (protoRaw !== undefined && typeof protoRaw !== 'string') errs.push(typeInvalid(path.child('protocol'), protoRaw, 'a string'));
  const protocol = typeof protoRaw === 'string' ? protoRaw : 'TCP';
  const one = (x: unknown, p: FieldPath): MatrixPort | undefined => {
    const m = typeof x === 'number' ? parseMatrixPort(`${x}/${protocol}`) : typeof x === 'string' ? parseMatrixPort(/^\d+$/.test(x.trim()) ? `${x.trim()}/${protocol}` : x) : undefined;
    if (m === undefined) errs.push(invalid(p, x, 'expected a port: 80, 80/TCP or TCP/80'));
    return m;
  };
  if (o['port'] !== undefined && o['ports'] !== undefined) {
    errs.push(invalid(path.child('ports'), o['ports'], 'give `port` or `ports`, not both'));
    return undefined;
  }
  if (o['port'] !== undefined) {
    const m = one(o['port'], path.child('port'));
    return m === undefined ? undefined : [m];
  }
  if (o['ports'] !== undefined) {
    const raw = o['ports'];
    if (!Array.isArray(raw) || raw.length === 0) {
      errs.push(typeInvalid(path.child('ports'), raw, 'a non-empty list of ports'));
      return undefined;
    }
    const out = raw.map((x, i) => one(x, path.child('ports').index(i)));
    return out.every((x) => x !== undefined) ? (out as MatrixPort[]) : undefined;
  }
  return [{ protocol, port: undefined }];
}

function _known(o: Record<string, unknown>, path: FieldPath, fields: readonly string[], errs: FieldError[]): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) errs.push(unknownField(path.child(k), fields.find((f) => f.toLowerCase() === k.toLowerCase())));
}

function _flowEntry(o: Record<string, unknown>, path: FieldPath, errs: FieldError[]): _Entry | undefined {
  _known(o, path, ['name', 'from', 'to', 'port', 'ports', 'protocol', 'expect'], errs);
  const from = _endpoints(o['from'], path.child('from'), errs);
  const to = _endpoints(o['to'], path.child('to'), errs);
  const ports = _ports(o, path, errs);
  const expect = _expect(o['expect'], path.child('expect'), errs);
  const name = typeof o['name'] === 'string' ? o['name'] : undefined;
  if (!from || !to || !ports || !expect) return undefined;
  return { path, ...(name !== undefined ? { name } : {}), from, to, ports, expect };
}

function _tableEntry(o: Record<string, unknown>, path: FieldPath, errs: FieldError[]): _Entry | undefined {
  _known(o, path, ['name', 'port', 'ports', 'protocol', 'rows'], errs);
  const ports = _ports(o, path, errs);
  const rows = o['rows'];
  const rp = path.child('rows');
  if (typeof rows !== 'string') {
    errs.push(typeInvalid(rp, rows, 'a text grid: a header line of destinations, then one line per source'));
    return undefined;
  }
  const lines = rows.split('\n').map((l) => l.trim().split(/\s+/).filter((c) => c !== '')).filter((l) => l.length > 0);
  const header = lines[0] ?? [];
  // The header may start with a corner cell (`-`, `from\to`) or not.
  const to = header.length > 0 && lines.length > 1 && header.length === lines[1]!.length ? header.slice(1) : header;
  const from: string[] = [];
  const grid: VerdictAction[][] = [];
  lines.slice(1).forEach((cells, i) => {
    if (cells.length !== to.length + 1) {
      errs.push(invalid(rp, rows, `row ${i + 1} (${cells[0]}) has ${cells.length - 1} cells for ${to.length} destinations`));
      return;
    }
    from.push(cells[0]!);
    grid.push(
      cells.slice(1).map((c) => {
        if (c === '.' || c.toLowerCase() === 'allow') return 'Allow';
        if (c === 'X' || c === 'x' || c.toLowerCase() === 'deny') return 'Deny';
        errs.push(invalid(rp, c, `row ${i + 1}: cells are . (Allow) or X (Deny)`));
        return 'Deny';
      }),
    );
  });
  if (to.length === 0 || from.length === 0) {
    errs.push(invalid(rp, rows, 'expected a header line of destinations and at least one source line'));
    return undefined;
  }
  if (!ports) return undefined;
  const name = typeof o['name'] === 'string' ? o['name'] : undefined;
  return { path, ...(name !== undefined ? { name } : {}), from: { texts: from, path: rp }, to: { texts: to, path: rp }, ports, expect: grid };
}

/** Decodes an expectations document (already parsed from YAML/JSON). */
export function decodeExpectations(raw: unknown): DecodedExpectations {
  const errs: FieldError[] = [];
  let list: unknown;
  let base: FieldPath;
  if (Array.isArray(raw)) {
    list = raw;
    base = FieldPath.root();
  } else if (_isObj(raw) && Array.isArray(raw['expectations'])) {
    _known(raw, FieldPath.root(), ['expectations', 'apiVersion', 'kind', 'metadata'], errs);
    list = raw['expectations'];
    base = FieldPath.root('expectations');
  } else {
    return { entries: [], errors: [typeInvalid(FieldPath.root(), raw, 'a list of expectations, or a map with `expectations:`')] };
  }
  const entries: _Entry[] = [];
  (list as unknown[]).forEach((x, i) => {
    const path = base.toString() === '' ? FieldPath.root().index(i) : base.index(i);
    if (!_isObj(x)) {
      errs.push(typeInvalid(path, x, 'a map'));
      return;
    }
    let e: _Entry | undefined;
    if (x['matrix'] !== undefined) {
      _known(x, path, ['matrix'], errs);
      const m = x['matrix'];
      if (_isObj(m)) e = _flowEntry(m, path.child('matrix'), errs);
      else errs.push(typeInvalid(path.child('matrix'), m, 'a map with from, to, ports and expect'));
    } else if (x['table'] !== undefined) {
      _known(x, path, ['table'], errs);
      const t = x['table'];
      if (_isObj(t)) e = _tableEntry(t, path.child('table'), errs);
      else errs.push(typeInvalid(path.child('table'), t, 'a map with ports and rows'));
    } else e = _flowEntry(x, path, errs);
    if (e) entries.push(e);
  });
  return { entries, errors: errs };
}

/** `ns/*`, `*`, `*\/*` → matching pod keys; other texts stand for themselves. */
function _expand(snap: Snapshot, text: string): { keys: readonly string[]; pattern: boolean } {
  if (text === '*' || text === '*/*') return { keys: snap.workloads.map((w) => w.key), pattern: true };
  if (text.endsWith('/*')) {
    const ns = text.slice(0, -2);
    return { keys: snap.workloads.filter((w) => w.namespace === ns).map((w) => w.key), pattern: true };
  }
  return { keys: [text], pattern: false };
}

/** Expands entries into concrete cases; a pattern that matches no pod is an error. */
export function expandExpectations(snap: Snapshot, decoded: DecodedExpectations): { cases: ExpectationCase[]; errors: FieldError[] } {
  const cases: ExpectationCase[] = [];
  const errors: FieldError[] = [];
  for (const e of decoded.entries) {
    const side = (eps: _Endpoints): { keys: string[]; row: number[]; pattern: boolean[] } => {
      const keys: string[] = [];
      const row: number[] = [];
      const pattern: boolean[] = [];
      eps.texts.forEach((t, i) => {
        const x = _expand(snap, t);
        if (x.keys.length === 0) errors.push(invalid(eps.path, t, 'the pattern matches no pod'));
        for (const k of x.keys) {
          keys.push(k);
          row.push(i);
          pattern.push(x.pattern);
        }
      });
      return { keys, row, pattern };
    };
    const from = side(e.from);
    const to = side(e.to);
    from.keys.forEach((f, a) => {
      to.keys.forEach((t, b) => {
        if (f === t && (from.pattern[a] === true || to.pattern[b] === true)) return;
        const expect = typeof e.expect === 'string' ? e.expect : (e.expect[from.row[a]!]?.[to.row[b]!] ?? 'Deny');
        for (const p of e.ports) {
          const flow: FlowInput = { from: f, to: t, protocol: p.protocol, ...(p.port !== undefined ? { port: p.port } : {}) };
          cases.push({ path: e.path, ...(e.name !== undefined ? { name: e.name } : {}), flow, expect });
        }
      });
    });
  }
  return { cases, errors };
}

/** Runs every case; a case passes when the enforced verdict equals the expectation. */
export function checkExpectations(snap: Snapshot, cases: readonly ExpectationCase[]): ExpectationResult[] {
  const actual = runVerdicts(snap, cases.map((c) => c.flow));
  return cases.map((c, i) => {
    const a = actual[i]!;
    return { case: c, actual: a, pass: a.action === c.expect && a.error === undefined };
  });
}
