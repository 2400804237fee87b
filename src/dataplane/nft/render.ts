/**
 * @module The nftables renderer: DesiredState → one `table ip tabby` ruleset, or for an IPv6
 * DesiredState one `table ip6 tabby` with the same chains (a dual-stack node has both; Felix's nftables
 * mode: one table, chains mirroring the iptables ones, named sets for IP sets, verdict maps for
 * interface dispatch). Pure: no I/O; output sorted and deterministic.
 *
 * It is built on the iptables renderer (`../render`), so both backends share one statement of
 * Calico's semantics (tiers, Pass, end-of-tier drop, profiles, failsafe first on host
 * endpoints, preDNAT, doNotTrack, applyOnForward, Log): the rendered raw, mangle and filter
 * tables become chains of one nft table, each chain name prefixed with its table (`raw-`,
 * `mangle-`, `filter-`: the same `cali-fh-eth0` exists in all three), and
 * - each table's hooks become base chains at iptables' priorities: `raw-PREROUTING`/`raw-OUTPUT`
 *   at raw (−300, before conntrack, so `notrack` works), `mangle-PREROUTING` at mangle (−150),
 *   `filter-INPUT`/`FORWARD`/`OUTPUT` at filter (0). An `accept` ends only that base chain, as
 *   ACCEPT ends only one iptables table, and marks carry over, so the staging is the same;
 * - IP sets become named sets (`hash:net` → `ipv4_addr` interval set with contained prefixes
 *   folded, `hash:ip,port` → `ipv4_addr . inet_proto . inet_service`, the policy prefilters'
 *   `hash:net,port` → the same concatenation as an interval set; `ipv6_addr` for IPv6);
 * - in policy and profile chains, each "set mark" + "return if marked" pair is one rule
 *   (`… meta mark set meta mark | 0x10000 return`; see `foldMarkReturns`);
 * - every run of plain interface dispatch rules (`-i|-o <iface> -j|-g <chain>`) becomes one
 *   verdict map lookup, `iifname vmap { "cali…" : goto filter-cali-fw-cali…, … }`: one rule and
 *   a hash lookup per packet, however many endpoints (the iptables chains grow linearly).
 *   A run only ever holds distinct exact names, so first-match order does not matter; the
 *   wildcard host endpoint and the fail-closed `Unknown interface` drop stay after the map;
 * - rendered with `render(d, { target: 'nft' })`, an endpoint chain with enough port-bounded
 *   policies dispatches by class (render/classes.ts): `ip saddr . meta l4proto . th dport vmap
 *   { <addr range> . tcp . <ports> : goto filter-cali-cl-…, … }`, one interval-map lookup to a
 *   chain holding only the policies that can match the packet.
 */
import type { DesiredState } from '../../engine/index.js';
import { formatIp, maskOf, parseIp } from '../../lib/net.js';
import type { Chain, Insertion, IpFamily, IpSet, Rule, Table } from '../model.js';
import { PREFIX, render, type RenderedDataplane } from '../render/index.js';
import { nftIdent, nftRule, nftSetName } from './expr.js';

export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface NftChain {
  readonly name: string;
  /** Base chains only: `type filter hook <hook> priority <priority>; policy accept`. */
  readonly base?: { readonly hook: NftHook; readonly priority: number };
  /** Rule statements, in order. */
  readonly rules: readonly string[];
}

export interface NftSet {
  readonly name: string;
  readonly type: 'ipv4_addr' | 'ipv4_addr . inet_proto . inet_service' | 'ipv6_addr' | 'ipv6_addr . inet_proto . inet_service';
  readonly interval: boolean;
  /** Canonical elements, sorted. */
  readonly elements: readonly string[];
}

export interface NftRuleset {
  /** `ip` for an IPv4 dataplane, `ip6` for an IPv6 one. */
  readonly family: NftFamily;
  readonly table: string;
  readonly sets: readonly NftSet[];
  /** Base chains first (in hook order), then the others by name. */
  readonly chains: readonly NftChain[];
}

export const NFT_TABLE = 'tabby';

export type NftFamily = 'ip' | 'ip6';
export const nftFamily = (f: IpFamily): NftFamily => (f === 6 ? 'ip6' : 'ip');

/** iptables' table priorities (`NF_IP_PRI_RAW`, `NF_IP_PRI_MANGLE`, `NF_IP_PRI_FILTER`). */
export const PRIORITY: Readonly<Record<Exclude<Table, 'nat'>, number>> = { raw: -300, mangle: -150, filter: 0 };

