/**
 * The agent against fakes: a memory datastore, FakeIptables and FakeIpset behind one runner.
 * Proves: fail closed until in sync; list + watch drives applies; only changes are written;
 * bursts coalesce; TooOldError re-lists; status is published on the Calico Node and status
 * writes never wake agents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIpset, FakeIptables } from '../../test/fakes/index.js';
import { openMemoryDatastore, TooOldError, type Datastore, type ResourceType, type StoredObject } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { createDriver } from '../dataplane/driver-factory.js';
import { FakeClock, type CommandRunner } from '../sys/index.js';
import { workloadInterfaceName, loadSnapshot } from '../engine/index.js';
import { effectiveFelixConfig } from '../model/calico/felix-configuration.js';
import { AgentLoop } from './loop.js';
import { runAgent } from './main.js';
import { ANNOTATION, readNodeStatus } from './status.js';

/** Bound on each wait for an apply (fakes apply in milliseconds; a hang fails fast, naming node and revision). */
const WAIT_MS = 20_000;

function fakes(): { runner: CommandRunner; ipt: FakeIptables; ips: FakeIpset } {
  const ips = new FakeIpset();
  const ipt = new FakeIptables({ ipsetExists: (n) => ips.sets.has(n) });
  const runner: CommandRunner = { run: (c) => (c.argv[0] === 'ipset' ? ips.run(c) : ipt.run(c)) };
  return { runner, ipt, ips };
}

const pod = (name: string, ip: string, labels: Record<string, string>, node = 'w1'): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName: node, containers: [{ name: 'c' }] },
  status: { podIP: ip },
});
const allowWeb = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-web', namespace: 'default' },
  spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] },
};

async function seeded(): Promise<{ ds: Datastore; client: ResourceClient }> {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  for (const r of [pod('web', '10.0.0.1', { app: 'web' }), pod('db', '10.0.0.2', { app: 'db' })]) await client.apply(r);
  return { ds, client };
}

async function latestRevision(ds: Datastore): Promise<string> {
  return (await ds.list({ group: '', plural: 'pods' })).revision;
}

