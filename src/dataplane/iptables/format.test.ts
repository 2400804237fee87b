import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action, MatchCriterion, Rule } from '../model.js';
import { appendLine, formatAction, formatMatch, formatRestore, formatRuleSpec, insertLine, renderChain } from './format.js';
import { HASH_LENGTH, ruleHashes } from './hash.js';

const matches: { name: string; m: MatchCriterion; want: string }[] = [
  { name: 'protocol by name', m: { kind: 'protocol', protocol: 'tcp' }, want: '-p tcp' },
  { name: 'protocol by number', m: { kind: 'protocol', protocol: 132 }, want: '-p 132' },
  { name: 'not protocol', m: { kind: 'notProtocol', protocol: 'udp' }, want: '! -p udp' },
  { name: 'source net', m: { kind: 'srcNet', cidr: '10.0.0.0/8' }, want: '-s 10.0.0.0/8' },
  { name: 'negated source net', m: { kind: 'srcNet', cidr: '10.0.0.0/8', negated: true }, want: '! -s 10.0.0.0/8' },
  { name: 'destination net v6', m: { kind: 'dstNet', cidr: 'fd00::/64' }, want: '-d fd00::/64' },
  { name: 'negated destination net', m: { kind: 'dstNet', cidr: '1.2.3.4/32', negated: true }, want: '! -d 1.2.3.4/32' },
  { name: 'source ip set', m: { kind: 'srcIpSet', set: 'cali40s:abc' }, want: '-m set --match-set cali40s:abc src' },
  { name: 'negated destination ip set', m: { kind: 'dstIpSet', set: 'cali40s:abc', negated: true }, want: '-m set ! --match-set cali40s:abc dst' },
  { name: 'ip,port set (dst)', m: { kind: 'dstIpSet', set: 'cali40n:x', withPort: true }, want: '-m set --match-set cali40n:x dst,dst' },
  { name: 'ip,port set (src, negated)', m: { kind: 'srcIpSet', set: 'cali40n:x', withPort: true, negated: true }, want: '-m set ! --match-set cali40n:x src,src' },
  { name: 'destination ports with range', m: { kind: 'dstPorts', ports: [{ first: 80, last: 80 }, { first: 8080, last: 8090 }] }, want: '-m multiport --dports 80,8080:8090' },
  { name: 'negated source ports', m: { kind: 'srcPorts', ports: [{ first: 53, last: 53 }], negated: true }, want: '-m multiport ! --sports 53' },
  { name: 'icmp type', m: { kind: 'icmpType', family: 4, type: 8 }, want: '-m icmp --icmp-type 8' },
  { name: 'icmp type and code', m: { kind: 'icmpType', family: 4, type: 3, code: 4 }, want: '-m icmp --icmp-type 3/4' },
  { name: 'negated icmp type', m: { kind: 'icmpType', family: 4, type: 8, negated: true }, want: '-m icmp ! --icmp-type 8' },
  { name: 'icmpv6 type and code', m: { kind: 'icmpType', family: 6, type: 128, code: 0 }, want: '-m icmp6 --icmpv6-type 128/0' },
  { name: 'in interface wildcard', m: { kind: 'inInterface', name: 'cali+' }, want: '-i cali+' },
  { name: 'negated out interface', m: { kind: 'outInterface', name: 'eth0', negated: true }, want: '! -o eth0' },
  { name: 'mark', m: { kind: 'mark', value: 0x10000, mask: 0x10000 }, want: '-m mark --mark 0x10000/0x10000' },
  { name: 'negated mark with high bit', m: { kind: 'mark', value: 0, mask: 0xffff0000, negated: true }, want: '-m mark ! --mark 0x0/0xffff0000' },
  { name: 'conntrack', m: { kind: 'conntrackState', states: ['RELATED', 'ESTABLISHED'] }, want: '-m conntrack --ctstate RELATED,ESTABLISHED' },
  { name: 'negated conntrack', m: { kind: 'conntrackState', states: ['INVALID'], negated: true }, want: '-m conntrack ! --ctstate INVALID' },
  { name: 'dst addrtype local', m: { kind: 'dstAddrType', type: 'LOCAL' }, want: '-m addrtype --dst-type LOCAL' },
  { name: 'negated src addrtype', m: { kind: 'srcAddrType', type: 'LOCAL', negated: true }, want: '-m addrtype ! --src-type LOCAL' },
  { name: 'limit', m: { kind: 'limit', rate: '10/min' }, want: '-m limit --limit 10/min' },
  { name: 'limit with burst', m: { kind: 'limit', rate: '5/sec', burst: 10 }, want: '-m limit --limit 5/sec --limit-burst 10' },
];
for (const c of matches) test(`match: ${c.name}`, () => assert.equal(formatMatch(c.m), c.want));

