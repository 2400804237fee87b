/**
 * @module YAML output as calicoctl writes it (go-yaml-wrapper: JSON → yaml.v2): keys sorted at
 * every level, sequences not indented under their key, `{}`/`[]` for empty collections, and
 * yaml.v2's quoting — strings that YAML 1.1 would read as another type (`"123"`, `"true"`,
 * `"2024-01-01T00:00:00Z"`) in double quotes, other strings that cannot be plain
 * (`'!has(x)'`, `'a: b'`) in single quotes. A direct emitter for JSON data (no YAML document
 * model), so 10,000 policies print in well under a second. Pure.
 */

/** YAML 1.1 (yaml.v2 resolve) and 1.2 core forms that are not strings when unquoted. */
const NON_STRING = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)$/,
  /^[-+]?\.(?:inf|Inf|INF)$/,
  /^\.(?:nan|NaN|NAN)$/,
  /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?$/,
];

const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`]/;
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\n\t\r]/;

function _plainOk(s: string): boolean {
  if (s !== s.trim()) return false;
  if (INDICATOR_START.test(s)) {
    const c = s[0]!;
    // `-`, `?` and `:` start a plain scalar when a non-space follows.
    if (!((c === '-' || c === '?' || c === ':') && s.length > 1 && s[1] !== ' ')) return false;
  }
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  return !s.startsWith('---') && !s.startsWith('...');
}

/** Only strings starting with one of these can read as a non-string. */
const MAYBE_NON_STRING = /^(?:$|[-+.~0-9nNyYtTfFoO])/;

/** Rendered strings, remembered: keys and most values repeat across a listing. */
const cache = new Map<string, string>();
const CACHE_MAX = 65_536;

function _string(s: string): string {
  let r = cache.get(s);
  if (r === undefined) {
    r = _render(s);
    if (cache.size < CACHE_MAX) cache.set(s, r);
  }
  return r;
}

function _render(s: string): string {
  if (s !== '.' && MAYBE_NON_STRING.test(s) && NON_STRING.some((re) => re.test(s))) return JSON.stringify(s);
  if (NEEDS_ESCAPE.test(s)) return JSON.stringify(s);
  if (_plainOk(s)) return s;
  return `'${s.replace(/'/g, "''")}'`;
}

function _scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return _string(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? 'null';
}

const _isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const _cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Appends the lines of a block value at `pad`. */
function _block(v: unknown, pad: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) _item(item, pad, out);
    return;
  }
  if (_isMap(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(_cmp);
    for (const k of keys) _entry(_string(k), v[k], pad, out);
  }
}

const _isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : _isMap(v) ? Object.values(v).every((x) => x === undefined) : false);
const _inline = (v: unknown): string | undefined => (Array.isArray(v) ? (v.length === 0 ? '[]' : undefined) : _isMap(v) ? (_isEmpty(v) ? '{}' : undefined) : _scalar(v));

function _entry(key: string, v: unknown, pad: string, out: string[]): void {
  const inline = _inline(v);
  if (inline !== undefined) out.push(`${pad}${key}: ${inline}`);
  else {
    out.push(`${pad}${key}:`);
    _block(v, Array.isArray(v) ? pad : `${pad}  `, out);
  }
}

function _item(v: unknown, pad: string, out: string[]): void {
  const inline = _inline(v);
  if (inline !== undefined) {
    out.push(`${pad}- ${inline}`);
    return;
  }
  const sub: string[] = [];
  _block(v, `${pad}  `, sub);
  // The first line of the nested block goes on the dash line.
  sub[0] = `${pad}- ${sub[0]!.slice(pad.length + 2)}`;
  out.push(...sub);
}

/** One value (an object, or an array of objects) as calicoctl's YAML. */
export function toCalicoYaml(value: unknown): string {
  const inline = _inline(value);
  if (inline !== undefined) return `${inline}\n`;
  const out: string[] = [];
  _block(value, '', out);
  return `${out.join('\n')}\n`;
}
