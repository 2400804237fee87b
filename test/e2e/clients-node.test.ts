/**
 * End to end: the npm `@kubernetes/client-node` 1.x against a real `tabby server` process this
 * suite starts on 127.0.0.1 (free port, temporary data directory), used the way its users do:
 * a KubeConfig loaded from the server's kubeconfig, the typed APIs (CoreV1Api, NetworkingV1Api,
 * CustomObjectsApi), `Watch`, informers (`makeInformer`), and `KubernetesObjectApi` (generic
 * CRUD and server-side apply). Each test asserts concrete values; every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  Watch,
  loadAllYaml,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1NetworkPolicy,
  type V1Pod,
} from '@kubernetes/client-node';
import { openSqliteDatastore } from '../../src/datastore/index.js';
import { startTabbyServer, type TabbyServer } from '../support/clients/server.js';

type Json = Record<string, unknown>;

const CAL = { group: 'projectcalico.org', version: 'v3' } as const;

/** What a user's catch block looks at: the HTTP code and the Status body's reason, causes and message. */
interface Failure {
  code: number;
  reason: unknown;
  causes: { reason: unknown; field: unknown }[];
  message: unknown;
}

async function failure(p: Promise<unknown>): Promise<Failure | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    const raw: unknown = e.body;
    const body = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Json | undefined;
    const causes = ((body?.['details'] as Json | undefined)?.['causes'] ?? []) as Json[];
    return { code: e.code, reason: body?.['reason'], causes: causes.map((c) => ({ reason: c['reason'], field: c['field'] })), message: body?.['message'] };
  }
}

