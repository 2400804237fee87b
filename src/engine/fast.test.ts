/**
 * The indexed evaluator (fast.ts, behind decideUncached) against the traced evaluator (the one
 * `tabby verdict` explains with): random clusters — pods in two namespaces on three nodes (none,
 * one or two with a host endpoint), dual-stack pods, named ports, service accounts, network sets
 * holding pod addresses, a second tier with either default action, Kubernetes and Calico
 * policies with every rule criterion (Allow/Deny/Pass/Log, protocol and notProtocol, ICMP and
 * notICMP, ipVersion, selector, notSelector, namespaceSelector with all()/global(), service
 * accounts, nets and notNets, ports, ranges, named ports and notPorts, services, HTTP), staged
 * policies, global policies with preDNAT, doNotTrack or applyOnForward (which workload chains
 * must ignore or keep), and explicit profiles — and random flows between their pods (to either address,
 * to itself, any protocol, port, source port and ICMP type). Every flow: the trace's action ==
 * decideUncached == decideUncached on a second snapshot whose index was built first
 * (prepareFastIndex, as the benchmark's cold rounds run; that snapshot must end with no verdict
 * memo and an index that did not grow) == decide (memoised, asked twice) == the matrix cell for
 * TCP/UDP flows. Seeded (FUZZ_SEED, fixed by default); FUZZ_RUNS raises the number of clusters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, decideUncached, evaluateFlow, loadSnapshot, resolveFlow, verdictMatrix, type FlowInput } from './index.js';
import { fastIndexStats, indexedWorkloads, prepareFastIndex } from './fast.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
/** Fixed by default so that a run is reproducible; FUZZ_SEED explores others (a failure prints its seed). */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_207);

const LABEL_KEYS = ['app', 'tier', 'role'] as const;
const LABEL_VALUES = ['a', 'b', 'c'] as const;
const labels = fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 3 });
const selector = fc.constantFrom(
  'all()',
  "app == 'a'",
  "app != 'b'",
  "app in {'a', 'b'} && has(tier)",
  "!(app == 'a')",
  "tier == 'b' || role == 'c'",
  "app == 'a' && app == 'b'",
  'has(tier)',
  "role starts with 'c'",
  "team == 'x'",
  "projectcalico.org/namespace == 'na'",
  "kind == 'set'",
);
const nsSelector = fc.constantFrom('all()', 'global()', "team == 'x'", "team != 'x'", "projectcalico.org/name == 'nb'", 'has(team)');
const nets = fc.subarray(['10.0.0.0/29', '10.0.0.8/30', '10.0.0.3/32', '10.0.0.0/16', '192.0.2.0/24', 'fd00::/64', 'fd00::5/128'], { minLength: 1, maxLength: 2 });
const ports = fc.subarray([80, 53, 8080, '1000:2000', 'http', 'dns', 'web', 0], { minLength: 1, maxLength: 3 });

/** A few of the given criteria (each rule or side has 0-2), so that rules still match now and then. */
function some<T extends Record<string, fc.Arbitrary<unknown>>>(parts: T, max: number): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(parts);
  return fc
    .subarray(keys, { maxLength: max })
    .chain((ks) => fc.tuple(...ks.map((k) => parts[k]!)).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]]))));
}

const entity = some(
  {
    selector,
    notSelector: selector,
    namespaceSelector: nsSelector,
    nets,
    notNets: nets,
    ports,
    notPorts: ports,
    serviceAccounts: fc.record({ names: fc.subarray(['default', 'sa1'], { minLength: 1 }) }),
    services: fc.record({ name: fc.constantFrom('svc', 'nope'), namespace: fc.constantFrom('na', 'nb') }),
  },
  2,
);

