/**
 * Calico's Kubernetes-datastore form (crd.projectcalico.org/v1) read into the model, as
 * libcalico-go's KDD backend reads it (resources.go ConvertK8sResourceToCalicoResource,
 * determinePolicyName; names.TieredPolicyName on write). The fixtures are in the shape of real
 * `kubectl get … -o yaml` output (testdata/kdd/); every imported object is checked field by field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests } from '../../manifest/index.js';
import type { Resource } from '../meta.js';
import { convertUID, decodeImported, kddToV3, v3ToKdd, tieredPolicyName, KDD_METADATA_ANNOTATION } from './index.js';

const DIR = join(import.meta.dirname, 'testdata', 'kdd');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');

const uidOf = (crUid: string): string => {
  const r = convertUID(crUid);
  assert.ok(r.ok);
  return r.value;
};

function byName(rs: readonly { resource: Resource }[]): Map<string, Resource> {
  return new Map(rs.map((r) => [`${r.resource.kind} ${r.resource.metadata?.namespace ?? ''}/${r.resource.metadata?.name ?? ''}`, r.resource]));
}

test('kubectl get … -o yaml of crd.projectcalico.org/v1: every object imported field by field', () => {
  const r = parseManifests(read('kubectl-get-crds.yaml'), 'kubectl-get-crds.yaml');
  // The IPPool is the one document Tabby does not model: a kind error, not a conversion error.
  assert.deepEqual(
    r.errors.map((e) => [e.fieldError?.path, e.fieldError?.type, e.location.line]),
    [['items[8].kind', 'NotSupported', 230]],
  );
  const got = byName(r.resources);
  assert.deepEqual([...got.keys()], [
    'Tier /security',
    'GlobalNetworkPolicy /security.block-blocklisted',
    'NetworkPolicy default/frontend-to-db',
    'NetworkPolicy finance/default.reports-egress',
    'GlobalNetworkSet /blocklist',
    'NetworkSet finance/partner-nets',
    'HostEndpoint /node1-eth0',
    'FelixConfiguration /default',
  ]);

  const tier = got.get('Tier /security') as Resource & { spec: unknown; status?: unknown };
  assert.equal(tier.apiVersion, 'projectcalico.org/v3');
  // Annotation metadata replaces the CR's: managedFields and generation of the CR are gone.
  assert.deepEqual(tier.metadata, {
    name: 'security',
    resourceVersion: '81234',
    uid: uidOf('0c1e5b5e-3f4a-4d2b-9a61-7e2f8f3c1a10'),
    creationTimestamp: '2026-11-30T09:12:01Z',
  });
  assert.deepEqual(tier.spec, { defaultAction: 'Deny', order: 100 });
  assert.equal(tier.status, undefined, 'a Tier status is runtime state, not part of the model');

  const gnp = got.get('GlobalNetworkPolicy /security.block-blocklisted') as Resource & { spec: Record<string, unknown> };
  assert.deepEqual(gnp.metadata, {
    name: 'security.block-blocklisted',
    resourceVersion: '81240',
    uid: 'baf05c79-d131-4c72-b345-f876b439de84',
    creationTimestamp: '2026-11-30T09:12:05Z',
    labels: { owner: 'secops' },
    annotations: { 'secops.example.com/ticket': 'SEC-1042' },
  });
  assert.equal(gnp.spec['tier'], 'security');
  assert.equal(gnp.spec['selector'], 'all()');
  assert.deepEqual(gnp.spec['types'], ['Ingress']);

  // Default tier, written by calicoctl: the CR is `default.frontend-to-db`, the v3 name is the annotation's.
  const np = got.get('NetworkPolicy default/frontend-to-db')!;
  assert.deepEqual(np.metadata, {
    name: 'frontend-to-db',
    namespace: 'default',
    resourceVersion: '81377',
    uid: uidOf('a3b8d1b6-0b3b-4c8e-9f4a-6e5d2c1b0a32'),
    creationTimestamp: '2026-11-30T09:13:44Z',
    labels: { app: 'Srv1' },
  });

  // Written with kubectl apply (no metadata annotation): Calico changes only the UID, the name stays.
  const applied = got.get('NetworkPolicy finance/default.reports-egress') as Resource & { spec: Record<string, unknown> };
  assert.equal(applied.metadata?.uid, uidOf('7f1c2d3e-4b5a-4968-8776-5a4b3c2d1e43'));
  assert.equal(applied.metadata?.generation, 1);
  assert.equal(applied.metadata?.managedFields?.length, 1);
  assert.match(applied.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '', /"name":"default.reports-egress"/);
  assert.equal(applied.spec['tier'], 'default', 'defaulted as any v3 policy');

  const gns = got.get('GlobalNetworkSet /blocklist')!;
  // The annotation's own "uid" (older Calico wrote it) never wins over the CR's transformed UID.
  assert.equal(gns.metadata?.uid, uidOf('2b6c8e0a-1d3f-4a5b-8c7d-9e0f1a2b3c54'));
  assert.deepEqual(gns.metadata?.labels, { feed: 'blocklist' });
  assert.deepEqual(got.get('NetworkSet finance/partner-nets')!.metadata?.labels, { role: 'partner' });

  // CR labels (Calico's own) and annotation labels merge.
  assert.deepEqual(got.get('HostEndpoint /node1-eth0')!.metadata?.labels, { 'host-endpoint': 'ingress', 'projectcalico.org/created-by': 'calico-kube-controllers' });
  const fc = got.get('FelixConfiguration /default') as Resource & { spec: Record<string, unknown> };
  assert.equal(fc.metadata?.uid, uidOf('e6ffc1cb-c7a3-4236-9dd6-bf7b7fc3ac92'));
  assert.equal(fc.spec['logSeverityScreen'], 'Info');
});

test('a kind: List of crd.projectcalico.org/v1 objects and the same policies as calicoctl lists give identical resources', () => {
  const kdd = parseManifests(read('kubectl-get-crds.yaml'), 'a.yaml');
  const v3 = parseManifests(read('calicoctl-get.yaml'), 'b.yaml');
  assert.deepEqual(v3.errors, []);
  assert.deepEqual(
    kdd.resources.map((r) => r.resource),
    v3.resources.map((r) => r.resource),
  );
  // What `calicoctl apply -f` would send for a CR is its v3 form.
  const raw = kdd.resources[2]!.raw as Resource;
  assert.equal(raw.apiVersion, 'projectcalico.org/v3');
  assert.equal(raw.metadata?.name, 'frontend-to-db');
});

test('policy names: annotation name, then default.-stripping only for the default tier, else the CR name', () => {
  const cr = (kind: string, name: string, tier: string | undefined, md?: Record<string, unknown>) => ({
    apiVersion: 'crd.projectcalico.org/v1',
    kind,
    metadata: { name, ...(kind === 'NetworkPolicy' ? { namespace: 'ns1' } : {}), annotations: { [KDD_METADATA_ANNOTATION]: JSON.stringify(md ?? { creationTimestamp: null }) } },
    spec: tier === undefined ? {} : { tier },
  });
  const nameOf = (o: unknown): unknown => {
    const r = kddToV3(o);
    assert.ok(r.ok);
    return (r.value as Resource).metadata?.name;
  };
  assert.equal(nameOf(cr('GlobalNetworkPolicy', 'default.allow-dns', undefined)), 'allow-dns');
  assert.equal(nameOf(cr('GlobalNetworkPolicy', 'default.allow-dns', 'default')), 'allow-dns');
  assert.equal(nameOf(cr('NetworkPolicy', 'default.allow-dns', '')), 'allow-dns');
  assert.equal(nameOf(cr('StagedNetworkPolicy', 'default.allow-dns', undefined)), 'allow-dns');
  assert.equal(nameOf(cr('NetworkPolicy', 'security.allow-dns', 'security')), 'security.allow-dns');
  assert.equal(nameOf(cr('NetworkPolicy', 'allow-dns', 'default')), 'allow-dns', 'newer Calico writes unprefixed names');
  assert.equal(nameOf(cr('GlobalNetworkPolicy', 'default.x', 'default', { name: 'other' })), 'other');
  assert.equal(nameOf(cr('GlobalNetworkSet', 'default.x', undefined)), 'default.x', 'only policy kinds carry a tier');
  assert.equal(tieredPolicyName('allow-dns'), 'default.allow-dns');
  assert.equal(tieredPolicyName('security.allow-dns'), 'security.allow-dns');
  assert.equal(tieredPolicyName('knp.default.web'), 'knp.default.web');
});

test('owner references of Calico objects are translated with their UID; creationTimestamp falls back to the CR', () => {
  const owner = '5d0f3a9e-8b8c-4c4e-b3a2-1f6e2d9c7b21';
  const r = kddToV3({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'NetworkSet',
    metadata: {
      name: 'n',
      namespace: 'ns1',
      creationTimestamp: '2026-01-01T00:00:00Z',
      annotations: {
        [KDD_METADATA_ANNOTATION]: JSON.stringify({
          creationTimestamp: null,
          ownerReferences: [
            { apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', name: 't', uid: owner },
            { apiVersion: 'v1', kind: 'Namespace', name: 'ns1', uid: owner },
          ],
        }),
        'example.com/keep': 'yes',
      },
    },
    spec: { nets: ['198.18.0.0/24'] },
  });
  assert.ok(r.ok);
  const m = (r.value as Resource).metadata!;
  assert.equal(m.creationTimestamp, '2026-01-01T00:00:00Z');
  assert.deepEqual(m.annotations, { 'example.com/keep': 'yes' });
  assert.deepEqual(m.ownerReferences, [
    { apiVersion: 'projectcalico.org/v3', kind: 'Tier', name: 't', uid: uidOf(owner) },
    { apiVersion: 'v1', kind: 'Namespace', name: 'ns1', uid: owner },
  ]);
});

test('v3ToKdd writes what Calico v3.31 stores, and reading it back gives the v3 object', () => {
  const v3 = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'allow-dns',
      namespace: 'ns1',
      uid: '0c1e5b5e-3f4a-4d2b-9a61-7e2f8f3c1a10',
      resourceVersion: '7',
      creationTimestamp: '2026-11-30T09:12:01Z',
      labels: { app: 'dns', 'projectcalico.org/owned': 'x' },
      annotations: { note: 'hi' },
    },
    spec: { tier: 'default', order: 10, selector: 'all()', types: ['Egress'], egress: [{ action: 'Allow' }] },
  };
  const cr = v3ToKdd(v3) as { apiVersion: string; metadata: Record<string, unknown>; spec: unknown };
  assert.equal(cr.apiVersion, 'crd.projectcalico.org/v1');
  assert.deepEqual(cr.metadata, {
    name: 'default.allow-dns',
    namespace: 'ns1',
    resourceVersion: '7',
    uid: uidOf('0c1e5b5e-3f4a-4d2b-9a61-7e2f8f3c1a10'),
    labels: { 'projectcalico.org/owned': 'x' },
    annotations: {
      [KDD_METADATA_ANNOTATION]:
        '{"name":"allow-dns","creationTimestamp":"2026-11-30T09:12:01Z","labels":{"app":"dns","projectcalico.org/owned":"x"},"annotations":{"note":"hi"}}',
    },
  });
  assert.deepEqual(cr.spec, v3.spec);
  const back = kddToV3(cr);
  assert.ok(back.ok);
  assert.deepEqual(back.value, v3);
  // Non-policy kinds keep their name and leave it out of the annotation.
  const gns = v3ToKdd({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'a.b' }, spec: { nets: [] } }) as { metadata: Record<string, Record<string, string>> };
  assert.equal(gns.metadata['name'] as unknown, 'a.b');
  assert.equal(gns.metadata['annotations']![KDD_METADATA_ANNOTATION], '{"creationTimestamp":null}');
});

test('bad input: errors name file, line and field path; nothing is imported from that document', () => {
  const text = [
    'apiVersion: crd.projectcalico.org/v1',
    'kind: GlobalNetworkPolicy',
    'metadata:',
    '  name: default.x',
    '  uid: not-a-uuid',
    '  annotations:',
    "    projectcalico.org/metadata: '{\"labels\": {\"a\": 1}'",
    'spec: {}',
    '---',
    'apiVersion: crd.projectcalico.org/v1',
    'kind: GlobalNetworkPolicy',
    'metadata:',
    '  name: default.y',
    '  annotations:',
    '    projectcalico.org/metadata: \'{"labels": {"a": 1}}\'',
    'spec: {}',
    '---',
    'apiVersion: crd.projectcalico.org/v1',
    'kind: GlobalNetworkPolicy',
    'metadata:',
    '  name: default.z',
    'spec:',
    '  selector: "a ==="',
    '',
  ].join('\n');
  const r = parseManifests(text, 'bad.yaml');
  assert.deepEqual(r.resources, []);
  assert.deepEqual(
    r.errors.map((e) => e.text.replace(/not JSON \(.*\)$/, 'not JSON (…)')),
    [
      'bad.yaml:5:8: metadata.uid: Invalid value: "not-a-uuid": failed to parse UID for resource: invalid UUID length: 10',
      'bad.yaml:7:33: metadata.annotations[projectcalico.org/metadata]: Invalid value: "{\\"labels\\": {\\"a\\": 1}": not JSON (…)',
      'bad.yaml:15:5: metadata.annotations[projectcalico.org/metadata].labels[a]: Invalid value: 1: expected a string, got an integer',
      'bad.yaml:23:13: spec.selector: Invalid value: "a ===": invalid selector: expected == (at column 5)',
    ],
  );
});

test('hostile input: own properties only, bounded annotation, no prototype walks', () => {
  const proto = kddToV3({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'GlobalNetworkSet',
    metadata: { name: 'n', annotations: { [KDD_METADATA_ANNOTATION]: '{"labels":{"__proto__":"x","ok":"y"},"__proto__":{"name":"evil"}}' } },
  });
  assert.ok(proto.ok);
  const m = (proto.value as Resource).metadata!;
  assert.equal(m.name, 'n', 'an annotation `__proto__` key is data, never a prototype');
  assert.deepEqual(Object.keys(m.labels ?? {}).sort(), ['__proto__', 'ok']);
  assert.equal(Object.getPrototypeOf(m.labels), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['name'], undefined);
  // decodeImported then rejects the label key as Kubernetes would.
  const d = decodeImported({ apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkSet', metadata: { name: 'n', annotations: { [KDD_METADATA_ANNOTATION]: '{"labels":{"__proto__":"x"}}' } } });
  assert.equal(d.ok, false);

  const inherited = Object.create({ metadata: { name: 'from-prototype' } }) as Record<string, unknown>;
  inherited['apiVersion'] = 'crd.projectcalico.org/v1';
  inherited['kind'] = 'GlobalNetworkSet';
  const ri = kddToV3(inherited);
  assert.ok(ri.ok);
  assert.equal((ri.value as Resource).metadata, undefined);

  const big = kddToV3({ apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', metadata: { name: 't', annotations: { [KDD_METADATA_ANNOTATION]: `{"x":"${'a'.repeat(300 * 1024)}"}` } } });
  assert.equal(big.ok, false);
  if (!big.ok) assert.deepEqual(big.error.map((e) => [e.path, e.type]), [['metadata.annotations[projectcalico.org/metadata]', 'TooLong']]);

  const deep = kddToV3({ apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', metadata: { name: 't', annotations: { [KDD_METADATA_ANNOTATION]: `${'['.repeat(100_000)}${']'.repeat(100_000)}` } } });
  assert.equal(deep.ok, false, 'deep nesting is refused, not a crash');

  const notMap = kddToV3({ apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', metadata: ['x'] });
  assert.equal(notMap.ok, false);
  if (!notMap.ok) assert.equal(notMap.error[0]!.path, 'metadata');
});
