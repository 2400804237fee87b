/**
 * @module IPv4/IPv6 addresses and CIDRs, pure. Addresses are held as bigint so both families share
 * one code path. Parsing follows Go's net.ParseIP/ParseCIDR (what Calico uses): no zone ids, no
 * leading zeros in IPv4 octets, IPv4-mapped IPv6 accepted.
 */
export type IpFamily = 4 | 6;

export interface IpAddr {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The address as written (host bits kept). */
  readonly addr: bigint;
  readonly prefix: number;
}

const bits = (f: IpFamily): number => (f === 4 ? 32 : 128);

function parseV4(s: string): bigint | undefined {
  // Hand-rolled (no regex, one BigInt at the end): this is on the validation hot path.
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      if (dots > 3) return undefined;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return BigInt(value * 256 + octet);
}

function parseV6(s: string): bigint | undefined {
  if (s.length === 0 || s.includes('%')) return undefined;
  let tail4: bigint | undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = text.indexOf('::');
  if (dbl !== text.lastIndexOf('::')) return undefined;
  const groupsOf = (t: string): string[] | undefined => (t === '' ? [] : t.split(':'));
  let groups: string[];
  if (dbl >= 0) {
    const head = groupsOf(text.slice(0, dbl));
    const tail = groupsOf(text.slice(dbl + 2));
    if (!head || !tail) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = text.split(':');
    if (groups.length !== 8) return undefined;
  }
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

/** Parses an IPv4 or IPv6 address; undefined when invalid. */
export function parseIp(s: string): IpAddr | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

const _cidrCache = new Map<string, Cidr | null>();
const CIDR_CACHE_MAX = 4096;

/** Parses `addr/prefix`; undefined when invalid. Host bits are kept (see `isMasked`). */
export function parseCidr(s: string): Cidr | undefined {
  // Results are immutable and the same CIDRs recur across rules and policies: cache them.
  const hit = _cidrCache.get(s);
  if (hit !== undefined) return hit ?? undefined;
  const c = _parseCidr(s);
  if (_cidrCache.size >= CIDR_CACHE_MAX) _cidrCache.clear();
  _cidrCache.set(s, c ?? null);
  return c;
}

function _parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const pfx = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(pfx) || (pfx.length > 1 && pfx.startsWith('0'))) return undefined;
  const prefix = Number(pfx);
  if (prefix > bits(ip.family)) return undefined;
  return { family: ip.family, addr: ip.value, prefix };
}

/** A CIDR, or a bare IP taken as /32 or /128 (Calico's "CIDR or IP" fields). */
export function parseCidrOrIp(s: string): Cidr | undefined {
  if (s.includes('/')) return parseCidr(s);
  const ip = parseIp(s);
  return ip ? { family: ip.family, addr: ip.value, prefix: bits(ip.family) } : undefined;
}

export function maskOf(family: IpFamily, prefix: number): bigint {
  const total = BigInt(bits(family));
  const all = (1n << total) - 1n;
  return prefix === 0 ? 0n : (all >> (total - BigInt(prefix))) << (total - BigInt(prefix));
}

/** The network address (host bits cleared). */
export function networkOf(c: Cidr): Cidr {
  return { family: c.family, addr: c.addr & maskOf(c.family, c.prefix), prefix: c.prefix };
}

/** True when no host bits are set (`10.0.0.0/8` yes, `10.0.0.1/8` no). */
export function isMasked(c: Cidr): boolean {
  return (c.addr & maskOf(c.family, c.prefix)) === c.addr;
}

export function cidrContains(c: Cidr, ip: IpAddr): boolean {
  if (c.family !== ip.family) return false;
  const m = maskOf(c.family, c.prefix);
  return (ip.value & m) === (c.addr & m);
}

export function formatIp(a: IpAddr): string {
  if (a.family === 4) {
    const v = a.value;
    return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of ≥2 zero groups becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.addr })}/${c.prefix}`;
}
