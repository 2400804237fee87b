/**
 * @module Calico port values (numorstring.Port) as the Kubernetes conversion builds them:
 * parsing from text, minimal-range simplification, and the JSON form (single port → number,
 * range → "min:max", named port → name). Pure.
 */
import type { Result } from '../../lib/result.js';
import type { Port } from '../calico/types.js';

export type CalicoPort = { readonly kind: 'range'; readonly min: number; readonly max: number } | { readonly kind: 'named'; readonly name: string };

const ALL_DIGITS = /^\d+$/;
const PORT_RANGE = /^(\d+):(\d+)$/;
const PORT_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** strconv.ParseUint(s, 10, 16) for an all-digit string (leading zeros allowed, as in Go). */
const _uint16 = (digits: string): number | undefined => {
  const n = Number(digits);
  return n <= 0xffff ? n : undefined;
};

/** numorstring.PortFromString: `"80"`, `"80:90"` or a name; errors use Calico's wording. */
export function portFromString(s: string): Result<CalicoPort, string> {
  if (ALL_DIGITS.test(s)) {
    const n = _uint16(s);
    return n === undefined ? { ok: false, error: `invalid port format (${s})` } : { ok: true, value: { kind: 'range', min: n, max: n } };
  }
  const m = PORT_RANGE.exec(s);
  if (m) {
    const min = _uint16(m[1]!);
    if (min === undefined) return { ok: false, error: `invalid minimum port number in range (${s})` };
    const max = _uint16(m[2]!);
    if (max === undefined) return { ok: false, error: `invalid maximum port number in range (${s})` };
    if (min > max)
      return { ok: false, error: `minimum port number (${min}) is greater than maximum port number (${max}) in port range` };
    return { ok: true, value: { kind: 'range', min, max } };
  }
  if (!PORT_NAME.test(s)) return { ok: false, error: `invalid name for named port (${s})` };
  return { ok: true, value: { kind: 'named', name: s } };
}

/**
 * SimplifyPorts: the minimal set of ranges covering the numeric ports, after the named ports in
 * their original order. Like Calico, a list with at most one numeric port is returned unchanged.
 */
export function simplifyPorts(ports: readonly CalicoPort[]): readonly CalicoPort[] {
  if (ports.length <= 1) return ports;
  const named: CalicoPort[] = [];
  const ranges: { min: number; max: number }[] = [];
  let count = 0;
  for (const p of ports) {
    if (p.kind === 'named') named.push(p);
    else {
      ranges.push({ min: p.min, max: p.max });
      count += p.max - p.min + 1;
    }
  }
  if (count <= 1) return ports;
  ranges.sort((a, b) => a.min - b.min || a.max - b.max);
  const merged: { min: number; max: number }[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.min <= last.max + 1) last.max = Math.max(last.max, r.max);
    else merged.push({ ...r });
  }
  return [...named, ...merged.map((r): CalicoPort => ({ kind: 'range', min: r.min, max: r.max }))];
}

/** The JSON/YAML form of a Calico port. */
export function portToJSON(p: CalicoPort): Port {
  if (p.kind === 'named') return p.name;
  return p.min === p.max ? p.min : `${p.min}:${p.max}`;
}
