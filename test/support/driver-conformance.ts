/**
 * The one DataplaneDriver conformance suite (ARCHITECTURE principle 5). Every driver runs it,
 * against fakes (src/dataplane/driver.test.ts) and, as root, against the kernel inside a private
 * network namespace (src/dataplane/driver-kernel.test.ts):
 *
 *   runDriverConformance('iptables (fakes)', openIptablesFakes);
 *
 * The suite sees a driver only through the port and a harness that (a) reads a canonical view
 * of what the kernel holds of the driver's (equal views: the same dataplane for every packet)
 * and (b) tampers with it using the backend's own tools: delete the FORWARD hook, flush a policy
 * chain, remove an IP set member, insert an ACCEPT ahead of our FORWARD hook. Each tamper must
 * change the view (so the check cannot pass vacuously), and one `verify()` must repair it,
 * naming what it found. Every harness is cleaned up in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, type CommandRunner } from '../../src/sys/index.js';
import { ipsetSaveFingerprint } from '../../src/dataplane/ipset/plan.js';
import { parseNftListing } from '../../src/dataplane/nft/format.js';
import { nftChainName, renderNftSet } from '../../src/dataplane/nft/render.js';
import type { DataplaneDriver } from '../../src/dataplane/driver.js';
import { failClosedRules, FAIL_CLOSED_FORWARD_CHAIN } from '../../src/dataplane/render/fail-closed.js';
import { render, type RenderedDataplane } from '../../src/dataplane/render/index.js';
import type { IpSet } from '../../src/dataplane/model.js';
import { computeDesiredState, loadSnapshot } from '../../src/engine/index.js';
import { effectiveFelixConfig } from '../../src/model/calico/felix-configuration.js';
import type { FelixConfigurationSpec } from '../../src/model/calico/other-types.js';

export interface DriverTamper {
  /** Removes our hook from FORWARD (the built-in chain / base chain). */
  deleteForwardHook(): Promise<void>;
  /** Empties one of our chains (iptables name, e.g. `cali-pi-…`). */
  flushChain(chain: string): Promise<void>;
  /** Removes one member from one of our IP sets. */
  removeSetMember(set: IpSet, member: string): Promise<void>;
  /** Puts an unconditional ACCEPT first in FORWARD. */
  insertForwardAccept(): Promise<void>;
}

export interface DriverHarness {
  readonly driver: DataplaneDriver;
  /** What the kernel holds of ours, canonically (no handles, counters or foreign rules after ours). */
  view(): Promise<string>;
  readonly tamper: DriverTamper;
  cleanup(): Promise<void>;
}

export type OpenDriverHarness = (clock: FakeClock) => Promise<DriverHarness>;

const TEST_TIMEOUT_MS = 60_000;
const NODE = 'w1';

const pod = (name: string, ip: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName: NODE, containers: [{ name: 'c' }] },
  status: { podIP: ip },
});
const allowWeb = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-web', namespace: 'default' },
  spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] },
};

/** A node with two pods and (optionally) one policy using one IP set; addresses from 198.18.0.0/15. */
export function renderedFixture(withPolicy = true, felix: FelixConfigurationSpec = {}): RenderedDataplane {
  const objects = [pod('web', '198.18.10.1', { app: 'web' }), pod('web2', '198.18.10.3', { app: 'web' }), pod('db', '198.18.10.2', { app: 'db' }), ...(withPolicy ? [allowWeb] : [])];
  const snapshot = loadSnapshot(objects).snapshot;
  return render(computeDesiredState(snapshot, NODE, effectiveFelixConfig(felix)));
}

/**
 * The fixture plus a policy whose jump carries a prefilter (src/dataplane/render/prefilter.ts):
 * a `hash:net,port` set (nft: a concatenated interval set) of (source, protocol, port), with
 * every-address halves, a selector's members and a CIDR.
 */
export function prefilterFixture(): RenderedDataplane {
  const pol = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'prefiltered', namespace: 'default' },
    spec: {
      selector: "app == 'db'",
      types: ['Ingress'],
      ingress: [
        { action: 'Deny', protocol: 'TCP', destination: { ports: [7000] } },
        { action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432, '6000:6002'] } },
        { action: 'Allow', protocol: 'UDP', source: { nets: ['198.18.20.0/24'] }, destination: { ports: [53] } },
      ],
    },
  };
  const objects = [pod('web', '198.18.10.1', { app: 'web' }), pod('web2', '198.18.10.3', { app: 'web' }), pod('db', '198.18.10.2', { app: 'db' }), allowWeb, pol];
  return render(computeDesiredState(loadSnapshot(objects).snapshot, NODE, effectiveFelixConfig()));
}

const policyChain = (r: RenderedDataplane): string => {
  const c = r.filter.chains.find((x) => x.name.startsWith('cali-pi-'));
  assert.ok(c !== undefined, 'the fixture renders a policy chain');
  return c.name;
};

