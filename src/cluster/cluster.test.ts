import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore, type Datastore, type StoredObject } from '../datastore/index.js';
import { ResourceClient, ProviderManagedError } from '../client/index.js';
import { kindFor } from '../model/kinds.js';
import {
  PACKS,
  applyPack,
  removePack,
  desiredHostEndpoints,
  loadProfile,
  nodeManifest,
  profileNamed,
  reconcileHostEndpoints,
  renderPack,
  startHostEndpointController,
  cidrContains,
  clusterDefaults,
  coveringCidr,
  pathsCut,
  type WorkerSpec,
} from './index.js';

const ibm = profileNamed('ibm-classic')!;
const HEP = kindFor('projectcalico.org/v3', 'HostEndpoint')!;
const GNP = kindFor('projectcalico.org/v3', 'GlobalNetworkPolicy')!;
const GNS = kindFor('projectcalico.org/v3', 'GlobalNetworkSet')!;

async function cluster(workers = 3): Promise<{ ds: Datastore; client: ResourceClient; workers: readonly WorkerSpec[] }> {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  for (const ns of ['default', 'kube-system']) await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const ws = ibm.workers(workers);
  await loadProfile(client, ibm, { workers: ws, scheduler: 'static', createNodes: true });
  return { ds, client, workers: ws };
}

const hepNames = async (c: ResourceClient): Promise<string[]> => (await c.list(HEP)).items.map((o) => o.metadata.name ?? '');

test('ibm-classic loads, every object validates, and a reload keeps what exists', async () => {
  const { client, workers } = await cluster();
  const gnps = (await client.list(GNP)).items.map((o) => o.metadata.name);
  assert.deepEqual(gnps, ['allow-all-outbound', 'allow-bigfix-port', 'allow-icmp', 'allow-node-port-dnat', 'allow-sys-mgmt', 'allow-vrrp']);
  const again = await loadProfile(client, ibm, { workers, scheduler: 'static', createNodes: true });
  assert.equal(again.created.length, 0);
});

test('a public host endpoint per worker, from the template; a later node gets one; a removed node loses it', async () => {
  const { ds, client, workers } = await cluster(3);
  const r = await reconcileHostEndpoints(ds, ibm.interfaces);
  assert.equal(r.created.length, 3);
  const heps = (await client.list(HEP)).items as (StoredObject & { spec: { interfaceName: string; expectedIPs: string[]; node: string } })[];
  assert.deepEqual(
    heps.map((h) => [h.metadata.name, h.spec.interfaceName, h.spec.expectedIPs, h.metadata.labels?.['ibm.role']]),
    workers.map((w) => [`${w.name}-worker-public`, 'eth1', [w.externalIP], 'worker_public']),
  );
  const ctl = startHostEndpointController(ds, { convention: ibm.interfaces, retryMs: 20 });
  try {
    await ctl.ready;
    const w4 = ibm.workers(4)[3]!;
    await client.create(nodeManifest(w4));
    const deadline = Date.now() + 5000;
    while (!(await hepNames(client)).includes(`${w4.name}-worker-public`) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 10));
    assert.ok((await hepNames(client)).includes(`${w4.name}-worker-public`));
    await client.delete(kindFor('v1', 'Node')!, undefined, w4.name);
    const deadline2 = Date.now() + 5000;
    while ((await hepNames(client)).includes(`${w4.name}-worker-public`) && Date.now() < deadline2) await new Promise((ok) => setTimeout(ok, 10));
    assert.ok(!(await hepNames(client)).includes(`${w4.name}-worker-public`));
  } finally {
    await ctl.stop();
    await ds.close();
  }
});

