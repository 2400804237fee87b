/**
 * The objects Calico has without anyone creating them, through the ResourceClient (what
 * calicoctl and the API server list): built-in tiers, the default FelixConfiguration, the
 * default-allow / kns.* / ksa.* profiles and one WorkloadEndpoint per pod; which writes Calico
 * refuses; and that none of them is stored or taken for a stored object.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlreadyExistsError, openMemoryDatastore } from '../datastore/index.js';
import { ResourceClient } from './resource-client.js';
import { ForbiddenError } from './errors.js';
import { kindFor } from '../model/kinds.js';
import { DERIVED_ANNOTATION, isDerived } from '../model/calico/derived.js';
import { workloadInterfaceName } from '../engine/names.js';

const TIER = kindFor('projectcalico.org/v3', 'Tier')!;
const PROFILE = kindFor('projectcalico.org/v3', 'Profile')!;
const WEP = kindFor('projectcalico.org/v3', 'WorkloadEndpoint')!;
const FELIX = kindFor('projectcalico.org/v3', 'FelixConfiguration')!;

type Obj = { metadata: { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: Record<string, unknown> };

async function setup() {
  const ds = await openMemoryDatastore();
  const c = new ResourceClient(ds);
  await c.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'web', 'kubernetes.io/metadata.name': 'shop' } } });
  await c.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bob', namespace: 'shop', labels: { role: 'api' } } });
  return { ds, c };
}

const names = (items: readonly Obj[]): string[] => items.map((o) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name ?? ''}`);

describe('built-in tiers and the default FelixConfiguration', () => {
  test('the three tiers Calico 3.31 creates are listed and got, with their orders and actions', async () => {
    const { c } = await setup();
    const tiers = (await c.list(TIER)).items as unknown as Obj[];
    assert.deepEqual(names(tiers), ['adminnetworkpolicy', 'baselineadminnetworkpolicy', 'default']);
    assert.deepEqual(tiers.map((t) => t.spec), [
      { order: 1000, defaultAction: 'Pass' },
      { order: 10_000_000, defaultAction: 'Pass' },
      { order: 1_000_000, defaultAction: 'Deny' },
    ]);
    assert.ok(tiers.every(isDerived));
    assert.equal(((await c.get(TIER, undefined, 'default')) as unknown as Obj).spec?.['order'], 1_000_000);
    assert.deepEqual(names((await c.list(FELIX)).items as unknown as Obj[]), ['default']);
  });

  test('create says AlreadyExists; delete of default and adminnetworkpolicy is refused as Calico refuses it', async () => {
    const { c } = await setup();
    await assert.rejects(c.create({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'default' }, spec: { order: 1_000_000 } }), AlreadyExistsError);
    await assert.rejects(c.delete(TIER, undefined, 'default'), { name: 'ForbiddenError', message: 'operation Delete is not supported on default: Cannot delete default tier' });
    await assert.rejects(c.delete(TIER, undefined, 'adminnetworkpolicy'), { name: 'ForbiddenError', message: /Cannot delete adminnetworkpolicy tier/ });
    await assert.rejects(c.delete(TIER, undefined, 'baselineadminnetworkpolicy'), { name: 'ForbiddenError', message: /built in/ });
  });

  test('a tier that holds policies cannot be deleted; an empty one can', async () => {
    const { c } = await setup();
    await c.create({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'security' }, spec: { order: 100 } });
    await c.create({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'security.block' }, spec: { tier: 'security', selector: 'all()' } });
    await assert.rejects(c.delete(TIER, undefined, 'security'), { name: 'ForbiddenError', message: 'operation delete is not supported on security: Cannot delete a non-empty tier' });
    await c.delete(kindFor('projectcalico.org/v3', 'GlobalNetworkPolicy')!, undefined, 'security.block');
    await c.delete(TIER, undefined, 'security');
    assert.deepEqual(names((await c.list(TIER)).items as unknown as Obj[]), ['adminnetworkpolicy', 'baselineadminnetworkpolicy', 'default']);
  });

  test('applying a built-in tier read back stores it without the derived marker; it then replaces the built-in one', async () => {
    const { c, ds } = await setup();
    const read = structuredClone(await c.get(TIER, undefined, 'default')) as unknown as Obj;
    read.metadata.labels = { owner: 'platform' };
    const r = await c.apply(read);
    assert.ok(!isDerived(r.object));
    const stored = (await ds.list({ group: 'projectcalico.org', plural: 'tiers' })).items;
    assert.deepEqual(names(stored as unknown as Obj[]), ['default']);
    const listed = (await c.list(TIER)).items as unknown as Obj[];
    assert.deepEqual(names(listed), ['adminnetworkpolicy', 'baselineadminnetworkpolicy', 'default']);
    const def = listed.find((t) => t.metadata.name === 'default')!;
    assert.deepEqual(def.metadata.labels, { owner: 'platform' });
    assert.equal(def.metadata.annotations?.[DERIVED_ANNOTATION], undefined);
    // the reserved order still holds
    await assert.rejects(c.apply({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'default' }, spec: { order: 5 } }), { name: 'InvalidError' });
  });
});

describe('profiles derived from namespaces and service accounts', () => {
  test('projectcalico-default-allow, kns.<ns> with pcns.* labels, ksa.<ns>.<sa> with pcsa.* labels', async () => {
    const { c } = await setup();
    const profiles = (await c.list(PROFILE)).items as unknown as Obj[];
    assert.deepEqual(names(profiles), ['kns.shop', 'ksa.shop.bob', 'projectcalico-default-allow']);
    const [kns, ksa, allow] = profiles;
    assert.deepEqual(kns!.spec, {
      ingress: [{ action: 'Allow' }],
      egress: [{ action: 'Allow' }],
      labelsToApply: { 'pcns.team': 'web', 'pcns.kubernetes.io/metadata.name': 'shop', 'pcns.projectcalico.org/name': 'shop' },
    });
    assert.deepEqual(ksa!.spec, { labelsToApply: { 'pcsa.role': 'api', 'pcsa.projectcalico.org/name': 'bob' } });
    assert.deepEqual(allow!.spec, { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] });
    assert.equal(kns!.metadata.annotations?.[DERIVED_ANNOTATION], 'v1 Namespace shop');
    assert.deepEqual(((await c.get(PROFILE, undefined, 'ksa.shop.bob')) as unknown as Obj).spec, ksa!.spec);
    await assert.rejects(c.get(PROFILE, undefined, 'ksa.shop.nobody'), { name: 'NotFoundError' });
  });

  test('derived profiles are read-only, and their names cannot be taken', async () => {
    const { c } = await setup();
    await assert.rejects(c.delete(PROFILE, undefined, 'kns.shop'), { name: 'ForbiddenError', message: /operation Delete is not supported on Profile\(kns\.shop\): it is derived from v1 Namespace shop/ });
    await assert.rejects(c.apply({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'kns.shop' }, spec: {} }), ForbiddenError);
    await assert.rejects(c.create({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'kns.later' }, spec: {} }), { name: 'ForbiddenError', message: /reserved/ });
    await c.create({ apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'mine' }, spec: { labelsToApply: { a: 'b' } } });
    assert.ok(!isDerived(await c.get(PROFILE, undefined, 'mine')));
  });
});

describe('one WorkloadEndpoint per pod', () => {
  const pod = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = { podIP: '198.18.0.5' }) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }, { containerPort: 81 }] }], ...spec },
    status,
  });

  test('named <node>-k8s-<pod>-eth0 with dashes doubled; labels, profiles, addresses and named ports as Calico derives them', async () => {
    const { c } = await setup();
    await c.create(pod('web-1', { nodeName: 'worker-1', serviceAccountName: 'bob' }));
    await c.create(pod('unscheduled', {}));
    await c.create(pod('hostnet', { nodeName: 'worker-1', hostNetwork: true }));
    await c.create(pod('done', { nodeName: 'worker-2' }, { phase: 'Succeeded', podIP: '198.18.0.6' }));
    const weps = (await c.list(WEP, { namespace: 'shop' })).items as unknown as Obj[];
    assert.deepEqual(names(weps), ['shop/worker--1-k8s-web--1-eth0', 'shop/worker--2-k8s-done-eth0']);
    const w = weps[0]!;
    assert.deepEqual(w.metadata.labels, { app: 'web-1', 'projectcalico.org/namespace': 'shop', 'projectcalico.org/orchestrator': 'k8s', 'projectcalico.org/serviceaccount': 'bob' });
    assert.deepEqual(w.spec, {
      orchestrator: 'k8s',
      node: 'worker-1',
      pod: 'web-1',
      endpoint: 'eth0',
      interfaceName: workloadInterfaceName('shop', 'web-1'),
      profiles: ['kns.shop', 'ksa.shop.bob'],
      ipNetworks: ['198.18.0.5/32'],
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      serviceAccountName: 'bob',
    });
    assert.deepEqual(weps[1]!.spec?.['ipNetworks'], [], 'a finished pod keeps its endpoint without addresses');
    assert.deepEqual(((await c.get(WEP, 'shop', 'worker--1-k8s-web--1-eth0')) as unknown as Obj).spec, w.spec);
    await assert.rejects(c.delete(WEP, 'shop', 'worker--1-k8s-web--1-eth0'), { name: 'ForbiddenError', message: /derived from v1 Pod shop\/web-1/ });
    const wl = c.derivedSource(WEP)!;
    assert.deepEqual(wl.type, { group: '', plural: 'pods' });
  });

  test('stored WorkloadEndpoints still work beside the derived ones', async () => {
    const { c } = await setup();
    await c.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'WorkloadEndpoint',
      metadata: { namespace: 'shop' },
      spec: { orchestrator: 'k8s', node: 'n1', pod: 'vm', endpoint: 'eth0', interfaceName: 'cali0123456789a', ipNetworks: ['198.18.1.1/32'] },
    });
    const weps = (await c.list(WEP)).items;
    assert.deepEqual(names(weps as unknown as Obj[]), ['shop/n1-k8s-vm-eth0']);
    assert.ok(!isDerived(weps[0]));
    await c.delete(WEP, 'shop', 'n1-k8s-vm-eth0');
  });
});
