import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDesiredState, loadSnapshot, workloadInterfaceName, programmedPolicies } from './index.js';
import { effectiveFelixConfig } from '../model/calico/felix-configuration.js';

const pod = (name: string, node: string, ip: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[] = []): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName: node, containers: [{ name: 'c', ports }] },
  status: { podIP: ip },
});
const gnp = (name: string, spec: Record<string, unknown>): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec });

const resources = [
  pod('web', 'w1', '10.0.0.1', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]),
  pod('db', 'w1', '10.0.0.2', { app: 'db' }),
  pod('far', 'w2', '10.0.1.1', { app: 'web' }, [{ name: 'http', containerPort: 9090 }]),
  { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'ext', labels: { role: 'ext' } }, spec: { nets: ['192.0.2.0/24', '2001:db8::/32'] } },
  gnp('db-in', {
    selector: "app == 'db'",
    order: 10,
    types: ['Ingress'],
    ingress: [
      { action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web' || role == 'ext'" }, destination: { ports: [5432] } },
      { action: 'Allow', ipVersion: 6 },
      { action: 'Allow', source: { nets: ['10.9.0.0/16', '10.8.0.0/16'] } },
    ],
  }),
  gnp('to-web', { selector: 'all()', order: 20, types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: "app == 'web'", ports: ['http'] } }] }),
  { apiVersion: 'projectcalico.org/v3', kind: 'StagedGlobalNetworkPolicy', metadata: { name: 'staged' }, spec: { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny' }] } },
];

test('desired state: endpoints of the node only, with iface names and plans', () => {
  const d = computeDesiredState(loadSnapshot(resources).snapshot, 'w1');
  assert.deepEqual(d.workloads.map((w) => w.key).sort(), ['default/db', 'default/web']);
  const db = d.workloads.find((w) => w.key === 'default/db')!;
  assert.equal(db.iface, workloadInterfaceName('default', 'db'));
  assert.deepEqual(db.ingress, [{ name: 'default', defaultAction: 'Deny', policies: ['default/db-in'] }]);
  assert.deepEqual(db.egress, [{ name: 'default', defaultAction: 'Deny', policies: ['default/to-web'] }]);
  assert.deepEqual(db.profiles, ['kns.default', 'ksa.default.default']);
  assert.deepEqual(programmedPolicies(d), ['db-in', 'to-web'], 'staged policies never programmed');
});

test('desired state: selectors, network sets, CIDR lists and named ports become IP sets', () => {
  const d = computeDesiredState(loadSnapshot(resources).snapshot, 'w1');
  const dbIn = d.policies.get('default/db-in')!;
  assert.equal(dbIn.egress.length, 0, 'only directions in use');
  const [r0, r1, r2] = dbIn.ingress;
  assert.equal(r1!.skip, 'ipVersion 6');
  const sel = d.ipSets.get(r0!.src.selector!)!;
  assert.deepEqual(sel.members, ['10.0.0.1', '10.0.1.1', '192.0.2.0/24'], 'IPv4 members of every endpoint and network set, any node');
  assert.ok(r2!.src.net !== null && 'ipSet' in r2!.src.net);
  assert.deepEqual(d.ipSets.get((r2!.src.net as { ipSet: string }).ipSet)!.members, ['10.8.0.0/16', '10.9.0.0/16']);
  const toWeb = d.policies.get('default/to-web')!.egress[0]!;
  assert.equal(toWeb.dst.ports, null);
  const np = d.ipSets.get(toWeb.dst.namedPorts[0]!)!;
  assert.equal(np.type, 'hash:ip,port');
  assert.deepEqual(np.members, ['10.0.0.1,tcp:8080', '10.0.1.1,tcp:9090']);
  for (const id of d.ipSets.keys()) assert.ok(`cali40${id}`.length <= 31, id);
});

test('desired state: deterministic and independent of resource order', () => {
  const a = computeDesiredState(loadSnapshot(resources).snapshot, 'w1');
  const b = computeDesiredState(loadSnapshot([...resources].reverse()).snapshot, 'w1');
  assert.deepEqual(b, a);
});

test('desired state: Felix settings (defaults, effective config, NFLOG)', () => {
  const snap = loadSnapshot(resources).snapshot;
  const d = computeDesiredState(snap, 'w1');
  assert.equal(d.log.prefix, 'calico-packet');
  assert.equal(d.log.nflogGroup, null);
  assert.equal(d.defaultEndpointToHostAction, 'Drop');
  assert.equal(d.markMask, 0xffff0000);
  assert.deepEqual(d.failsafeInbound[0], { protocol: 'tcp', port: 22 });
  const e = computeDesiredState(snap, 'w1', effectiveFelixConfig({ defaultEndpointToHostAction: 'Return', logPrefix: 'x' }), { nflogGroup: 5 });
  assert.equal(e.defaultEndpointToHostAction, 'Return');
  assert.deepEqual(e.log, { prefix: 'x', nflogGroup: 5 });
});

test('desired state: each node gets its own effective FelixConfiguration (default overlaid by node.<name>)', () => {
  const fc = (name: string, spec: Record<string, unknown>): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name }, spec });
  const snap = loadSnapshot([
    ...resources,
    fc('default', { logPrefix: 'cluster', defaultEndpointToHostAction: 'Accept' }),
    fc('node.w1', { failsafeInboundHostPorts: [{ protocol: 'UDP', port: 4789, net: '198.18.0.0/16' }] }),
  ]).snapshot;
  const w1 = computeDesiredState(snap, 'w1');
  const w2 = computeDesiredState(snap, 'w2');
  assert.deepEqual(w1.failsafeInbound, [{ protocol: 'udp', port: 4789, net: '198.18.0.0/16' }]);
  assert.deepEqual(w2.failsafeInbound[0], { protocol: 'tcp', port: 22 });
  assert.equal(w1.failsafeOutbound.length, 9, "Felix's default outbound list");
  for (const d of [w1, w2]) {
    assert.equal(d.defaultEndpointToHostAction, 'Accept');
    assert.equal(d.log.prefix, 'cluster');
  }
  // The engine judges w1 with the same settings the agent programs.
  assert.deepEqual(snap.felixFor('w1').failsafeInbound.map((f) => [f.proto, f.port, f.net?.text]), [[17, 4789, '198.18.0.0/16']]);
  assert.equal(snap.felixFor('w2'), snap.felix, 'a node without node.<name> shares the cluster-wide settings');
});

