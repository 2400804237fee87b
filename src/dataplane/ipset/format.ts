/**
 * @module `ipset restore` text and member canonicalisation (Felix `ipsets/ipset_defs.go`).
 *
 * Lines: `create <name> <type> family inet|inet6 maxelem <n>`, `add`/`del <name> <member>`,
 * `swap <a> <b>`, `destroy <name>`. The applier runs scripts with `ipset -exist restore`, so
 * re-creating an identical set, adding a present member or deleting a missing one is harmless.
 *
 * `canonicalMember` spells a member exactly as `ipset save` prints it, so the planner can compare
 * desired and actual members as strings: network bits only (`10.1.2.3/16` → `10.1.0.0/16`), no
 * `/32` or `/128` on a full-length prefix, IPv6 in RFC 5952 form, and an explicit protocol
 * (default `tcp`) on ports (`10.0.0.1,80` → `10.0.0.1,tcp:80`). A member it cannot parse is
 * returned unchanged (ipset will reject it).
 *
 * Pure: no `node:` imports, no I/O.
 */
import { formatCidr, formatIp, networkOf, parseCidrOrIp, parseIp } from '../../lib/net.js';
import type { IpFamily, IpSet, IpSetType } from '../model.js';

/** Felix's default `MaxIPSetSize`. */
export const DEFAULT_MAXELEM = 1_048_576;

const _familyWord = (f: IpFamily): string => (f === 6 ? 'inet6' : 'inet');

function _word(s: string, what: string): string {
  if (s.length === 0 || /\s/.test(s)) throw new Error(`invalid ${what} for ipset: ${JSON.stringify(s)}`);
  return s;
}

export function createLine(set: Pick<IpSet, 'name' | 'type' | 'family'>, maxelem = DEFAULT_MAXELEM): string {
  return `create ${_word(set.name, 'set name')} ${set.type} family ${_familyWord(set.family)} maxelem ${maxelem}`;
}

export const addLine = (name: string, member: string): string => `add ${name} ${_word(member, 'member')}`;
export const delLine = (name: string, member: string): string => `del ${name} ${_word(member, 'member')}`;
export const swapLine = (a: string, b: string): string => `swap ${a} ${b}`;
export const destroyLine = (name: string): string => `destroy ${name}`;

/** Temporary set name for full rewrites: `cali4t<n>` / `cali6t<n>` (Felix's naming). */
export const tempSetName = (family: IpFamily, n: number): string => `cali${family}t${n}`;

/** The whole `ipset restore` input for some lines ('' when there are none). */
export function formatIpsetScript(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function _net(s: string, family: IpFamily): string | undefined {
  const c = parseCidrOrIp(s);
  if (c === undefined || c.family !== family) return undefined;
  const full = family === 4 ? 32 : 128;
  const n = networkOf(c);
  return n.prefix === full ? formatIp({ family, value: n.addr }) : formatCidr(n);
}

function _port(s: string): string | undefined {
  const m = /^(?:([a-z0-9]+):)?(\d{1,5})$/.exec(s.toLowerCase());
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return `${m[1] ?? 'tcp'}:${port}`;
}

const V4_HOST = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A member as `ipset save` would print it (see the module doc). */
export function canonicalMember(type: IpSetType, family: IpFamily, member: string): string {
  const m = member.trim();
  // Fast path for the common case: a bare IPv4 address or /32 is already canonical.
  if (family === 4 && (type === 'hash:net' || type === 'hash:ip')) {
    const bare = m.endsWith('/32') ? m.slice(0, -3) : m;
    if (V4_HOST.test(bare)) return bare;
  }
  switch (type) {
    case 'hash:net':
      return _net(m, family) ?? m;
    case 'hash:ip': {
      const ip = parseIp(m.endsWith(family === 4 ? '/32' : '/128') ? m.slice(0, m.lastIndexOf('/')) : m);
      return ip !== undefined && ip.family === family ? formatIp(ip) : m;
    }
    case 'hash:ip,port':
    case 'hash:net,port': {
      const comma = m.lastIndexOf(',');
      if (comma < 0) return m;
      const addr = m.slice(0, comma);
      const port = _port(m.slice(comma + 1));
      const a =
        type === 'hash:net,port'
          ? _net(addr, family)
          : ((): string | undefined => {
              const ip = parseIp(addr);
              return ip !== undefined && ip.family === family ? formatIp(ip) : undefined;
            })();
      return a === undefined || port === undefined ? m : `${a},${port}`;
    }
    default:
      return m;
  }
}