export function runDriverConformance(name: string, open: OpenDriverHarness, opts: { skip?: string | false } = {}): void {
  const t = (title: string, fn: (h: DriverHarness, clock: FakeClock) => Promise<void>): void => {
    test(`driver conformance (${name}): ${title}`, { timeout: TEST_TIMEOUT_MS, ...(opts.skip ? { skip: opts.skip } : {}) }, async () => {
      const clock = new FakeClock(1_000_000);
      const h = await open(clock);
      try {
        await fn(h, clock);
      } finally {
        await h.driver.close();
        await h.cleanup();
      }
    });
  };

  t('fail closed until the first apply, which replaces the fail-closed rules; an unchanged apply writes nothing', async (h) => {
    await h.driver.failClosed(failClosedRules());
    assert.match(await h.view(), new RegExp(FAIL_CLOSED_FORWARD_CHAIN), 'fail-closed rules installed');
    const r = renderedFixture();
    assert.equal((await h.driver.apply(r)).changed, true);
    const v = await h.view();
    assert.doesNotMatch(v, /cali-fail-closed/, 'fail-closed rules replaced');
    assert.ok(v.includes(policyChain(r)), 'the policy chain is programmed');
    assert.equal((await h.driver.apply(renderedFixture())).changed, false, 'an equal dataplane writes nothing');
    assert.equal(await h.view(), v);
  });

  t('a change is applied; a removed policy takes its chain and IP set with it', async (h) => {
    await h.driver.apply(renderedFixture(false));
    const without = await h.view();
    const r = renderedFixture(true);
    await h.driver.apply(r);
    const withPolicy = await h.view();
    assert.ok(withPolicy.includes(policyChain(r)) && !without.includes(policyChain(r)));
    assert.equal((await h.driver.apply(renderedFixture(false))).changed, true);
    assert.equal(await h.view(), without, 'back to the same dataplane as before the policy');
  });

  t('verify: nothing found without drift; each tamper is found, named and repaired by one verify', async (h) => {
    const r = renderedFixture();
    await h.driver.apply(r);
    const base = await h.view();
    const first = await h.driver.verify();
    assert.equal(first.repaired, false, `no drift after an apply: ${first.found.join('; ')}`);
    assert.equal((await h.driver.verify()).repaired, false);
    const set = r.ipSets[0];
    assert.ok(set !== undefined && set.members.length === 2, 'the fixture renders one set of two members');
    const cases: [string, () => Promise<void>, RegExp][] = [
      ['delete the FORWARD hook', () => h.tamper.deleteForwardHook(), /FORWARD/],
      ['flush a policy chain', () => h.tamper.flushChain(policyChain(r)), new RegExp(policyChain(r))],
      ['remove a set member', () => h.tamper.removeSetMember(set, set.members[0]!), /set/],
      ['insert an ACCEPT first in FORWARD', () => h.tamper.insertForwardAccept(), /FORWARD/],
    ];
    for (const [what, tamper, named] of cases) {
      await tamper();
      assert.notEqual(await h.view(), base, `${what}: the tamper changed the dataplane`);
      const rep = await h.driver.verify();
      assert.equal(rep.repaired, true, `${what}: repaired`);
      assert.ok(rep.found.some((f) => named.test(f)), `${what}: found names it (${rep.found.join('; ')})`);
      assert.equal(await h.view(), base, `${what}: the dataplane is as programmed again`);
      assert.equal((await h.driver.verify()).repaired, false, `${what}: nothing left to repair`);
    }
  });

  t('a policy behind a prefilter set: programmed, no drift after the apply, a removed set member found and repaired', async (h) => {
    const r = prefilterFixture();
    const set = r.ipSets.find((x) => x.type === 'hash:net,port');
    assert.ok(set !== undefined && set.members.length === 11, `the fixture renders one prefilter set of 11 members: ${JSON.stringify(set?.members)}`);
    assert.ok(r.filter.chains.some((c) => c.rules.some((x) => x.match.some((m) => m.kind === 'addrDstPortSet' && m.set === set.name))), 'a jump uses it');
    await h.driver.apply(r);
    const base = await h.view();
    const first = await h.driver.verify();
    assert.equal(first.repaired, false, `no drift after an apply: ${first.found.join('; ')}`);
    assert.equal((await h.driver.apply(prefilterFixture())).changed, false, 'an equal dataplane writes nothing');
    await h.tamper.removeSetMember(set, set.members[0]!);
    assert.notEqual(await h.view(), base, 'the tamper changed the dataplane');
    const rep = await h.driver.verify();
    assert.equal(rep.repaired, true);
    assert.equal(await h.view(), base);
    // Back to the fixture without it: the set goes with the policy.
    await h.driver.apply(renderedFixture());
    assert.doesNotMatch(await h.view(), new RegExp(set.name.replace(/[:]/g, '.')));
  });

  t('refresh: the periodic full refresh follows FelixConfiguration intervals and repairs drift', async (h, clock) => {
    const r = renderedFixture();
    h.driver.configure(effectiveFelixConfig({ iptablesRefreshInterval: '10s', ipsetsRefreshInterval: '10s', nftablesRefreshInterval: '10s' }));
    await h.driver.apply(r);
    const base = await h.view();
    assert.equal(h.driver.refreshDueInMs(), 10_000);
    await h.tamper.flushChain(policyChain(r));
    assert.equal((await h.driver.refresh()).read, false, 'nothing due yet: nothing read');
    clock.advance(10_000);
    assert.equal(h.driver.refreshDueInMs(), 0);
    const rep = await h.driver.refresh();
    assert.equal(rep.repaired, true);
    assert.equal(await h.view(), base);
    assert.equal(h.driver.refreshDueInMs(), 10_000, 'the next refresh is a full interval away');
    h.driver.configure(effectiveFelixConfig({ iptablesRefreshInterval: '0', ipsetsRefreshInterval: '0', nftablesRefreshInterval: '0' }));
    assert.equal(h.driver.refreshDueInMs(), Infinity, 'interval 0 turns the periodic refresh off');
    assert.equal((await h.driver.refresh(true)).repaired, false, 'a forced refresh still runs (nothing to repair)');
  });
}

