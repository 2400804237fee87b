/**
 * Real-kernel test (root only) of the IPv6 rendering: the dual-stack node of
 * render/testdata/dual-stack.yaml is rendered for IPv6 and programmed into a private network
 * namespace with the real `ip6tables-restore` (raw, mangle, filter) and `ipset` (`family inet6`
 * sets), next to its IPv4 rendering in `iptables`; both are read back unchanged (the kernel's
 * spelling of IPv6 rules and members does not confuse the planners); the nft `ip6` table loads
 * with `nft -f`. Everything runs inside the namespace (`ip netns exec`), which `after` deletes;
 * the root namespace's rules are compared before and after.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, type CommandRunner } from '../sys/index.js';
import { required } from '../../test/support/tools.js';
import { computeDesiredState, loadSnapshot } from '../engine/index.js';
import { IpsetApplier } from './ipset/ipset-applier.js';
import { parseIpsetSave } from './ipset/plan.js';
import { IptablesTable } from './iptables/table.js';
import { formatNftScript } from './nft/format.js';
import { renderNft } from './nft/render.js';
import { render } from './render/index.js';

const skip = required(await netnsSkipReason());
let ns = '';
let runner: CommandRunner;
let rootBefore = '';

async function rootRules(): Promise<string> {
  const parts: string[] = [];
  for (const bin of ['iptables-save', 'ip6tables-save']) {
    const r = await nodeRunner.run({ argv: [bin], timeoutMs: 30_000 });
    parts.push(`${bin} ${r.code}\n${r.stdout.replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '')}`);
  }
  const sets = await nodeRunner.run({ argv: ['ipset', 'list', '-name'], timeoutMs: 30_000 });
  parts.push(`ipset ${sets.code}\n${sets.stdout}`);
  return parts.join('\n');
}

async function sh(...argv: string[]): Promise<string> {
  const r = await runner.run({ argv, timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (skip !== false) return;
  rootBefore = await rootRules();
  ns = await createNetns('tby-k6');
  runner = inNetns(nodeRunner, ns);
});

after(async () => {
  if (ns !== '') await deleteNetns(ns);
  if (skip === false) assert.equal(await rootRules(), rootBefore, 'the root namespace was not touched');
});

const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, 'render', 'testdata', 'dual-stack.yaml'), 'utf8')).map((d) => d.toJS() as unknown);

test('kernel: a dual-stack node programmed with iptables + ip6tables + inet/inet6 sets, read back unchanged; the nft ip6 table loads', { skip, timeout: 120_000 }, async () => {
  const { snapshot } = loadSnapshot(docs);
  const r4 = render(computeDesiredState(snapshot, 'w1', undefined, { family: 4 }));
  const r6 = render(computeDesiredState(snapshot, 'w1', undefined, { family: 6 }));
  const ipsets = new IpsetApplier({ runner, interactive: false });
  const tables = [4, 6].flatMap((family) => (['raw', 'mangle', 'filter'] as const).map((t) => ({ family, t, table: new IptablesTable({ table: t, family: family as 4 | 6, runner }) })));
  ipsets.setIpSets([...r4.ipSets, ...r6.ipSets]);
  await ipsets.applyAdds();
  for (const { family, t, table } of tables) {
    const rt = (family === 4 ? r4 : r6)[t];
    table.setChains(rt.chains);
    table.setHooks(rt.hooks);
    assert.equal((await table.apply()).changed, true, `IPv${family} ${t} programmed`);
  }
  await ipsets.applyRemovals();

  const saved6 = await sh('ip6tables-save', '-t', 'filter');
  assert.match(saved6, /-A cali-wl-to-host -p ipv6-icmp .*-m icmp6 --icmpv6-type 135 -j ACCEPT/);
  assert.match(saved6, /-A cali-pi-default\/web -p ipv6-icmp .*-m icmp6 --icmpv6-type 128 /);
  assert.match(saved6, /--match-set cali60s:/);
  assert.doesNotMatch(saved6, /cali40/, 'IPv6 rules use only IPv6 sets');
  const sets = parseIpsetSave(await sh('ipset', 'save'));
  for (const s of r6.ipSets) {
    assert.equal(sets.get(s.name)?.family, 6, `${s.name} is family inet6`);
    assert.deepEqual([...(sets.get(s.name)?.members ?? [])].sort(), [...s.members].sort(), `${s.name} members`);
  }
  for (const s of r4.ipSets) assert.equal(sets.get(s.name)?.family, 4, `${s.name} is family inet`);

  // Read back: nothing to change in either family.
  ipsets.invalidate();
  assert.equal((await ipsets.applyAdds()).changed, false, 'ipsets read back unchanged');
  for (const { family, t, table } of tables) {
    table.invalidate();
    assert.equal((await table.apply()).changed, false, `IPv${family} ${t} read back unchanged`);
  }

  // The nft renderings of both families load side by side (tables ip tabby and ip6 tabby).
  for (const d of [4, 6] as const) {
    const script = formatNftScript(renderNft(computeDesiredState(snapshot, 'w1', undefined, { family: d })));
    const r = await runner.run({ argv: ['nft', '-f', '-'], stdin: script, timeoutMs: 30_000 });
    assert.equal(r.code, 0, `nft IPv${d}: ${r.stderr}`);
  }
  const listed = await sh('nft', 'list', 'tables');
  assert.match(listed, /table ip tabby/);
  assert.match(listed, /table ip6 tabby/);
  assert.match(await sh('nft', 'list', 'set', 'ip6', 'tabby', r6.ipSets.find((s) => s.type === 'hash:ip,port')!.name.replace(/:/g, '-')), /2001:db8:19:1::2 \. tcp \. 80/);
});
