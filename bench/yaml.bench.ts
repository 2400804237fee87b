/**
 * @module YAML parsers compared, to decide whether Tabby keeps its own fast path
 * (src/manifest/fast-yaml.ts) next to the `yaml` library. Three figures per parser:
 *
 * 1. Raw parse of one GlobalNetworkPolicy with 10 rules (documents/s): our fast path, `js-yaml`
 *    4 (core schema, values only, no positions), and `yaml` (`parseAllDocuments` + `toJS`: the
 *    tree with ranges that located errors need).
 * 2. The user-visible paths: `parseManifests` of 2,000 GNPs (10 rules each) in one file (what `calicoctl apply
 *    -f` and `tabby validate` read before anything else), once as shipped (fast path, `yaml`
 *    only for documents that need located errors) and once through the located path alone
 *    (`yaml` for every document, as if fast-yaml.ts were deleted).
 * 3. `calicoctl apply -f` of the same 2,000 GNPs into the embedded datastore, in-process, as
 *    shipped; and the same apply with the parse replaced by the yaml-only figure (computed:
 *    apply − fast parse + yaml-only parse), to show what deleting the fast path would cost a user.
 *
 * CPU time (cpu-clock.ts) for the parsers; wall time for the apply. Best of a few rounds.
 *
 * Decision (2026-12-07, 2-core machine under heavy load, `npm run bench -- yaml`): fast-yaml.ts
 * 9,431 docs/s, js-yaml 5,040, yaml 422; parseManifests of 2,000 GNPs 465 ms as shipped against
 * 5,920 ms with `yaml` alone (12.7×), so deleting the fast path would add ~2.7 s of parsing per
 * 1,000 policies to `calicoctl apply -f` and `tabby validate` — a user-visible difference, so
 * fast-yaml.ts stays. js-yaml is not a replacement: it is ~1.9× slower than the fast path here,
 * and it gives no source positions, which every resource needs (`file:line:col` in calicoctl and
 * verdict errors), so the `yaml` tree would still be needed for them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { cpuNow } from './cpu-clock.js';
import { benchPolicy } from './validate.bench.js';
import { fastParseDocuments } from '../src/manifest/fast-yaml.js';
import { parseManifestsLocated, parseManifestsWith } from '../src/manifest/parse.js';
import { decodeResource } from '../src/model/validate-resource.js';
import { calicoctlMain } from '../src/cli/calicoctl/main.js';
import { fakeIo } from '../src/cli/testdata/fake-io.js';
import { openSqliteDatastore } from '../src/datastore/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

interface JsYaml {
  loadAll(text: string, iterator?: undefined, opts?: { schema?: unknown }): unknown[];
  CORE_SCHEMA: unknown;
}
/** js-yaml is not a dependency of ours (it comes with @kubernetes/client-node, a dev dependency). */
const jsYaml = createRequire(import.meta.url)('js-yaml') as JsYaml;

const ROUNDS = 3;
const N = 2_000;

function _best(round: (i: number) => number): number {
  round(0);
  let best = Infinity;
  for (let i = 1; i <= ROUNDS; i++) best = Math.min(best, round(i));
  return best;
}

const decode = (raw: unknown, path: Parameters<typeof decodeResource>[1]): ReturnType<typeof decodeResource> => decodeResource(raw, path);

export async function run(): Promise<BenchResult[]> {
  const one = stringify(benchPolicy('yaml', 1));
  const REPS = 2_000;
  const perSec = (fn: (text: string) => unknown): number => {
    const ms = _best(() => {
      const t0 = cpuNow();
      for (let i = 0; i < REPS; i++) if (fn(one) === undefined) throw new Error('parser declined the bench policy');
      return cpuNow() - t0;
    });
    return Math.round((REPS / ms) * 1000);
  };
  const fast = perSec((t) => {
    const d = fastParseDocuments(t);
    return d?.[0]?.ok === true ? d : undefined;
  });
  const js = perSec((t) => jsYaml.loadAll(t, undefined, { schema: jsYaml.CORE_SCHEMA }));
  const yamlLib = perSec((t) => parseAllDocuments(t, { uniqueKeys: true }).map((d) => d.toJS()));

  const text = Array.from({ length: N }, (_, i) => stringify(benchPolicy(`m${i % 7}`, i))).join('---\n');
  const parseMs = (fn: typeof parseManifestsWith): number =>
    _best(() => {
      const t0 = cpuNow();
      const r = fn(text, 'gnps.yaml', decode);
      const ms = cpuNow() - t0;
      if (r.resources.length !== N) throw new Error(`parse bench: ${r.errors[0]?.text ?? 'missing resources'}`);
      return ms;
    });
  const shippedMs = parseMs(parseManifestsWith);
  const locatedMs = parseMs(parseManifestsLocated);

  const dir = mkdtempSync(join(tmpdir(), 'tabby-yaml-bench-'));
  let applyMs: number;
  try {
    const ds = await openSqliteDatastore(join(dir, 'tabby.db'));
    try {
      const io = fakeIo({ 'gnps.yaml': text });
      const t0 = performance.now();
      const code = await calicoctlMain(['apply', '-f', 'gnps.yaml'], io, { openDatastore: async () => ds, closeDatastore: false });
      applyMs = performance.now() - t0;
      if (code !== 0) throw new Error(`apply failed: ${io.err().slice(0, 500)}`);
    } finally {
      await ds.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const applyYamlOnlyMs = applyMs - shippedMs + locatedMs;
  const rate = (ms: number): number => Math.round((N / ms) * 1000);

  return [
    { name: 'yaml parse, one GNP with 10 rules: fast-yaml.ts (1 core)', value: fast, unit: 'documents/s', goal: 'informational' },
    { name: 'yaml parse, one GNP with 10 rules: js-yaml 4 loadAll, core schema, no positions (1 core)', value: js, unit: 'documents/s', goal: 'informational' },
    { name: 'yaml parse, one GNP with 10 rules: yaml parseAllDocuments + toJS (1 core)', value: yamlLib, unit: 'documents/s', goal: 'informational' },
    { name: `parseManifests, ${N.toLocaleString('en-US')} GNPs (10 rules) → validated resources, as shipped (1 core)`, value: Math.round(shippedMs), unit: 'ms', goal: 'informational' },
    { name: `parseManifests, ${N.toLocaleString('en-US')} GNPs (10 rules), yaml library only (1 core)`, value: Math.round(locatedMs), unit: 'ms', goal: 'informational' },
    { name: `calicoctl apply -f, ${N.toLocaleString('en-US')} GNPs (10 rules, embedded), as shipped`, value: rate(applyMs), unit: 'policies/s', goal: 'informational' },
    {
      name: `calicoctl apply -f, ${N.toLocaleString('en-US')} GNPs (10 rules, embedded), yaml only (computed: apply − parse + yaml-only parse)`,
      value: rate(applyYamlOnlyMs),
      unit: 'policies/s',
      goal: 'informational',
    },
  ];
}
