/**
 * Real-kernel test (root only): programs chains, hooks and IP sets into a private network
 * namespace with the real iptables-restore/ipset binaries, then checks incremental changes,
 * drift repair, sweeping and fail-closed there. Every command runs inside the namespace
 * (`ip netns exec`); the root namespace is only read, to prove it was not touched. The
 * namespace is deleted in `after`, even on failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, type CommandRunner } from '../sys/index.js';
import { required } from '../../test/support/tools.js';
import { IpsetApplier } from './ipset/ipset-applier.js';
import { parseIpsetSave } from './ipset/plan.js';
import { renderChain } from './iptables/format.js';
import { parseSaveTable } from './iptables/parse-save.js';
import { IptablesTable } from './iptables/table.js';
import { FAIL_CLOSED_INPUT_CHAIN } from './render/fail-closed.js';
import type { Chain, Insertion, IpSet, Rule } from './model.js';

const skip = required(await netnsSkipReason());

let ns = '';
let runner: CommandRunner;
let rootBefore = '';

/** The root namespace's rules without counters and timestamps (read-only). */
async function rootRules(): Promise<string> {
  const parts: string[] = [];
  for (const bin of ['iptables-save', 'ip6tables-save']) {
    const r = await nodeRunner.run({ argv: [bin], timeoutMs: 30_000 });
    parts.push(`${bin} ${r.code}\n${r.stdout.replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '')}`);
  }
  const sets = await nodeRunner.run({ argv: ['ipset', 'list', '-name'] });
  parts.push(`ipset ${sets.code}\n${sets.stdout}`);
  return parts.join('\n');
}

