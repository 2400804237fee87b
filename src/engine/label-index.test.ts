import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LabelIndex } from './label-index.js';
import { parseSelector } from '../selector/index.js';

type Update = { kind: 'ep'; id: string; labels: Record<string, string> | undefined } | { kind: 'sel'; id: string; text: string | undefined };

const arbLabels = fc.dictionary(fc.constantFrom('app', 'tier', 'env'), fc.constantFrom('a', 'b', 'c'), { maxKeys: 3 });
const arbSelector = fc.constantFrom('all()', 'app == "a"', 'has(tier)', 'env in {"a", "b"}', '!has(app)', 'app == "b" && tier != "c"', 'app == "c" || env == "c"');
const arbUpdate: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('ep' as const), id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5'), labels: fc.option(arbLabels, { nil: undefined }) }),
  fc.record({ kind: fc.constant('sel' as const), id: fc.constantFrom('s1', 's2', 's3', 's4'), text: fc.option(arbSelector, { nil: undefined }) }),
);

function apply(idx: LabelIndex, updates: readonly Update[]): void {
  for (const u of updates) {
    if (u.kind === 'ep') idx.updateEndpoint(u.id, u.labels);
    else idx.updateSelector(u.id, u.text);
  }
}

/** The final value per id (last write wins), as a list of updates in canonical order. */
function finalState(updates: readonly Update[]): Update[] {
  const m = new Map<string, Update>();
  for (const u of updates) m.set(`${u.kind}:${u.id}`, u);
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
}

test('incremental updates give the same matches as recomputing from scratch', () => {
  fc.assert(
    fc.property(fc.array(arbUpdate, { maxLength: 40 }), (updates) => {
      const inc = new LabelIndex();
      apply(inc, updates);
      const scratch = new LabelIndex();
      apply(scratch, finalState(updates));
      assert.deepEqual(inc.snapshot(), scratch.snapshot());
    }),
  );
});

test('the same set of updates in any order gives the same matches', () => {
  fc.assert(
    fc.property(
      fc.array(arbUpdate, { maxLength: 30 }).chain((us) => {
        const distinct = finalState(us);
        return fc.tuple(fc.constant(distinct), fc.shuffledSubarray(distinct, { minLength: distinct.length, maxLength: distinct.length }));
      }),
      ([a, b]) => {
        const x = new LabelIndex();
        apply(x, a);
        const y = new LabelIndex();
        apply(y, b);
        assert.deepEqual(x.snapshot(), y.snapshot());
      },
    ),
  );
});

test('listeners hear each match start and stop once', () => {
  const events: string[] = [];
  const idx = new LabelIndex({ onMatchStarted: (s, e) => events.push(`+${s}/${e}`), onMatchStopped: (s, e) => events.push(`-${s}/${e}`) });
  idx.updateSelector('web', 'app == "web"');
  idx.updateEndpoint('p1', { app: 'web' });
  idx.updateEndpoint('p1', { app: 'web', x: 'y' });
  idx.updateEndpoint('p1', { app: 'db' });
  idx.updateEndpoint('p2', { app: 'web' });
  idx.updateSelector('web', undefined);
  assert.deepEqual(events, ['+web/p1', '-web/p1', '+web/p2', '-web/p2']);
  assert.deepEqual([...idx.selectorsMatching('p2')], []);
});

const arbRichSelector = fc.constantFrom(
  'all()',
  'app == "a"',
  'app in {"a", "b"} && has(env)',
  '!(app != "b")',
  'app == "a" || app == "c" && tier == "b"',
  'has(tier) && !has(env)',
  'app not in {"a"}',
  'app == "a" && app == "b"',
  'tier contains "b" || env starts with "c"',
  '!(app == "a" || !has(env))',
);
const arbRichUpdate: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('ep' as const), id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6'), labels: fc.option(arbLabels, { nil: undefined }) }),
  fc.record({ kind: fc.constant('sel' as const), id: fc.constantFrom('s1', 's2', 's3', 's4', 's5'), text: fc.option(arbRichSelector, { nil: undefined }) }),
);

test('the restriction index gives the same matches as testing every selector (brute force)', () => {
  fc.assert(
    fc.property(fc.array(arbRichUpdate, { maxLength: 60 }), (updates) => {
      const idx = new LabelIndex();
      apply(idx, updates);
      const eps = new Map<string, Record<string, string>>();
      const sels = new Map<string, string>();
      for (const u of updates) {
        if (u.kind === 'ep') {
          if (u.labels === undefined) eps.delete(u.id);
          else eps.set(u.id, u.labels);
        } else if (u.text === undefined) sels.delete(u.id);
        else sels.set(u.id, u.text);
      }
      const want: [string, string[]][] = [];
      for (const [s, text] of [...sels].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        const sel = parseSelector(text);
        const hits = [...eps].filter(([, l]) => sel.matches(l)).map(([e]) => e).sort();
        if (hits.length > 0) want.push([s, hits]);
      }
      assert.deepEqual(idx.snapshot(), want);
    }),
    { numRuns: 500 },
  );
});
