/**
 * @module Renders dataplane values into iptables-restore text (Felix `iptables/match_builder.go`,
 * `actions.go`, and the line rendering of `table.go`).
 *
 * - `formatRuleSpec(rule)`: the rule's text after the chain name, without our hash comment:
 *   `[-m comment --comment "<human>"] <matches> <target>`. This text is what the hash covers.
 * - `renderChain(chain)`: specs plus chained hashes (hash.ts), ready for the planner.
 * - `appendLine`/`insertLine`: `-A <chain> -m comment --comment "cali:<hash>" <spec>`. Our hash
 *   comment always comes first, so reading it back never depends on the rest of the line.
 *
 * Free text (comments, log prefixes) is sanitised rather than escaped: double quotes become
 * single quotes, backslashes and control characters are dropped, and the text is truncated to
 * the kernel's limits (comment 255 bytes, LOG prefix 29, NFLOG prefix 63). A human comment that
 * starts with the hash prefix gets a space after the `cali`, so it can never be mistaken for a hash.
 * Identifiers (chain, set and interface names, NAT targets) must be single words; a value with
 * whitespace or quotes is a programming error and throws.
 *
 * Pure: no `node:` imports, no I/O; output depends only on the input.
 */
import { assertNever } from '../../lib/assert-never.js';
import type { Action, Chain, MatchCriterion, PortRange, Protocol, Rule, Table } from '../model.js';
import { ruleHashes } from './hash.js';

/** The prefix of our hash comments (`cali:<hash>`). */
export const HASH_COMMENT_PREFIX = 'cali:';

export interface RenderedRule {
  readonly hash: string;
  /** Everything after `-A <chain> -m comment --comment "cali:<hash>" `. */
  readonly spec: string;
}

export interface RenderedChain {
  readonly name: string;
  readonly rules: readonly RenderedRule[];
}

const COMMENT_MAX_BYTES = 255;
const LOG_PREFIX_MAX = 29;
const NFLOG_PREFIX_MAX = 63;

function _word(s: string, what: string): string {
  if (s.length === 0 || /[\s"'\\]/.test(s)) throw new Error(`invalid ${what} for iptables: ${JSON.stringify(s)}`);
  return s;
}

/** Truncates to at most `maxBytes` UTF-8 bytes without splitting a character. */
function _truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > maxBytes) break;
    bytes += n;
    i += ch.length;
  }
  return s.slice(0, i);
}

/** A quoted comment or log prefix: no quotes, backslashes or control characters, at most `maxBytes` UTF-8 bytes (iptables and nft alike). */
export function quotedText(s: string, maxBytes: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/"/g, "'").replace(/[\\\u0000-\u001f\u007f]/g, '');
  return `"${_truncateUtf8(clean, maxBytes)}"`;
}

function _humanComment(s: string): string {
  const safe = s.startsWith(HASH_COMMENT_PREFIX) ? `cali ${s.slice(HASH_COMMENT_PREFIX.length)}` : s;
  return quotedText(safe, COMMENT_MAX_BYTES);
}

const _hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const _not = (negated: boolean | undefined): string => (negated === true ? '! ' : '');
const _proto = (p: Protocol): string => (typeof p === 'number' ? String(p) : p);

function _ports(ports: readonly PortRange[]): string {
  if (ports.length === 0) throw new Error('empty port list');
  return ports.map((p) => (p.first === p.last ? String(p.first) : `${p.first}:${p.last}`)).join(',');
}

/** One match criterion as iptables text, e.g. `-m set --match-set cali40s:abc src`. */
export function formatMatch(m: MatchCriterion): string {
  switch (m.kind) {
    case 'protocol':
      return `-p ${_proto(m.protocol)}`;
    case 'notProtocol':
      return `! -p ${_proto(m.protocol)}`;
    case 'srcNet':
      return `${_not(m.negated)}-s ${_word(m.cidr, 'CIDR')}`;
    case 'dstNet':
      return `${_not(m.negated)}-d ${_word(m.cidr, 'CIDR')}`;
    case 'srcIpSet':
      return `-m set ${_not(m.negated)}--match-set ${_word(m.set, 'IP set name')} ${m.withPort === true ? 'src,src' : 'src'}`;
    case 'dstIpSet':
      return `-m set ${_not(m.negated)}--match-set ${_word(m.set, 'IP set name')} ${m.withPort === true ? 'dst,dst' : 'dst'}`;
    case 'addrDstPortSet':
      return `-m set ${_not(m.negated)}--match-set ${_word(m.set, 'IP set name')} ${m.addr},dst`;
    case 'addrRange':
      return `-m iprange ${_not(m.negated)}--${m.side}-range ${_word(m.first, 'address')}-${_word(m.last, 'address')}`;
    case 'srcPorts':
      return `-m multiport ${_not(m.negated)}--sports ${_ports(m.ports)}`;
    case 'dstPorts':
      return `-m multiport ${_not(m.negated)}--dports ${_ports(m.ports)}`;
    case 'icmpType': {
      const tc = m.code === undefined ? String(m.type) : `${m.type}/${m.code}`;
      return m.family === 4 ? `-m icmp ${_not(m.negated)}--icmp-type ${tc}` : `-m icmp6 ${_not(m.negated)}--icmpv6-type ${tc}`;
    }
    case 'inInterface':
      return `${_not(m.negated)}-i ${_word(m.name, 'interface name')}`;
    case 'outInterface':
      return `${_not(m.negated)}-o ${_word(m.name, 'interface name')}`;
    case 'mark':
      return `-m mark ${_not(m.negated)}--mark ${_hex(m.value)}/${_hex(m.mask)}`;
    case 'conntrackState':
      if (m.states.length === 0) throw new Error('empty conntrack state list');
      return `-m conntrack ${_not(m.negated)}--ctstate ${m.states.join(',')}`;
    case 'srcAddrType':
      return `-m addrtype ${_not(m.negated)}--src-type ${m.type}`;
    case 'dstAddrType':
      return `-m addrtype ${_not(m.negated)}--dst-type ${m.type}`;
    case 'limit':
      return `-m limit --limit ${_word(m.rate, 'rate')}${m.burst === undefined ? '' : ` --limit-burst ${m.burst}`}`;
    default:
      return assertNever(m);
  }
}

