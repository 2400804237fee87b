/**
 * @module Validation benchmarks: decode + default + validate throughput of GlobalNetworkPolicies
 * with 10 rules each through decodeResource (the door every write passes), and the same
 * policies read from a multi-document YAML file through parseManifests. Single-threaded; each
 * figure is the best of a few timed rounds after a warm-up round. Every round uses new selector
 * texts, so the selector parser's cache never hides parsing cost.
 */
import { cpuNow } from './cpu-clock.js';
import { stringify } from 'yaml';
import { decodeResource } from '../src/model/validate-resource.js';
import { parseManifests } from '../src/manifest/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const POLICIES = 5_000;
const YAML_POLICIES = 300;
const ROUNDS = 3;

function _rule(tag: string, i: number, r: number): Record<string, unknown> {
  const base = {
    action: r % 3 === 0 ? 'Deny' : 'Allow',
    protocol: r % 2 === 0 ? 'TCP' : 'UDP',
    source: { selector: `app == "web-${tag}-${i}-${r}" && has(tier)`, nets: ['10.0.0.0/8'] },
    destination: { ports: [80, 443, '8000:8080'], notNets: [`10.${r}.${i % 250}.0/24`] },
  };
  return base;
}

/** A GlobalNetworkPolicy with 5 ingress and 5 egress rules, unique per (tag, i). */
export function benchPolicy(tag: string, i: number): Record<string, unknown> {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: `bench-${tag}-${i}`, labels: { team: `t${i % 7}` } },
    spec: {
      order: 100 + (i % 1000),
      selector: `role == "r-${tag}-${i}" && !has(skip)`,
      types: ['Ingress', 'Egress'],
      ingress: [0, 1, 2, 3, 4].map((r) => _rule(tag, i, r)),
      egress: [5, 6, 7, 8, 9].map((r) => _rule(tag, i, r)),
    },
  };
}

function _best(round: (n: number) => number): number {
  round(0); // warm-up
  let best = Infinity;
  for (let i = 1; i <= ROUNDS; i++) best = Math.min(best, round(i));
  return best;
}

export async function run(): Promise<BenchResult[]> {
  // Sanity: the benchmark input must be valid, or we would time the error path.
  const probe = decodeResource(benchPolicy('probe', 0));
  if (!probe.ok) throw new Error(`bench policy is invalid: ${probe.error.map((e) => `${e.path}: ${e.message}`).join('; ')}`);

  const decodeMs = _best((round) => {
    const inputs = Array.from({ length: POLICIES }, (_, i) => benchPolicy(`d${round}`, i));
    const t0 = cpuNow();
    let ok = 0;
    for (const p of inputs) if (decodeResource(p).ok) ok++;
    const ms = cpuNow() - t0;
    if (ok !== POLICIES) throw new Error(`${POLICIES - ok} bench policies failed validation`);
    return ms;
  });

  const yamlMs = _best((round) => {
    const text = Array.from({ length: YAML_POLICIES }, (_, i) => stringify(benchPolicy(`y${round}`, i))).join('---\n');
    const t0 = cpuNow();
    const r = parseManifests(text, 'bench.yaml');
    const ms = cpuNow() - t0;
    if (r.resources.length !== YAML_POLICIES) throw new Error(`manifest bench: ${r.errors[0]?.text ?? 'missing resources'}`);
    return ms;
  });

  await Promise.resolve();
  return [
    {
      name: 'decode + validate GlobalNetworkPolicy, 10 rules each, via decodeResource (1 core)',
      value: Math.round((POLICIES / decodeMs) * 1000),
      unit: 'policies/s',
      goal: '>= 20000',
    },
    {
      name: 'parseManifests: YAML text → validated GlobalNetworkPolicy, 10 rules each (1 core)',
      value: Math.round((YAML_POLICIES / yamlMs) * 1000),
      unit: 'policies/s',
      goal: 'informational',
    },
  ];
}
