import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, FakeIptables } from '../../../test/fakes/index.js';
import type { Chain, Insertion, Rule } from '../model.js';
import { parseSaveTable } from './parse-save.js';
import { IptablesApplyError, IptablesTable } from './table.js';
import { FAIL_CLOSED_FORWARD_CHAIN, FAIL_CLOSED_INPUT_CHAIN } from '../render/fail-closed.js';

const rule = (n: number): Rule => ({ match: [{ kind: 'dstPorts', ports: [{ first: n, last: n }] }], action: { kind: 'accept' } });
const chain = (name: string, ...ports: number[]): Chain => ({
  name,
  rules: [{ match: [{ kind: 'protocol', protocol: 'tcp' }], action: { kind: 'return' } }, ...ports.map(rule)],
});
const hooks: Insertion[] = [{ chain: 'INPUT', rules: [{ match: [], action: { kind: 'jump', chain: 'cali-INPUT' } }] }];
const desired = (): Chain[] => [
  { name: 'cali-INPUT', rules: [{ match: [], action: { kind: 'jump', chain: 'cali-a' } }, { match: [], action: { kind: 'jump', chain: 'cali-b' } }] },
  chain('cali-a', 80, 443),
  chain('cali-b', 53),
  chain('cali-c', 22),
];

function setup(opts: { fake?: FakeIptables } = {}): { fake: FakeIptables; clock: FakeClock; table: IptablesTable } {
  const fake = opts.fake ?? new FakeIptables();
  const clock = new FakeClock();
  const table = new IptablesTable({ table: 'filter', runner: fake, clock });
  table.setChains(desired());
  table.setHooks(hooks);
  return { fake, clock, table };
}

/** Chains (other than built-ins) named in a restore script's declarations and appends. */
function touched(script: string): string[] {
  const out = new Set<string>();
  for (const l of script.split('\n')) {
    const m = /^(?::(\S+)|-[AX] (\S+))/.exec(l);
    const name = m?.[1] ?? m?.[2];
    if (name !== undefined) out.add(name);
  }
  return [...out].sort();
}

test('table: first apply creates chains and hooks in one restore', async () => {
  const { fake, table } = setup();
  fake.addForeignRule('filter', 'INPUT', '-p udp -j ACCEPT');
  const r = await table.apply();
  assert.equal(r.changed, true);
  assert.deepEqual([...r.created].sort(), ['cali-INPUT', 'cali-a', 'cali-b', 'cali-c']);
  assert.deepEqual(r.hooksRewritten, ['INPUT']);
  assert.equal(fake.restores.length, 1);
  assert.deepEqual(fake.restores[0]!.argv, ['iptables-restore', '--noflush', '--wait', '10']);
  assert.match(fake.rules('filter', 'INPUT')[0]!, /^-m comment --comment "cali:\S+" -j cali-INPUT$/);
  assert.equal(fake.rules('filter', 'INPUT')[1], '-p udp -j ACCEPT');
  assert.equal(fake.rules('filter', 'cali-a').length, 3);
  for (const r of fake.rules('filter', 'cali-a')) assert.match(r, /^-m comment --comment "cali:[A-Za-z0-9_-]{16}" /);
});

test('table: apply with nothing changed runs neither save nor restore', async () => {
  const { fake, table } = setup();
  await table.apply();
  const saves = fake.saveCount;
  const r = await table.apply();
  assert.equal(r.changed, false);
  assert.equal(fake.restores.length, 1);
  assert.equal(fake.saveCount, saves, 'the state from the last apply is trusted');
});

test('table: a one-chain change rewrites only that chain; other rules are untouched', async () => {
  const { fake, table } = setup();
  await table.apply();
  const idsA = fake.ruleIds('filter', 'cali-a');
  const idsInput = fake.ruleIds('filter', 'INPUT');
  table.updateChain(chain('cali-b', 53, 5353));
  const r = await table.apply();
  assert.deepEqual(r.rewritten, ['cali-b']);
  assert.equal(fake.restores.length, 2);
  assert.deepEqual(touched(fake.restores[1]!.stdin), ['cali-b']);
  assert.equal(fake.rules('filter', 'cali-b').length, 3);
  assert.deepEqual(fake.ruleIds('filter', 'cali-a'), idsA);
  assert.deepEqual(fake.ruleIds('filter', 'INPUT'), idsInput);
});

test('table: setChains with equal content (new objects) changes nothing', async () => {
  const { fake, table } = setup();
  await table.apply();
  table.setChains(desired());
  assert.equal((await table.apply()).changed, false);
  assert.equal(fake.restores.length, 1);
});