/** A rule's target as iptables text, e.g. `-j MARK --set-xmark 0x10000/0x10000`. */
export function formatAction(a: Action): string {
  switch (a.kind) {
    case 'accept':
      return '-j ACCEPT';
    case 'drop':
      return '-j DROP';
    case 'reject':
      return a.with === undefined ? '-j REJECT' : `-j REJECT --reject-with ${_word(a.with, 'reject type')}`;
    case 'return':
      return '-j RETURN';
    case 'jump':
      return `-j ${_word(a.chain, 'chain name')}`;
    case 'goto':
      return `-g ${_word(a.chain, 'chain name')}`;
    case 'setMark':
      return `-j MARK --set-xmark ${_hex(a.mark)}/${_hex(a.mask)}`;
    case 'clearMark':
      return `-j MARK --set-xmark 0x0/${_hex(a.mask)}`;
    case 'log':
      return `-j LOG --log-prefix ${quotedText(a.prefix, LOG_PREFIX_MAX)}${a.level === undefined ? '' : ` --log-level ${a.level}`}`;
    case 'nflog':
      return `-j NFLOG --nflog-group ${a.group} --nflog-prefix ${quotedText(a.prefix, NFLOG_PREFIX_MAX)}${a.size === undefined ? '' : ` --nflog-size ${a.size}`}`;
    case 'notrack':
      return '-j NOTRACK';
    case 'dnat':
      return `-j DNAT --to-destination ${_word(a.to, 'NAT target')}`;
    case 'snat':
      return `-j SNAT --to-source ${_word(a.to, 'NAT target')}${a.randomFully === true ? ' --random-fully' : ''}`;
    case 'masquerade':
      return `-j MASQUERADE${a.randomFully === true ? ' --random-fully' : ''}`;
    case 'classMap':
      throw new Error('a class map (verdict map) has no iptables form: it is rendered for the nft dataplane only');
    default:
      return assertNever(a);
  }
}

/** The rule's text after the chain name, without our hash comment. The hash covers this text. */
export function formatRuleSpec(rule: Rule): string {
  const parts: string[] = [];
  if (rule.comment !== undefined && rule.comment !== '') parts.push(`-m comment --comment ${_humanComment(rule.comment)}`);
  for (const m of rule.match) parts.push(formatMatch(m));
  parts.push(formatAction(rule.action));
  return parts.join(' ');
}

/** Specs and chained hashes of a chain's rules. `name` is the chain the rules will live in. */
export function renderRules(name: string, rules: readonly Rule[]): RenderedChain {
  const specs = rules.map(formatRuleSpec);
  const hashes = ruleHashes(name, specs);
  return { name, rules: specs.map((spec, i) => ({ hash: hashes[i] ?? '', spec })) };
}

export function renderChain(chain: Chain): RenderedChain {
  return renderRules(chain.name, chain.rules);
}

const _hashComment = (hash: string): string => `-m comment --comment "${HASH_COMMENT_PREFIX}${hash}"`;

/** `-A <chain> -m comment --comment "cali:<hash>" <spec>` */
export function appendLine(chain: string, rule: RenderedRule): string {
  return `-A ${_word(chain, 'chain name')} ${_hashComment(rule.hash)} ${rule.spec}`;
}

/** `-I <chain> <position> -m comment --comment "cali:<hash>" <spec>` (position is 1-based). */
export function insertLine(chain: string, position: number, rule: RenderedRule): string {
  return `-I ${_word(chain, 'chain name')} ${position} ${_hashComment(rule.hash)} ${rule.spec}`;
}

/** A chain declaration: creates the chain, or (under `--noflush`) flushes it if it exists. */
export function declareLine(chain: string): string {
  return `:${_word(chain, 'chain name')} - [0:0]`;
}

/**
 * A complete, self-contained restore script for some chains (no hooks, no sweeping): what a
 * golden file pins, and what `iptables-restore --noflush` would do to create them from scratch.
 */
export function formatRestore(table: Table, chains: readonly RenderedChain[]): string {
  const lines = [`*${table}`, ...chains.map((c) => declareLine(c.name))];
  for (const c of chains) for (const r of c.rules) lines.push(appendLine(c.name, r));
  lines.push('COMMIT', '');
  return lines.join('\n');
}