test('agent: whenProgrammed is bounded: it rejects after its deadline naming node and revision, and resolves once programmed', async () => {
  const { runner } = fakes();
  const clock = new FakeClock();
  const snapshot = loadSnapshot([pod('web', '10.0.0.1', { app: 'web' })]).snapshot;
  const source = { inSync: false, revision: '7', snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  const loop = new AgentLoop({ node: 'w9', source, driver: createDriver({ kind: 'iptables', runner, clock }), clock });
  // Never in sync, never applied: the wait ends at its deadline with a named error.
  await assert.rejects(loop.whenProgrammed('7', 50), /^Error: agent w9: revision 7 not programmed within 50 ms \(nothing programmed yet; 0 applies, 0 failed; in sync: false\)$/);
  const later = loop.whenProgrammed('7', WAIT_MS);
  await loop.applyOnce();
  await later;
  await loop.whenProgrammed('6', 1);
  await assert.rejects(loop.whenProgrammed('8', 10), /revision 8 not programmed within 10 ms \(last programmed revision 7;/);
});

test('agent: fail closed until in sync, then the real rules replace the fail-closed ones', async () => {
  const { runner, ipt, ips } = fakes();
  const clock = new FakeClock();
  const snapshot = loadSnapshot([pod('web', '10.0.0.1', { app: 'web' })]).snapshot;
  const source = { inSync: false, revision: '1', snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  const loop = new AgentLoop({ node: 'w1', source, driver: createDriver({ kind: 'iptables', runner, clock }), clock });
  const ac = new AbortController();
  const running = loop.run(ac.signal);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(ipt.chainNames('filter').includes('cali-fail-closed-in'), 'fail-closed chains installed');
  assert.equal(loop.applies, 0, 'nothing applied before in sync');
  source.inSync = true;
  loop.markDirty();
  await loop.whenProgrammed('1', WAIT_MS);
  assert.ok(!ipt.chainNames('filter').includes('cali-fail-closed-in'), 'fail-closed chains swept');
  assert.ok(ipt.chainNames('filter').includes(`cali-tw-${workloadInterfaceName('default', 'web')}`));
  assert.deepEqual(ipt.rules('filter', 'INPUT').map((r) => r.replace(/-m comment --comment "cali:[^"]+" /, '')), ['-j cali-INPUT']);
  assert.equal(ips.sets.size, 0);
  ac.abort();
  await running;
});

test('agent: list + watch → programmed; a policy change is applied incrementally and published', async () => {
  const { ds, client } = await seeded();
  const { runner, ipt, ips } = fakes();
  const logs: string[] = [];
  const agent = runAgent({ node: 'w1', datastore: ds, runner, log: (m) => logs.push(m), refreshIntervalMs: 60_000 });
  try {
    await agent.whenProgrammed(await latestRevision(ds), WAIT_MS);
    const db = workloadInterfaceName('default', 'db');
    const before = ipt.rules('filter', `cali-tw-${db}`);
    assert.ok(!before.some((r) => r.includes('cali-pi-')), 'no policy yet: profiles only');
    const status0 = await readNodeStatus(ds, 'w1');
    assert.ok(status0 !== undefined && status0.policyCount === 0);

    const fwIds = ipt.ruleIds('filter', `cali-fw-${db}`);
    const w = await client.apply(allowWeb);
    const rev = w.object.metadata.resourceVersion!;
    await agent.whenProgrammed(rev, WAIT_MS);
    const after = ipt.rules('filter', `cali-tw-${db}`);
    assert.ok(after.some((r) => r.includes('-j cali-pi-')), 'ingress chain jumps to the policy');
    assert.deepEqual(ipt.ruleIds('filter', `cali-fw-${db}`), fwIds, 'unchanged chain not rewritten');
    assert.equal(ips.sets.size, 1);
    assert.deepEqual([...ips.sets.values()][0]!.members.size, 1);
    const latency = agent.loop.last!.latencyMs;
    assert.ok(latency < 2000, `change → rules in ${latency} ms`);

    // Status: published at the change's revision; the status write itself does not advance it.
    const deadline = Date.now() + 2000;
    let st = await readNodeStatus(ds, 'w1');
    while ((st?.revision !== rev || st.policyCount !== 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      st = await readNodeStatus(ds, 'w1');
    }
    assert.equal(st?.revision, rev);
    assert.equal(st?.policyCount, 1);
    const node = await ds.get({ group: 'projectcalico.org', plural: 'nodes', namespace: '', name: 'w1' });
    assert.equal(node.metadata.annotations?.[ANNOTATION.policies], 'default/allow-web');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(agent.syncer.revision, rev, 'own status writes do not advance the revision');

    // Delete: policy chain and IP set swept.
    const del = await ds.delete({ group: 'projectcalico.org', plural: 'networkpolicies', namespace: 'default', name: 'allow-web' });
    await agent.whenProgrammed(del.metadata.resourceVersion!, WAIT_MS);
    assert.ok(!ipt.chainNames('filter').some((c) => c.startsWith('cali-pi-')));
    assert.equal(ips.sets.size, 0);
  } finally {
    await agent.stop();
    await ds.close();
  }
});

/**
 * A clock whose time stands still and whose sleeps pass at once — except while `hold()` is in
 * force: then every sleep waits until `release()`. Lets a test catch the loop in its rate-limit
 * wait and count applies rather than milliseconds.
 */
class GateClock extends FakeClock {
  private _gate: Promise<void> | undefined;
  private _open: (() => void) | undefined;
  waiting = 0;

  hold(): void {
    this._gate = new Promise((r) => (this._open = r));
  }

  release(): void {
    this._open?.();
    this._gate = undefined;
  }

  override async sleep(_ms: number): Promise<void> {
    const gate = this._gate;
    if (gate === undefined) return super.sleep(0);
    this.waiting++;
    await gate;
    this.waiting--;
  }
}

/** Polls `cond` every 5 ms until true; fails after `ms` naming `what`. */
async function until(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('agent: a burst of changes during the rate-limit wait is coalesced into one apply', async () => {
  const { ds, client } = await seeded();
  const { runner } = fakes();
  const clock = new GateClock();
  const agent = runAgent({ node: 'w1', datastore: ds, runner, clock, minApplyIntervalMs: 50, publishStatus: false });
  try {
    await agent.whenProgrammed(await latestRevision(ds), WAIT_MS);
    const n0 = agent.loop.applies;
    // The clock stands still, so the next apply must wait out the rate limit: hold it there.
    clock.hold();
    let rev = (await client.apply(pod('p0', '10.0.1.1', { app: 'web' }))).object.metadata.resourceVersion!;
    await until(() => clock.waiting === 1, 'the loop waits out the rate limit after the first change');
    for (let i = 1; i < 30; i++) rev = (await client.apply(pod(`p${i}`, `10.0.1.${i + 1}`, { app: 'web' }))).object.metadata.resourceVersion!;
    await until(() => BigInt(agent.syncer.revision) >= BigInt(rev), `the syncer has seen revision ${rev}`);
    assert.equal(agent.loop.applies, n0, 'nothing applied while the rate limit holds');
    clock.release();
    await agent.whenProgrammed(rev, WAIT_MS);
    assert.equal(agent.loop.applies - n0, 1, '30 changes during one rate-limit wait cost one apply');
    assert.equal(agent.loop.lastDesired?.workloads.length, 32);
  } finally {
    clock.release();
    await agent.stop();
    await ds.close();
  }
});

test('agent: TooOldError on watch re-lists and stays correct', async () => {
  const { ds, client } = await seeded();
  let failed = 0;
  const flaky: Datastore = Object.assign(Object.create(ds) as Datastore, {
    watch(q: ResourceType, from: string, signal: AbortSignal): AsyncIterable<{ type: 'ADDED'; object: StoredObject; revision: string }> {
      if (q.plural === 'networkpolicies' && q.group === 'projectcalico.org' && failed++ === 0) {
        return {
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new TooOldError(from)) }),
        } as AsyncIterable<{ type: 'ADDED'; object: StoredObject; revision: string }>;
      }
      return ds.watch(q, from, signal) as AsyncIterable<{ type: 'ADDED'; object: StoredObject; revision: string }>;
    },
  });
  const { runner, ipt } = fakes();
  const logs: string[] = [];
  const agent = runAgent({ node: 'w1', datastore: flaky, runner, publishStatus: false, log: (m) => logs.push(m) });
  try {
    await agent.whenProgrammed(await latestRevision(ds), WAIT_MS);
    const w = await client.apply(allowWeb);
    await agent.whenProgrammed(w.object.metadata.resourceVersion!, WAIT_MS);
    assert.ok(ipt.chainNames('filter').some((c) => c.startsWith('cali-pi-')));
    assert.ok(logs.some((l) => /re-listing/.test(l)), logs.join('\n'));
  } finally {
    await agent.stop();
    await ds.close();
  }
});

test('agent: NFLOG group and per-node FelixConfiguration are honoured', async () => {
  const { ds, client } = await seeded();
  await client.apply({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'node.w1' }, spec: { logPrefix: 'w1-drop', defaultEndpointToHostAction: 'Accept' } });
  const w = await client.apply({
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'log', namespace: 'default' },
    spec: { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Log' }] },
  });
  const { runner, ipt } = fakes();
  const agent = runAgent({ node: 'w1', datastore: ds, runner, nflogGroup: 42, publishStatus: false });
  try {
    await agent.whenProgrammed(w.object.metadata.resourceVersion!, WAIT_MS);
    const pi = ipt.chainNames('filter').find((c) => c.startsWith('cali-pi-'))!;
    assert.match(ipt.rules('filter', pi).join('\n'), /-j NFLOG --nflog-group 42 --nflog-prefix "w1-drop:"/);
    assert.match(ipt.rules('filter', 'cali-wl-to-host').join('\n'), /-j ACCEPT/);
  } finally {
    await agent.stop();
    await ds.close();
  }
});

test('agent: IP set member changes go through the ipset session; stop() ends it (no process left)', async () => {
  const { ds, client } = await seeded();
  const ips = new FakeIpset();
  const ipt = new FakeIptables({ ipsetExists: (n) => ips.sets.has(n) });
  // Like the node runner: run() for one-shot commands, start() for the long-lived ipset session
  // and for the streamed `iptables-save` reads (here: the fake's run(), its output delivered).
  const runner: CommandRunner = {
    run: (c) => (c.argv[0] === 'ipset' ? ips.run(c) : ipt.run(c)),
    start: (s) => {
      if (s.argv[0] === 'sh') return ips.start(s);
      const exited = ipt.run({ argv: s.argv }).then((r) => {
        s.onOutput(r.stdout, 'stdout');
        s.onOutput(r.stderr, 'stderr');
        return r.code;
      });
      return { pid: undefined, write: () => false, exited, stop: () => exited };
    },
  };
  const agent = runAgent({ node: 'w1', datastore: ds, runner, refreshIntervalMs: 60_000, publishStatus: false });
  try {
    await client.apply(allowWeb);
    await agent.whenProgrammed(await latestRevision(ds), WAIT_MS);
    assert.equal(ips.sets.size, 1);
    const set = [...ips.sets.keys()][0]!;
    assert.equal(ips.liveSessions().length, 1, 'a session is warm after the first apply');
    // A second web pod: only the set's members change.
    const w = await client.apply(pod('web2', '10.0.0.3', { app: 'web' }));
    await agent.whenProgrammed(w.object.metadata.resourceVersion!, WAIT_MS);
    assert.deepEqual(ips.members(set), ['10.0.0.1', '10.0.0.3']);
    assert.deepEqual(ips.sessions[0]!.lines, [`add ${set} 10.0.0.3`, 'version']);
  } finally {
    await agent.stop();
    await ds.close();
  }
  assert.deepEqual(ips.liveSessions(), [], 'stop() closed the session');
  assert.equal(ips.sessions[0]!.exitCode, 0);
});

test("agent: fail closed with the node's own failsafe ports (its effective FelixConfiguration)", async () => {
  const { runner, ipt } = fakes();
  const clock = new FakeClock();
  const snapshot = loadSnapshot([pod('web', '10.0.0.1', { app: 'web' })]).snapshot;
  const felix = effectiveFelixConfig({ failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }] }, { failsafeInboundHostPorts: [{ protocol: 'TCP', port: 2222 }] });
  const source = { inSync: false, revision: '1', snapshot: () => snapshot, felixConfig: () => felix };
  const loop = new AgentLoop({ node: 'w1', source, driver: createDriver({ kind: 'iptables', runner, clock }), clock });
  const ac = new AbortController();
  const running = loop.run(ac.signal);
  const deadline = Date.now() + WAIT_MS;
  while (!ipt.chainNames('filter').includes('cali-fail-closed-in') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const rules = ipt.rules('filter', 'cali-fail-closed-in');
  assert.ok(rules.some((r) => /--dports 2222 /.test(r)), rules.join('\n'));
  assert.ok(!rules.some((r) => /--dports 22 /.test(r)), 'the node.<name> list replaces the default one');
  ac.abort();
  await running;
});

test('agent: its drift check finds a deleted FORWARD hook and a flushed chain by itself, repairs them and logs what it found', async () => {
  const { ds } = await seeded();
  const { runner, ipt } = fakes();
  const logs: string[] = [];
  const agent = runAgent({ node: 'w1', datastore: ds, runner, log: (m) => logs.push(m), publishStatus: false, driftCheckMs: 20 });
  try {
    await agent.whenProgrammed(await latestRevision(ds), WAIT_MS);
    const waitRepairs = async (n: number): Promise<void> => {
      const deadline = Date.now() + WAIT_MS;
      while (agent.loop.repairs < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(agent.loop.repairs, n, `repair ${n} made: ${logs.join('\n')}`);
    };
    const hook = ipt.rules('filter', 'FORWARD');
    await ipt.run({ argv: ['iptables', '-t', 'filter', '-D', 'FORWARD', '1'] });
    await waitRepairs(1);
    assert.deepEqual(ipt.rules('filter', 'FORWARD'), hook);
    assert.ok(logs.some((l) => /^drift repaired on node w1 \(verify, \d+ ms\): found filter: hook FORWARD missing or not first$/.test(l)), logs.join('\n'));
    const chain = `cali-tw-${workloadInterfaceName('default', 'db')}`;
    const before = ipt.rules('filter', chain);
    await ipt.run({ argv: ['iptables', '-t', 'filter', '-F', chain] });
    await waitRepairs(2);
    assert.deepEqual(ipt.rules('filter', chain), before);
    assert.ok(logs.some((l) => l.includes(`found filter: chain ${chain} changed`)), logs.join('\n'));
  } finally {
    await agent.stop();
    await ds.close();
  }
});

test('agent: a pod change on another node that no local policy references is skipped; one that is referenced is applied; the rules equal a never-skipping agent', async () => {
  const { ds, client } = await seeded();
  const a = fakes();
  const b = fakes();
  const filtering = runAgent({ node: 'w1', datastore: ds, runner: a.runner, publishStatus: false, refreshIntervalMs: 60_000, driftCheckMs: 0 });
  const always = runAgent({ node: 'w1', datastore: ds, runner: b.runner, publishStatus: false, refreshIntervalMs: 60_000, driftCheckMs: 0, filterChanges: false });
  const both = async (rev: string): Promise<void> => {
    await filtering.whenProgrammed(rev, WAIT_MS);
    await always.whenProgrammed(rev, WAIT_MS);
  };
  try {
    await both((await client.apply(allowWeb)).object.metadata.resourceVersion!);
    const applies = filtering.loop.applies;
    const skipped = filtering.loop.skipped;
    // remote pods matching no set selector (app=batch): nothing on w1 can change
    for (let i = 0; i < 5; i++) await both((await client.apply(pod(`batch-${i}`, `10.0.2.${i + 1}`, { app: 'batch' }, 'w2'))).object.metadata.resourceVersion!);
    assert.equal(filtering.loop.applies, applies, 'no recomputation for unrelated remote pods');
    assert.ok(filtering.loop.skipped > skipped);
    // a remote pod that the rule's source selector (app == 'web') picks: its IP joins the set
    await both((await client.apply(pod('web-2', '10.0.2.50', { app: 'web' }, 'w2'))).object.metadata.resourceVersion!);
    assert.equal(filtering.loop.applies, applies + 1);
    assert.deepEqual([...a.ips.sets.values()].map((s) => [...s.members].sort()), [['10.0.0.1', '10.0.2.50']]);
    // relabelled out of the set (it was a member): applied again; then deleted while irrelevant: skipped
    await both((await client.apply(pod('web-2', '10.0.2.50', { app: 'batch' }, 'w2'))).object.metadata.resourceVersion!);
    assert.equal(filtering.loop.applies, applies + 2);
    assert.deepEqual([...a.ips.sets.values()].map((s) => [...s.members].sort()), [['10.0.0.1']]);
    const del = await ds.delete({ group: '', plural: 'pods', namespace: 'default', name: 'batch-1' });
    await both(del.metadata.resourceVersion!);
    assert.equal(filtering.loop.applies, applies + 2, 'deleting a remote pod no set held is skipped');
    // a local pod: always applied
    await both((await client.apply(pod('local', '10.0.0.9', { app: 'batch' }))).object.metadata.resourceVersion!);
    assert.equal(filtering.loop.applies, applies + 3);
    assert.equal(a.ipt.save(), b.ipt.save(), 'the skipping agent programs exactly what the never-skipping one does');
    assert.equal(a.ips.save(), b.ips.save());
  } finally {
    await filtering.stop();
    await always.stop();
    await ds.close();
  }
});

test('agent: while the driver writes, applyingDesired is the state being written (the flow reader decodes its prefixes); after, lastDesired is', async () => {
  const { runner } = fakes();
  const clock = new FakeClock();
  const snapshot = loadSnapshot([pod('web', '10.0.0.1', { app: 'web' })]).snapshot;
  const source = { inSync: true, revision: '3', snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  const driver = createDriver({ kind: 'iptables', runner, clock });
  const seen: unknown[] = [];
  const loop = new AgentLoop({ node: 'w1', source, driver, clock });
  const apply = driver.apply.bind(driver);
  driver.apply = async (...a: Parameters<typeof apply>) => {
    seen.push(loop.applyingDesired, loop.lastDesired);
    return apply(...a);
  };
  await loop.applyOnce();
  assert.ok(seen[0] !== undefined && (seen[0] as { workloads: unknown[] }).workloads.length === 1, 'the state being written is visible during the write');
  assert.equal(seen[1], undefined, 'nothing programmed before');
  assert.equal(loop.lastDesired, seen[0], 'once written, it is the programmed state');
  assert.equal(loop.applyingDesired, undefined);
  driver.apply = async () => {
    throw new Error('write failed');
  };
  await assert.rejects(loop.applyOnce(), /^Error: write failed$/);
  assert.equal(loop.applyingDesired, undefined, 'a failed write leaves no applying state');
});
