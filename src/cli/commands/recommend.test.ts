import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { openSqliteDatastore } from '../../datastore/index.js';
import { ResourceClient } from '../../client/index.js';

/** The cluster of cluster.yaml written to an embedded datastore (Pods and Namespaces: calicoctl does not write those). */
async function seed(db: string): Promise<void> {
  const ds = await openSqliteDatastore(db);
  try {
    const client = new ResourceClient(ds);
    for (const d of parseAllDocuments(FILES['cluster.yaml'])) await client.apply(d.toJS());
  } finally {
    await ds.close();
  }
}

const expectGolden = goldenChecker(join(import.meta.dirname, '..'));
const DATA = join(import.meta.dirname, 'testdata', 'recommend');
const FILES = {
  'cluster.yaml': readFileSync(join(DATA, 'cluster.yaml'), 'utf8'),
  'flows.json': readFileSync(join(DATA, 'flows.json'), 'utf8'),
};

test('recommend --flows: the proof first, then one staged policy per workload with what it admits (golden)', async () => {
  const io = fakeIo(FILES);
  assert.equal(await main(['recommend', '-f', 'cluster.yaml', '--flows', 'flows.json', '-n', 'shop'], io), 0, io.err());
  expectGolden('commands/testdata/recommend-calico.golden', io.out());
  assert.match(io.out(), /observed flows kept: 6\/6\n/);
  assert.match(io.out(), /extra admitted classes: none/);
  const docs = parseAllDocuments(io.out()).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  assert.deepEqual(
    docs.map((d) => `${d.kind}/${d.metadata.name}`),
    ['NetworkSet/recommended-backend-egress', 'StagedNetworkPolicy/recommended-backend', 'StagedNetworkPolicy/recommended-db', 'StagedNetworkPolicy/recommended-frontend'],
  );
  // the same input, the same output
  const again = fakeIo(FILES);
  await main(['recommend', '-f', 'cluster.yaml', '--flows', 'flows.json', '-n', 'shop'], again);
  assert.equal(again.out(), io.out());
});

test('recommend --kind k8s -o json: a v1 List of StagedKubernetesNetworkPolicies on stdout, the proof on stderr', async () => {
  const io = fakeIo(FILES);
  assert.equal(await main(['recommend', '-f', 'cluster.yaml', '--flows', 'flows.json', '-n', 'shop', '--kind', 'k8s', '-o', 'json'], io), 0, io.err());
  const list = JSON.parse(io.out()) as { kind: string; items: { kind: string; spec: { podSelector: unknown } }[] };
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items.map((i) => i.kind), ['StagedKubernetesNetworkPolicy', 'StagedKubernetesNetworkPolicy', 'StagedKubernetesNetworkPolicy']);
  assert.deepEqual(list.items[1]!.spec.podSelector, { matchLabels: { app: 'db' } });
  assert.match(io.err(), /observed flows kept: 6\/6/);
});

test('recommend refuses (exit 1, nothing on stdout) when the proposal would cut an observed flow', async () => {
  // a pod without labels talked to db: no rule can name it, so the proof finds the flow cut
  const flows = JSON.parse(FILES['flows.json']) as Record<string, unknown>[];
  flows.push({ ...flows[3]!, source: { kind: 'wep', namespace: 'shop', name: 'bare', ip: '10.0.0.50', labels: {} } });
  const cluster = `${FILES['cluster.yaml']}---\napiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: shop}\nspec: {nodeName: n1, containers: [{name: c}]}\nstatus: {podIP: 10.0.0.50}\n`;
  const io = fakeIo({ 'cluster.yaml': cluster, 'flows.json': JSON.stringify(flows) });
  assert.equal(await main(['recommend', '-f', 'cluster.yaml', '--flows', 'flows.json', '-n', 'shop'], io), 1);
  assert.equal(io.out(), '');
  assert.match(io.err(), /refused: the proposal would cut 1 observed allowed flow:/);
  assert.match(io.err(), /CUT: pod shop\/bare has no labels.* → workload shop\/db \(app=db\) TCP 5432 \(shop\/bare → shop\/db-0\): destinationIngress shop\/db-0: end of tier default: Deny/);
});

test('recommend: a bad flows file is refused with file:line:col and the field path, exit 2', async () => {
  const bad = '- reporter: src\n  action: allow\n  protocol: tcp\n  destPort: 70000\n  source: {kind: wep, namespace: shop, name: x, ip: 10.0.0.1, labels: {"bad key!": v}}\n  dest: {kind: pod}\n';
  const io = fakeIo({ ...FILES, 'bad.yaml': bad });
  assert.equal(await main(['recommend', '-f', 'cluster.yaml', '--flows', 'bad.yaml'], io), 2);
  assert.match(io.err(), /^bad\.yaml:4:13: \[0\]\.destPort: Invalid value: 70000: must be an integer between 0 and 65535$/m);
  assert.match(io.err(), /^bad\.yaml:5:\d+: \[0\]\.source\.labels: Invalid value: "bad key!"/m);
  assert.match(io.err(), /^bad\.yaml:6:\d+: \[0\]\.dest\.kind: Unsupported value: "pod": supported values: "wep", "hep", "globalnetworkset", "networkset", "net"$/m);
  const io2 = fakeIo({ ...FILES, 'p.json': '{"items": [{"__proto__": {}}]}' });
  assert.equal(await main(['recommend', '-f', 'cluster.yaml', '--flows', 'p.json'], io2), 2);
  assert.match(io2.err(), /__proto__/);
  const io3 = fakeIo({ ...FILES, 'deep.json': `${'['.repeat(500)}${']'.repeat(500)}` });
  assert.equal(await main(['recommend', '-f', 'cluster.yaml', '--flows', 'deep.json'], io3), 2);
  assert.match(io3.err(), /nests deeper than 100 levels/);
});