const _HOOK: Readonly<Record<Insertion['chain'], NftHook>> = {
  PREROUTING: 'prerouting',
  INPUT: 'input',
  FORWARD: 'forward',
  OUTPUT: 'output',
  POSTROUTING: 'postrouting',
};

/** The nft name of a dataplane chain of `table`. */
export const nftChainName = (table: Table, chain: string): string => nftIdent(`${table}-${chain}`, 'chain name');

type _Dispatch = { readonly dir: 'iifname' | 'oifname'; readonly iface: string; readonly verdict: 'jump' | 'goto'; readonly chain: string };

function _dispatch(r: Rule): _Dispatch | undefined {
  if (r.match.length !== 1 || r.comment !== undefined) return undefined;
  const m = r.match[0]!;
  if ((m.kind !== 'inInterface' && m.kind !== 'outInterface') || m.negated === true || m.name.endsWith('+')) return undefined;
  if (r.action.kind !== 'jump' && r.action.kind !== 'goto') return undefined;
  return { dir: m.kind === 'inInterface' ? 'iifname' : 'oifname', iface: m.name, verdict: r.action.kind, chain: r.action.chain };
}

function _vmap(run: readonly _Dispatch[], chainFor: (c: string) => string): string {
  const seen = new Set<string>();
  const entries: string[] = [];
  for (const d of run) {
    if (seen.has(d.iface)) continue; // the first rule for a name wins, as in the chain
    seen.add(d.iface);
    if (!/^[A-Za-z0-9_.@:-]+$/.test(d.iface)) throw new Error(`invalid interface name for nft: ${JSON.stringify(d.iface)}`);
    entries.push(`"${d.iface}" : ${d.verdict} ${nftIdent(chainFor(d.chain), 'chain name')}`);
  }
  return `${run[0]!.dir} vmap { ${entries.join(', ')} }`;
}

const _isMarkReturn = (r: Rule | undefined, mark: number): boolean =>
  r !== undefined && r.action.kind === 'return' && r.comment === undefined && r.match.length === 1 && r.match[0]!.kind === 'mark' && r.match[0]!.value === mark && r.match[0]!.mask === mark && r.match[0]!.negated !== true;

/**
 * Policy and profile chains: the iptables pair "set the accept (or pass) bit" + "return if the
 * bit is set" becomes one nft rule, `<matches> meta mark set … return` (nft rules may carry a
 * statement and a verdict). A Calico rule with several port variants renders to several
 * set-mark rules sharing one return rule; each of them gets the return. Equivalent because a
 * policy chain is only ever entered with both bits clear (the endpoint chain clears them and
 * jumps only while the pass bit is clear) and every rule that sets one is followed by the
 * return, so "bit set" at the return rule means "one of the set-mark rules just matched".
 */
export function foldMarkReturns(rules: readonly Rule[]): { rule: Rule; thenReturn: boolean }[] {
  const out: { rule: Rule; thenReturn: boolean }[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.action.kind === 'setMark' && r.action.mark === r.action.mask) {
      const mark = r.action.mark;
      let j = i;
      while (j < rules.length && rules[j]!.action.kind === 'setMark' && (rules[j]!.action as { mark: number }).mark === mark && (rules[j]!.action as { mask: number }).mask === mark) j++;
      if (_isMarkReturn(rules[j], mark)) {
        for (let k = i; k < j; k++) out.push({ rule: rules[k]!, thenReturn: true });
        i = j;
        continue;
      }
    }
    out.push({ rule: r, thenReturn: false });
  }
  return out;
}

/**
 * A chain's rules, with runs of interface dispatch rules folded into verdict maps and, with
 * `foldReturns` (policy and profile chains), set-mark + return pairs folded into one rule.
 */
export function renderNftRules(rules: readonly Rule[], chainFor: (c: string) => string, foldReturns = false, family: IpFamily = 4): string[] {
  if (foldReturns) return foldMarkReturns(rules).map(({ rule, thenReturn }) => _withReturn(nftRule(rule, chainFor, family), thenReturn));
  const out: string[] = [];
  let run: _Dispatch[] = [];
  const flush = (): void => {
    if (run.length > 0) out.push(_vmap(run, chainFor));
    run = [];
  };
  for (const r of rules) {
    const d = _dispatch(r);
    if (d !== undefined && (run.length === 0 || run[0]!.dir === d.dir)) {
      run.push(d);
      continue;
    }
    flush();
    if (d !== undefined) run.push(d);
    else out.push(nftRule(r, chainFor, family));
  }
  flush();
  return out;
}

