import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveFelixConfig, failsafeHostPorts } from '../../model/calico/felix-configuration.js';
import { formatRuleSpec } from '../iptables/format.js';
import { FAIL_CLOSED_FORWARD_CHAIN, FAIL_CLOSED_INPUT_CHAIN, failClosedRules } from './fail-closed.js';

const specs = (name: string, fc = failClosedRules()): string[] => (fc.chains.find((c) => c.name === name)?.rules ?? []).map(formatRuleSpec);

test("fail closed: Felix's default inbound failsafe ports, loopback and established in; everything else dropped in INPUT and FORWARD", () => {
  const input = specs(FAIL_CLOSED_INPUT_CHAIN);
  for (const [proto, port] of [['tcp', 22], ['udp', 68], ['tcp', 179], ['tcp', 2379], ['tcp', 2380], ['tcp', 5473], ['tcp', 6443], ['tcp', 6666], ['tcp', 6667]] as const)
    assert.ok(input.some((r) => r.includes(`-p ${proto} `) && new RegExp(`--dports ${port} -j ACCEPT$`).test(r)), `${proto}:${port} accepted: ${input.join('\n')}`);
  assert.equal(input.length, 2 + 9 + 1);
  assert.match(input.at(-1)!, /-j DROP$/);
  assert.deepEqual(specs(FAIL_CLOSED_FORWARD_CHAIN).map((r) => r.replace(/^-m comment --comment "[^"]*" /, '')), ['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-j DROP']);
  assert.deepEqual(failClosedRules().hooks.map((h) => h.chain), ['INPUT', 'FORWARD']);
});

test("fail closed: a node's own failsafe ports replace the defaults (protocol in any case, a v4 net limits the peer, v6 nets belong to the v6 tables)", () => {
  const cfg = effectiveFelixConfig({ failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }] }, { failsafeInboundHostPorts: [{ protocol: 'udp', port: 4789 }, { port: 2222, net: '198.18.0.0/16' }, { protocol: 'TCP', port: 2223, net: '2001:db8::/32' }] });
  const input = specs(FAIL_CLOSED_INPUT_CHAIN, failClosedRules(failsafeHostPorts(cfg, 'inbound')));
  const failsafe = input.filter((r) => r.includes('failsafe'));
  assert.equal(failsafe.length, 2, input.join('\n'));
  assert.match(failsafe[0]!, /-p udp .*--dports 4789 -j ACCEPT$/);
  assert.match(failsafe[1]!, /-p tcp .*--dports 2222 -s 198\.18\.0\.0\/16 -j ACCEPT$/);
  assert.ok(!input.some((r) => /--dports 22 /.test(r)), 'the per-node list replaces the global one');
  assert.equal(failClosedRules([]).chains[0]!.rules.length, 3, 'an empty list: no failsafe ports at all');
});
