/**
 * @module Selector benchmarks (single-threaded; each figure is the best of a few timed rounds
 * after a warm-up round, since a shared machine only ever makes a round slower):
 * - the three-term selector against 8 label sets of different shapes, which makes V8's
 *   property-load caches megamorphic, as they are in a real engine with many endpoints
 *   (the headline figure, goal >= 20 M/s);
 * - the same selector against a single label shape (monomorphic, best case), measured first
 *   because V8's inline caches are shared by every selector and only ever widen;
 * - 100 distinct selectors round-robin over the same 8 label sets;
 * - parse + compile of distinct selector texts (so the parse cache never hits).
 */
import { cpuNow } from './cpu-clock.js';
import { parseSelector, type Selector } from '../src/selector/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const MATCH_ITERATIONS = 10_000_000;
const MIXED_ITERATIONS = 5_000_000;
const PARSE_ITERATIONS = 200_000;
const ROUNDS = 5;

// A few label sets of different shapes: matching, failing at each term, extra labels.
const LABEL_SETS: readonly Readonly<Record<string, string>>[] = [
  { a: 'x', b: 'p', c: '' },
  { a: 'x', b: 'q', c: 'yes', d: 'extra' },
  { a: 'y', b: 'p', c: '1' },
  { a: 'x', b: 'r', c: '1' },
  { a: 'x', b: 'q' },
  { app: 'web', a: 'x', b: 'p', c: 'z', 'projectcalico.org/namespace': 'default' },
  {},
  { b: 'p', c: '' },
];

function _best(round: () => number): number {
  round(); // warm-up: lets V8 optimise before we time
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) best = Math.min(best, round());
  return best;
}

/** Keeps results observable so the JIT cannot drop the work. */
let _sink = 0;

function _timeMatches(selectors: readonly Selector[], iterations: number, sets: readonly Readonly<Record<string, string>>[]): number {
  const setMask = sets.length - 1; // length is a power of two
  const selCount = selectors.length;
  return _best(() => {
    let hits = 0;
    const t0 = cpuNow();
    for (let i = 0; i < iterations; i++) {
      const sel = selectors[i % selCount] as Selector;
      if (sel.matches(sets[i & setMask] as Readonly<Record<string, string>>)) hits++;
    }
    const ms = cpuNow() - t0;
    _sink += hits;
    return ms;
  });
}

export async function run(): Promise<BenchResult[]> {
  const three = parseSelector(`a == "x" && b in {"p","q"} && has(c)`);
  const monoMs = _timeMatches([three], MATCH_ITERATIONS, LABEL_SETS.slice(0, 1));
  const matchMs = _timeMatches([three], MATCH_ITERATIONS, LABEL_SETS);

  const mixed: Selector[] = [];
  for (let i = 0; i < 100; i++) {
    const templates = [
      `a == "x" && b in {"p","q"} && has(c)`,
      `app == "web${i}" || has(c)`,
      `!has(d) && b != "r${i}"`,
      `a in {"x", "y", "z${i}", "w", "v"} && c starts with "${i % 3}"`,
      `projectcalico.org/namespace == "default" && (app == "web" || b not in {"p", "${i}"})`,
    ];
    mixed.push(parseSelector(templates[i % templates.length] as string));
  }
  const mixedMs = _timeMatches(mixed, MIXED_ITERATIONS, LABEL_SETS);

  let parseRound = 0;
  const parseMs = _best(() => {
    // Distinct texts every round, so the parse cache never hits.
    const tag = `r${parseRound++}`;
    const t0 = cpuNow();
    for (let i = 0; i < PARSE_ITERATIONS; i++) {
      const s = parseSelector(`a == "${tag}-${i}" && b in {"p","q"} && has(c)`);
      _sink += s.ast.kind.length;
    }
    return cpuNow() - t0;
  });

  if (_sink === -1) console.log(_sink);
  await Promise.resolve();
  return [
    {
      name: 'selector matches, a == "x" && b in {"p","q"} && has(c), 8 label shapes (1 core)',
      value: Math.round((MATCH_ITERATIONS / matchMs) * 1000),
      unit: 'matches/s',
      goal: '>= 20000000',
    },
    {
      name: 'selector matches, same selector, 1 label shape (1 core, best case)',
      value: Math.round((MATCH_ITERATIONS / monoMs) * 1000),
      unit: 'matches/s',
      goal: 'informational',
    },
    {
      name: 'selector matches, 100 distinct selectors round-robin (1 core)',
      value: Math.round((MIXED_ITERATIONS / mixedMs) * 1000),
      unit: 'matches/s',
      goal: 'informational',
    },
    {
      name: 'selector parse + compile, distinct texts (1 core)',
      value: Math.round((PARSE_ITERATIONS / parseMs) * 1000),
      unit: 'parses/s',
      goal: 'informational',
    },
  ];
}