/** Puts `return` after the rule's statements (before its comment). */
function _withReturn(text: string, thenReturn: boolean): string {
  if (!thenReturn) return text;
  const c = text.indexOf(' comment "');
  return c < 0 ? `${text} return` : `${text.slice(0, c)} return${text.slice(c)}`;
}

function _ip4(s: string): number {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new Error(`invalid IPv4 address ${JSON.stringify(s)}`);
  return p.reduce((a, x) => a * 256 + Number(x), 0);
}

const _fmt4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** `a.b.c.d[/n]` → [first, last] (host bits cleared). */
function _range(cidr: string): { first: number; last: number; len: number } {
  const [addr, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  const size = 2 ** (32 - len);
  const first = Math.floor(_ip4(addr ?? '') / size) * size;
  return { first, last: first + size - 1, len };
}

/** IPv6 `addr[/n]` → [first, last] (host bits cleared). */
function _range6(cidr: string): { first: bigint; last: bigint; len: number } {
  const [addr, lenText] = cidr.split('/');
  const len = lenText === undefined ? 128 : Number(lenText);
  const ip = parseIp(addr ?? '');
  if (ip === undefined || ip.family !== 6) throw new Error(`invalid IPv6 address ${JSON.stringify(addr)}`);
  if (!Number.isInteger(len) || len < 0 || len > 128) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  const mask = maskOf(6, len);
  const first = ip.value & mask;
  return { first, last: first | (~mask & ((1n << 128n) - 1n)), len };
}

function _canonicalNets6(members: readonly string[]): string[] {
  const rs = members.map(_range6).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.len - b.len));
  const out: { first: bigint; last: bigint; len: number }[] = [];
  for (const r of rs) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.first >= prev.first && r.last <= prev.last) continue;
    out.push(r);
  }
  return out.map((r) => (r.len === 128 ? formatIp({ family: 6, value: r.first }) : `${formatIp({ family: 6, value: r.first })}/${r.len}`));
}

/**
 * `hash:net` members → interval set elements: host bits cleared, `/32` (`/128`) dropped, prefixes
 * inside another member dropped (nft rejects overlapping intervals; ipset matches them the same).
 */
export function canonicalNets(members: readonly string[], family: IpFamily = 4): string[] {
  if (family === 6) return _canonicalNets6(members);
  const rs = members.map(_range).sort((a, b) => a.first - b.first || a.len - b.len);
  const out: { first: number; last: number; len: number }[] = [];
  for (const r of rs) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.first >= prev.first && r.last <= prev.last) continue;
    out.push(r);
  }
  return out.map((r) => (r.len === 32 ? _fmt4(r.first) : `${_fmt4(r.first)}/${r.len}`));
}

const _PROTO_WORDS = new Set(['tcp', 'udp', 'sctp', 'udplite']);

/** `10.0.0.1,tcp:8080` → `10.0.0.1 . tcp . 8080` (`2001:db8::1,tcp:80` → `2001:db8::1 . tcp . 80`). */
export function canonicalIpPort(member: string, family: IpFamily = 4): string {
  const m = (family === 6 ? /^([0-9a-fA-F:]+),([a-z]+|\d+):(\d+)$/ : /^([0-9.]+),([a-z]+|\d+):(\d+)$/).exec(member);
  if (m === null) throw new Error(`invalid hash:ip,port member ${JSON.stringify(member)}`);
  const proto = m[2]!;
  if (!_PROTO_WORDS.has(proto) && !/^\d+$/.test(proto)) throw new Error(`unsupported protocol in hash:ip,port member ${JSON.stringify(member)}`);
  if (family === 6) {
    const ip = parseIp(m[1]!);
    if (ip === undefined || ip.family !== 6) throw new Error(`invalid IPv6 address ${JSON.stringify(m[1])}`);
    return `${formatIp(ip)} . ${proto} . ${Number(m[3])}`;
  }
  return `${_fmt4(_ip4(m[1]!))} . ${proto} . ${Number(m[3])}`;
}