test('provider-managed objects refuse changes and deletes without force, and say what breaks', async () => {
  const { client } = await cluster(1);
  await assert.rejects(client.delete(GNP, undefined, 'allow-icmp'), (e: unknown) => e instanceof ProviderManagedError && /ICMP/.test(e.message) && /--force/.test(e.message));
  await assert.rejects(
    client.modify(GNP, undefined, 'allow-icmp', (o) => ({ ...o, spec: { ...(o['spec'] as object), order: 1 } })),
    ProviderManagedError,
  );
  // unchanged writes are not changes
  const cur = await client.get(GNP, undefined, 'allow-icmp');
  assert.equal((await client.apply(cur)).outcome, 'unchanged');
  // the management network set is the operator's
  await client.modify(GNS, undefined, 'ibm-sys-mgmt', (o) => ({ ...o, spec: { nets: ['198.18.201.0/24'] } }));
  // the force annotation forces, and is not stored
  const forced = await client.modify(GNP, undefined, 'allow-icmp', (o) => ({
    ...o,
    metadata: { ...(o['metadata'] as object), annotations: { ...((o['metadata'] as { annotations: object }).annotations), 'tabby.dev/force': 'true' } },
    spec: { ...(o['spec'] as object), order: 1400 },
  }));
  assert.equal(forced.object.metadata.annotations?.['tabby.dev/force'], undefined);
  await client.delete(GNP, undefined, 'allow-icmp', { force: true });
});

test('desired host endpoints: pattern, CIDRs, selector, disabled', () => {
  const node = nodeManifest(ibm.workers(1)[0]!) as unknown as StoredObject;
  const spec = (templates: object[], autoCreate = 'Enabled') => ({ controllers: { node: { hostEndpoint: { autoCreate, templates } } } });
  assert.equal(desiredHostEndpoints(spec([{ generateName: 'x', interfacePattern: '^eth1$' }], 'Disabled'), [node], ibm.interfaces).length, 0);
  assert.equal(desiredHostEndpoints(spec([{ generateName: 'x', interfaceCIDRs: ['198.18.0.0/24'] }]), [node], ibm.interfaces).length, 1);
  assert.equal(desiredHostEndpoints(spec([{ generateName: 'x', interfacePattern: 'eth', nodeSelector: 'all()' }]), [node], ibm.interfaces).length, 2);
  assert.equal(desiredHostEndpoints(spec([{ generateName: 'x', interfacePattern: 'eth', nodeSelector: "a == 'b'" }]), [node], ibm.interfaces).length, 0);
  assert.ok(cidrContains('2001:db8::/32', '2001:db8::1'));
  assert.ok(!cidrContains('198.18.0.0/24', '198.18.1.1'));
});

test('every pack renders with defaults or examples, validates and applies', async () => {
  const examples: Record<string, Record<string, string>> = { 'nlb1-whitelist': { lbIP: '198.18.0.10', client: '198.18.1.0/24' }, 'nlb2-whitelist': { lbIP: '198.18.0.10', client: '198.18.1.20' } };
  for (const p of PACKS) {
    const { ds, client } = await cluster(2);
    const r = renderPack(p, examples[p.name] ?? {});
    assert.ok(r.ok, `${p.name}: ${r.ok ? '' : r.error.join('; ')}`);
    const res = await applyPack(client, r.value);
    assert.ok(res.length > 0);
    await ds.close();
  }
  const bad = renderPack(PACKS.find((p) => p.name === 'nlb1-whitelist')!, { lbIP: 'x', other: '1' });
  assert.ok(!bad.ok);
  assert.equal(bad.error.length, 3);
});

test('pack parameters of kind cidrs: a comma-separated list, substituted as list items; bad items named', () => {
  const p = PACKS.find((x) => x.name === 'ibm-private-isolation')!;
  const r = renderPack(p, { privateNets: '198.18.0.0/24, 198.18.2.7', podNetwork: '198.19.0.0/16' });
  assert.ok(r.ok, r.ok ? '' : r.error.join('; '));
  assert.equal(r.value.values['privateNets'], '198.18.0.0/24,198.18.2.7/32');
  const egress = r.value.manifests.find((m) => (m['metadata'] as { name: string }).name === 'allow-egress-pods')!;
  const rules = (egress['spec'] as { egress: { destination?: { notNets?: string[] } }[] }).egress;
  assert.deepEqual(rules.at(-1)?.destination?.notNets, ['198.18.0.0/24', '198.18.2.7/32']);
  const bad = renderPack(p, { privateNets: '10.0.0.0/8,nope' });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.error, ['privateNets: Invalid value: "10.0.0.0/8,nope": must be a comma-separated list of IP addresses or CIDRs (not: "nope")']);
});