test('table: removed chains and stale cali- chains are swept; foreign chains and rules survive', async () => {
  const fake = new FakeIptables();
  fake.addStaleChain('filter', 'cali-stale', ['-m comment --comment "cali:oldoldoldoldold1" -j ACCEPT']);
  fake.addStaleChain('filter', 'cali-stale2', ['-j cali-stale']);
  fake.addStaleChain('filter', 'DOCKER', ['-d 172.17.0.2/32 -j ACCEPT']);
  fake.addForeignRule('filter', 'FORWARD', '-j DOCKER');
  const { table } = setup({ fake });
  const r = await table.apply();
  assert.deepEqual(r.deleted, ['cali-stale', 'cali-stale2']);
  assert.deepEqual(fake.chainNames('filter').sort(), ['DOCKER', 'FORWARD', 'INPUT', 'OUTPUT', 'cali-INPUT', 'cali-a', 'cali-b', 'cali-c']);
  assert.deepEqual(fake.rules('filter', 'DOCKER'), ['-d 172.17.0.2/32 -j ACCEPT']);
  assert.deepEqual(fake.rules('filter', 'FORWARD'), ['-j DOCKER']);

  table.removeChain('cali-c');
  const r2 = await table.apply();
  assert.deepEqual(r2.deleted, ['cali-c']);
  assert.equal(fake.chain('filter', 'cali-c'), undefined);
});

test('table: refresh repairs drift (a deleted rule, an added rule) and only in the drifted chains', async () => {
  const { fake, table } = setup();
  await table.apply();
  const want = fake.save('filter');
  fake.deleteRule('filter', 'cali-a', 2);
  fake.addForeignRule('filter', 'cali-b', '-j DROP', 1);
  const idsC = fake.ruleIds('filter', 'cali-c');
  assert.equal((await table.apply()).changed, false, 'apply alone trusts its cache');
  const r = await table.refresh();
  assert.deepEqual([...r.rewritten].sort(), ['cali-a', 'cali-b']);
  assert.equal(fake.save('filter'), want);
  assert.deepEqual(fake.ruleIds('filter', 'cali-c'), idsC);
});

test('table: refresh puts a deleted hook back at the top, leaving foreign rules alone', async () => {
  const { fake, table } = setup();
  fake.addForeignRule('filter', 'INPUT', '-p udp -j ACCEPT');
  await table.apply();
  fake.deleteRule('filter', 'INPUT', 1);
  fake.addForeignRule('filter', 'INPUT', '-p tcp -j ACCEPT', 1);
  const r = await table.refresh();
  assert.deepEqual(r.hooksRewritten, ['INPUT']);
  const input = fake.rules('filter', 'INPUT');
  assert.match(input[0]!, /-j cali-INPUT$/);
  assert.deepEqual(input.slice(1), ['-p tcp -j ACCEPT', '-p udp -j ACCEPT']);
});

test('table: refreshIntervalMs makes apply re-read when the last read is old', async () => {
  const fake = new FakeIptables();
  const clock = new FakeClock();
  const table = new IptablesTable({ table: 'filter', runner: fake, clock, refreshIntervalMs: 90_000 });
  table.setChains(desired());
  await table.apply();
  fake.deleteRule('filter', 'cali-a', 1);
  assert.equal((await table.apply()).changed, false);
  clock.advance(90_000);
  const r = await table.apply();
  assert.equal(r.readBack, true);
  assert.deepEqual(r.rewritten, ['cali-a']);
});

test('table: a failed restore is retried after a re-read and backoff', async () => {
  const { fake, clock, table } = setup();
  fake.failNextRestore(2);
  const r = await table.apply();
  assert.equal(r.changed, true);
  assert.equal(r.attempts, 3);
  assert.deepEqual(clock.sleeps, [50, 100]);
  assert.equal(fake.saveCount, 3, 'read before each attempt');
  assert.equal(fake.restores.length, 3);
  assert.equal(fake.chainNames('filter').includes('cali-a'), true);
});

test('table: a retry plans against the re-read state (someone changed the table meanwhile)', async () => {
  const { fake, table } = setup();
  await table.apply();
  table.updateChain(chain('cali-a', 8080));
  fake.failNextRestore(1);
  // While we back off, another program deletes one of our chains' rules.
  fake.deleteRule('filter', 'cali-c', 1);
  const r = await table.apply();
  assert.deepEqual([...r.rewritten].sort(), ['cali-a', 'cali-c']);
});

test('table: gives up after maxAttempts with an IptablesApplyError', async () => {
  const fake = new FakeIptables();
  const table = new IptablesTable({ table: 'filter', runner: fake, clock: new FakeClock(), maxAttempts: 3 });
  table.setChains(desired());
  fake.failNextRestore(10, 'iptables-restore: line 3 failed');
  await assert.rejects(table.apply(), (e: unknown) => e instanceof IptablesApplyError && e.attempts === 3 && /line 3 failed/.test(e.message));
  // The table stays consistent: a later apply (after the fault clears) succeeds.
  fake.failNextRestore(0);
  assert.equal((await table.apply()).changed, true);
});

test('table: save failures are retried too', async () => {
  const { fake, table } = setup();
  fake.failNextSave(2);
  const r = await table.apply();
  assert.equal(r.changed, true);
  assert.equal(r.attempts, 1);
});

test('table: a foreign rule jumping to a chain we no longer want makes the restore fail, without partial effects', async () => {
  const { fake, table } = setup();
  await table.apply();
  fake.addForeignRule('filter', 'FORWARD', '-j cali-c');
  table.removeChain('cali-c');
  table.updateChain(chain('cali-a', 1));
  const before = fake.save('filter');
  await assert.rejects(table.apply(), IptablesApplyError);
  assert.equal(fake.save('filter'), before);
});

