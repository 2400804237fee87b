/**
 * @module Addresses and CIDRs in the form the hot path wants: IPv4 as an unsigned 32-bit number
 * (no bigint on the fast path), IPv6 as bigint. Built once from lib/net values.
 */
import { parseCidrOrIp, parseIp, formatIp, type Cidr, type IpAddr } from '../lib/net.js';

export interface Ip {
  readonly family: 4 | 6;
  /** IPv4 value (0..2^32-1); -1 for IPv6. */
  readonly v4: number;
  readonly v6: bigint;
  /** Canonical text. */
  readonly text: string;
}

export interface Net {
  readonly family: 4 | 6;
  /** IPv4 network base and mask as unsigned numbers. */
  readonly base4: number;
  readonly mask4: number;
  readonly base6: bigint;
  readonly mask6: bigint;
  readonly text: string;
}

export function toIp(a: IpAddr): Ip {
  return a.family === 4
    ? { family: 4, v4: Number(a.value), v6: 0n, text: formatIp(a) }
    : { family: 6, v4: -1, v6: a.value, text: formatIp(a) };
}

/** A canonical dotted quad (no leading zeros, each part ≤ 255) → its value; -1 otherwise. */
function _canonicalV4(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Whether `s` is an IPv4 address in canonical text (ipFromText keeps such text as is). */
export function isCanonicalV4Text(s: string): boolean {
  return _canonicalV4(s) >= 0;
}

/** The value of an IPv4 address in canonical text; -1 for any other text. */
export function canonicalV4Value(s: string): number {
  return _canonicalV4(s);
}

export function ipFromText(s: string): Ip | undefined {
  const v4 = _canonicalV4(s);
  if (v4 >= 0) return { family: 4, v4, v6: 0n, text: s };
  const a = parseIp(s.trim());
  if (!a) return undefined;
  const ip = toIp(a);
  // Keep the caller's string when it is already canonical: snapshots hold 100k of these.
  return ip.text === s ? { family: ip.family, v4: ip.v4, v6: ip.v6, text: s } : ip;
}

function _mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
}

export function toNet(c: Cidr): Net {
  if (c.family === 4) {
    const mask4 = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    const base4 = (Number(c.addr) & mask4) >>> 0;
    return { family: 4, base4, mask4, base6: 0n, mask6: 0n, text: `${formatIp({ family: 4, value: BigInt(base4) })}/${c.prefix}` };
  }
  const mask6 = _mask6(c.prefix);
  const base6 = c.addr & mask6;
  return { family: 6, base4: 0, mask4: 0, base6, mask6, text: `${formatIp({ family: 6, value: base6 })}/${c.prefix}` };
}

/** A CIDR or bare IP; undefined when it does not parse. */
export function netFromText(s: string): Net | undefined {
  const c = parseCidrOrIp(s.trim());
  return c ? toNet(c) : undefined;
}

export function netContains(n: Net, ip: Ip): boolean {
  if (n.family !== ip.family) return false;
  if (ip.family === 4) return ((ip.v4 & n.mask4) >>> 0) === n.base4;
  return (ip.v6 & n.mask6) === n.base6;
}

export function anyNetContains(nets: readonly Net[], ip: Ip): boolean {
  for (let i = 0; i < nets.length; i++) if (netContains(nets[i] as Net, ip)) return true;
  return false;
}