async function sh(...argv: string[]): Promise<string> {
  const r = await runner.run({ argv, timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Per-chain packet counters from `iptables-save -c`. */
async function counters(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const line of (await sh('iptables-save', '-c', '-t', 'filter')).split('\n')) {
    const m = /^\[(\d+):\d+\] -A (\S+) /.exec(line);
    if (m) out.set(m[2]!, [...(out.get(m[2]!) ?? []), Number(m[1])]);
  }
  return out;
}

/** Sends UDP datagrams to 127.0.0.1:9 from inside the namespace (they traverse INPUT on lo). */
async function sendPackets(n: number): Promise<void> {
  const js = `const s=require('dgram').createSocket('udp4');let i=0;const f=()=>{if(i++>=${n})return s.close();s.send('x',9,'127.0.0.1',f)};f();`;
  await sh(process.execPath, '-e', js);
}

const markUdp9: Rule = {
  match: [{ kind: 'protocol', protocol: 'udp' }, { kind: 'dstPorts', ports: [{ first: 9, last: 9 }] }],
  action: { kind: 'setMark', mark: 0x100, mask: 0x100 },
};
const web: IpSet = { name: 'cali40web', type: 'hash:net', family: 4, members: ['10.0.0.1/32', '10.1.2.3/16'] };
const extra: IpSet = { name: 'cali40extra', type: 'hash:ip,port', family: 4, members: ['10.0.0.9,udp:53'] };

function chains(bPort: number, withC = true): Chain[] {
  const out: Chain[] = [
    {
      name: 'cali-INPUT',
      rules: [
        ...(withC ? [{ match: [], action: { kind: 'jump', chain: 'cali-c' } } satisfies Rule] : []),
        { match: [], action: { kind: 'jump', chain: 'cali-b' } },
        { match: [{ kind: 'inInterface', name: 'cali+' }], action: { kind: 'goto', chain: 'cali-a' } },
      ],
    },
    {
      name: 'cali-a',
      rules: [
        { match: [{ kind: 'srcIpSet', set: 'cali40web' }, { kind: 'protocol', protocol: 'tcp' }, { kind: 'dstPorts', ports: [{ first: 80, last: 80 }, { first: 8000, last: 8080 }] }], action: { kind: 'accept' }, comment: 'allow web' },
        { match: [{ kind: 'srcNet', cidr: '10.0.0.0/8', negated: true }, { kind: 'limit', rate: '10/min' }], action: { kind: 'log', prefix: 'calico-drop: ', level: 5 } },
        { match: [{ kind: 'conntrackState', states: ['INVALID'] }], action: { kind: 'drop' } },
        { match: [{ kind: 'mark', value: 0, mask: 0x10000, negated: true }, { kind: 'dstAddrType', type: 'LOCAL' }], action: { kind: 'return' } },
        { match: [{ kind: 'protocol', protocol: 'icmp' }, { kind: 'icmpType', family: 4, type: 8, code: 0 }], action: { kind: 'reject', with: 'icmp-port-unreachable' } },
        { match: [], action: { kind: 'nflog', group: 1, prefix: 'DPI|default' } },
        { match: [], action: { kind: 'clearMark', mask: 0x30000 } },
      ],
    },
    { name: 'cali-b', rules: [markUdp9, { match: [{ kind: 'protocol', protocol: 'tcp' }, { kind: 'dstPorts', ports: [{ first: bPort, last: bPort }] }], action: { kind: 'drop' } }] },
  ];
  if (withC) out.push({ name: 'cali-c', rules: [markUdp9, { match: [{ kind: 'dstIpSet', set: 'cali40extra', withPort: true }], action: { kind: 'return' } }] });
  return out;
}
const hooks: Insertion[] = [{ chain: 'INPUT', rules: [{ match: [], action: { kind: 'jump', chain: 'cali-INPUT' } }] }];

before(async () => {
  if (skip !== false) return;
  rootBefore = await rootRules();
  ns = await createNetns('tby-kt');
  runner = inNetns(nodeRunner, ns);
});

after(async () => {
  if (ns !== '') await deleteNetns(ns);
  if (skip === false) assert.equal(await rootRules(), rootBefore, 'the root namespace was not touched');
});

test('kernel: program, change one chain, repair drift, sweep (iptables-nft + ipset in a netns)', { skip }, async () => {
  const ipsets = new IpsetApplier({ runner });
  const table = new IptablesTable({ table: 'filter', runner });
  await sh('iptables', '-w', '-A', 'INPUT', '-p', 'udp', '--dport', '5353', '-j', 'ACCEPT'); // a foreign rule

  // 1. Program.
  ipsets.setIpSets([web, extra]);
  table.setChains(chains(22));
  table.setHooks(hooks);
  await ipsets.applyAdds();
  const first = await table.apply();
  await ipsets.applyRemovals();
  assert.deepEqual([...first.created].sort(), ['cali-INPUT', 'cali-a', 'cali-b', 'cali-c']);
  const saved = parseSaveTable(await sh('iptables-save', '-t', 'filter'), 'filter');
  for (const c of chains(22)) {
    assert.deepEqual(saved.chains.get(c.name)?.rules, renderChain(c).rules.map((r) => r.hash), `${c.name} read back by hash`);
  }
  assert.deepEqual(saved.chains.get('INPUT')?.rules.length, 2);
  assert.equal(saved.chains.get('INPUT')?.rules[1], null, 'foreign rule kept, after our hook');
  const sets = parseIpsetSave(await sh('ipset', 'save'));
  assert.deepEqual([...(sets.get('cali40web')?.members ?? [])].sort(), ['10.0.0.1', '10.1.0.0/16']);
  // Re-reading finds nothing to do: the kernel's canonical forms do not confuse us.
  table.invalidate();
  ipsets.invalidate();
  assert.equal((await table.apply()).changed, false);
  assert.equal((await ipsets.applyAdds()).changed, false);

  // 2. Traffic, then change only cali-b: cali-c's counters survive, cali-b's restart.
  await sendPackets(3);
  const c1 = await counters();
  assert.ok((c1.get('cali-c')?.[0] ?? 0) >= 3, `cali-c counted packets: ${String(c1.get('cali-c'))}`);
  table.setChains(chains(2222));
  const r = await table.apply();
  assert.deepEqual(r.rewritten, ['cali-b']);
  assert.equal(r.readBack, false);
  assert.doesNotMatch(table.lastPlan?.script ?? '', /cali-(a|c|INPUT) /);
  const c2 = await counters();
  assert.deepEqual(c2.get('cali-c'), c1.get('cali-c'));
  assert.deepEqual(c2.get('cali-a'), c1.get('cali-a'));
  assert.equal(c2.get('cali-b')?.[0], 0);
  assert.match(await sh('iptables-save', '-t', 'filter'), /-A cali-b .*--dports 2222 .*-j DROP/);

  // 3. Drift: someone deletes a rule from cali-a, adds one to cali-c, and deletes our hook.
  await sh('iptables', '-w', '-D', 'cali-a', '3');
  await sh('iptables', '-w', '-I', 'cali-c', '1', '-j', 'ACCEPT');
  await sh('iptables', '-w', '-D', 'INPUT', '1');
  const fixed = await table.refresh();
  assert.deepEqual([...fixed.rewritten].sort(), ['cali-a', 'cali-c']);
  assert.deepEqual(fixed.hooksRewritten, ['INPUT']);
  const repaired = parseSaveTable(await sh('iptables-save', '-t', 'filter'), 'filter');
  for (const c of chains(2222)) assert.deepEqual(repaired.chains.get(c.name)?.rules, renderChain(c).rules.map((x) => x.hash));
  assert.deepEqual(repaired.chains.get('INPUT')?.rules.map((h) => h !== null), [true, false]);

  // 4. IP set membership change: one small batch through the long-lived `ipset -` session.
  ipsets.updateIpSet({ ...web, members: ['10.0.0.1', '10.7.0.0/16'] });
  const m = await ipsets.applyAdds();
  assert.deepEqual(m.updated, ['cali40web']);
  assert.equal(m.via, 'session');
  assert.deepEqual(
    [...(parseIpsetSave(await sh('ipset', 'save')).get('cali40web')?.members ?? [])].sort(),
    ['10.0.0.1', '10.7.0.0/16'],
  );

  // 5. Sweep: drop cali-c and the set only it used; the set goes after iptables stops using it.
  ipsets.setIpSets([web]);
  table.setChains(chains(2222, false));
  await ipsets.applyAdds();
  assert.match(await sh('ipset', 'list', '-name'), /cali40extra/);
  const swept = await table.apply();
  assert.deepEqual(swept.deleted, ['cali-c']);
  const rem = await ipsets.applyRemovals();
  assert.deepEqual(rem.destroyed, ['cali40extra']);
  assert.doesNotMatch(await sh('iptables-save', '-t', 'filter'), /cali-c/);
  assert.match(await sh('iptables-save', '-t', 'filter'), /-A INPUT -p udp -m udp --dport 5353 -j ACCEPT/);

  // 6. Remove everything: hooks and chains go, the foreign rule stays.
  table.setChains([]);
  table.setHooks([]);
  await table.apply();
  ipsets.setIpSets([]);
  await ipsets.applyRemovals();
  const empty = parseSaveTable(await sh('iptables-save', '-t', 'filter'), 'filter');
  assert.deepEqual([...empty.chains.keys()].filter((n) => n.startsWith('cali-')), []);
  assert.deepEqual(empty.chains.get('INPUT')?.rules, [null]);
  assert.equal(await sh('ipset', 'list', '-name'), '');
  await ipsets.close();
  assert.deepEqual(await netnsPids(), [], 'no process left in the namespace');
});

/** Processes running in our namespace (`ip netns pids`, read from the root namespace). */
async function netnsPids(): Promise<number[]> {
  const r = await nodeRunner.run({ argv: ['ip', 'netns', 'pids', ns], timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
}

async function comm(pid: number): Promise<string | undefined> {
  const r = await nodeRunner.run({ argv: ['cat', `/proc/${pid}/comm`] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

test('kernel: ipset session — incremental batches, a kernel error detected and repaired, closed with no process left', { skip }, async () => {
  const ipsets = new IpsetApplier({ runner });
  const members = (name: string): Promise<string[]> =>
    sh('ipset', 'save').then((t) => [...(parseIpsetSave(t).get(name)?.members ?? [])].sort());
  try {
    ipsets.setIpSets([web]);
    assert.equal((await ipsets.applyAdds()).via, 'restore');
    const pid = ipsets.sessionPid;
    assert.ok(pid !== undefined, 'a session is started after the first apply');

    // 100 members out, 100 in: one batch, in the namespace's kernel.
    const a = Array.from({ length: 100 }, (_, i) => `10.20.${i}.0/24`);
    const b = Array.from({ length: 100 }, (_, i) => `10.30.${i}.0/24`);
    ipsets.updateIpSet({ ...web, members: a });
    assert.equal((await ipsets.applyAdds()).via, 'restore', 'more changes than members: rewritten through a temporary set');
    ipsets.updateIpSet({ ...web, members: [...a.slice(50), ...b.slice(0, 50)] });
    const r = await ipsets.applyAdds();
    assert.equal(r.via, 'session');
    assert.equal(r.memberChanges, 100);
    assert.deepEqual(await members('cali40web'), [...a.slice(50), ...b.slice(0, 50)].sort());
    assert.equal(ipsets.sessionPid, pid, 'the same process');
    assert.deepEqual(await netnsPids(), [pid], 'it runs inside our namespace');
    assert.equal(await comm(pid), 'ipset');

    // Someone destroys the set behind our back: the session's adds fail in the kernel; the
    // applier notices, re-reads, re-creates through restore and replaces the session.
    await sh('ipset', 'destroy', 'cali40web');
    ipsets.updateIpSet({ ...web, members: [...a.slice(49), ...b.slice(0, 50)] });
    const bad = await ipsets.applyAdds();
    assert.equal(bad.via, 'restore');
    assert.equal(bad.attempts, 2);
    assert.deepEqual(bad.created, ['cali40web']);
    assert.equal(ipsets.stats.sessionFailures, 1);
    assert.deepEqual(await members('cali40web'), [...a.slice(49), ...b.slice(0, 50)].sort());
    assert.equal(await comm(pid), undefined, 'the failed session process is gone');

    ipsets.updateIpSet({ ...web, members: [...a.slice(60), ...b.slice(0, 60)] });
    const again = await ipsets.applyAdds();
    assert.equal(again.via, 'session');
    assert.deepEqual(await members('cali40web'), [...a.slice(60), ...b.slice(0, 60)].sort());
    const pid2 = ipsets.sessionPid;
    assert.ok(pid2 !== undefined && pid2 !== pid);
    assert.deepEqual(await netnsPids(), [pid2]);
  } finally {
    await ipsets.close();
  }
  assert.deepEqual(await netnsPids(), [], 'close() left no process behind');
  ipsets.setIpSets([]);
  await ipsets.applyRemovals();
});

test('kernel: fail closed, then the first apply replaces it', { skip }, async () => {
  const table = new IptablesTable({ table: 'filter', runner });
  await table.failClosed();
  const fc = await sh('iptables-save', '-t', 'filter');
  assert.match(fc, new RegExp(`-A INPUT -m comment --comment "cali:\\S+" -j ${FAIL_CLOSED_INPUT_CHAIN}`));
  assert.match(fc, /-A cali-fail-closed-fw .*-j DROP/);
  table.setChains([{ name: 'cali-x', rules: [{ match: [], action: { kind: 'return' } }] }]);
  table.setHooks([{ chain: 'INPUT', rules: [{ match: [], action: { kind: 'jump', chain: 'cali-x' } }] }]);
  const r = await table.apply();
  assert.deepEqual(r.deleted, ['cali-fail-closed-fw', 'cali-fail-closed-in']);
  const after1 = await sh('iptables-save', '-t', 'filter');
  assert.doesNotMatch(after1, /fail-closed/);
  assert.match(after1, /-A INPUT -m comment --comment "cali:\S+" -j cali-x/);
  table.setChains([]);
  table.setHooks([]);
  await table.apply();
});
