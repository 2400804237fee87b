/**
 * @module The simulated cluster, as data (pure): Felix's calc-graph benchmark scenario scaled —
 * `endpoints` pods spread round-robin over `nodes` nodes and `namespaces` namespaces, `policies`
 * Calico NetworkPolicies spread over the namespaces (each selects one app; ingress from one role
 * on one TCP port, egress to the next app on UDP 53), and a deterministic churn of pod creates,
 * deletes and label changes.
 *
 * Pod addresses come from 10.0.0.0/8 (250k need more than the lab's 198.18.0.0/15). They are data
 * only: the simulation's agents program a RecordingDriver, never a kernel, so no address is ever
 * configured anywhere.
 */
import { mulberry32 } from '../lib/prng.js';

export interface ScenarioSize {
  readonly nodes: number;
  readonly endpoints: number;
  readonly policies: number;
  readonly namespaces: number;
}

export const APPS = 50;
export const ROLES = 10;

const _pad = (n: number, w: number): string => String(n).padStart(w, '0');

export const nodeName = (i: number): string => `sim-node-${_pad(i, 4)}`;
export const namespaceName = (i: number): string => `sim-ns-${_pad(i, 3)}`;
export const podName = (i: number): string => `pod-${_pad(i, 6)}`;

/** The i-th pod address (i ≥ 0) in 10.0.0.0/8, skipping .0 and .255 host parts. */
export function podIp(i: number): string {
  const h = (i % 254) + 1;
  const rest = Math.floor(i / 254);
  const b = rest % 256;
  const a = Math.floor(rest / 256);
  if (a > 255) throw new RangeError(`pod index ${i} is past 10.0.0.0/8`);
  return `10.${a}.${b}.${h}`;
}

export interface SimObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [k: string]: unknown;
}

export function namespaces(s: ScenarioSize): SimObject[] {
  return Array.from({ length: s.namespaces }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespaceName(i), labels: { 'kubernetes.io/metadata.name': namespaceName(i), team: `t${i % 10}` } },
    spec: {},
  }));
}

/** The Kubernetes Nodes and the Calico Nodes (the agents publish their status on the latter). */
export function nodes(s: ScenarioSize): SimObject[] {
  const out: SimObject[] = [];
  for (let i = 0; i < s.nodes; i++) {
    out.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName(i), labels: { 'kubernetes.io/hostname': nodeName(i) } }, spec: {} });
    out.push({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: nodeName(i) }, spec: {} });
  }
  return out;
}

export function podLabels(i: number, generation = 0): Record<string, string> {
  return { app: `app-${(i + generation) % APPS}`, role: `r-${i % ROLES}`, version: generation % 2 === 0 ? 'v1' : 'v2' };
}

/** Pod i: on node i mod N, in namespace i mod NS. */
export function pod(s: ScenarioSize, i: number, generation = 0): SimObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(i), namespace: namespaceName(i % s.namespaces), labels: podLabels(i, generation) },
    spec: { nodeName: nodeName(i % s.nodes), containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] },
    status: { phase: 'Running', podIP: podIp(i), podIPs: [{ ip: podIp(i) }] },
  };
}

export function policy(s: ScenarioSize, j: number): SimObject {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: `pol-${_pad(j, 5)}`, namespace: namespaceName(j % s.namespaces) },
    spec: {
      order: 100 + (j % 900),
      selector: `app == 'app-${Math.floor(j / s.namespaces) % APPS}'`,
      types: ['Ingress', 'Egress'],
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: `role == 'r-${j % ROLES}'` }, destination: { ports: [1000 + (j % 100)] } }],
      egress: [{ action: 'Allow', protocol: 'UDP', destination: { selector: `app == 'app-${(j + 1) % APPS}'`, ports: [53] } }],
    },
  };
}

/** One churn step: what the load generator writes. */
export type ChurnOp =
  | { readonly kind: 'label'; readonly pod: number; readonly generation: number }
  | { readonly kind: 'delete'; readonly pod: number }
  | { readonly kind: 'create'; readonly pod: number };

/** A small deterministic PRNG (mulberry32), so a run's churn is reproducible from its seed. */
export const prng = mulberry32;

/**
 * The churn: half label changes (the pod's app moves on, so IP sets change on other nodes), a
 * quarter deletes and a quarter creates of new pods, keeping the pod count about steady. The
 * live set is tracked so a deleted pod is never relabelled.
 */
export class Churn {
  private readonly _live: number[];
  private readonly _gen = new Map<number, number>();
  private _next: number;
  private readonly _rand: () => number;

  constructor(s: ScenarioSize, seed = 1) {
    this._live = Array.from({ length: s.endpoints }, (_, i) => i);
    this._next = s.endpoints;
    this._rand = prng(seed);
  }

  next(): ChurnOp {
    const r = this._rand();
    const pick = (): number => {
      const k = Math.floor(this._rand() * this._live.length);
      return k;
    };
    if (r < 0.5 || this._live.length < 2) {
      const p = this._live[pick()]!;
      const g = (this._gen.get(p) ?? 0) + 1;
      this._gen.set(p, g);
      return { kind: 'label', pod: p, generation: g };
    }
    if (r < 0.75) {
      const k = pick();
      const p = this._live[k]!;
      this._live[k] = this._live[this._live.length - 1]!;
      this._live.pop();
      this._gen.delete(p);
      return { kind: 'delete', pod: p };
    }
    const p = this._next++;
    this._live.push(p);
    return { kind: 'create', pod: p };
  }
}
