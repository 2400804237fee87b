/**
 * calicoctl in-process, against a memory datastore with a fixed clock and UIDs: one golden file
 * per command and format (stdout, stderr and exit code), then the laws — YAML/JSON output
 * round-trips into apply, dry runs write nothing, concurrent writers lose no update, an
 * unreachable datastore is one line and exit 1.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryDatastore, openSqliteDatastore, type Datastore } from '../../datastore/index.js';
import { ResourceClient } from '../../client/index.js';
import { fakeIo } from '../testdata/fake-io.js';
import { calicoctlMain } from './main.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { GNPS, HOST_ENDPOINTS, INVALID_MIX, K8S_NP, K8S_NP_YAML, NPS } from './testdata/fixtures.js';
import { loadCalicoctlConfig } from './config.js';
import { defaultEmbeddedPath } from '../datastore-config.js';

const expectGolden = goldenChecker(join(import.meta.dirname, 'testdata'));

const FILES: Record<string, string> = {
  'heps.yaml': HOST_ENDPOINTS,
  'gnps.yaml': GNPS,
  'nps.yaml': NPS,
  'k8s-np.yaml': K8S_NP_YAML,
  'invalid-mix.yaml': INVALID_MIX,
  'bad-only.yaml': INVALID_MIX.split('---\n')[1]!,
  'empty.yaml': '',
  'k8s-node.yaml': '',
  'gnp-changed.yaml': GNPS.split('---\n')[2]!.replace('order: 1100', 'order: 1200'),
  'gnp-new.yaml': GNPS.split('---\n')[0]!.replace('allow-all-outbound', 'brand-new'),
  'stale.yaml': GNPS.split('---\n')[2]!.replace('name: deny-nodeports', 'name: deny-nodeports\n  resourceVersion: "1"'),
  'missing.yaml': GNPS.split('---\n')[0]!.replace('allow-all-outbound', 'not-there'),
  'node.yaml': 'apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: worker-1\nspec:\n  bgp:\n    ipv4Address: 10.0.0.1/24\n',
};

async function memoryDatastore(): Promise<Datastore> {
  let uid = 0;
  return openMemoryDatastore({
    now: () => new Date('2026-01-02T03:04:05Z'),
    newUid: () => `00000000-0000-4000-8000-${String(++uid).padStart(12, '0')}`,
  });
}

/** The seeded cluster: host endpoints, global and namespaced policies, a k8s policy and nodes. */
async function seeded(): Promise<Datastore> {
  const ds = await memoryDatastore();
  for (const f of ['heps.yaml', 'gnps.yaml', 'nps.yaml']) {
    const io = fakeIo(FILES);
    const code = await calicoctlMain(['apply', '-f', f], io, { openDatastore: async () => ds, closeDatastore: false });
    assert.equal(code, 0, io.err());
  }
  const client = new ResourceClient(ds);
  await client.apply(K8S_NP);
  await client.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-2', labels: { 'kubernetes.io/hostname': 'worker-2' } }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } });
  await client.apply({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'worker-1' }, spec: { bgp: { ipv4Address: '10.0.0.1/24' } } });
  return ds;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(ds: Datastore, argv: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> {
  const io = fakeIo(FILES, stdin, env);
  const code = await calicoctlMain(argv, io, { openDatastore: async () => ds, closeDatastore: false });
  return { code, out: io.out(), err: io.err() };
}

const render = (argv: string[], r: Run): string => `$ calicoctl ${argv.join(' ')}\n-- exit: ${r.code} --\n-- stdout --\n${r.out}-- stderr --\n${r.err}`;

interface Case {
  readonly name: string;
  readonly argv: string[];
  /** Start from an empty datastore instead of the seeded one. */
  readonly empty?: boolean;
  /** Commands run first (each must succeed). */
  readonly before?: string[][];
  readonly stdin?: string;
}

const cases: Case[] = [
  // The seed's commands, verbatim.
  { name: 'seed-get-nodes', argv: ['get', 'nodes'] },
  { name: 'seed-get-nodes-config', argv: ['get', 'nodes', '--config=calicoctl.cfg'] },
  { name: 'seed-get-hostendpoint-yaml', argv: ['get', 'hostendpoint', '-o', 'yaml'] },
  { name: 'seed-get-networkpolicy-all-namespaces-wide', argv: ['get', 'NetworkPolicy', '--all-namespaces', '-o', 'wide'] },
  { name: 'seed-get-globalnetworkpolicy-wide', argv: ['get', 'GlobalNetworkPolicy', '-o', 'wide'] },
  { name: 'seed-get-globalnetworkpolicy-yaml', argv: ['get', 'GlobalNetworkPolicy', '-o', 'yaml'] },
  { name: 'seed-get-networkpolicy-yaml-name-namespace', argv: ['get', 'NetworkPolicy', '-o', 'yaml', 'log-denied-packets', '--namespace', 'shop'] },
  { name: 'seed-get-policy-yaml-name', argv: ['get', 'policy', '-o', 'yaml', 'backend-allow'] },
  { name: 'seed-apply', argv: ['apply', '-f', 'gnps.yaml'], empty: true },
  // get: formats, aliases, namespaces
  { name: 'get-gnp-ps', argv: ['get', 'gnp'] },
  { name: 'get-gnp-json', argv: ['get', 'gnps', '-o', 'json'] },
  { name: 'get-gnp-name-json', argv: ['get', 'gnp', 'deny-nodeports', '-o', 'json'] },
  { name: 'get-gnp-names-ps', argv: ['get', 'gnp', 'deny-nodeports', 'allow-bigfix-port'] },
  { name: 'get-gnp-names-yaml', argv: ['get', 'gnp', 'deny-nodeports', 'allow-bigfix-port', '-o', 'yaml'] },
  { name: 'get-gnp-export', argv: ['get', 'gnp', 'deny-nodeports', '-o', 'yaml', '--export'] },
  { name: 'get-np-default-namespace', argv: ['get', 'pol', '-o', 'wide'] },
  { name: 'get-np-namespace-ps', argv: ['get', 'networkpolicies', '-n', 'shop'] },
  { name: 'get-np-knp-yaml', argv: ['get', 'np', 'knp.default.access-nginx', '-n', 'shop', '-o', 'yaml'] },
  { name: 'get-hep-wide', argv: ['get', 'heps', '-o', 'wide'] },
  { name: 'get-nodes-wide', argv: ['get', 'no', '-o', 'wide'] },
  { name: 'get-nodes-yaml', argv: ['get', 'nodes', '-o', 'yaml'] },
  { name: 'get-custom-columns', argv: ['get', 'gnp', '-o', 'custom-columns=NAME,ORDER'] },
  { name: 'get-custom-columns-bad', argv: ['get', 'gnp', '-o', 'custom-columns=NAME,COLOUR'] },
  { name: 'get-missing-name', argv: ['get', 'gnp', 'nope'] },
  { name: 'get-missing-namespaced', argv: ['get', 'networkpolicy', 'nope', '-n', 'shop', '-o', 'yaml'] },
  { name: 'get-some-missing', argv: ['get', 'gnp', 'deny-nodeports', 'nope'] },
  { name: 'get-unsupported-kind', argv: ['get', 'widgets'] },
  { name: 'get-bad-output', argv: ['get', 'gnp', '-o', 'xml'] },
  { name: 'get-gnp-all-namespaces', argv: ['get', 'gnp', '-A'] },
  { name: 'get-empty-list-yaml', argv: ['get', 'netsets', '-o', 'yaml'], empty: true },
  { name: 'get-from-file', argv: ['get', '-f', 'gnps.yaml', '-o', 'custom-columns=NAME'] },
  // writes
  { name: 'apply-mixed', argv: ['apply', '-f', 'heps.yaml', '-f', 'nps.yaml'], empty: true },
  { name: 'apply-partial', argv: ['apply', '-f', 'invalid-mix.yaml'], empty: true },
  { name: 'apply-invalid-only', argv: ['apply', '-f', 'bad-only.yaml'], empty: true },
  { name: 'apply-stdin', argv: ['apply', '-f', '-'], stdin: FILES['gnp-new.yaml']!, empty: true },
  { name: 'apply-missing-file', argv: ['apply', '-f', 'nope.yaml'] },
  { name: 'apply-empty-file', argv: ['apply', '-f', 'empty.yaml'] },
  { name: 'apply-k8s-kind', argv: ['apply', '-f', 'k8s-np.yaml'] },
  { name: 'apply-dry-run', argv: ['apply', '-f', 'gnp-new.yaml', '--dry-run'] },
  { name: 'apply-namespace-on-global', argv: ['apply', '-f', 'gnps.yaml', '-n', 'shop'] },
  { name: 'create-exists', argv: ['create', '-f', 'gnps.yaml'] },
  { name: 'create-skip-exists', argv: ['create', '-f', 'gnps.yaml', '--skip-exists'] },
  { name: 'create-new', argv: ['create', '-f', 'gnp-new.yaml'] },
  { name: 'replace-ok', argv: ['replace', '-f', 'gnp-changed.yaml'] },
  { name: 'replace-missing', argv: ['replace', '-f', 'missing.yaml'] },
  { name: 'replace-stale', argv: ['replace', '-f', 'stale.yaml'] },
  { name: 'delete-names', argv: ['delete', 'gnp', 'deny-nodeports', 'allow-bigfix-port'] },
  { name: 'delete-missing', argv: ['delete', 'globalnetworkpolicy', 'nope'] },
  { name: 'delete-skip-not-exists', argv: ['delete', 'gnp', 'nope', '--skip-not-exists'] },
  { name: 'delete-file', argv: ['delete', '-f', 'nps.yaml'] },
  { name: 'delete-knp', argv: ['delete', 'policy', 'knp.default.access-nginx', '-n', 'shop'] },
  { name: 'delete-dry-run', argv: ['delete', 'gnp', 'deny-nodeports', '--dry-run'] },
  { name: 'patch-merge', argv: ['patch', 'gnp', 'deny-nodeports', '-p', '{"spec":{"order":900}}'] },
  { name: 'patch-json', argv: ['patch', 'gnp', 'deny-nodeports', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/order","value":950}]'] },
  { name: 'patch-invalid', argv: ['patch', 'gnp', 'deny-nodeports', '-p', '{"spec":{"types":["Sideways"]}}'] },
  { name: 'patch-missing', argv: ['patch', 'gnp', 'nope', '-p', '{"spec":{"order":1}}'] },
  { name: 'label-set', argv: ['label', 'gnp', 'deny-nodeports', 'team=edge'] },
  { name: 'label-exists', argv: ['label', 'gnp', 'deny-nodeports', 'team=core'], before: [['label', 'gnp', 'deny-nodeports', 'team=edge']] },
  { name: 'label-overwrite', argv: ['label', 'gnp', 'deny-nodeports', 'team=core', '--overwrite'], before: [['label', 'gnp', 'deny-nodeports', 'team=edge']] },
  { name: 'label-remove', argv: ['label', 'hep', 'worker-1-public', 'ibm.role', '--remove'] },
  { name: 'label-remove-missing', argv: ['label', 'hep', 'worker-1-public', 'nope', '--remove'] },
  { name: 'label-not-found', argv: ['label', 'nodes', 'worker-9', 'zone=a'] },
  { name: 'label-invalid', argv: ['label', 'nodes', 'worker-1', 'a=b=c'] },
  // other commands
  { name: 'convert-yaml', argv: ['convert', '-f', 'k8s-np.yaml'] },
  { name: 'convert-json', argv: ['convert', '-f', 'k8s-np.yaml', '-o', 'json'] },
  { name: 'validate-ok', argv: ['validate', '-f', 'gnps.yaml', '-f', 'heps.yaml'] },
  { name: 'validate-invalid', argv: ['validate', '-f', 'invalid-mix.yaml'] },
  { name: 'diff-same', argv: ['diff', '-f', 'gnps.yaml'] },
  { name: 'diff-changed', argv: ['diff', '-f', 'gnp-changed.yaml', '-f', 'gnp-new.yaml'] },
  { name: 'diff-invalid', argv: ['diff', '-f', 'bad-only.yaml'] },
  { name: 'version', argv: ['version'] },
  { name: 'unknown-option', argv: ['get', 'gnp', '--colour'] },
  { name: 'unknown-command', argv: ['frobnicate'] },
];

describe('calicoctl golden output', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const ds = c.empty ? await memoryDatastore() : await seeded();
      for (const b of c.before ?? []) assert.equal((await run(ds, b)).code, 0);
      const r = await run(ds, c.argv, c.stdin ?? '');
      expectGolden(`golden/${c.name}.golden`, render(c.argv, r));
    });
  }
});

