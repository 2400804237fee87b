import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../model.js';
import { renderRules, type RenderedChain } from './format.js';
import type { ChainState, TableState } from './parse-save.js';
import { planRestore, type DesiredTable } from './plan.js';

const acc: Rule = { match: [], action: { kind: 'accept' } };
const drop: Rule = { match: [], action: { kind: 'drop' } };
const jump = (chain: string): Rule => ({ match: [], action: { kind: 'jump', chain } });

const A = renderRules('cali-a', [acc, drop]);
const B = renderRules('cali-b', [drop]);
const B2 = renderRules('cali-b', [acc]);
const HOOK = renderRules('INPUT', [jump('cali-a')]);
const hashes = (c: RenderedChain): string[] => c.rules.map((r) => r.hash);

function state(chains: Record<string, ChainState>): TableState {
  return { chains: new Map(Object.entries(chains)) };
}
const builtin = (rules: (string | null)[] = []): ChainState => ({ builtin: true, rules });
const user = (rules: (string | null)[]): ChainState => ({ builtin: false, rules });
const base = (extra: Record<string, ChainState> = {}, input: (string | null)[] = []): TableState =>
  state({ INPUT: builtin(input), FORWARD: builtin(), OUTPUT: builtin(), ...extra });

interface Case {
  name: string;
  desired: DesiredTable;
  actual: TableState;
  created?: string[];
  rewritten?: string[];
  deleted?: string[];
  hooks?: string[];
  /** Lines between `*filter` and `COMMIT`; undefined when the script must be empty. */
  lines?: (string | RegExp)[];
}

const line = (prefix: string): RegExp => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

const cases: Case[] = [
  {
    name: 'everything in place: empty script',
    desired: { chains: [A, B], hooks: [HOOK] },
    actual: base({ 'cali-a': user(hashes(A)), 'cali-b': user(hashes(B)) }, [...hashes(HOOK), null]),
  },
  {
    name: 'fresh table: create chains, then insert hook',
    desired: { chains: [A, B], hooks: [HOOK] },
    actual: base(),
    created: ['cali-a', 'cali-b'],
    hooks: ['INPUT'],
    lines: [':cali-a - [0:0]', ':cali-b - [0:0]', line('-A cali-a '), line('-A cali-a '), line('-A cali-b '), line('-I INPUT 1 ')],
  },
  {
    name: 'one changed chain: only it is declared and rewritten',
    desired: { chains: [A, B2], hooks: [HOOK] },
    actual: base({ 'cali-a': user(hashes(A)), 'cali-b': user(hashes(B)) }, hashes(HOOK)),
    rewritten: ['cali-b'],
    lines: [':cali-b - [0:0]', `-A cali-b -m comment --comment "cali:${B2.rules[0]!.hash}" -j ACCEPT`],
  },
  {
    name: 'drift: a foreign rule added to our chain forces a rewrite',
    desired: { chains: [A], hooks: [] },
    actual: base({ 'cali-a': user([...hashes(A), null]) }),
    rewritten: ['cali-a'],
    lines: [':cali-a - [0:0]', line('-A cali-a '), line('-A cali-a ')],
  },
  {
    name: 'drift: a deleted rule forces a rewrite',
    desired: { chains: [A], hooks: [] },
    actual: base({ 'cali-a': user(hashes(A).slice(1)) }),
    rewritten: ['cali-a'],
    lines: [':cali-a - [0:0]', line('-A cali-a '), line('-A cali-a ')],
  },
  {
    name: 'stale cali chains are flushed first and deleted last; foreign chains untouched',
    desired: { chains: [A], hooks: [] },
    actual: base({ 'cali-a': user(hashes(A)), 'cali-old': user(['x', 'y']), 'cali-older': user([]), DOCKER: user([null]) }),
    deleted: ['cali-old', 'cali-older'],
    lines: [':cali-old - [0:0]', ':cali-older - [0:0]', '-X cali-old', '-X cali-older'],
  },
  {
    name: 'stale hook is deleted by number (descending), desired inserted at the top; foreign rules stay',
    desired: { chains: [A], hooks: [HOOK] },
    actual: base({ 'cali-a': user(hashes(A)) }, [null, 'oldhook1', null, 'oldhook2']),
    hooks: ['INPUT'],
    lines: ['-D INPUT 4', '-D INPUT 2', line(`-I INPUT 1 -m comment --comment "cali:${HOOK.rules[0]!.hash}" -j cali-a`)],
  },
  {
    name: 'our hook below a foreign rule is moved back to the top',
    desired: { chains: [A], hooks: [HOOK] },
    actual: base({ 'cali-a': user(hashes(A)) }, [null, ...hashes(HOOK)]),
    hooks: ['INPUT'],
    lines: ['-D INPUT 2', line('-I INPUT 1 ')],
  },
  {
    name: 'hooks no longer wanted are removed, in every built-in chain',
    desired: { chains: [], hooks: [] },
    actual: base({ 'cali-a': user(hashes(A)) }, ['h1', null]),
    deleted: ['cali-a'],
    hooks: ['INPUT'],
    lines: [':cali-a - [0:0]', '-D INPUT 1', '-X cali-a'],
  },
  {
    name: 'hook into a built-in chain the table does not show yet (fresh nft table)',
    desired: { chains: [A], hooks: [renderRules('FORWARD', [jump('cali-a')])] },
    actual: state({ 'cali-a': user(hashes(A)) }),
    hooks: ['FORWARD'],
    lines: [line('-I FORWARD 1 ')],
  },
];

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    const p = planRestore('filter', c.desired, c.actual);
    assert.deepEqual(p.created, c.created ?? []);
    assert.deepEqual(p.rewritten, c.rewritten ?? []);
    assert.deepEqual(p.deleted, c.deleted ?? []);
    assert.deepEqual(p.hooksRewritten, c.hooks ?? []);
    if (c.lines === undefined) {
      assert.equal(p.script, '');
      return;
    }
    const lines = p.script.split('\n');
    assert.equal(lines[0], '*filter');
    assert.deepEqual(lines.slice(-2), ['COMMIT', '']);
    const body = lines.slice(1, -2);
    assert.equal(body.length, c.lines.length, p.script);
    c.lines.forEach((want, i) => (typeof want === 'string' ? assert.equal(body[i], want) : assert.match(body[i]!, want)));
    // Planning again against the predicted state finds nothing left to do.
    assert.equal(planRestore('filter', c.desired, p.after).script, '');
  });
}