test('recommend --apply writes staged policies; promote shows the flows that change, then enforces (embedded datastore)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-recommend-'));
  try {
    const db = join(dir, 'tabby.db');
    const cfg = `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec: {datastoreType: embedded, embeddedPath: ${db}}\n`;
    const files = { ...FILES, 'calicoctl.cfg': cfg };
    await seed(db);
    let io = fakeIo(files);
    assert.equal(await main(['recommend', '-c', 'calicoctl.cfg', '--flows', 'flows.json', '-n', 'shop', '--apply'], io), 0, io.err());
    assert.match(io.err(), /stagednetworkpolicy\.projectcalico\.org\/recommended-db created in shop/);
    assert.match(io.err(), /networkset\.projectcalico\.org\/recommended-backend-egress created in shop/);
    // without --flows the records come from the cluster's flows API: an embedded datastore has none
    io = fakeIo(files);
    assert.equal(await main(['recommend', '-c', 'calicoctl.cfg', '-n', 'shop'], io), 1);
    assert.match(io.err(), /the configured datastore \(embedded\) has no API server to serve flow records: give --kubeconfig, or the records with --flows FILE/);
    // re-running changes nothing
    io = fakeIo(files);
    assert.equal(await main(['recommend', '-c', 'calicoctl.cfg', '--flows', 'flows.json', '-n', 'shop', '--apply'], io), 0, io.err());
    assert.match(io.err(), /recommended-db unchanged in shop/);

    // no terminal, no --yes: nothing written
    io = fakeIo(files);
    assert.equal(await main(['promote', 'recommended-db', '-n', 'shop', '-c', 'calicoctl.cfg'], io), 1);
    assert.match(io.err(), /give --yes/);
    // answered no
    io = { ...fakeIo(files), confirm: async () => false };
    assert.equal(await main(['promote', 'recommended-db', '-n', 'shop', '-c', 'calicoctl.cfg'], io), 1);

    io = fakeIo(files);
    assert.equal(await main(['promote', 'recommended-db', '-n', 'shop', '-c', 'calicoctl.cfg', '--yes'], io), 0, io.err());
    assert.match(io.out(), /^promote: set NetworkPolicy shop\/recommended-db \(from StagedNetworkPolicy shop\/recommended-db\)\n/);
    // db now admits only backend: the frontends, debug and prometheus lose 5432 to it
    assert.match(io.out(), /shop\/frontend-7d9f-abcde → shop\/db-0 TCP\/5432: Allow → Deny/);
    assert.doesNotMatch(io.out(), /shop\/backend-5c4b-klmno → shop\/db-0 TCP\/5432/);
    assert.match(io.out(), /networkpolicy\.projectcalico\.org\/recommended-db created\nstagednetworkpolicy\.projectcalico\.org\/recommended-db deleted\n$/);

    const ds = await openSqliteDatastore(db);
    try {
      const nps = await ds.list({ group: 'projectcalico.org', plural: 'networkpolicies' });
      assert.deepEqual(nps.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ['shop/recommended-db']);
      const snps = await ds.list({ group: 'projectcalico.org', plural: 'stagednetworkpolicies' });
      assert.deepEqual(snps.items.map((o) => o.metadata.name).sort(), ['recommended-backend', 'recommended-frontend']);
    } finally {
      await ds.close();
    }
    // gone now
    io = fakeIo(files);
    assert.equal(await main(['promote', 'recommended-db', '-n', 'shop', '-c', 'calicoctl.cfg', '--yes'], io), 1);
    assert.match(io.err(), /no staged policy recommended-db in namespace shop/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promote: a StagedKubernetesNetworkPolicy becomes a networking.k8s.io NetworkPolicy; stagedAction Delete deletes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-promote-'));
  try {
    const db = join(dir, 'tabby.db');
    const cfg = `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec: {datastoreType: embedded, embeddedPath: ${db}}\n`;
    const files = { ...FILES, 'calicoctl.cfg': cfg };
    await seed(db);
    let io = fakeIo(files);
    assert.equal(await main(['recommend', '-c', 'calicoctl.cfg', '--flows', 'flows.json', '-n', 'shop', '--kind', 'k8s', '--apply'], io), 0, io.err());
    io = fakeIo(files);
    assert.equal(await main(['promote', 'sknp/recommended-frontend', '-n', 'shop', '-c', 'calicoctl.cfg', '--yes'], io), 0, io.err());
    assert.match(io.out(), /networkpolicy\.networking\.k8s\.io\/recommended-frontend created/);
    // stage the deletion of what was just enforced, and promote that
    const del = 'apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata: {name: recommended-frontend, namespace: shop}\nspec: {stagedAction: Delete}\n';
    io = fakeIo({ ...files, 'del.yaml': del });
    assert.equal(await main(['calicoctl', 'apply', '-f', 'del.yaml', '-c', 'calicoctl.cfg'], io), 0, io.err());
    io = fakeIo(files);
    assert.equal(await main(['promote', 'recommended-frontend', '-n', 'shop', '-c', 'calicoctl.cfg', '--yes'], io), 0, io.err());
    assert.match(io.out(), /^promote: delete NetworkPolicy shop\/recommended-frontend/);
    assert.match(io.out(), /networkpolicy\.networking\.k8s\.io\/recommended-frontend deleted\n/);
    const ds = await openSqliteDatastore(db);
    try {
      assert.equal((await ds.list({ group: 'networking.k8s.io', plural: 'networkpolicies' })).items.length, 0);
    } finally {
      await ds.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