test('the NLB whitelist packs deny every other client; the doNotTrack one lets the answers out', () => {
  const names = (pack: string): string[] => {
    const r = renderPack(PACKS.find((x) => x.name === pack)!, { lbIP: '198.18.0.10', client: '198.18.1.20' });
    assert.ok(r.ok);
    return r.value.manifests.map((m) => `${(m['metadata'] as { name: string }).name} ${Object.keys(m['spec'] as object).filter((k) => k === 'preDNAT' || k === 'doNotTrack').join()}`);
  };
  assert.deepEqual(names('nlb1-whitelist'), ['whitelist preDNAT', 'whitelist-deny-others preDNAT']);
  assert.deepEqual(names('nlb2-whitelist'), ['whitelist doNotTrack', 'whitelist-deny-others doNotTrack', 'whitelist-replies doNotTrack']);
});

test('ibm-private-isolation adds private host endpoints for current and later workers', async () => {
  const { ds, client } = await cluster(2);
  const r = renderPack(PACKS.find((p) => p.name === 'ibm-private-isolation')!, {});
  assert.ok(r.ok);
  await applyPack(client, r.value);
  await reconcileHostEndpoints(ds, ibm.interfaces);
  const names = await hepNames(client);
  assert.equal(names.filter((n) => n.endsWith('-worker-private')).length, 2);
  assert.equal(names.filter((n) => n.endsWith('-worker-public')).length, 2);
  await ds.close();
});

test('pack remove: deletes what the pack still owns, keeps what another pack took over and its namespaces, drops its templates', async () => {
  const { ds, client } = await cluster(2);
  const pack = (name: string): (typeof PACKS)[number] => PACKS.find((p) => p.name === name)!;
  const render = (name: string, set: Record<string, string> = {}) => {
    const r = renderPack(pack(name), set);
    assert.ok(r.ok, r.ok ? '' : r.error.join('; '));
    return r.value;
  };
  const gnps = async (): Promise<string[]> => (await client.list(GNP)).items.map((o) => o.metadata.name ?? '').filter((n) => n.startsWith('whitelist')).sort();
  await applyPack(client, render('nlb2-whitelist', { lbIP: '198.18.0.10', client: '198.18.1.20' }));
  await applyPack(client, render('nlb1-whitelist', { lbIP: '198.18.0.10', client: '198.18.1.20' }));
  assert.deepEqual(await gnps(), ['whitelist', 'whitelist-deny-others', 'whitelist-replies']);
  const dry = await removePack(client, pack('nlb2-whitelist'), { dryRun: true });
  assert.deepEqual(dry.map((x) => `${x.id}: ${x.outcome}`), ['GlobalNetworkPolicy whitelist-replies: deleted']);
  assert.deepEqual(await gnps(), ['whitelist', 'whitelist-deny-others', 'whitelist-replies'], 'a dry run deletes nothing');
  await removePack(client, pack('nlb2-whitelist'));
  assert.deepEqual(await gnps(), ['whitelist', 'whitelist-deny-others'], 'nlb1 took whitelist and whitelist-deny-others over');
  await removePack(client, pack('nlb1-whitelist'));
  assert.deepEqual(await gnps(), []);

  await applyPack(client, render('ibm-private-isolation'));
  await reconcileHostEndpoints(ds, ibm.interfaces);
  assert.equal((await hepNames(client)).filter((n) => n.endsWith('-worker-private')).length, 2);
  const removed = await removePack(client, pack('ibm-private-isolation'));
  assert.ok(removed.some((x) => x.id.startsWith('KubeControllersConfiguration default (1 host endpoint template')), JSON.stringify(removed));
  await reconcileHostEndpoints(ds, ibm.interfaces);
  assert.deepEqual((await hepNames(client)).filter((n) => n.endsWith('-worker-private')), [], 'the controller removes what the template made');
  assert.equal((await hepNames(client)).filter((n) => n.endsWith('-worker-public')).length, 2, 'the profile\'s public ones stay');
  assert.deepEqual((await client.list(GNP)).items.filter((o) => o.metadata.labels?.['tabby.dev/pack'] === 'ibm-private-isolation'), []);

  await applyPack(client, render('srv1'));
  const srv1 = await removePack(client, pack('srv1'));
  assert.deepEqual(srv1.filter((x) => x.outcome === 'kept').map((x) => x.id).sort(), ['Namespace accounts', 'Namespace finance']);
  assert.equal(srv1.filter((x) => x.outcome === 'deleted').length, 3);
  await ds.close();
});