test('table: changed hooks force a fresh read (rule numbers must be current)', async () => {
  const { fake, table } = setup();
  await table.apply();
  fake.addForeignRule('filter', 'INPUT', '-p icmp -j ACCEPT', 1);
  table.setHooks([{ chain: 'INPUT', rules: [{ match: [{ kind: 'inInterface', name: 'cali+' }], action: { kind: 'jump', chain: 'cali-INPUT' } }] }]);
  const r = await table.apply();
  assert.equal(r.readBack, true);
  const input = fake.rules('filter', 'INPUT');
  assert.equal(input.length, 2);
  assert.match(input[0]!, /-i cali\+ -j cali-INPUT$/);
  assert.equal(input[1], '-p icmp -j ACCEPT');
});

test('table: failClosed drops all but established/failsafe until the first apply, which removes it atomically', async () => {
  const fake = new FakeIptables();
  fake.addStaleChain('filter', 'cali-a', ['-m comment --comment "cali:fromLastRun00001" -j ACCEPT']);
  fake.addForeignRule('filter', 'INPUT', '-p udp -j ACCEPT');
  const table = new IptablesTable({ table: 'filter', runner: fake, clock: new FakeClock() });
  await table.failClosed();
  assert.match(fake.rules('filter', 'INPUT')[0]!, new RegExp(`-j ${FAIL_CLOSED_INPUT_CHAIN}$`));
  assert.equal(fake.rules('filter', 'INPUT')[1], '-p udp -j ACCEPT');
  assert.match(fake.rules('filter', 'FORWARD')[0]!, new RegExp(`-j ${FAIL_CLOSED_FORWARD_CHAIN}$`));
  const fw = fake.rules('filter', FAIL_CLOSED_FORWARD_CHAIN);
  assert.match(fw[0]!, /--ctstate RELATED,ESTABLISHED -j ACCEPT$/);
  assert.match(fw[1]!, /-j DROP$/);
  assert.ok(fake.rules('filter', FAIL_CLOSED_INPUT_CHAIN).some((r) => /-p tcp -m multiport --dports 22 -j ACCEPT$/.test(r)));
  assert.deepEqual(fake.rules('filter', 'cali-a'), ['-m comment --comment "cali:fromLastRun00001" -j ACCEPT'], 'kept');

  table.setChains(desired());
  table.setHooks(hooks);
  const r = await table.apply();
  assert.equal(fake.restores.length, 2, 'one restore replaces the fail-closed state');
  assert.deepEqual(r.deleted, [FAIL_CLOSED_FORWARD_CHAIN, FAIL_CLOSED_INPUT_CHAIN]);
  assert.deepEqual(r.hooksRewritten, ['FORWARD', 'INPUT']);
  assert.deepEqual(fake.rules('filter', 'FORWARD'), []);
  assert.match(fake.rules('filter', 'INPUT')[0]!, /-j cali-INPUT$/);
  await assert.rejects(new IptablesTable({ table: 'nat', runner: fake }).failClosed(), /filter table only/);
});

test('table: concurrent applies are serialised', async () => {
  const { fake, table } = setup();
  const [a, b] = await Promise.all([table.apply(), table.apply()]);
  assert.equal(a.changed, true);
  assert.equal(b.changed, false);
  assert.equal(fake.restores.length, 1);
});

test('table: family 6 and backends pick the right binaries; plan → restore → save round-trips', async () => {
  const fake = new FakeIptables();
  const t6 = new IptablesTable({ table: 'filter', runner: fake, family: 6, backend: 'legacy', clock: new FakeClock() });
  t6.setChains([chain('cali-a', 1)]);
  await t6.apply();
  assert.equal(fake.commands[0]!.argv[0], 'ip6tables-legacy-save');
  assert.equal(fake.restores[0]!.argv[0], 'ip6tables-legacy-restore');
  const state = parseSaveTable(fake.save('filter'), 'filter');
  assert.equal(state.chains.get('cali-a')?.rules.every((h) => h !== null), true);
  t6.invalidate();
  assert.equal((await t6.apply()).changed, false);
});

test('table: refuses chains it does not own', () => {
  const { table } = setup();
  assert.throws(() => table.updateChain({ name: 'DOCKER', rules: [] }), /owned prefix/);
});

test('table: a chain updated while an apply is in flight is applied by the next apply', async () => {
  const { fake, table } = setup();
  await table.apply();
  table.updateChain(chain('cali-a', 1));
  fake.beforeRestore = (): void => {
    fake.beforeRestore = undefined;
    table.updateChain(chain('cali-b', 2)); // arrives after this apply planned
  };
  const r1 = await table.apply();
  assert.deepEqual(r1.rewritten, ['cali-a']);
  const r2 = await table.apply();
  assert.deepEqual(r2.rewritten, ['cali-b']);
  assert.equal(r2.readBack, false);
});
