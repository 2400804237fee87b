/**
 * Dual stack end to end (root only), on both dataplanes: a lab whose workers and pods also have
 * IPv6 addresses from 2001:db8::/32 (inside the lab's namespaces only), real IPv6 packets
 * against the engine's verdicts — open by default; a default-deny ingress policy closing the
 * pod over IPv6 as over IPv4; a Calico rule allowing ICMPv6 echo opening ping over IPv6 only —
 * the agents' IPv6 rules read back from the kernel (ip6tables / nft `ip6 tabby`), then
 * `tabby lab verify --ip-family 6` and `dual` agreeing on every flow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { formatProbe, runProbe, type ProbeFlow } from '../../src/lab/probe.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import { inNetns, netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());

const pod = (name: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] },
});

for (const dataplane of ['iptables', 'nft'] as const)
  test(`dual stack e2e (${dataplane}): IPv6 pods, real IPv6 packets = engine, policy closes and opens IPv6, rules in the kernel`, { skip, timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), `tabby-dual-${dataplane}-`));
    let lab: Lab | undefined;
    try {
      lab = await Lab.up({ stateDir: dir, workers: 2, datastore: await openMemoryDatastore(), dataplane, dualStack: true });
      await lab.client.apply(pod('a', { app: 'a' }));
      const w = await lab.client.apply(pod('b', { app: 'b' }));
      await lab.settle(w.object.metadata.resourceVersion);
      const a = lab.pod('a')!;
      const b = lab.pod('b')!;
      assert.match(a.ip6 ?? '', /^2001:db8:19:[12]::[0-9a-f]+$/);
      assert.match(b.ip6 ?? '', /^2001:db8:19:[12]::[0-9a-f]+$/);
      const stored = (await lab.ds.get({ group: '', plural: 'pods', namespace: 'default', name: 'b' })) as unknown as { status: { podIPs: { ip: string }[] } };
      assert.deepEqual(stored.status.podIPs, [{ ip: b.ip }, { ip: b.ip6 }]);
      const wa = lab.plan.workers.find((x) => x.name === a.node)!;
      const flows: ProbeFlow[] = [
        { from: a.key, fromIp: a.ip6!, toLabel: 'b v6', ip: b.ip6!, proto: 'tcp', port: 80 },
        { from: a.key, fromIp: a.ip6!, toLabel: 'b v6', ip: b.ip6!, proto: 'udp', port: 53 },
        { from: a.key, fromIp: a.ip6!, toLabel: 'b v6', ip: b.ip6!, proto: 'icmp', port: 0 },
        { from: `node:${wa.name}`, fromIp: wa.privateIp6!, toLabel: 'b v6', ip: b.ip6!, proto: 'tcp', port: 80 },
        { from: a.key, toLabel: 'b v4', ip: b.ip, proto: 'tcp', port: 80 },
        { from: a.key, toLabel: 'b v4', ip: b.ip, proto: 'icmp', port: 0 },
      ];
      const probe = async (): Promise<string[]> => {
        await lab!.flushConntrack();
        const rows = await runProbe(lab!, (await snapshotOf(lab!.ds)).snapshot, flows, 500);
        assert.ok(rows.every((r) => r.agree), formatProbe(rows));
        return rows.map((r) => `${r.flow.toLabel} ${r.flow.proto} ${r.engine}`);
      };
      assert.deepEqual(await probe(), ['b v6 tcp Allow', 'b v6 udp Allow', 'b v6 icmp Allow', 'b v6 tcp Allow', 'b v4 tcp Allow', 'b v4 icmp Allow']);

      // Default deny ingress for b: closed over both families.
      await lab.client.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-b', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'] } });
      // A Calico rule allowing ICMPv6 echo from a (ping over IPv6 only; ICMPv6 never matches IPv4).
      const p = await lab.client.apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'NetworkPolicy',
        metadata: { name: 'ping6-b', namespace: 'default' },
        spec: { selector: "app == 'b'", order: 10, types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'ICMPv6', icmp: { type: 128 }, source: { selector: "app == 'a'" } }] },
      });
      await lab.settle(p.object.metadata.resourceVersion);
      assert.deepEqual(await probe(), ['b v6 tcp Deny', 'b v6 udp Deny', 'b v6 icmp Allow', 'b v6 tcp Deny', 'b v4 tcp Deny', 'b v4 icmp Deny']);

      // The IPv6 rules are in the kernel of b's worker, next to the IPv4 ones.
      const wb = lab.plan.workers.find((x) => x.name === b.node)!;
      const run = inNetns(nodeRunner, wb.netns);
      if (dataplane === 'iptables') {
        const saved = await run.run({ argv: ['ip6tables-save', '-t', 'filter'], timeoutMs: 30_000 });
        assert.equal(saved.code, 0, saved.stderr);
        assert.match(saved.stdout, new RegExp(`-A cali-to-wl-dispatch -o ${b.iface} .*-g cali-tw-${b.iface}`));
        assert.match(saved.stdout, /-m icmp6 --icmpv6-type 128 /);
        const sets = await run.run({ argv: ['ipset', 'list', '-name'], timeoutMs: 30_000 });
        assert.match(sets.stdout, /^cali60s:/m, 'the selector is an IPv6 set');
      } else {
        const listed = await run.run({ argv: ['nft', 'list', 'table', 'ip6', 'tabby'], timeoutMs: 30_000 });
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stdout, /icmpv6 type echo-request/);
        assert.match(listed.stdout, new RegExp(`"${b.iface}"`));
      }
    } finally {
      const errors = (await lab?.down()) ?? [];
      assert.deepEqual(errors, []);
      rmSync(dir, { recursive: true, force: true });
    }
  });

for (const [dataplane, family, cases] of [
  ['iptables', '6', '30'],
  ['nft', 'dual', '30'],
] as const)
  test(`dual stack e2e: tabby lab verify --dataplane ${dataplane} --ip-family ${family} --cases ${cases} agrees on every flow`, { skip, timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-verify6-'));
    try {
      const io = fakeIo({}, '', { HOME: dir });
      const code = await main(['lab', 'verify', '--dataplane', dataplane, '--ip-family', family, '--cases', cases, '--seed', '1', '--state-dir', join(dir, 'lab')], io);
      const out = io.out().trim().split('\n');
      console.log(`# ${dataplane} IPv${family}: ${out.slice(-2).join(' | ')}`);
      assert.match(out.at(-1) ?? '', /^(\d+)\/\1 flows agree$/, io.out().slice(-4000) + io.err());
      assert.equal(code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