/** `10.0.0.0/16,tcp:8080` → `10.0.0.0/16 . tcp . 8080` (a single address stays bare: `10.0.0.1 . tcp . 8080`). */
export function canonicalNetPort(member: string, family: IpFamily = 4): string {
  const comma = member.lastIndexOf(',');
  if (comma < 0) throw new Error(`invalid hash:net,port member ${JSON.stringify(member)}`);
  const net = canonicalNets([member.slice(0, comma)], family)[0]!;
  const ip = canonicalIpPort(`${family === 6 ? '::' : '0.0.0.0'}${member.slice(comma)}`, family);
  return `${net}${ip.slice(ip.indexOf(' . '))}`;
}

export function renderNftSet(s: IpSet): NftSet {
  const name = nftSetName(s.name);
  const addr = s.family === 6 ? 'ipv6_addr' : 'ipv4_addr';
  switch (s.type) {
    case 'hash:net':
    case 'hash:ip':
      return { name, type: addr, interval: true, elements: canonicalNets(s.members, s.family) };
    case 'hash:ip,port':
      return { name, type: `${addr} . inet_proto . inet_service`, interval: false, elements: [...new Set(s.members.map((m) => canonicalIpPort(m, s.family)))].sort() };
    case 'hash:net,port':
      // The policy prefilters (render/prefilter.ts): nets never overlap for one protocol and port.
      return { name, type: `${addr} . inet_proto . inet_service`, interval: true, elements: [...new Set(s.members.map((m) => canonicalNetPort(m, s.family)))].sort() };
  }
}

const _POLICY_PREFIXES: readonly string[] = [PREFIX.policyInbound, PREFIX.policyOutbound, PREFIX.profileInbound, PREFIX.profileOutbound];

const _HOOK_ORDER: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** Translates already-rendered iptables tables and IP sets (all of `family`) into one nft ruleset. */
export function renderNftFromTables(
  tables: readonly { readonly table: Table; readonly chains: readonly Chain[]; readonly hooks: readonly Insertion[] }[],
  ipSets: readonly IpSet[],
  tableName = NFT_TABLE,
  family: IpFamily = 4,
): NftRuleset {
  for (const s of ipSets) if (s.family !== family) throw new Error(`set ${s.name} is IPv${s.family}, the table is IPv${family}`);
  const base: (NftChain & { order: number })[] = [];
  const regular: NftChain[] = [];
  for (const t of tables) {
    if (t.table === 'nat') throw new Error('the nat table is not rendered to nft');
    const chainFor = (c: string): string => nftChainName(t.table, c);
    const priority = PRIORITY[t.table];
    for (const c of t.chains) regular.push({ name: chainFor(c.name), rules: renderNftRules(c.rules, chainFor, _POLICY_PREFIXES.some((p) => c.name.startsWith(p)), family) });
    const byHook = new Map<string, Rule[]>();
    for (const h of t.hooks) byHook.set(h.chain, [...(byHook.get(h.chain) ?? []), ...h.rules]);
    for (const [chain, rules] of byHook) {
      const hook = _HOOK[chain as Insertion['chain']];
      base.push({ name: chainFor(chain), base: { hook, priority }, rules: renderNftRules(rules, chainFor, false, family), order: priority * 10 + _HOOK_ORDER.indexOf(hook) });
    }
  }
  const names = new Set<string>();
  for (const c of [...base, ...regular]) {
    if (names.has(c.name)) throw new Error(`nft renderer produced chain ${c.name} twice`);
    names.add(c.name);
  }
  const sets = ipSets.map(renderNftSet).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    family: nftFamily(family),
    table: nftIdent(tableName, 'table name'),
    sets,
    chains: [
      ...base.sort((a, b) => a.order - b.order).map(({ order: _o, ...c }) => c),
      ...regular.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    ],
  };
}

export function renderNftFromDataplane(r: RenderedDataplane, tableName = NFT_TABLE): NftRuleset {
  return renderNftFromTables([r.raw, r.mangle, r.filter], r.ipSets, tableName, r.family);
}

/** DesiredState → the nft ruleset for one node. */
export function renderNft(d: DesiredState, tableName = NFT_TABLE): NftRuleset {
  return renderNftFromDataplane(render(d, { target: 'nft' }), tableName);
}

/** Rule count (a verdict map counts as one rule: it is one rule in the kernel). */
export function nftRuleCount(r: NftRuleset): number {
  return r.chains.reduce((n, c) => n + c.rules.length, 0);
}