test('plan: foreign rules keep their positions relative to each other in the predicted state', () => {
  const p = planRestore('filter', { chains: [A], hooks: [HOOK] }, base({ 'cali-a': user(hashes(A)) }, [null, 'old', null]));
  assert.deepEqual(p.after.chains.get('INPUT'), { builtin: true, rules: [...hashes(HOOK), null, null] });
});

test('plan: sweep can be turned off (fail-closed keeps existing chains)', () => {
  const p = planRestore('filter', { chains: [A], hooks: [] }, base({ 'cali-old': user(['x']) }), { sweep: false });
  assert.deepEqual(p.deleted, []);
  assert.deepEqual(p.created, ['cali-a']);
});

test('plan: owned prefixes are configurable and enforced', () => {
  assert.throws(() => planRestore('filter', { chains: [renderRules('KUBE-X', [acc])], hooks: [] }, base()), /owned prefix/);
  const p = planRestore('filter', { chains: [renderRules('KUBE-X', [acc])], hooks: [] }, base({ 'cali-a': user([]) }), {
    ownedPrefixes: ['KUBE-'],
  });
  assert.deepEqual(p.created, ['KUBE-X']);
  assert.deepEqual(p.deleted, [], 'cali- chains are foreign under another prefix');
});

test('plan: duplicate desired chains are a programming error', () => {
  assert.throws(() => planRestore('filter', { chains: [A, A], hooks: [] }, base()), /twice/);
});

test('plan: candidates limit the comparison to chains known to have changed', () => {
  const actual = base({ 'cali-a': user(['stale']), 'cali-b': user(hashes(B)), 'cali-gone': user([]) });
  const p = planRestore('filter', { chains: [A, B2], hooks: [] }, actual, { candidates: new Set(['cali-b']) });
  assert.deepEqual(p.rewritten, ['cali-b'], 'cali-a is trusted to be in sync');
  assert.deepEqual(p.deleted, ['cali-gone'], 'the sweep still considers every chain');
  const q = planRestore('filter', { chains: [renderRules('cali-new', [acc])], hooks: [] }, base(), { candidates: new Set() });
  assert.deepEqual(q.created, ['cali-new'], 'a chain missing from the state is always created');
});