const protocol = fc.constantFrom('TCP', 'UDP', 'ICMP', 'SCTP', 'UDPLite', 'ICMPv6', 132, 99);
const rule = fc
  .tuple(
    fc.constantFrom('Allow', 'Allow', 'Deny', 'Pass', 'Log'),
    some(
      {
        protocol,
        notProtocol: protocol,
        icmp: fc.record({ type: fc.constantFrom(0, 8, 3), code: fc.constantFrom(0, 1) }, { requiredKeys: ['type'] }),
        notICMP: fc.record({ type: fc.constantFrom(0, 8), code: fc.constantFrom(0, 1) }, { requiredKeys: ['type'] }),
        ipVersion: fc.constantFrom(4, 6),
        source: entity,
        destination: entity,
      },
      3,
    ),
    fc.nat(19),
  )
  // What Calico's validation asks: ICMP fields need protocol ICMP/ICMPv6, ports need TCP/UDP/SCTP
  // (both: the ports win), HTTP only on Allow rules (and rarely: it never matches at layer 3).
  .map(([action, r, dice]) => {
    const out: Record<string, unknown> = { action, ...r };
    const sides = [r['source'], r['destination']] as (Record<string, unknown> | undefined)[];
    const hasPorts = sides.some((e) => e !== undefined && (e['ports'] !== undefined || e['notPorts'] !== undefined));
    if (hasPorts) {
      delete out['icmp'];
      delete out['notICMP'];
      if (!['TCP', 'UDP', 'SCTP'].includes(String(out['protocol']))) out['protocol'] = ['TCP', 'UDP', 'SCTP'][dice % 3];
    } else if (out['icmp'] !== undefined || out['notICMP'] !== undefined) {
      if (out['protocol'] !== 'ICMP' && out['protocol'] !== 'ICMPv6') out['protocol'] = dice % 4 === 0 ? 'ICMPv6' : 'ICMP';
    }
    if (action === 'Allow' && dice === 0) out['http'] = { methods: ['GET'] };
    return out;
  });

const calicoPolicy = fc.record({
    global: fc.boolean(),
    namespace: fc.constantFrom('na', 'nb'),
    tier: fc.constantFrom('default', 'sec'),
    order: fc.option(fc.constantFrom(1, 5, 100), { nil: undefined }),
    selector: fc.option(selector, { nil: undefined }),
    namespaceSelector: fc.option(nsSelector.filter((x) => x !== 'global()'), { nil: undefined }),
    types: fc.subarray(['Ingress', 'Egress'], { minLength: 1 }),
    ingress: fc.array(rule, { maxLength: 3 }),
    egress: fc.array(rule, { maxLength: 3 }),
    staged: fc.boolean(),
    /** Global policies only: the host-endpoint flavours (workload chains must ignore preDNAT and doNotTrack). */
    host: fc.constantFrom('none', 'none', 'preDNAT', 'doNotTrack', 'applyOnForward'),
  });

const peer = fc.record(
  {
    podSelector: fc.record({ matchLabels: fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 1 }) }),
    namespaceSelector: fc.record({ matchLabels: fc.dictionary(fc.constant('team'), fc.constantFrom('x', 'y'), { maxKeys: 1 }) }),
    ipBlock: fc.record({ cidr: fc.constantFrom('10.0.0.0/16', '10.0.0.0/29'), except: fc.constantFrom(['10.0.0.2/32'], [] as string[]) }),
  },
  { requiredKeys: [] },
).map((p) => (p.ipBlock !== undefined ? { ipBlock: p.ipBlock } : p));
const knpPort = fc.record({ port: fc.constantFrom(80, 53, 'http', 'dns'), protocol: fc.constantFrom('TCP', 'UDP', 'SCTP') }, { requiredKeys: [] });
const knpRule = fc.record({ peers: fc.array(peer, { maxLength: 2 }), ports: fc.array(knpPort, { maxLength: 2 }) }, { requiredKeys: [] });
const knp = fc.record({
  namespace: fc.constantFrom('na', 'nb'),
  podSelector: fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 1 }),
  types: fc.subarray(['Ingress', 'Egress'], { minLength: 1 }),
  ingress: fc.array(knpRule, { maxLength: 2 }),
  egress: fc.array(knpRule, { maxLength: 2 }),
});

const pod = fc.record({
  namespace: fc.constantFrom('na', 'nb'),
  labels,
  node: fc.constantFrom('n1', 'n2', 'n3'),
  sa: fc.constantFrom('default', 'sa1'),
  dual: fc.boolean(),
  named: fc.subarray(['http:80:TCP', 'http:8080:TCP', 'dns:53:UDP', 'web:1500:TCP', 'dns:53:SCTP']),
});

const cluster = fc.record({
  pods: fc.array(pod, { minLength: 2, maxLength: 7 }),
  nsTeams: fc.tuple(fc.constantFrom('x', 'y', ''), fc.constantFrom('x', 'y', '')),
  secDefault: fc.constantFrom('Deny', 'Pass'),
  knps: fc.array(knp, { maxLength: 3 }),
  policies: fc.array(calicoPolicy, { maxLength: 4 }),
  sets: fc.array(fc.record({ global: fc.boolean(), nets, kind: fc.constantFrom('set', 'other') }), { maxLength: 2 }),
  /** Nodes with a host endpoint (pods there go to the general evaluator). */
  hep: fc.subarray(['n1', 'n2', 'n3'], { maxLength: 2 }),
  profileDeny: fc.boolean(),
  service: fc.boolean(),
});

