/**
 * NftApplier and NftDriver against FakeNft (test/fakes/fake-nft.ts): one transaction per change,
 * nothing when unchanged, drift and deletion repaired on refresh (and named), retries, failure
 * leaving the old table whole, fail-closed replaced by the first apply, foreign tables never
 * touched, and the driver programming the whole rendered dataplane in one transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../sys/clock.js';
import { FakeNft } from '../../../test/fakes/fake-nft.js';
import type { Chain, Insertion, IpSet } from '../model.js';
import { NftApplier, NftApplyError } from './applier.js';
import { NftDriver } from './driver.js';
import { failClosedRules } from '../render/fail-closed.js';
import { renderNftFromTables, type NftRuleset } from './render.js';

const set: IpSet = { name: 'cali40s:web', type: 'hash:net', family: 4, members: ['10.0.0.1', '10.1.0.0/16'] };
const hooks: Insertion[] = [{ chain: 'INPUT', rules: [{ match: [], action: { kind: 'jump', chain: 'cali-INPUT' } }] }];
const chains = (port: number): Chain[] => [
  {
    name: 'cali-INPUT',
    rules: [
      { match: [{ kind: 'srcIpSet', set: 'cali40s:web' }, { kind: 'protocol', protocol: 'tcp' }, { kind: 'dstPorts', ports: [{ first: port, last: port }] }], action: { kind: 'accept' } },
      { match: [{ kind: 'inInterface', name: 'cali1' }], action: { kind: 'goto', chain: 'cali-a' } },
      { match: [{ kind: 'inInterface', name: 'cali2' }], action: { kind: 'goto', chain: 'cali-a' } },
    ],
  },
  { name: 'cali-a', rules: [{ match: [], action: { kind: 'drop' } }] },
];
const ruleset = (port: number, sets: IpSet[] = [set]): NftRuleset => renderNftFromTables([{ table: 'filter', chains: chains(port), hooks }], sets);

function setup(): { nft: FakeNft; applier: NftApplier; clock: FakeClock } {
  const nft = new FakeNft();
  nft.addForeignTable('ip', 'filter', { INPUT: ['tcp dport 5353 accept'] });
  const clock = new FakeClock();
  return { nft, clock, applier: new NftApplier({ runner: nft, clock }) };
}

const foreign = (nft: FakeNft): unknown => nft.tables.get('ip filter');
const writes = (nft: FakeNft): string[] => nft.commands.filter((c) => c.argv[1] === '-f').map((c) => c.stdin ?? '');

test('nft applier: one transaction programs the table; unchanged → no command; a change → one transaction', async () => {
  const { nft, applier } = setup();
  const before = JSON.stringify(foreign(nft));
  applier.setRuleset(ruleset(80));
  const first = await applier.apply();
  assert.deepEqual({ changed: first.changed, attempts: first.attempts, reason: first.reason }, { changed: true, attempts: 1, reason: 'missing' });
  const t = nft.tables.get('ip tabby');
  assert.ok(t);
  assert.deepEqual([...t.chains.keys()].sort(), ['filter-INPUT', 'filter-cali-INPUT', 'filter-cali-a']);
  assert.deepEqual(t.chains.get('filter-cali-INPUT')?.rules, [
    'ip saddr @cali40s-web meta l4proto tcp th dport { 80 } accept',
    'iifname vmap { "cali1" : goto filter-cali-a, "cali2" : goto filter-cali-a }',
  ]);
  assert.deepEqual(t.sets.get('cali40s-web'), { header: ['type ipv4_addr', 'flags interval'], elements: ['10.0.0.1', '10.1.0.0/16'] });
  assert.equal(first.full, true);
  assert.equal(JSON.stringify(foreign(nft)), before, 'the foreign table is untouched');

  const n = nft.commands.length;
  assert.equal((await applier.apply()).changed, false);
  assert.equal(nft.commands.length, n, 'nothing runs when nothing changed');

  applier.setRuleset(ruleset(443, []));
  assert.throws(() => applier.setRuleset(renderNftFromTables([], [], 'other')), /applier owns ip tabby/);
  // The new ruleset still references the set it dropped: the (fake) kernel rejects it whole.
  await assert.rejects(applier.apply(), NftApplyError);
  assert.match(nft.tables.get('ip tabby')?.chains.get('filter-cali-INPUT')?.rules[0] ?? '', /dport \{ 80 \}/, 'old table intact');
  applier.setRuleset(ruleset(443));
  const r = await applier.apply();
  assert.equal(r.changed, true);
  assert.match(nft.tables.get('ip tabby')?.chains.get('filter-cali-INPUT')?.rules[0] ?? '', /dport \{ 443 \}/);
  for (const w of writes(nft)) for (const m of w.matchAll(/^(?:delete )?table (\S+ \S+)/gm)) assert.equal(m[1], 'ip tabby', 'scripts name our table only');
  for (const c of nft.commands.filter((x) => x.argv[1] === '-j')) assert.match(c.argv.slice(2).join(' '), /^list (table ip tabby|(chain|set) ip tabby \S+)$/);
  assert.equal(JSON.stringify(foreign(nft)), before);
});

test('nft applier: changes are incremental — one chain flushed and refilled, set elements added and removed, chains and sets deleted last', async () => {
  const { nft, applier } = setup();
  applier.setRuleset(ruleset(80));
  await applier.apply();
  const extra: Chain = { name: 'cali-b', rules: [{ match: [{ kind: 'srcIpSet', set: 'cali40s:new' }], action: { kind: 'return' } }] };
  const newSet: IpSet = { name: 'cali40s:new', type: 'hash:net', family: 4, members: ['10.9.0.0/16'] };
  const withB = (port: number): NftRuleset =>
    renderNftFromTables(
      [{ table: 'filter', chains: [...chains(port).map((c) => (c.name === 'cali-a' ? { ...c, rules: [{ match: [], action: { kind: 'jump', chain: 'cali-b' } } as const, ...c.rules] } : c)), extra], hooks }],
      [{ ...set, members: ['10.0.0.1', '10.2.0.0/16'] }, newSet],
    );
  applier.setRuleset(withB(80));
  const r = await applier.apply();
  assert.deepEqual({ changed: r.changed, full: r.full }, { changed: true, full: false });
  assert.deepEqual(applier.lastPlan?.chains, ['filter-cali-a', 'filter-cali-b']);
  assert.deepEqual(applier.lastPlan?.sets, ['cali40s-new', 'cali40s-web']);
  const script = writes(nft).at(-1) ?? '';
  assert.doesNotMatch(script, /cali-INPUT|^table|delete table/m, 'unchanged chains are not rewritten, the table is not replaced');
  assert.match(script, /^delete element ip tabby cali40s-web \{ 10\.1\.0\.0\/16 \}$/m);
  assert.match(script, /^add element ip tabby cali40s-web \{ 10\.2\.0\.0\/16 \}$/m);
  assert.deepEqual(nft.tables.get('ip tabby')?.chains.get('filter-cali-a')?.rules, ['jump filter-cali-b', 'drop']);
  assert.equal((await applier.refresh()).changed, false, 'the patched fingerprint matches a full read-back');

  // Back again: cali-b and the new set are deleted, after the chain that used them is rewritten.
  applier.setRuleset(ruleset(80));
  const back = await applier.apply();
  assert.equal(back.full, false);
  assert.deepEqual(applier.lastPlan?.deletedChains, ['filter-cali-b']);
  assert.deepEqual(applier.lastPlan?.deletedSets, ['cali40s-new']);
  const s2 = writes(nft).at(-1) ?? '';
  assert.ok(s2.indexOf('flush chain ip tabby filter-cali-a') < s2.indexOf('delete chain ip tabby filter-cali-b'));
  assert.ok(s2.indexOf('delete chain ip tabby filter-cali-b') < s2.indexOf('delete set ip tabby cali40s-new'));
  assert.equal(nft.tables.get('ip tabby')?.chains.has('filter-cali-b'), false);
  assert.equal((await applier.refresh()).changed, false);
  // Drift after incremental writes is still found.
  nft.tamper('ip', 'tabby', (t) => t.chains.get('filter-cali-INPUT')?.rules.push('accept'));
  assert.equal((await applier.refresh()).reason, 'drift');
});

test('nft applier: refresh finds drift (a rule deleted, an element added, the table deleted) and repairs it', async () => {
  const { nft, applier } = setup();
  applier.setRuleset(ruleset(80));
  await applier.apply();
  const clean = (await applier.refresh()).changed;
  assert.equal(clean, false, 'no drift right after programming');

  nft.tamper('ip', 'tabby', (t) => t.chains.get('filter-cali-a')?.rules.splice(0, 1));
  const r1 = await applier.refresh();
  assert.deepEqual({ changed: r1.changed, reason: r1.reason }, { changed: true, reason: 'drift' });
  assert.deepEqual(nft.tables.get('ip tabby')?.chains.get('filter-cali-a')?.rules, ['drop']);

  nft.tamper('ip', 'tabby', (t) => t.sets.get('cali40s-web')?.elements.push('6.6.6.6'));
  assert.equal((await applier.refresh()).reason, 'drift');
  assert.deepEqual(nft.tables.get('ip tabby')?.sets.get('cali40s-web')?.elements, ['10.0.0.1', '10.1.0.0/16']);

  nft.tables.delete('ip tabby');
  assert.equal((await applier.refresh()).reason, 'missing');
  assert.ok(nft.tables.has('ip tabby'));
  assert.equal(applier.stats.repairs, 3);
});

test('nft applier: a failed transaction is retried after a read; persistent failure throws and keeps the old table', async () => {
  const { nft, applier, clock } = setup();
  applier.setRuleset(ruleset(80));
  nft.failNext();
  const r = await applier.apply();
  assert.equal(r.attempts, 2);
  assert.ok(clock.now() >= 50, 'backed off');

  // A failed incremental transaction is retried as a full replacement.
  applier.setRuleset(ruleset(81));
  nft.failNext();
  const retried = await applier.apply();
  assert.deepEqual({ attempts: retried.attempts, full: retried.full }, { attempts: 2, full: true });
  assert.doesNotMatch(writes(nft).at(-2) ?? '', /delete table/, 'the first try was incremental');
  applier.setRuleset(ruleset(80));
  assert.equal((await applier.apply()).full, false, 'and the next change is incremental again');

  const stuck = new NftApplier({ runner: { run: (c) => (c.argv[1] === '-f' ? Promise.resolve({ code: 1, stdout: '', stderr: 'Error: busy' }) : nft.run(c)) }, clock, maxAttempts: 3 });
  stuck.setRuleset(ruleset(22));
  await assert.rejects(stuck.apply(), (e: unknown) => e instanceof NftApplyError && e.attempts === 3 && /busy/.test(e.message));
  assert.match(nft.tables.get('ip tabby')?.chains.get('filter-cali-INPUT')?.rules[0] ?? '', /dport \{ 80 \}/);
});

test('nft applier: fail closed first, then the first apply replaces it in one transaction', async () => {
  const { nft, applier } = setup();
  await applier.failClosed();
  const fc = nft.tables.get('ip tabby');
  assert.ok(fc !== undefined && fc.chains.has('filter-cali-fail-closed-in'));
  assert.ok(fc.chains.get('filter-cali-fail-closed-fw')?.rules.some((r) => r.startsWith('drop')));
  assert.deepEqual(fc.chains.get('filter-FORWARD')?.rules, ['jump filter-cali-fail-closed-fw']);
  assert.ok(fc.chains.get('filter-cali-fail-closed-in')?.rules.includes('meta l4proto tcp th dport { 22 } accept comment "failsafe"'));
  applier.setRuleset(ruleset(80));
  const r = await applier.apply();
  assert.equal(r.changed, true);
  assert.equal(nft.tables.get('ip tabby')?.chains.has('filter-cali-fail-closed-in'), false);
  assert.equal(writes(nft).length, 2);
});

test('nft driver: fail closed, then each apply is one transaction of the whole rendered dataplane; verify names and repairs drift', async () => {
  const nft = new FakeNft();
  const driver = new NftDriver({ runner: nft, clock: new FakeClock() });
  await driver.failClosed(failClosedRules());
  assert.deepEqual(await driver.verify(), { repaired: false, found: [], read: false }, 'no verify before the first apply');
  const rendered = (port: number) => ({
    family: 4 as const,
    raw: { table: 'raw' as const, chains: [], hooks: [] },
    mangle: { table: 'mangle' as const, chains: [], hooks: [] },
    filter: { table: 'filter' as const, chains: chains(port), hooks },
    ipSets: [set],
  });
  assert.equal((await driver.apply(rendered(80))).changed, true);
  assert.equal(writes(nft).length, 2, 'fail closed, then one transaction');
  assert.equal(nft.tables.get('ip tabby')?.chains.has('filter-cali-fail-closed-in'), false);
  assert.equal((await driver.apply(rendered(80))).changed, false, 'unchanged: nothing written');
  assert.equal((await driver.verify()).repaired, false);
  nft.tamper('ip', 'tabby', (t) => t.chains.get('filter-cali-a')!.rules.splice(0));
  const r = await driver.verify();
  assert.deepEqual(r, { repaired: true, found: ['chain filter-cali-a changed'], read: true });
  assert.deepEqual(nft.tables.get('ip tabby')?.chains.get('filter-cali-a')?.rules, ['drop']);
  assert.ok(nft.commands.every((c) => c.argv[0] === 'nft'), 'iptables and ipset never run');
});