const notFound = (plural: string, name: string): Failure => ({ code: 404, reason: 'NotFound', causes: [], message: `${plural} "${name}" not found` });
const conflict = (plural: string, name: string): Failure => ({
  code: 409,
  reason: 'Conflict',
  causes: [],
  message: `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
});

function pod(name: string, namespace: string, labels: Record<string, string>): V1Pod {
  return { metadata: { name, namespace, labels }, spec: { nodeName: 'worker-1', containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } };
}

function netpol(name: string, namespace: string, port: number, labels: Record<string, string> = {}): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels },
    spec: {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Ingress'],
      ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port }] }],
    },
  };
}

function gns(name: string, labels: Record<string, string>, nets: string[]): Json {
  return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name, labels }, spec: { nets } };
}

function gnp(name: string, order: number): Json {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name },
    spec: { order, selector: "role == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'web'" }, destination: { ports: [5432] } }] },
  };
}

const names = (items: readonly KubernetesObject[]): string[] => items.map((i) => i.metadata?.name ?? '');

/** Polls until check() is true (at most ms); returns its last value. */
async function until(check: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return check();
}

describe('@kubernetes/client-node against tabby server', () => {
  let server: TabbyServer | undefined;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let net: NetworkingV1Api;
  let co: CustomObjectsApi;
  let objs: KubernetesObjectApi;

  /** Drops the change history of the server's datastore, as etcd compaction does (SQLite is shared across processes). */
  const compact = async (): Promise<void> => {
    const ds = await openSqliteDatastore(join(server!.dataDir, 'tabby.db'));
    try {
      await ds.compact();
    } finally {
      await ds.close();
    }
  };

  before(async () => {
    server = await startTabbyServer('tabby-node-');
    kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    net = kc.makeApiClient(NetworkingV1Api);
    co = kc.makeApiClient(CustomObjectsApi);
    objs = KubernetesObjectApi.makeApiClient(kc);
  });
  after(async () => {
    await server?.stop();
  });

  test('CoreV1Api: Namespace, Pod and Service CRUD, 409 on a stale resourceVersion, selectors, 404', async () => {
    const ns = await core.createNamespace({ body: { metadata: { name: 'js-core', labels: { team: 'a' } } } });
    assert.deepEqual(ns.metadata?.labels, { 'kubernetes.io/metadata.name': 'js-core', team: 'a' });
    assert.equal(ns.status?.phase, 'Active');
    const created = await core.createNamespacedPod({ namespace: 'js-core', body: pod('web', 'js-core', { app: 'web' }) });
    assert.equal(created.spec?.containers[0]?.image, 'nginx:1.27');
    await core.createNamespacedPod({ namespace: 'js-core', body: pod('db', 'js-core', { app: 'db' }) });
    const got = await core.readNamespacedPod({ name: 'web', namespace: 'js-core' });
    assert.equal(got.spec?.nodeName, 'worker-1');
    got.metadata!.labels = { ...got.metadata!.labels, tier: 'front' };
    const upd = await core.replaceNamespacedPod({ name: 'web', namespace: 'js-core', body: got });
    assert.deepEqual(upd.metadata?.labels, { app: 'web', tier: 'front' });
    assert.notEqual(upd.metadata?.resourceVersion, got.metadata?.resourceVersion);
    assert.deepEqual(await failure(core.replaceNamespacedPod({ name: 'web', namespace: 'js-core', body: got })), conflict('pods', 'web'));
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'js-core', labelSelector: 'app=web' })).items), ['web']);
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'js-core', labelSelector: 'app in (db,cache)' })).items), ['db']);
    assert.deepEqual(names((await core.listPodForAllNamespaces({ labelSelector: '!tier,app' })).items), ['db']);
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'js-core', fieldSelector: 'metadata.name!=web' })).items), ['db']);
    const bad = await failure(core.listNamespacedPod({ namespace: 'js-core', labelSelector: 'app in (web' }));
    assert.equal(bad?.code, 400);
    assert.equal(bad?.reason, 'BadRequest');
    assert.deepEqual(await failure(core.readNamespacedPod({ name: 'nope', namespace: 'js-core' })), notFound('pods', 'nope'));
    const svc = await core.createNamespacedService({ namespace: 'js-core', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] } } });
    assert.equal(svc.spec?.type, 'ClusterIP');
    assert.equal(svc.spec?.ports?.[0]?.port, 80);
    await core.deleteNamespacedPod({ name: 'db', namespace: 'js-core' });
    assert.deepEqual(await failure(core.readNamespacedPod({ name: 'db', namespace: 'js-core' })), notFound('pods', 'db'));
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'js-core' })).items), ['web']);
    for (const n of ['x1', 'x2']) await core.createNamespacedPod({ namespace: 'js-core', body: pod(n, 'js-core', { app: 'batch' }) });
    await core.deleteCollectionNamespacedPod({ namespace: 'js-core', labelSelector: 'app=batch' });
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'js-core' })).items), ['web']);
  });

  test('CoreV1Api: Services get a cluster IP, and a NodePort Service a node port in 30000-32767', async () => {
    await core.createNamespace({ body: { metadata: { name: 'js-svc' } } });
    const c = await core.createNamespacedService({ namespace: 'js-svc', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    assert.match(c.spec?.clusterIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(c.spec?.clusterIPs, [c.spec?.clusterIP]);
    const n = await core.createNamespacedService({ namespace: 'js-svc', body: { metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    assert.notEqual(n.spec?.clusterIP, c.spec?.clusterIP);
    const nodePort = n.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    const h = await core.createNamespacedService({ namespace: 'js-svc', body: { metadata: { name: 'headless' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    assert.equal(h.spec?.clusterIP, 'None');
  });

  test('NetworkingV1Api: JSON, merge and strategic-merge patches, 409, 422 with field causes, dry run', async () => {
    await core.createNamespace({ body: { metadata: { name: 'js-net' } } });
    const np = await net.createNamespacedNetworkPolicy({ namespace: 'js-net', body: netpol('allow-web', 'js-net', 80, { team: 'web' }) });
    assert.equal(np.spec?.ingress?.[0]?.ports?.[0]?.port, 80);
    assert.deepEqual(np.spec?.ingress?.[0]?._from?.[0]?.podSelector?.matchLabels, { role: 'client' });
    await net.createNamespacedNetworkPolicy({ namespace: 'js-net', body: netpol('other', 'js-net', 443, { team: 'ops' }) });
    assert.deepEqual(names((await net.listNamespacedNetworkPolicy({ namespace: 'js-net', labelSelector: 'team=web' })).items), ['allow-web']);
    // the typed patch sends application/json-patch+json unless told otherwise
    const jp = await net.patchNamespacedNetworkPolicy({ name: 'allow-web', namespace: 'js-net', body: [{ op: 'replace', path: '/spec/ingress/0/ports/0/port', value: 8080 }] });
    assert.equal(jp.spec?.ingress?.[0]?.ports?.[0]?.port, 8080);
    const mp = await net.patchNamespacedNetworkPolicy(
      { name: 'allow-web', namespace: 'js-net', body: { metadata: { labels: { merged: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(mp.metadata?.labels, { team: 'web', merged: 'yes' });
    const sp = await net.patchNamespacedNetworkPolicy(
      { name: 'allow-web', namespace: 'js-net', body: { spec: { policyTypes: ['Ingress', 'Egress'] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(sp.spec?.policyTypes, ['Ingress', 'Egress']);
    const cur = await net.readNamespacedNetworkPolicy({ name: 'allow-web', namespace: 'js-net' });
    await net.patchNamespacedNetworkPolicy({ name: 'allow-web', namespace: 'js-net', body: [{ op: 'add', path: '/metadata/labels/bump', value: '1' }] });
    assert.deepEqual(await failure(net.replaceNamespacedNetworkPolicy({ name: 'allow-web', namespace: 'js-net', body: cur })), conflict('networkpolicies.networking.k8s.io', 'allow-web'));
    assert.deepEqual(await failure(net.createNamespacedNetworkPolicy({ namespace: 'js-net', body: netpol('bad', 'js-net', 70000) })), {
      code: 422,
      reason: 'Invalid',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.ingress[0].ports[0].port' }],
      message: 'NetworkPolicy.networking.k8s.io "bad" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    });
    const dry = await net.createNamespacedNetworkPolicy({ namespace: 'js-net', body: netpol('dry', 'js-net', 80), dryRun: 'All' });
    assert.equal(dry.metadata?.name, 'dry');
    assert.deepEqual(await failure(net.readNamespacedNetworkPolicy({ name: 'dry', namespace: 'js-net' })), notFound('networkpolicies.networking.k8s.io', 'dry'));
    await net.deleteNamespacedNetworkPolicy({ name: 'other', namespace: 'js-net', dryRun: 'All' });
    assert.deepEqual(names((await net.listNamespacedNetworkPolicy({ namespace: 'js-net' })).items), ['allow-web', 'other']);
  });

  test('NetworkingV1Api: a failed JSON-patch test is 422; delete returns a Success Status', async () => {
    await core.createNamespace({ body: { metadata: { name: 'js-net2' } } });
    await net.createNamespacedNetworkPolicy({ namespace: 'js-net2', body: netpol('p', 'js-net2', 80) });
    const t = await failure(net.patchNamespacedNetworkPolicy({ name: 'p', namespace: 'js-net2', body: [{ op: 'test', path: '/spec/ingress/0/ports/0/port', value: 81 }] }));
    assert.equal(t?.code, 422);
    assert.equal(t?.reason, 'Invalid');
    const st = await net.deleteNamespacedNetworkPolicy({ name: 'p', namespace: 'js-net2' });
    assert.equal(st.kind, 'Status');
    assert.equal(st.status, 'Success');
  });

  test('CustomObjectsApi: Calico GlobalNetworkPolicy, NetworkPolicy, GlobalNetworkSet, HostEndpoint; 409 and 422', async () => {
    const g = (await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', body: gnp('js-db', 100) })) as Json;
    assert.equal((g['spec'] as Json)['tier'], 'default');
    const p = (await co.patchClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', name: 'js-db', body: { spec: { order: 150 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as Json;
    assert.equal((p['spec'] as Json)['order'], 150);
    const cur = (await co.getClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', name: 'js-db' })) as Json;
    (cur['spec'] as Json)['order'] = 175;
    const r = (await co.replaceClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', name: 'js-db', body: cur })) as Json;
    assert.equal((r['spec'] as Json)['order'], 175);
    assert.deepEqual(await failure(co.replaceClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', name: 'js-db', body: cur })), conflict('globalnetworkpolicies.projectcalico.org', 'js-db'));
    await core.createNamespace({ body: { metadata: { name: 'js-cal' } } });
    const cnp = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-dns', namespace: 'js-cal', labels: { team: 'net' } },
      spec: { selector: 'all()', types: ['Egress'], egress: [{ action: 'Allow', protocol: 'UDP', destination: { ports: [53] } }] },
    };
    await co.createNamespacedCustomObject({ ...CAL, namespace: 'js-cal', plural: 'networkpolicies', body: cnp });
    const cl = (await co.listNamespacedCustomObject({ ...CAL, namespace: 'js-cal', plural: 'networkpolicies', labelSelector: 'team=net' })) as { items: KubernetesObject[] };
    assert.deepEqual(names(cl.items), ['allow-dns']);
    await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworksets', body: gns('js-blocked', { kind: 'blocklist' }, ['198.18.0.0/24']) });
    const s = (await co.patchClusterCustomObject(
      { ...CAL, plural: 'globalnetworksets', name: 'js-blocked', body: [{ op: 'add', path: '/spec/nets/-', value: '198.18.1.0/24' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )) as Json;
    assert.deepEqual((s['spec'] as Json)['nets'], ['198.18.0.0/24', '198.18.1.0/24']);
    const hep = { apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'js-worker-1-eth0', labels: { role: 'worker' } }, spec: { node: 'worker-1', interfaceName: 'eth0', expectedIPs: ['198.18.0.10'] } };
    await co.createClusterCustomObject({ ...CAL, plural: 'hostendpoints', body: hep });
    const hl = (await co.listClusterCustomObject({ ...CAL, plural: 'hostendpoints', labelSelector: 'role=worker' })) as { items: KubernetesObject[] };
    assert.deepEqual(names(hl.items), ['js-worker-1-eth0']);
    const bad = gnp('js-bad', 1);
    (bad['spec'] as Json)['selector'] = 'role ==== db';
    assert.deepEqual(await failure(co.createClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', body: bad })), {
      code: 422,
      reason: 'Invalid',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.selector' }],
      message: 'GlobalNetworkPolicy.projectcalico.org "js-bad" is invalid: spec.selector: Invalid value: "role ==== db": invalid selector: expected string (at column 8)',
    });
    await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', body: gnp('js-dry', 1), dryRun: 'All' });
    assert.deepEqual(await failure(co.getClusterCustomObject({ ...CAL, plural: 'globalnetworkpolicies', name: 'js-dry' })), notFound('globalnetworkpolicies.projectcalico.org', 'js-dry'));
    await co.deleteClusterCustomObject({ ...CAL, plural: 'hostendpoints', name: 'js-worker-1-eth0' });
    assert.deepEqual(await failure(co.getClusterCustomObject({ ...CAL, plural: 'hostendpoints', name: 'js-worker-1-eth0' })), notFound('hostendpoints.projectcalico.org', 'js-worker-1-eth0'));
  });

  test('KubernetesObjectApi: create, read, list, merge patch, replace, delete across core, networking and Calico kinds', async () => {
    const ns = await objs.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'js-obj' } });
    assert.equal(ns.metadata?.name, 'js-obj');
    const np = await objs.create(netpol('generic', 'js-obj', 80));
    assert.equal((np as V1NetworkPolicy).spec?.ingress?.[0]?.ports?.[0]?.port, 80);
    const hep = { apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'js-obj-hep' }, spec: { node: 'worker-2', interfaceName: 'eth1' } };
    await objs.create(hep);
    const read = (await objs.read({ apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'js-obj-hep' } })) as KubernetesObject & { spec: Json };
    assert.deepEqual(read.spec, { node: 'worker-2', interfaceName: 'eth1' });
    const merged = (await objs.patch(
      { apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'js-obj-hep', labels: { zone: 'a' } } },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    )) as KubernetesObject;
    assert.deepEqual(merged.metadata?.labels, { zone: 'a' });
    const fresh = (await objs.read({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'generic', namespace: 'js-obj' } })) as V1NetworkPolicy;
    fresh.spec!.policyTypes = ['Ingress', 'Egress'];
    const replaced = (await objs.replace(fresh)) as V1NetworkPolicy;
    assert.deepEqual(replaced.spec?.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(await failure(objs.replace(fresh)), conflict('networkpolicies.networking.k8s.io', 'generic'));
    const list = await objs.list('networking.k8s.io/v1', 'NetworkPolicy', 'js-obj');
    assert.deepEqual(names(list.items), ['generic']);
    await objs.delete({ apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'js-obj-hep' } });
    assert.deepEqual(await failure(objs.read({ apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'js-obj-hep' } })), notFound('hostendpoints.projectcalico.org', 'js-obj-hep'));
    const dry = await objs.create(gns('js-obj-dry', {}, ['198.18.4.0/24']) as KubernetesObject, undefined, 'All');
    assert.equal(dry.metadata?.name, 'js-obj-dry');
    assert.deepEqual(await failure(objs.read({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'js-obj-dry' } })), notFound('globalnetworksets.projectcalico.org', 'js-obj-dry'));
  });

  test('loadAllYaml + KubernetesObjectApi.create: a multi-document manifest of core, networking and Calico kinds', async () => {
    const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: js-yaml
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: js-yaml
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: js-yaml-deny
spec:
  selector: projectcalico.org/namespace == 'js-yaml'
  types: [Egress]
  egress:
  - action: Deny
    destination:
      nets: [198.18.9.0/24]
`;
    const created: string[] = [];
    for (const doc of loadAllYaml(manifest) as KubernetesObject[]) {
      const o = await objs.create(doc);
      created.push(`${o.kind}/${o.metadata?.name}`);
    }
    assert.deepEqual(created, ['Namespace/js-yaml', 'NetworkPolicy/deny-all', 'GlobalNetworkPolicy/js-yaml-deny']);
    const g = (await objs.read({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'js-yaml-deny' } })) as KubernetesObject & { spec: Json };
    assert.deepEqual(g.spec['egress'], [{ action: 'Deny', destination: { nets: ['198.18.9.0/24'] } }]);
  });

  test('KubernetesObjectApi: server-side apply with a field manager, conflict (409 with causes), force, dry run', async () => {
    const applied = (await objs.patch(gnp('js-ssa', 300) as KubernetesObject, undefined, undefined, 'js-tool', undefined, PatchStrategy.ServerSideApply)) as KubernetesObject & { spec: Json };
    assert.equal(applied.spec['order'], 300);
    assert.deepEqual(
      applied.metadata?.managedFields?.map((m) => `${m.manager}:${m.operation}`),
      ['js-tool:Apply'],
    );
    const other = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'js-ssa' }, spec: { order: 301 } };
    assert.deepEqual(await failure(objs.patch(other, undefined, undefined, 'js-other', undefined, PatchStrategy.ServerSideApply)), {
      code: 409,
      reason: 'Conflict',
      causes: [{ reason: 'FieldManagerConflict', field: '.spec.order' }],
      message: 'Apply failed with 1 conflict: conflict with "js-tool": .spec.order',
    });
    const forced = (await objs.patch(other, undefined, undefined, 'js-other', true, PatchStrategy.ServerSideApply)) as KubernetesObject & { spec: Json };
    assert.equal(forced.spec['order'], 301);
    const dry = (await objs.patch({ ...other, spec: { order: 999 } }, undefined, 'All', 'js-other', true, PatchStrategy.ServerSideApply)) as KubernetesObject & { spec: Json };
    assert.equal(dry.spec['order'], 999);
    const stored = (await objs.read({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'js-ssa' } })) as KubernetesObject & { spec: Json };
    assert.equal(stored.spec['order'], 301);
    // a core kind through the typed API with the apply content type
    await core.createNamespace({ body: { metadata: { name: 'js-ssa' } } });
    const nsApplied = await core.patchNamespace(
      { name: 'js-ssa', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'js-ssa', labels: { applied: 'yes' } } }, fieldManager: 'js-tool' },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    assert.deepEqual(nsApplied.metadata?.labels, { applied: 'yes', 'kubernetes.io/metadata.name': 'js-ssa' });
  });

  test('paging: limit and continue over Calico and core lists', async () => {
    for (let i = 0; i < 7; i++) await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworksets', body: gns(`js-page-${i}`, { paged: 'js' }, [`198.18.5.${i}/32`]) });
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const r = (await co.listClusterCustomObject({ ...CAL, plural: 'globalnetworksets', labelSelector: 'paged=js', limit: 3, ...(token ? { _continue: token } : {}) })) as { items: KubernetesObject[]; metadata: { continue?: string } };
      pages.push(names(r.items));
      token = r.metadata.continue || undefined;
    } while (token !== undefined && pages.length < 10);
    assert.deepEqual(pages, [
      ['js-page-0', 'js-page-1', 'js-page-2'],
      ['js-page-3', 'js-page-4', 'js-page-5'],
      ['js-page-6'],
    ]);
    const all = await core.listNamespace();
    const first = await core.listNamespace({ limit: 2 });
    assert.deepEqual(names(first.items), names(all.items).slice(0, 2));
    assert.equal(first.metadata?.remainingItemCount, all.items.length - 2);
    const rest = await core.listNamespace({ limit: 100, _continue: first.metadata!._continue! });
    assert.deepEqual(names(rest.items), names(all.items).slice(2));
    assert.equal(rest.metadata?._continue, undefined);
  });

  test('Watch: resume from a resourceVersion sees ADDED, MODIFIED, DELETED in order', async () => {
    await core.createNamespace({ body: { metadata: { name: 'js-watch' } } });
    const rv = (await core.listNamespacedPod({ namespace: 'js-watch' })).metadata!.resourceVersion!;
    await core.createNamespacedPod({ namespace: 'js-watch', body: pod('a', 'js-watch', { app: 'web' }) });
    await core.patchNamespacedPod({ name: 'a', namespace: 'js-watch', body: { metadata: { labels: { v: '2' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.deleteNamespacedPod({ name: 'a', namespace: 'js-watch' });
    const events: string[] = [];
    let ended = false;
    const w = await new Watch(kc).watch(
      '/api/v1/namespaces/js-watch/pods',
      { resourceVersion: rv },
      (type, obj: V1Pod) => events.push(`${type} ${obj.metadata?.name} ${obj.metadata?.labels?.['v'] ?? '-'}`),
      () => (ended = true),
    );
    try {
      assert.ok(await until(() => events.length >= 3), `events: ${events.join(', ')}`);
      assert.deepEqual(events, ['ADDED a -', 'MODIFIED a 2', 'DELETED a 2']);
      assert.equal(ended, false);
    } finally {
      w.abort();
    }
  });

  test('Watch: a live watch of a Calico kind with a label selector', async () => {
    const events: string[] = [];
    const rv = ((await co.listClusterCustomObject({ ...CAL, plural: 'globalnetworksets' })) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const w = await new Watch(kc).watch(
      '/apis/projectcalico.org/v3/globalnetworksets',
      { labelSelector: 'watch=js', resourceVersion: rv },
      (type, obj: KubernetesObject) => events.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    try {
      await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworksets', body: gns('js-w-ignored', { watch: 'no' }, ['198.18.6.0/24']) });
      await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworksets', body: gns('js-w-seen', { watch: 'js' }, ['198.18.6.0/24']) });
      await co.deleteClusterCustomObject({ ...CAL, plural: 'globalnetworksets', name: 'js-w-seen' });
      assert.ok(await until(() => events.length >= 2), `events: ${events.join(', ')}`);
      assert.deepEqual(events, ['ADDED js-w-seen', 'DELETED js-w-seen']);
    } finally {
      w.abort();
    }
  });

  test('Watch: an object relabelled out of a label-selected watch is DELETED with its last matching state', async () => {
    await core.createNamespace({ body: { metadata: { name: 'js-exit' } } });
    await core.createNamespacedPod({ namespace: 'js-exit', body: pod('b', 'js-exit', { app: 'web' }) });
    const rv = (await core.listNamespacedPod({ namespace: 'js-exit', labelSelector: 'app=web' })).metadata!.resourceVersion!;
    await core.patchNamespacedPod({ name: 'b', namespace: 'js-exit', body: { metadata: { labels: { app: 'db' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const events: string[] = [];
    const w = await new Watch(kc).watch(
      '/api/v1/namespaces/js-exit/pods',
      { labelSelector: 'app=web', resourceVersion: rv },
      (type, obj: V1Pod) => events.push(`${type} ${obj.metadata?.name} app=${obj.metadata?.labels?.['app']}`),
      () => undefined,
    );
    try {
      assert.ok(await until(() => events.length >= 1), 'no event');
      assert.deepEqual(events, ['DELETED b app=web']);
    } finally {
      w.abort();
    }
  });

  test('informer: add/update/delete handlers, the cache, and a relist after 410 Expired', async () => {
    await core.createNamespace({ body: { metadata: { name: 'js-inf' } } });
    await core.createNamespacedPod({ namespace: 'js-inf', body: pod('p1', 'js-inf', { app: 'inf' }) });
    const log: string[] = [];
    const errors: unknown[] = [];
    const inf = makeInformer<V1Pod>(kc, '/api/v1/namespaces/js-inf/pods', () => core.listNamespacedPod({ namespace: 'js-inf' }));
    inf.on('add', (p) => log.push(`add ${p.metadata?.name}`));
    inf.on('update', (p) => log.push(`update ${p.metadata?.name} ${p.metadata?.labels?.['v'] ?? '-'}`));
    inf.on('delete', (p) => log.push(`delete ${p.metadata?.name}`));
    // stop() aborts the watch request, which the informer reports as an AbortError: not the server's doing
    let connects = 0;
    inf.on('connect', () => void connects++);
    inf.on('error', (e: unknown) => (e instanceof Error && e.name === 'AbortError' ? undefined : errors.push(e)));
    await inf.start();
    try {
      assert.ok(await until(() => log.length >= 1), log.join(', '));
      await core.createNamespacedPod({ namespace: 'js-inf', body: pod('p2', 'js-inf', { app: 'inf' }) });
      await core.patchNamespacedPod({ name: 'p1', namespace: 'js-inf', body: { metadata: { labels: { v: '2' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedPod({ name: 'p2', namespace: 'js-inf' });
      assert.ok(await until(() => log.length >= 4), log.join(', '));
      assert.deepEqual(log, ['add p1', 'add p2', 'update p1 2', 'delete p2']);
      assert.deepEqual(inf.list('js-inf').map((p) => p.metadata?.name), ['p1']);
      assert.equal(inf.get('p1', 'js-inf')?.metadata?.labels?.['v'], '2');
      // stopped while the world changes and the history is compacted: the restart's watch gets
      // 410 Expired, and the informer relists — a delete for p1, an add for p3
      await inf.stop();
      log.length = 0;
      await core.deleteNamespacedPod({ name: 'p1', namespace: 'js-inf' });
      await core.createNamespacedPod({ namespace: 'js-inf', body: pod('p3', 'js-inf', { app: 'inf' }) });
      await compact();
      connects = 0;
      await inf.start();
      assert.ok(await until(() => log.length >= 2 && connects >= 2), `${log.join(', ')}; ${connects} connects`);
      assert.equal(connects, 2, 'one start, one reconnect after the 410 (that relists)');
      assert.deepEqual(log.sort(), ['add p3', 'delete p1']);
      assert.deepEqual(inf.list('js-inf').map((p) => p.metadata?.name), ['p3']);
      assert.deepEqual(errors, []);
    } finally {
      await inf.stop();
    }
  });

  test('Watch: from a compacted resourceVersion, an ERROR event with a 410 Expired Status', async () => {
    const rv = (await core.listNamespace()).metadata!.resourceVersion!;
    await core.createNamespace({ body: { metadata: { name: 'js-gone' } } });
    await compact();
    const events: { type: string; code: unknown; reason: unknown }[] = [];
    let done: unknown = 'not yet';
    const w = await new Watch(kc).watch(
      '/api/v1/namespaces',
      { resourceVersion: rv },
      (type, obj: Json) => events.push({ type, code: obj['code'], reason: obj['reason'] }),
      (err: unknown) => (done = err),
    );
    try {
      assert.ok(await until(() => done !== 'not yet'), 'the watch did not end');
      assert.deepEqual(events, [{ type: 'ERROR', code: 410, reason: 'Expired' }]);
      assert.equal(done, null);
    } finally {
      w.abort();
    }
  });

  test('paging is a consistent snapshot, and an expired continue token is 410 with a fresh token', async () => {
    for (let i = 0; i < 4; i++) await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworksets', body: gns(`js-snap-${i}`, { snap: 'js' }, [`198.18.7.${i}/32`]) });
    const p1 = (await co.listClusterCustomObject({ ...CAL, plural: 'globalnetworksets', labelSelector: 'snap=js', limit: 2 })) as { items: KubernetesObject[]; metadata: { continue: string } };
    await co.createClusterCustomObject({ ...CAL, plural: 'globalnetworksets', body: gns('js-snap-9', { snap: 'js' }, ['198.18.7.9/32']) });
    await co.deleteClusterCustomObject({ ...CAL, plural: 'globalnetworksets', name: 'js-snap-3' });
    const p2 = (await co.listClusterCustomObject({ ...CAL, plural: 'globalnetworksets', labelSelector: 'snap=js', limit: 10, _continue: p1.metadata.continue })) as { items: KubernetesObject[] };
    assert.deepEqual(names(p2.items), ['js-snap-2', 'js-snap-3']);
    await compact();
    const gone = await failure(co.listClusterCustomObject({ ...CAL, plural: 'globalnetworksets', labelSelector: 'snap=js', limit: 10, _continue: p1.metadata.continue }));
    assert.equal(gone?.code, 410);
    assert.equal(gone?.reason, 'Expired');
  });
});