type Cluster = typeof cluster extends fc.Arbitrary<infer T> ? T : never;

/**
 * One rule decides: it comes first in a policy on every pod, then an unconditional catch-all; a
 * Pass (from the rule) goes on to a later tier whose policy answers the other way.
 */
const oneRule = fc.record({ rule, egress: fc.boolean(), tier: fc.constantFrom('default', 'sec'), last: fc.constantFrom('Allow', 'Deny') }).map(({ rule: r, egress, tier, last }) => {
  const dir = egress ? 'egress' : 'ingress';
  const types = [egress ? 'Egress' : 'Ingress'];
  const other = last === 'Allow' ? 'Deny' : 'Allow';
  const gnp = (name: string, t: string, rules: unknown[]): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { tier: t, selector: 'all()', types, [dir]: rules } });
  return [gnp(tier === 'default' ? 'one' : 'sec.one', tier, [r, { action: last }]), gnp(tier === 'default' ? 'zz-after' : 'after', 'default', [{ action: other }])];
});

function resources(c: Cluster): unknown[] {
  const out: unknown[] = [];
  const team = (t: string): Record<string, string> => (t === '' ? {} : { team: t });
  out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'na', labels: team(c.nsTeams[0]) } });
  out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nb', labels: team(c.nsTeams[1]) } });
  out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1', namespace: 'na', labels: { role: 'c' } } });
  for (const [i, n] of ['n1', 'n2', 'n3'].entries())
    out.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: n }, status: { addresses: [{ type: 'InternalIP', address: `192.168.0.${i + 1}` }] } });
  for (const n of c.hep)
    out.push({ apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: `${n}-eth0`, labels: { app: 'a' } }, spec: { node: n, interfaceName: 'eth0', expectedIPs: [`192.168.0.${n.slice(1)}`] } });
  c.pods.forEach((p, i) => {
    const ports = p.named.map((x) => {
      const [name, port, protocol] = x.split(':');
      return { name, containerPort: Number(port), protocol };
    });
    // Container port names must be unique per pod: keep the first of each.
    const uniq = ports.filter((x, k) => ports.findIndex((y) => y.name === x.name) === k);
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, namespace: p.namespace, labels: p.labels },
      spec: { nodeName: p.node, serviceAccountName: p.sa, containers: [{ name: 'c', ports: uniq }] },
      status: { podIP: `10.0.0.${i + 1}`, ...(p.dual ? { podIPs: [{ ip: `10.0.0.${i + 1}` }, { ip: `fd00::${i + 1}` }] } : {}) },
    });
  });
  c.sets.forEach((s, i) =>
    out.push(
      s.global
        ? { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: `gs${i}`, labels: { kind: s.kind, app: 'a' } }, spec: { nets: s.nets } }
        : { apiVersion: 'projectcalico.org/v3', kind: 'NetworkSet', metadata: { name: `s${i}`, namespace: 'na', labels: { kind: s.kind } }, spec: { nets: s.nets } },
    ),
  );
  out.push({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'sec' }, spec: { order: 10, defaultAction: c.secDefault } });
  if (c.profileDeny)
    out.push({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'ksa.na.sa1' }, spec: { ingress: [{ action: 'Log' }, { action: 'Deny', protocol: 'UDP' }, { action: 'Pass' }], egress: [{ action: 'Deny', destination: { ports: [53] }, protocol: 'UDP' }] } });
  if (c.service)
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'na' }, spec: { selector: { app: 'a' }, clusterIP: '10.96.0.1', ports: [{ port: 80, targetPort: 'http' }] } });
  c.knps.forEach((k, i) => {
    const side = (r: (typeof k.ingress)[number], dir: 'from' | 'to'): Record<string, unknown> => ({
      ...(r.peers !== undefined ? { [dir]: r.peers } : {}),
      ...(r.ports !== undefined ? { ports: r.ports } : {}),
    });
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `k${i}`, namespace: k.namespace },
      spec: { podSelector: { matchLabels: k.podSelector }, policyTypes: k.types, ingress: k.ingress.map((r) => side(r, 'from')), egress: k.egress.map((r) => side(r, 'to')) },
    });
  });
  c.policies.forEach((p, i) => {
    const kind = (p.global ? 'GlobalNetworkPolicy' : 'NetworkPolicy') as string;
    const host = p.global && !p.staged ? p.host : 'none';
    const hostSpec: Record<string, unknown> =
      host === 'preDNAT' ? { preDNAT: true, applyOnForward: true } : host === 'doNotTrack' ? { doNotTrack: true, applyOnForward: true } : host === 'applyOnForward' ? { applyOnForward: true } : {};
    const name = p.tier === 'default' ? `c${i}` : `sec.c${i}`;
    out.push({
      apiVersion: 'projectcalico.org/v3',
      kind: p.staged ? `Staged${kind}` : kind,
      metadata: { name, ...(p.global ? {} : { namespace: p.namespace }) },
      spec: {
        tier: p.tier,
        ...(p.order !== undefined ? { order: p.order } : {}),
        ...(p.selector !== undefined ? { selector: p.selector } : {}),
        ...(p.global && p.namespaceSelector !== undefined ? { namespaceSelector: p.namespaceSelector } : {}),
        ...hostSpec,
        types: host === 'preDNAT' ? ['Ingress'] : p.types,
        ingress: p.ingress,
        egress: host === 'preDNAT' ? [] : p.egress,
      },
    });
  });
  return out;
}

