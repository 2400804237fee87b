/**
 * End to end: `tabby server --calico-api crd` (Calico's resources as crd.projectcalico.org/v1
 * custom resources, as a cluster running Calico with the Kubernetes datastore serves them) on
 * 127.0.0.1 with a free port and a temporary data directory, populated and read back by the real
 * kubectl. What kubectl exports from it, read with `-f`, gives the same verdicts (traces
 * included) as the same policies in calicoctl's projectcalico.org/v3 form, and the same
 * resources as the server's datastore read directly.
 * Skipped when kubectl is not on PATH (a failure under CI=true). Every kubectl call is bounded.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { parseManifests } from '../../src/manifest/index.js';
import { v3ToKdd } from '../../src/model/convert/index.js';
import type { Resource } from '../../src/model/meta.js';
import { main } from '../../src/cli/main.js';
import { loadEngineInput, loadFromDatastore } from '../../src/cli/engine-input.js';
import { nodeIo } from '../../src/cli/node-io.js';
import type { Io } from '../../src/cli/io.js';
import { decodeFlows, runVerdicts } from '../../src/engine/index.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import { exampleFiles } from '../../src/cli/testdata/examples.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = requireTool('kubectl');
const ROOT = join(import.meta.dirname, '..', '..');
const V3_FIXTURE = join(ROOT, 'src', 'model', 'convert', 'testdata', 'kdd', 'calicoctl-get.yaml');
const CLUSTER = exampleFiles('examples/flows/cluster/namespaces.yaml', 'examples/flows/cluster/pods.json', 'examples/flows/cluster/policies.yaml', 'examples/flows/flows.json');
const SEED = [
  'examples/seed/access-nginx.yaml',
  'examples/seed/access-nginx-calico.yaml',
  'examples/seed/deny-nodeports.yaml',
  'examples/seed/log-denied-packets.yaml',
  'examples/seed/whitelist-nlb1.yaml',
  'examples/seed/whitelist-nlb2.yaml',
];
const CALICO_CRS = ['tiers', 'globalnetworkpolicies', 'networkpolicies', 'globalnetworksets', 'networksets', 'hostendpoints', 'felixconfigurations'].map((p) => `${p}.crd.projectcalico.org`).join(',');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A manifest's objects as one applies them to a KDD cluster: projectcalico.org/v3 objects as
 * Calico v3.31 stores them (v3ToKdd), without server fields; other objects as they are.
 */
function customResources(text: string): string {
  const docs = parseManifests(text, 'manifest.yaml');
  assert.deepEqual(docs.errors, []);
  return docs.resources
    .map((r) => {
      const raw = r.raw as Resource;
      if (raw.apiVersion !== 'projectcalico.org/v3') return stringify(raw);
      const { uid: _u, resourceVersion: _rv, creationTimestamp: _ts, managedFields: _mf, generation: _g, ...meta } = raw.metadata ?? {};
      return stringify(v3ToKdd({ ...raw, metadata: meta }));
    })
    .join('---\n');
}