test('the API server answers a write to a provider-managed object with 403 and the reason; ?force=true and gracePeriodSeconds 0 force', async () => {
  const { createApp } = await import('../apiserver/app.js');
  const { ds } = await cluster(1);
  const tokens = { admin: 'admin-token', readOnly: 'ro-token' };
  const app = createApp({ datastore: ds, tokens });
  const req = (method: string, path: string, body?: unknown) =>
    app.request(path, { method, headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const gnp = '/apis/projectcalico.org/v3/globalnetworkpolicies';
  const refused = await req('DELETE', `${gnp}/allow-icmp`);
  assert.equal(refused.status, 403);
  const st = (await refused.json()) as { reason: string; message: string };
  assert.equal(st.reason, 'Forbidden');
  assert.match(st.message, /allow-icmp.*managed by the provider.*ICMP/);
  const patched = await app.request(`${gnp}/allow-vrrp`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { order: 10 } }),
  });
  assert.equal(patched.status, 403);
  assert.equal((await req('DELETE', `${gnp}/allow-icmp?force=true`)).status, 200);
  assert.equal((await req('DELETE', `${gnp}/allow-vrrp`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 })).status, 200);
  await ds.close();
});

test('packs fit the cluster: defaults come from the Nodes and Services; the seed\'s defaults on this cluster cut its pod paths', () => {
  const nodes = ibm.workers(3).map(nodeManifest);
  const pod = (name: string, node: number, ip: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { run: name } },
    spec: { nodeName: ibm.workers(3)[node]!.name, containers: [{ name, image: 'x', ports: [{ containerPort: 80 }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  });
  const lb = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { run: 'a' } }, status: { loadBalancer: { ingress: [{ ip: '198.18.32.5' }] } } };
  const objects = [...nodes, pod('a', 0, '198.19.1.5'), pod('b', 1, '198.19.2.5'), lb];
  assert.deepEqual(clusterDefaults(objects), { podNetwork: '198.19.0.0/16', privateNets: '198.18.0.0/24', lbIP: '198.18.32.5' });
  assert.equal(coveringCidr(['172.30.1.0/24', '172.30.9.0/24'], 16), '172.30.0.0/16');
  assert.equal(coveringCidr(['10.0.0.0/8', '10.1.0.0/16'], 16), '10.0.0.0/8');
  const iso = PACKS.find((p) => p.name === 'ibm-private-isolation')!;
  const fitted = renderPack(iso, {}, clusterDefaults(objects));
  assert.ok(fitted.ok);
  assert.deepEqual(pathsCut(objects, fitted.value, ibm.interfaces), []);
  const seedDefaults = renderPack(iso, {});
  assert.ok(seedDefaults.ok);
  const cut = pathsCut(objects, seedDefaults.value, ibm.interfaces).map((c) => c.label);
  assert.ok(cut.includes('pod default/a → pod default/b TCP/80'), cut.join('\n'));
});