describe('calicoctl laws', () => {
  test('get -o yaml and -o json round-trip into apply, changing nothing', async () => {
    for (const format of ['yaml', 'json']) {
      const ds = await seeded();
      const before = await run(ds, ['get', 'gnp', '-o', format]);
      const applied = await run(ds, ['apply', '-f', '-'], before.out);
      assert.equal(applied.code, 0, applied.err);
      assert.equal(applied.out, "Successfully applied 3 'GlobalNetworkPolicy' resource(s)\n");
      assert.equal((await run(ds, ['get', 'gnp', '-o', format])).out, before.out);
      const one = await run(ds, ['get', 'hep', 'worker-2-public', '-o', format, '--export']);
      const fresh = await memoryDatastore();
      assert.equal((await run(fresh, ['apply', '-f', '-'], one.out)).code, 0);
      const again = await run(fresh, ['get', 'hep', 'worker-2-public', '-o', format, '--export']);
      assert.equal(again.out, one.out);
    }
  });

  test('--dry-run writes nothing', async () => {
    const ds = await seeded();
    const before = await run(ds, ['get', 'gnp', '-o', 'yaml']);
    for (const argv of [['apply', '-f', 'gnp-new.yaml', '--dry-run'], ['create', '-f', 'gnp-new.yaml', '--dry-run'], ['replace', '-f', 'gnp-changed.yaml', '--dry-run'], ['delete', 'gnp', 'deny-nodeports', '--dry-run'], ['patch', 'gnp', 'deny-nodeports', '-p', '{"spec":{"order":1}}', '--dry-run'], ['label', 'gnp', 'deny-nodeports', 'x=y', '--dry-run']]) {
      const r = await run(ds, argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.out, /dry run|Successfully/);
    }
    assert.equal((await run(ds, ['get', 'gnp', '-o', 'yaml'])).out, before.out);
  });

  test('an invalid document is reported with its location and nothing of it is written', async () => {
    const ds = await memoryDatastore();
    const r = await run(ds, ['apply', '-f', 'invalid-mix.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid-mix\.yaml:17:15: spec\.ingress\[0\]\.destination\.ports\[0\]/);
    const names = (await run(ds, ['get', 'gnp', '-o', 'custom-columns=NAME'])).out;
    assert.equal(names, 'NAME       \ngood-one   \ngood-two   \n\n');
  });

  test('concurrent writers on one embedded file lose no update (apply retries, label retries)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calicoctl-conc-'));
    try {
      const path = join(dir, 'db.sqlite');
      const handles = await Promise.all(Array.from({ length: 8 }, () => openSqliteDatastore(path)));
      assert.equal((await run(handles[0]!, ['apply', '-f', 'gnps.yaml'])).code, 0);
      const applies = await Promise.all(handles.map((ds) => run(ds, ['apply', '-f', 'gnp-changed.yaml'])));
      for (const r of applies) assert.equal(r.code, 0, r.err);
      const results = await Promise.all(handles.map((ds, i) => run(ds, ['label', 'gnp', 'deny-nodeports', `writer-${i}=yes`])));
      for (const r of results) assert.equal(r.code, 0, r.err);
      const got = await run(handles[0]!, ['get', 'gnp', 'deny-nodeports', '-o', 'json']);
      const labels = (JSON.parse(got.out) as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {};
      assert.deepEqual(Object.keys(labels).sort(), handles.map((_, i) => `writer-${i}`).sort());
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('replace reports a stale resourceVersion instead of overwriting', async () => {
    const ds = await seeded();
    assert.equal((await run(ds, ['label', 'gnp', 'deny-nodeports', 'x=1'])).code, 0);
    const r = await run(ds, ['replace', '-f', 'stale.yaml']);
    assert.equal(r.code, 1);
    assert.equal(r.err, "Failed to replace 'GlobalNetworkPolicy' resource: update conflict: GlobalNetworkPolicy(deny-nodeports)\n");
  });

  test('an unreachable etcd endpoint is one line naming it, exit 1', async () => {
    const io = fakeIo(FILES, '', { ETCD_ENDPOINTS: 'http://127.0.0.1:1', HOME: '/nonexistent' });
    const code = await calicoctlMain(['get', 'gnp'], io);
    assert.equal(code, 1);
    assert.equal(io.out(), '');
    const lines = io.err().split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, io.err());
    assert.match(lines[0]!, /^Failed to create Calico API client: cannot reach etcd at http:\/\/127\.0\.0\.1:1: /);
  });

  test('an unreadable embedded path is one line naming it, exit 1', async () => {
    const io = fakeIo(FILES, '', { EMBEDDED_PATH: '/nonexistent/dir/db.sqlite' });
    assert.equal(await calicoctlMain(['apply', '-f', 'gnps.yaml'], io), 1);
    assert.match(io.err(), /^Failed to create Calico API client: cannot open sqlite datastore at \/nonexistent\/dir\/db\.sqlite: [^\n]+\n$/);
  });
});

describe('calicoctl configuration', () => {
  const cfg = (spec: string): string => `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n${spec}`;
  const cfgCases: { name: string; files: Record<string, string>; env: Record<string, string>; path?: string; want: unknown }[] = [
    {
      name: 'nothing set, no cluster: the default data dir\'s datastore, marked missing',
      files: {},
      env: { HOME: '/nonexistent-home-u' },
      want: {
        spec: { datastoreType: 'embedded', embeddedPath: '/nonexistent-home-u/.local/share/tabby/tabby.db' },
        file: undefined,
        missing: 'no --config, no /etc/calico/calicoctl.cfg, no datastore in the environment, and no running cluster in /nonexistent-home-u/.local/share/tabby (no tabby-up.json); start one with: tabby up --data-dir /nonexistent-home-u/.local/share/tabby, or name another with --data-dir or TABBY_DATA_DIR',
      },
    },
    { name: 'file: etcd with certificate files', files: { 'c.cfg': cfg('  datastoreType: etcdv3\n  etcdEndpoints: https://10.0.0.1:2379\n  etcdKeyFile: /k\n  etcdCertFile: /c\n  etcdCACertFile: /ca\n') }, env: { ETCD_ENDPOINTS: 'http://ignored:2379' }, path: 'c.cfg', want: { spec: { datastoreType: 'etcdv3', etcdEndpoints: 'https://10.0.0.1:2379', etcdKeyFile: '/k', etcdCertFile: '/c', etcdCACertFile: '/ca' }, file: 'c.cfg' } },
    { name: 'file: embedded path', files: { 'c.cfg': cfg('  datastoreType: embedded\n  embeddedPath: /var/lib/tabby/x.db\n') }, env: {}, path: 'c.cfg', want: { spec: { datastoreType: 'embedded', embeddedPath: '/var/lib/tabby/x.db' }, file: 'c.cfg' } },
    { name: 'env: ETCD_ENDPOINTS means etcdv3', files: {}, env: { ETCD_ENDPOINTS: 'http://127.0.0.1:2379', ETCD_CA_CERT_FILE: '/ca' }, want: { spec: { datastoreType: 'etcdv3', etcdEndpoints: 'http://127.0.0.1:2379', etcdCACertFile: '/ca' }, file: undefined } },
    { name: 'env: KUBECONFIG means kubernetes', files: {}, env: { KUBECONFIG: '/k/config' }, want: { spec: { datastoreType: 'kubernetes', kubeconfig: '/k/config' }, file: undefined } },
    { name: 'env: EMBEDDED_PATH', files: {}, env: { EMBEDDED_PATH: '/x.db' }, want: { spec: { datastoreType: 'embedded', embeddedPath: '/x.db' }, file: undefined } },
    { name: 'env: DATASTORE_TYPE=etcdv3 with CALICO_ETCD_ENDPOINTS', files: {}, env: { DATASTORE_TYPE: 'etcdv3', CALICO_ETCD_ENDPOINTS: 'http://e:2379' }, want: { spec: { datastoreType: 'etcdv3', etcdEndpoints: 'http://e:2379' }, file: undefined } },
    { name: 'missing --config file falls back to the environment', files: {}, env: { ETCD_ENDPOINTS: 'http://e:2379' }, path: 'nope.cfg', want: { spec: { datastoreType: 'etcdv3', etcdEndpoints: 'http://e:2379' }, file: undefined } },
  ];
  for (const c of cfgCases)
    test(c.name, async () => {
      const r = await loadCalicoctlConfig(fakeIo(c.files, '', c.env), c.path ?? '/etc/calico/calicoctl.cfg');
      assert.deepEqual(r, { ok: true, value: c.want });
    });

  test('an invalid config file is located', async () => {
    const r = await loadCalicoctlConfig(fakeIo({ 'c.cfg': cfg('  datastoreType: etcdv3\n  etcdEndpoint: http://x\n') }), 'c.cfg');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /^c\.cfg:6:3: spec\.etcdEndpoint: Unknown field/);
  });

  test('default embedded path follows TABBY_DATA_DIR, then XDG_DATA_HOME, then HOME', () => {
    assert.equal(defaultEmbeddedPath({ TABBY_DATA_DIR: '/t', XDG_DATA_HOME: '/data' }), '/t/tabby.db');
    assert.equal(defaultEmbeddedPath({ XDG_DATA_HOME: '/data' }), '/data/tabby/tabby.db');
    assert.equal(defaultEmbeddedPath({ HOME: '/home/u' }), '/home/u/.local/share/tabby/tabby.db');
  });
});