// ---------------------------------------------------------------------------------------------
// Harness parts shared by the fake and the kernel runs: the same commands go to FakeIptables /
// FakeIpset / FakeNft or, through `ip netns exec`, to the kernel.

async function _run(runner: CommandRunner, argv: string[], stdin?: string): Promise<string> {
  const r = await runner.run({ argv, timeoutMs: 30_000, ...(stdin === undefined ? {} : { stdin }) });
  assert.equal(r.code, 0, `${argv.join(' ')}${stdin === undefined ? '' : ` <<< ${stdin.trim()}`}: ${r.stderr}`);
  return r.stdout;
}

const _BUILTINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * iptables: our chains (declarations and rules, without counters) in raw, mangle and filter; in
 * each built-in chain, our hook rules up to the first foreign rule (a foreign rule ahead of our
 * hooks changes the view, one after them does not); our IP sets, sorted.
 */
export async function iptablesView(runner: CommandRunner): Promise<string> {
  const out: string[] = [];
  let table = '';
  const leading = new Map<string, boolean>();
  for (const line of (await _run(runner, ['iptables-save'])).split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1);
      leading.clear();
      continue;
    }
    if (!['raw', 'mangle', 'filter'].includes(table)) continue;
    const decl = /^:(\S+)/.exec(line);
    if (decl !== null && decl[1]!.startsWith('cali-')) out.push(`${table} :${decl[1]!}`);
    const rule = /^(?:\[\d+:\d+\] )?-A (\S+) (.*)$/.exec(line);
    if (rule === null) continue;
    const [, chain, spec] = rule as unknown as [string, string, string];
    if (chain.startsWith('cali-')) out.push(`${table} -A ${chain} ${spec}`);
    else if (_BUILTINS.has(chain)) {
      const ours = spec.includes('--comment "cali:') || spec.includes('--comment cali:');
      if (leading.get(chain) === false) continue;
      if (!ours) leading.set(chain, false);
      else out.push(`${table} -A ${chain} ${spec}`);
    }
  }
  out.push(ipsetSaveFingerprint(await _run(runner, ['ipset', 'save'])));
  return out.join('\n');
}

export function iptablesTamper(runner: CommandRunner): DriverTamper {
  const ipt = (...a: string[]): Promise<string> => _run(runner, ['iptables', '-w', '10', '-t', 'filter', ...a]);
  return {
    deleteForwardHook: async () => void (await ipt('-D', 'FORWARD', '1')),
    flushChain: async (chain) => void (await ipt('-F', chain)),
    removeSetMember: async (set, member) => void (await _run(runner, ['ipset', 'del', set.name, member])),
    insertForwardAccept: async () => void (await ipt('-I', 'FORWARD', '1', '-j', 'ACCEPT')),
  };
}

/** nft: our table's canonical listing (format.ts: no handles), entries sorted. */
export async function nftView(runner: CommandRunner, table = 'tabby'): Promise<string> {
  const listing = parseNftListing(await _run(runner, ['nft', '-j', 'list', 'table', 'ip', table]));
  return [...listing].map(([k, v]) => `${k} ${v}`).sort().join('\n');
}

export function nftTamper(runner: CommandRunner, table = 'tabby'): DriverTamper {
  const nft = async (line: string): Promise<void> => void (await _run(runner, ['nft', '-f', '-'], `${line}\n`));
  return {
    deleteForwardHook: () => nft(`flush chain ip ${table} ${nftChainName('filter', 'FORWARD')}`),
    flushChain: (chain) => nft(`flush chain ip ${table} ${nftChainName('filter', chain)}`),
    removeSetMember: (set, member) => {
      const s = renderNftSet({ ...set, members: [member] });
      return nft(`delete element ip ${table} ${s.name} { ${s.elements.join(', ')} }`);
    },
    insertForwardAccept: () => nft(`insert rule ip ${table} ${nftChainName('filter', 'FORWARD')} accept`),
  };
}
