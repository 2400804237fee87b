/**
 * `-f` reads what people export: `kubectl get … -o yaml` lists of crd.projectcalico.org/v1
 * objects (Calico's Kubernetes datastore), `calicoctl get -o yaml` lists, Helm-rendered
 * multi-document files and `calicoctl datastore migrate export` dumps. Acceptance (issue 16): a
 * List of crd.projectcalico.org/v1 objects and the same policies as calicoctl lists give
 * identical verdicts, traces included, for every flow of examples/flows/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { exampleFiles } from '../testdata/examples.js';
import { calicoctlMain } from '../calicoctl/main.js';
import { openMemoryDatastore } from '../../datastore/index.js';

const KDD_DIR = join(import.meta.dirname, '..', '..', 'model', 'convert', 'testdata', 'kdd');
const CLUSTER = exampleFiles('examples/flows/cluster/namespaces.yaml', 'examples/flows/cluster/pods.json', 'examples/flows/cluster/policies.yaml', 'examples/flows/flows.json');
const FILES = {
  ...CLUSTER,
  'kdd/export.yaml': readFileSync(join(KDD_DIR, 'kubectl-get-crds.yaml'), 'utf8'),
  'v3/export.yaml': readFileSync(join(KDD_DIR, 'calicoctl-get.yaml'), 'utf8'),
};

async function verdicts(extra: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo(FILES);
  const code = await main(['verdict', '-f', 'examples/flows/cluster', ...extra, '--flows', 'examples/flows/flows.json', '-o', 'json'], io);
  return { code, out: io.out(), err: io.err() };
}

test('verdict: a kubectl List of crd.projectcalico.org/v1 objects and the calicoctl lists give identical verdicts and traces', async () => {
  const kdd = await verdicts(['-f', 'kdd/export.yaml']);
  const v3 = await verdicts(['-f', 'v3/export.yaml']);
  const none = await verdicts([]);
  assert.equal(kdd.code, 0, kdd.err);
  assert.equal(v3.code, 0, v3.err);
  assert.equal(kdd.out, v3.out);
  // The only difference on stderr: the IPPool (a kind Tabby does not read) is skipped.
  assert.equal(kdd.err, 'tabby verdict: skipped 1 document of kinds Tabby does not read\n');
  assert.equal(v3.err, '');
  // The imported policies decide flows (so a lost tier, label or name would show here).
  const actions = (o: string): string[] => (JSON.parse(o) as { action: string }[]).map((v) => v.action);
  assert.notDeepEqual(actions(kdd.out), actions(none.out));
  const traces = JSON.parse(kdd.out) as { from: string; to: string; action: string; trace: unknown[] }[];
  const external = traces.find((t) => t.from === '203.0.113.7')!;
  assert.equal(external.action, 'Deny', 'security.block-blocklisted (labels from the metadata annotation) denies the blocklisted source');
  assert.match(JSON.stringify(external.trace), /security\.block-blocklisted/);
  const feToDb = traces.find((t) => t.from === 'default/frontend' && t.to === 'default/db')!;
  assert.equal(feToDb.action, 'Allow');
  assert.match(JSON.stringify(feToDb.trace), /frontend-to-db/);
  assert.doesNotMatch(JSON.stringify(feToDb.trace), /default\.frontend-to-db/, 'the v3 name, not the CR name');
});

test('validate: Helm-rendered multi-document file (comments, empty documents, --- separators) of mixed forms', async () => {
  const helm = [
    '---',
    '# Source: netpol/templates/tier.yaml',
    'apiVersion: crd.projectcalico.org/v1',
    'kind: Tier',
    'metadata:',
    '  name: platform',
    '  labels:',
    '    helm.sh/chart: netpol-0.1.0',
    '    app.kubernetes.io/managed-by: Helm',
    'spec:',
    '  order: 50',
    '---',
    '# Source: netpol/templates/empty.yaml',
    '---',
    '---',
    '# Source: netpol/templates/gnp.yaml',
    'apiVersion: crd.projectcalico.org/v1',
    'kind: GlobalNetworkPolicy',
    'metadata:',
    '  name: platform.allow-dns',
    'spec:',
    '  tier: platform',
    '  selector: all()',
    '  types: [Egress]',
    '  egress:',
    '  - action: Allow',
    '    protocol: UDP',
    '    destination:',
    '      ports: [53]',
    '---',
    '# Source: netpol/templates/knp.yaml',
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata: {name: deny-all, namespace: default}',
    'spec: {podSelector: {}}',
    '',
  ].join('\n');
  const io = fakeIo({ 'rendered.yaml': helm });
  assert.equal(await main(['validate', '-f', 'rendered.yaml'], io), 0, io.err());
  assert.match(io.out(), /3/);
  const bad = fakeIo({ 'rendered.yaml': helm.replace('  order: 50', '  order: fifty') });
  assert.equal(await main(['validate', '-f', 'rendered.yaml'], bad), 1);
  assert.match(bad.err(), /^rendered\.yaml:11:10: spec\.order: /m);
});

test('calicoctl datastore migrate export dump: resources read, ClusterInformation skipped, IPAM section left out', async () => {
  const dump = [
    'apiVersion: projectcalico.org/v3',
    'items:',
    '- apiVersion: projectcalico.org/v3',
    '  kind: GlobalNetworkSet',
    '  metadata:',
    '    name: blocklist',
    '    labels: {feed: blocklist}',
    '  spec:',
    '    nets: [203.0.113.0/24]',
    'kind: GlobalNetworkSetList',
    'metadata:',
    '  resourceVersion: "81900"',
    '---',
    'apiVersion: projectcalico.org/v3',
    'items: []',
    'kind: NetworkPolicyList',
    'metadata: {}',
    '---',
    '===',
    '{',
    '  "kind": "ClusterInformation",',
    '  "apiVersion": "projectcalico.org/v3",',
    '  "metadata": {"name": "default"},',
    '  "spec": {"clusterGUID": "d0c2f6d8f0a94e55b0a6a0c3e0f6a7b1", "datastoreReady": true}',
    '}',
    '===',
    '{',
    '  "Blocks": [{"cidr": "10.233.64.0/26"}],',
    '  "Handles": []',
    '}',
    '',
  ].join('\n');
  const io = fakeIo({ ...CLUSTER, 'export.yaml': dump });
  const code = await main(['verdict', '-f', 'examples/flows/cluster', '-f', 'export.yaml', '--from', '203.0.113.7', '--to', 'default/frontend', '--port', '80'], io);
  assert.equal(code, 0, io.err());
  assert.equal(io.err(), 'tabby verdict: skipped 1 document of kinds Tabby does not read\n');
});

test('calicoctl apply -f of a kubectl export of crd.projectcalico.org/v1 objects stores their projectcalico.org/v3 form', async () => {
  const ds = await openMemoryDatastore();
  // Without the IPPool: a kind calicoctl does not handle fails its whole List document, as in calicoctl.
  const text = FILES['kdd/export.yaml'];
  const noPool = text.slice(0, text.indexOf('- apiVersion: crd.projectcalico.org/v1\n  kind: IPPool')) + text.slice(text.indexOf('kind: List\n'));
  const io = fakeIo({ 'export.yaml': noPool });
  const code = await calicoctlMain(['apply', '-f', 'export.yaml'], io, { openDatastore: async () => ds, closeDatastore: false });
  assert.equal(code, 0, io.err());
  assert.equal(io.out(), 'Successfully applied 8 resource(s)\n');
  const np = await ds.get({ group: 'projectcalico.org', plural: 'networkpolicies', namespace: 'default', name: 'frontend-to-db' });
  assert.equal(np.apiVersion, 'projectcalico.org/v3');
  assert.deepEqual(np.metadata.labels, { app: 'Srv1' });
  const gns = await ds.get({ group: 'projectcalico.org', plural: 'globalnetworksets', namespace: '', name: 'blocklist' });
  assert.deepEqual(gns.metadata.labels, { feed: 'blocklist' });
  await ds.close();
});