test('desired state: host endpoints with their four plans', () => {
  const hep = { apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'w1-eth0', labels: { role: 'host' } }, spec: { node: 'w1', interfaceName: 'eth0', expectedIPs: ['10.10.0.1'] } };
  const pre = gnp('pre', { selector: "role == 'host'", preDNAT: true, applyOnForward: true, types: ['Ingress'], ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: ['30000:32767'] } }] });
  const dnt = gnp('dnt', { selector: "role == 'host'", doNotTrack: true, applyOnForward: true, types: ['Ingress', 'Egress'], ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] });
  const d = computeDesiredState(loadSnapshot([...resources, hep, pre, dnt]).snapshot, 'w1');
  assert.equal(d.hostEndpoints.length, 1);
  const h = d.hostEndpoints[0]!;
  assert.equal(h.iface, 'eth0');
  assert.deepEqual(h.preDNAT.ingress.flatMap((t) => t.policies), ['default/pre']);
  assert.deepEqual(h.untracked.ingress.flatMap((t) => t.policies), ['default/dnt']);
  assert.deepEqual(h.untracked.egress.flatMap((t) => t.policies), ['default/dnt']);
  assert.deepEqual(h.normal.ingress.flatMap((t) => t.policies), [], 'normal chains exclude preDNAT and untracked policies');
  assert.deepEqual(computeDesiredState(loadSnapshot([...resources, hep]).snapshot, 'w2').hostEndpoints, []);
});