const flow = fc.record({
  from: fc.nat(),
  to: fc.nat(),
  v6: fc.boolean(),
  protocol: fc.constantFrom('TCP', 'TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite', '99'),
  port: fc.option(fc.constantFrom(80, 53, 8080, 1500, 0), { nil: undefined }),
  srcPort: fc.option(fc.constantFrom(80, 53, 1500), { nil: undefined }),
  icmp: fc.option(fc.record({ type: fc.constantFrom(0, 8, 3), code: fc.constantFrom(0, 1) }), { nil: undefined }),
});

let indexedSeen = 0;
let flowsSeen = 0;
let invalidSeen = 0;
const invalidSample: string[] = [];

/** Every pod pair is checked with each of these (and with the random flows). */
const COMBOS: readonly Omit<FlowInput, 'from' | 'to'>[] = [
  { protocol: 'TCP', port: 80 },
  { protocol: 'TCP', port: 53 },
  { protocol: 'TCP', port: 8080 },
  { protocol: 'TCP', port: 1500 },
  { protocol: 'TCP' },
  { protocol: 'TCP', port: 80, srcPort: 53 },
  { protocol: 'UDP', port: 53 },
  { protocol: 'UDP', port: 80, srcPort: 1500 },
  { protocol: 'TCP', port: 8080, srcPort: 1500 },
  { protocol: 'UDP', port: 53, srcPort: 53 },
  { protocol: 'SCTP', port: 53 },
  { protocol: 'ICMP', icmp: { type: 8, code: 0 } },
  { protocol: 'ICMP', icmp: { type: 0, code: 1 } },
  { protocol: 'ICMP', icmp: { type: 3, code: 1 } },
  { protocol: '99' },
];