const actions: { name: string; a: Action; want: string }[] = [
  { name: 'accept', a: { kind: 'accept' }, want: '-j ACCEPT' },
  { name: 'drop', a: { kind: 'drop' }, want: '-j DROP' },
  { name: 'reject', a: { kind: 'reject' }, want: '-j REJECT' },
  { name: 'reject with', a: { kind: 'reject', with: 'tcp-reset' }, want: '-j REJECT --reject-with tcp-reset' },
  { name: 'return', a: { kind: 'return' }, want: '-j RETURN' },
  { name: 'jump', a: { kind: 'jump', chain: 'cali-pi-default.x' }, want: '-j cali-pi-default.x' },
  { name: 'goto', a: { kind: 'goto', chain: 'cali-fw-eth0' }, want: '-g cali-fw-eth0' },
  { name: 'set mark', a: { kind: 'setMark', mark: 0x10000, mask: 0x10000 }, want: '-j MARK --set-xmark 0x10000/0x10000' },
  { name: 'clear mark', a: { kind: 'clearMark', mask: 0x30000 }, want: '-j MARK --set-xmark 0x0/0x30000' },
  { name: 'log', a: { kind: 'log', prefix: 'calico-packet' }, want: '-j LOG --log-prefix "calico-packet"' },
  { name: 'log with level', a: { kind: 'log', prefix: 'x', level: 5 }, want: '-j LOG --log-prefix "x" --log-level 5' },
  { name: 'log prefix truncated to 29', a: { kind: 'log', prefix: 'a'.repeat(40) }, want: `-j LOG --log-prefix "${'a'.repeat(29)}"` },
  { name: 'nflog', a: { kind: 'nflog', group: 1, prefix: 'API0|default.p' }, want: '-j NFLOG --nflog-group 1 --nflog-prefix "API0|default.p"' },
  { name: 'nflog with size', a: { kind: 'nflog', group: 2, prefix: 'D', size: 80 }, want: '-j NFLOG --nflog-group 2 --nflog-prefix "D" --nflog-size 80' },
  { name: 'notrack', a: { kind: 'notrack' }, want: '-j NOTRACK' },
  { name: 'dnat', a: { kind: 'dnat', to: '10.0.0.1:8080' }, want: '-j DNAT --to-destination 10.0.0.1:8080' },
  { name: 'snat', a: { kind: 'snat', to: '192.168.0.1', randomFully: true }, want: '-j SNAT --to-source 192.168.0.1 --random-fully' },
  { name: 'masquerade', a: { kind: 'masquerade' }, want: '-j MASQUERADE' },
];
for (const c of actions) test(`action: ${c.name}`, () => assert.equal(formatAction(c.a), c.want));

const rules: { name: string; r: Rule; want: string }[] = [
  { name: 'no matches', r: { match: [], action: { kind: 'drop' } }, want: '-j DROP' },
  {
    name: 'several matches in order',
    r: {
      match: [
        { kind: 'protocol', protocol: 'tcp' },
        { kind: 'srcNet', cidr: '10.0.0.0/8', negated: true },
        { kind: 'dstPorts', ports: [{ first: 443, last: 443 }] },
      ],
      action: { kind: 'setMark', mark: 0x10000, mask: 0x10000 },
    },
    want: '-p tcp ! -s 10.0.0.0/8 -m multiport --dports 443 -j MARK --set-xmark 0x10000/0x10000',
  },
  {
    name: 'human comment first, quotes and backslashes sanitised',
    r: { match: [], action: { kind: 'accept' }, comment: 'say "hi"\\ now\n' },
    want: `-m comment --comment "say 'hi' now" -j ACCEPT`,
  },
  {
    name: 'human comment looking like a hash is defused',
    r: { match: [], action: { kind: 'accept' }, comment: 'cali:abcdefabcdefabcd' },
    want: '-m comment --comment "cali abcdefabcdefabcd" -j ACCEPT',
  },
  {
    name: 'long comment truncated to 255 bytes without splitting a character',
    r: { match: [], action: { kind: 'accept' }, comment: 'é'.repeat(200) },
    want: `-m comment --comment "${'é'.repeat(127)}" -j ACCEPT`,
  },
];
for (const c of rules) test(`rule: ${c.name}`, () => assert.equal(formatRuleSpec(c.r), c.want));

test('identifiers with whitespace or quotes are rejected', () => {
  assert.throws(() => formatAction({ kind: 'jump', chain: 'cali-x y' }), /invalid .* for iptables: "cali-x y"/);
  assert.throws(() => formatMatch({ kind: 'srcIpSet', set: 'a"b' }), /invalid .* for iptables: "a\\"b"/);
  assert.throws(() => formatMatch({ kind: 'dstPorts', ports: [] }), /empty port list/);
});

test('hashes: fixed length, base64url, chained (an early change changes every later hash)', () => {
  const a = ruleHashes('cali-x', ['-j ACCEPT', '-j DROP', '-j RETURN']);
  const b = ruleHashes('cali-x', ['-j LOG --log-prefix "x"', '-j DROP', '-j RETURN']);
  const c = ruleHashes('cali-y', ['-j ACCEPT', '-j DROP', '-j RETURN']);
  for (const h of [...a, ...b, ...c]) assert.match(h, new RegExp(`^[A-Za-z0-9_-]{${HASH_LENGTH}}$`));
  assert.equal(new Set([...a, ...b, ...c]).size, 9);
  assert.deepEqual(ruleHashes('cali-x', ['-j ACCEPT', '-j DROP']), a.slice(0, 2), 'a prefix keeps its hashes');
  assert.deepEqual(ruleHashes('cali-x', ['-j ACCEPT', '-j DROP', '-j RETURN']), a, 'deterministic');
});

test('lines carry the hash comment first', () => {
  const chain = renderChain({ name: 'cali-x', rules: [{ match: [{ kind: 'protocol', protocol: 'udp' }], action: { kind: 'accept' } }] });
  const r = chain.rules[0]!;
  assert.equal(appendLine('cali-x', r), `-A cali-x -m comment --comment "cali:${r.hash}" -p udp -j ACCEPT`);
  assert.equal(insertLine('INPUT', 2, r), `-I INPUT 2 -m comment --comment "cali:${r.hash}" -p udp -j ACCEPT`);
  assert.equal(
    formatRestore('filter', [chain]),
    `*filter\n:cali-x - [0:0]\n-A cali-x -m comment --comment "cali:${r.hash}" -p udp -j ACCEPT\nCOMMIT\n`,
  );
});
