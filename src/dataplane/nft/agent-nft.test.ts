/**
 * `runAgent({ dataplane: 'nft' })` (what `tabby agent --dataplane nft` runs) against a memory
 * datastore and FakeNft: the agent's own loop programs the nft table — fail closed first, then
 * the real ruleset, then a policy change as an incremental transaction, then its deletion —
 * and never runs iptables or ipset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeNft } from '../../../test/fakes/fake-nft.js';
import { openMemoryDatastore } from '../../datastore/index.js';
import { ResourceClient } from '../../client/index.js';
import { workloadInterfaceName } from '../../engine/index.js';
import type { CommandRunner } from '../../sys/index.js';
import { runAgent } from '../../agent/main.js';

/** Bound on each wait for an apply (fakes apply in milliseconds; a hang fails fast, naming node and revision). */
const WAIT_MS = 20_000;

const pod = (name: string, ip: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName: 'w1', containers: [{ name: 'c' }] },
  status: { podIP: ip },
});

test('agent --dataplane nft: programs table ip tabby through its loop; changes are incremental; iptables and ipset are never written', async () => {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  for (const r of [pod('web', '10.0.0.1', { app: 'web' }), pod('db', '10.0.0.2', { app: 'db' })]) await client.apply(r);
  const nft = new FakeNft();
  const others: string[] = [];
  const runner: CommandRunner = {
    run: (c) => {
      if (c.argv[0] !== 'nft') others.push(c.argv.join(' '));
      return nft.run(c);
    },
  };
  const agent = runAgent({ node: 'w1', datastore: ds, runner, publishStatus: false, dataplane: 'nft' });
  try {
    await agent.whenProgrammed((await ds.list({ group: '', plural: 'pods' })).revision, WAIT_MS);
    const db = workloadInterfaceName('default', 'db');
    const web = workloadInterfaceName('default', 'web');
    const t = nft.tables.get('ip tabby');
    assert.ok(t !== undefined, 'table programmed');
    assert.equal(t.chains.has('filter-cali-fail-closed-in'), false, 'fail-closed table replaced');
    const dispatch = t.chains.get('filter-cali-from-wl-dispatch')?.rules ?? [];
    assert.equal(dispatch.length, 2);
    assert.ok(dispatch[0]!.includes(`"${db}" : goto filter-cali-fw-${db}`) && dispatch[0]!.includes(`"${web}" : goto filter-cali-fw-${web}`));
    const writes = (): string[] => nft.commands.filter((c) => c.argv[1] === '-f').map((c) => c.stdin ?? '');
    assert.match(writes()[0] ?? '', /filter-cali-fail-closed-in/, 'fail closed was the first write');

    const w = await client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-web', namespace: 'default' },
      spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] },
    });
    await agent.whenProgrammed(w.object.metadata.resourceVersion!, WAIT_MS);
    const inc = writes().at(-1) ?? '';
    assert.doesNotMatch(inc, /delete table/, 'the policy change is incremental');
    const added = /^add chain ip tabby (filter-cali-pi-\S+)$/m.exec(inc)?.[1];
    assert.ok(added !== undefined, 'the policy chain is added');
    assert.match(inc, /^add set ip tabby cali40s-/m);
    assert.ok(nft.tables.get('ip tabby')?.chains.get(`filter-cali-tw-${db}`)?.rules.some((r) => r.includes(`jump ${added}`)));

    const del = await ds.delete({ group: 'projectcalico.org', plural: 'networkpolicies', namespace: 'default', name: 'allow-web' });
    await agent.whenProgrammed(del.metadata.resourceVersion!, WAIT_MS);
    const after = nft.tables.get('ip tabby');
    assert.ok(after !== undefined);
    assert.ok(![...after.chains.keys()].some((c) => c.includes('cali-pi-')), 'policy chain deleted');
    assert.equal(after.sets.size, 0, 'its set deleted');
    // The only other commands are the dataplane-switch check's reads (is anything of the iptables
    // backend left?): iptables and ipset are never written.
    assert.deepEqual(others.filter((c) => !/^(iptables-save|ipset (save|list))\b/.test(c)), [], `iptables and ipset are only read: ${others.join('; ')}`);
    assert.ok(others.length <= 4, `one read per table and one of the IP sets: ${others.join('; ')}`);
  } finally {
    await agent.stop();
    await ds.close();
  }
});