test('the indexed evaluator (decideUncached), the memo (decide) and the matrix agree with the trace on random clusters and flows', () => {
  fc.assert(
    fc.property(cluster, fc.array(flow, { minLength: 5, maxLength: 20 }), (c, extra) => {
      const { snapshot: snap, invalid } = loadSnapshot(resources(c));
      // A second snapshot whose index is built up front, as the benchmark's cold rounds use it.
      const cold = loadSnapshot(resources(c)).snapshot;
      const built = prepareFastIndex(cold);
      invalidSeen += invalid.length;
      for (const x of invalid) if (invalidSample.length < 8) invalidSample.push(`${x.kind}: ${x.errors.map((e) => e.message).join('; ')}`);
      const pods = snap.workloads;
      if (pods.length === 0) return;
      const flows: FlowInput[] = [];
      for (const a of pods) for (const b of pods) for (const k of COMBOS) flows.push({ from: a.key, to: b.key, ...k });
      for (const g of extra) {
        const a = pods[g.from % pods.length]!;
        const b = pods[g.to % pods.length]!;
        const v6 = g.v6 && a.ips.length > 1 && b.ips.length > 1;
        flows.push({
          from: v6 ? a.ips[1]!.text : a.key,
          to: v6 ? b.ips[1]!.text : b.ips[0]!.text,
          protocol: v6 && g.protocol === 'ICMP' ? 'ICMPv6' : g.protocol,
          ...(g.port !== undefined ? { port: g.port } : {}),
          ...(g.srcPort !== undefined ? { srcPort: g.srcPort } : {}),
          ...(g.icmp !== undefined ? { icmp: g.icmp } : {}),
        });
      }
      const matrices = new Map<string, ReturnType<typeof verdictMatrix>>();
      for (const f of flows) {
        const r = resolveFlow(snap, f);
        assert.ok(r.ok, `${JSON.stringify(f)}: ${r.ok ? '' : r.error}`);
        flowsSeen++;
        const want = evaluateFlow(snap, f).action === 'Allow';
        const what = (): string => `${JSON.stringify(f)}\n${JSON.stringify(resources(c))}`;
        if (decideUncached(snap, r.flow) !== want) assert.fail(`decideUncached: ${what()}`);
        const rc = resolveFlow(cold, f);
        assert.ok(rc.ok);
        if (decideUncached(cold, rc.flow) !== want) assert.fail(`decideUncached, index built first: ${what()}`);
        if (decide(snap, r.flow) !== want) assert.fail(`decide: ${what()}`);
        if (decide(snap, r.flow) !== want) assert.fail(`decide (memoised): ${what()}`);
        const p = f.protocol;
        if ((p === 'TCP' || p === 'UDP') && f.srcPort === undefined && !f.from.includes(':') && r.flow.src.kind === 'workload' && r.flow.dst.kind === 'workload') {
          const key = `${p}/${f.port ?? -1}`;
          let m = matrices.get(key);
          if (m === undefined) matrices.set(key, (m = verdictMatrix(snap, { protocol: p, ...(f.port !== undefined ? { port: f.port } : {}) })));
          const n = m.pods.length;
          if ((m.allowed[r.flow.src.ep.index * n + r.flow.dst.ep.index] === 1) !== want) assert.fail(`matrix: ${what()}`);
        }
      }
      indexedSeen += indexedWorkloads(snap);
      // decideUncached keeps no verdict, and evaluating grows nothing in a prepared index.
      assert.equal(cold.memo.verdictTables, undefined);
      assert.deepEqual(fastIndexStats(cold), built);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  if (process.env['FAST_STATS']) console.log({ flowsSeen, indexedSeen, invalidSeen, sample: invalidSample });
  // The test must exercise the index, not only the general path it falls back to.
  assert.ok(flowsSeen > RUNS * 50, `only ${flowsSeen} flows`);
  assert.ok(indexedSeen > RUNS, `only ${indexedSeen} workloads went through the index`);
  assert.ok(invalidSeen < RUNS, `${invalidSeen} generated resources were invalid: the generator needs fixing`);
});

test('one deciding rule of every shape: the indexed evaluator agrees with the trace on every pod pair', () => {
  const base: Cluster = {
    pods: [
      { namespace: 'na', labels: { app: 'a', tier: 'b' }, node: 'n1', sa: 'sa1', dual: true, named: ['http:80:TCP', 'dns:53:UDP'] },
      { namespace: 'na', labels: { app: 'b' }, node: 'n2', sa: 'default', dual: false, named: ['http:8080:TCP', 'dns:53:SCTP'] },
      { namespace: 'nb', labels: { role: 'c' }, node: 'n1', sa: 'default', dual: false, named: ['web:1500:TCP'] },
      { namespace: 'nb', labels: { app: 'a', role: 'c' }, node: 'n2', sa: 'sa1', dual: true, named: [] },
    ],
    nsTeams: ['x', ''],
    secDefault: 'Deny',
    knps: [],
    policies: [],
    sets: [{ global: true, nets: ['10.0.0.0/30'], kind: 'set' }],
    hep: [],
    profileDeny: false,
    service: true,
  };
  let decided = 0;
  fc.assert(
    fc.property(oneRule, (pol) => {
      const { snapshot: snap, invalid } = loadSnapshot([...resources(base), ...pol]);
      fc.pre(invalid.length === 0);
      decided++;
      for (const a of snap.workloads)
        for (const b of snap.workloads)
          for (const k of COMBOS) {
            const f: FlowInput = { from: a.key, to: b.key, ...k };
            const r = resolveFlow(snap, f);
            assert.ok(r.ok);
            const want = evaluateFlow(snap, f).action === 'Allow';
            if (decideUncached(snap, r.flow) !== want) assert.fail(`decideUncached: ${JSON.stringify(f)} ${JSON.stringify(pol)}`);
          }
    }),
    { numRuns: RUNS * 3, seed: SEED },
  );
  assert.ok(decided > RUNS, `only ${decided} valid rules`);
});
