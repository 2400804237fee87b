/**
 * The Kubernetes REST datastore against a real Tabby API server (in-process, HTTPS on a free
 * loopback port): CRUD with the typed errors, lists without the server's derived
 * `knp.default.*` policies, watch, and calicoctl configured by the server's calicoctl.cfg.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runServer, type RunningServer } from '../../apiserver/main.js';
import { AlreadyExistsError, ConflictError, NotFoundError, UnavailableError } from '../errors.js';
import { kubeconfigToOptions, openKubeDatastore, type KubeDatastore } from './index.js';
import { calicoctlMain } from '../../cli/calicoctl/main.js';
import { nodeIo } from '../../cli/node-io.js';

const GNP = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' };
const gnp = (name: string, order: number) => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { name, labels: { team: 'a' } },
  spec: { order, selector: 'all()' },
});

describe('kube datastore against tabby server', () => {
  let dir = '';
  let server: RunningServer | undefined;
  let ds: KubeDatastore | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-kube-ds-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0 });
    const kc = kubeconfigToOptions(parseYaml(await readFile(server.kubeconfigPath, 'utf8')), { baseDir: dir });
    assert.ok(kc.ok);
    ds = await openKubeDatastore(kc.value);
  });
  after(async () => {
    await ds?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('create, get, update with conflicts, list, delete, with typed errors', async () => {
    const created = await ds!.create(GNP, gnp('a', 10));
    assert.ok(created.metadata.resourceVersion);
    await assert.rejects(ds!.create(GNP, gnp('a', 10)), AlreadyExistsError);
    const got = await ds!.get({ ...GNP, namespace: '', name: 'a' });
    const updated = await ds!.update(GNP, { ...gnp('a', 20), metadata: { ...got.metadata } });
    await assert.rejects(ds!.update(GNP, { ...gnp('a', 30), metadata: { ...got.metadata } }), ConflictError);
    const list = await ds!.list({ ...GNP, labels: (l) => l['team'] === 'a' });
    assert.deepEqual(list.items.map((o) => o.metadata.name), ['a']);
    await ds!.delete({ ...GNP, namespace: '', name: 'a' }, { resourceVersion: updated.metadata.resourceVersion! });
    await assert.rejects(ds!.get({ ...GNP, namespace: '', name: 'a' }), NotFoundError);
  });

  test('watch from a revision sees later changes', async () => {
    const { revision } = await ds!.list(GNP);
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of ds!.watch(GNP, revision, ac.signal)) {
        seen.push(`${ev.type} ${ev.object.metadata.name ?? ''}`);
        if (seen.length === 2) ac.abort();
      }
    })();
    await ds!.create(GNP, gnp('w', 1));
    await ds!.delete({ ...GNP, namespace: '', name: 'w' });
    await done;
    assert.deepEqual(seen, ['ADDED w', 'DELETED w']);
  });

  test('calicoctl with the server\'s calicoctl.cfg: apply, get (with knp.default.* once), delete', async () => {
    await writeFile(join(dir, 'p.yaml'), 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: np1\n  namespace: default\nspec:\n  selector: app == \'web\'\n');
    const run = async (argv: string[]) => {
      let out = '';
      let err = '';
      const io = { ...nodeIo, env: { HOME: dir }, stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
      const code = await calicoctlMain([...argv, '--config', server!.calicoctlCfgPath], io);
      return { code, out, err };
    };
    assert.deepEqual(await run(['apply', '-f', join(dir, 'p.yaml')]), { code: 0, out: "Successfully applied 1 'NetworkPolicy' resource(s)\n", err: '' });
    await ds!.create({ group: 'networking.k8s.io', plural: 'networkpolicies' }, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'k8s-one', namespace: 'default' },
      spec: { podSelector: {} },
    } as never);
    const wide = await run(['get', 'networkpolicy', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.err);
    assert.equal(wide.out.match(/knp\.default\.k8s-one/g)?.length, 1, wide.out);
    assert.match(wide.out, /^np1 +default +<nil> +app == 'web' +$/m);
    assert.equal((await run(['delete', 'networkpolicy', 'np1'])).out, "Successfully deleted 1 'NetworkPolicy' resource(s)\n");
    const missing = await run(['get', 'gnp', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^resource does not exist: GlobalNetworkPolicy\(nope\) with error: globalnetworkpolicies.projectcalico.org "nope" not found\n$/);
  });

  test('an unreachable server is one UnavailableError naming it', async () => {
    await assert.rejects(openKubeDatastore({ server: 'https://127.0.0.1:1' }), (e: unknown) => e instanceof UnavailableError && e.message === 'cannot reach kubernetes at https://127.0.0.1:1: connection refused');
  });
});