const byKey = (rs: readonly Resource[]): Resource[] =>
  [...rs].sort((a, b) => `${a.kind}/${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(`${b.kind}/${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`));

describe('kubectl against tabby server --calico-api crd', { skip }, () => {
  let dir = '';
  let server: RunningServer | undefined;

  const kubectl = (args: readonly string[]): Promise<Run> =>
    new Promise((ok) => {
      execFile(
        KUBECTL,
        ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args],
        { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
    });
  const ok = async (args: readonly string[]): Promise<string> => {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const file = async (name: string, text: string): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-crd-e2e-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0, calicoApi: 'crd' });
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('discovery: Calico kinds under crd.projectcalico.org/v1 with their CustomResourceDefinitions; no projectcalico.org/v3', async () => {
    const out = await ok(['api-resources']);
    assert.match(out, /^globalnetworkpolicies\s+crd\.projectcalico\.org\/v1\s+false\s+GlobalNetworkPolicy$/m);
    assert.match(out, /^networkpolicies\s+crd\.projectcalico\.org\/v1\s+true\s+NetworkPolicy$/m);
    assert.match(out, /^ippools\s+crd\.projectcalico\.org\/v1\s+false\s+IPPool$/m);
    assert.match(out, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m);
    assert.match(out, /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m, 'the Kubernetes kind keeps the short name');
    assert.doesNotMatch(out, /projectcalico\.org\/v3/);
    const crds = (await ok(['get', 'crds', '-o', 'name'])).trim().split('\n');
    assert.equal(crds.length, 22);
    assert.ok(crds.includes('customresourcedefinition.apiextensions.k8s.io/globalnetworkpolicies.crd.projectcalico.org'));
    assert.equal(await ok(['get', 'crd', 'networkpolicies.crd.projectcalico.org', '-o', 'jsonpath={.spec.scope} {.spec.names.listKind} {.status.conditions[1].type}']), 'Namespaced NetworkPolicyList Established');
  });

  test('kubectl apply of KDD-shaped objects; kubectl get -o yaml returns them; imported they equal the calicoctl form and the datastore read directly', async () => {
    await ok(['apply', '-f', await file('namespaces.yaml', CLUSTER['examples/flows/cluster/namespaces.yaml']!)]);
    await ok(['apply', '-f', await file('pods.json', CLUSTER['examples/flows/cluster/pods.json']!)]);
    // The example's staged policy is projectcalico.org/v3, which a KDD cluster does not serve: applied as its CR.
    assert.match(await ok(['apply', '-f', await file('policies.yaml', customResources(CLUSTER['examples/flows/cluster/policies.yaml']!))]), /stagednetworkpolicy\.crd\.projectcalico\.org\/default\.deny-reports created/);
    const v3Text = await readFile(V3_FIXTURE, 'utf8');
    const applied = await ok(['apply', '-f', await file('calico-crs.yaml', customResources(v3Text))]);
    assert.equal(
      applied,
      [
        'tier.crd.projectcalico.org/security created',
        'globalnetworkpolicy.crd.projectcalico.org/security.block-blocklisted created',
        'networkpolicy.crd.projectcalico.org/default.frontend-to-db created',
        'networkpolicy.crd.projectcalico.org/default.reports-egress created',
        'globalnetworkset.crd.projectcalico.org/blocklist created',
        'networkset.crd.projectcalico.org/partner-nets created',
        'hostendpoint.crd.projectcalico.org/node1-eth0 created',
        'felixconfiguration.crd.projectcalico.org/default created',
        '',
      ].join('\n'),
    );

    // Stored as a KDD cluster stores it: the default-tier CR name, the v3 metadata in the annotation.
    const np = JSON.parse(await ok(['get', 'networkpolicies.crd.projectcalico.org', '-n', 'default', 'default.frontend-to-db', '-o', 'json'])) as {
      apiVersion: string;
      metadata: { name: string; uid: string; labels?: unknown; annotations: Record<string, string> };
    };
    assert.equal(np.apiVersion, 'crd.projectcalico.org/v1');
    assert.equal(np.metadata.labels, undefined, 'v3 labels live in the metadata annotation');
    assert.equal(JSON.parse(np.metadata.annotations['projectcalico.org/metadata']!).name, 'frontend-to-db');

    const exported = await ok(['get', CALICO_CRS, '-A', '-o', 'yaml']);
    const imported = parseManifests(exported, 'export.yaml');
    assert.deepEqual(imported.errors, []);
    const names = imported.resources.map((r) => `${r.resource.kind} ${r.resource.metadata?.name}`).sort();
    assert.deepEqual(names, [
      'FelixConfiguration default',
      'GlobalNetworkPolicy security.block-blocklisted',
      'GlobalNetworkSet blocklist',
      'HostEndpoint node1-eth0',
      'NetworkPolicy default.reports-egress',
      'NetworkPolicy frontend-to-db',
      'NetworkSet partner-nets',
      'Tier security',
    ]);

    // The same verdicts, traces included, as calicoctl's v3 lists of the same policies.
    const files = { ...CLUSTER, 'export.yaml': exported, 'v3.yaml': v3Text };
    const verdicts = async (f: string): Promise<string> => {
      const io = fakeIo(files);
      assert.equal(await main(['verdict', '-f', 'examples/flows/cluster', '-f', f, '--flows', 'examples/flows/flows.json', '-o', 'json'], io), 0, io.err());
      return io.out();
    };
    const fromCluster = await verdicts('export.yaml');
    assert.equal(fromCluster, await verdicts('v3.yaml'));
    assert.match(fromCluster, /security\.block-blocklisted/);

    // The server's datastore read directly gives the same Calico resources.
    const direct = await loadEngineInput(fakeIo({}), { files: [], recursive: false, command: 'verdict', openDatastore: async () => server!.datastore });
    assert.ok(direct);
    assert.equal(direct.errors, 0);
    const calicoKinds = new Set(imported.resources.map((r) => r.resource.kind));
    const directCalico = direct.resources.filter((r) => r.apiVersion === 'projectcalico.org/v3' && calicoKinds.has(r.kind) && !(r.metadata?.name ?? '').startsWith('knp.'));
    assert.deepEqual(byKey(directCalico), byKey(imported.resources.map((r) => r.resource)));
  });

  test('with the seed policies applied as CRs: tabby verdict --kubeconfig (the live reader, through the CRDs) = the engine on the datastore read directly, traces included', async () => {
    for (const f of SEED) {
      const text = await readFile(join(ROOT, f), 'utf8');
      await ok(['apply', '-f', await file(f.replace(/\//g, '_'), customResources(text))]);
    }
    const flows = [
      ...(JSON.parse(CLUSTER['examples/flows/flows.json']!) as unknown[]),
      { from: '203.0.113.5', to: 'default/frontend', port: 30080, protocol: 'TCP' },
      { from: 'accounts/web', to: 'default/db', port: 5432, protocol: 'TCP' },
    ];
    await writeFile(join(dir, 'flows.json'), JSON.stringify(flows));
    const quiet: Io = { ...nodeIo, stdout: () => undefined, stderr: () => undefined };
    const input = await loadFromDatastore(quiet, server!.datastore, 'verdict', 'datastore');
    const d = decodeFlows(flows);
    assert.deepEqual(d.errors, []);
    const want = JSON.parse(JSON.stringify(runVerdicts(input.snapshot, d.flows).map((r, i) => ({ ...(flows[i] as object), ...r })))) as unknown[];
    let out = '';
    let err = '';
    const io: Io = { ...nodeIo, stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
    const code = await main(['verdict', '--kubeconfig', server!.kubeconfigPath, '--flows', join(dir, 'flows.json'), '-o', 'json'], io);
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out), want);
    assert.match(out, /security\.block-blocklisted/, 'the Calico CRs are in play');
  });

  test('invalid custom resources are refused with the field path; nothing changes', async () => {
    const bad = `apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata:
  name: security.block-blocklisted
spec:
  tier: security
  selector: "all() &&"
`;
    const r = await kubectl(['apply', '-f', await file('bad.yaml', bad)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The GlobalNetworkPolicy "security\.block-blocklisted" is invalid: spec\.selector: Invalid value: "all\(\) &&"/);
    const badMeta = `apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkSet
metadata:
  name: broken
  annotations:
    projectcalico.org/metadata: '{"labels": ["not", "a", "map"]}'
spec: {}
`;
    const r2 = await kubectl(['apply', '-f', await file('bad-meta.yaml', badMeta)]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /metadata\.annotations\[projectcalico\.org\/metadata\]\.labels: Invalid value/);
    const still = JSON.parse(await ok(['get', 'globalnetworkpolicies.crd.projectcalico.org', 'security.block-blocklisted', '-o', 'json'])) as { spec: { selector: string } };
    assert.equal(still.spec.selector, 'all()');
    assert.equal((await kubectl(['get', 'globalnetworksets.crd.projectcalico.org', 'broken'])).code, 1);
  });

  test('watch streams custom resources; deleting a namespace deletes its custom resources', async () => {
    const watching = kubectl(['get', 'globalnetworksets.crd.projectcalico.org', '--watch', '-o', 'name', '--request-timeout=4s']);
    await new Promise((r) => setTimeout(r, 1000));
    await ok(['apply', '-f', await file('gns.yaml', 'apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkSet\nmetadata:\n  name: watched\nspec:\n  nets: [198.18.7.0/24]\n')]);
    const w = await watching;
    assert.match(w.stdout, /globalnetworkset\.crd\.projectcalico\.org\/watched/);
    assert.equal((await ok(['get', 'networksets.crd.projectcalico.org', '-n', 'finance', '-o', 'name'])).trim(), 'networkset.crd.projectcalico.org/partner-nets');
    await ok(['delete', 'namespace', 'finance']);
    assert.equal((await ok(['get', 'networksets.crd.projectcalico.org', '-A', '-o', 'name'])).trim(), '');
    const left = (await ok(['get', 'networkpolicies.crd.projectcalico.org', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}'])).trim().split(' ');
    assert.ok(left.includes('default/default.frontend-to-db'), left.join(' '));
    assert.ok(!left.some((n) => n.startsWith('finance/')), left.join(' '));
  });
});
