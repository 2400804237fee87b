/**
 * The flow-log reader's pure parts: GPRINT lines (strict; hostile lines rejected), conntrack
 * listings (both tuples indexed, so a DNAT'd Service connection joins), the assembler (verdicts in
 * order, retransmissions counted not repeated, bounded), endpoint resolution, and the reader fed
 * lines end to end with a snapshot and a DesiredState (no kernel: the lab test does that).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeDesiredState, loadSnapshot } from '../../engine/index.js';
import type { CommandRunner } from '../../sys/index.js';
import { FlowAssembler, FlowEventLog, FlowReader, flowKey, indexConntrack, parseConntrackLine, parseGprintLine, resolveEndpoint } from './index.js';

const G = (over: Record<string, string> = {}): string => {
  const f: Record<string, string> = {
    'raw.pktlen': '60',
    'raw.pktcount': '1',
    'oob.prefix': 'API0|np/demo/allow-web',
    'oob.time.sec': '1796667878',
    'oob.time.usec': '235570',
    'oob.mark': '0',
    'ip.saddr': '198.19.1.2',
    'ip.daddr': '198.19.2.2',
    'ip.protocol': '6',
    'ip.totlen': '60',
    'tcp.sport': '40000',
    'tcp.dport': '80',
    'oob.in': 'eth0',
    'oob.out': '',
    'ip.saddr.str': '198.19.1.2',
    'ip.daddr.str': '198.19.2.2',
    ...over,
  };
  return Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
};

test('GPRINT: a TCP line parses; ICMP takes the echo id; hostile lines are rejected', () => {
  assert.deepEqual(parseGprintLine(G()), { time: 1796667878235, prefix: 'API0|np/demo/allow-web', src: '198.19.1.2', dst: '198.19.2.2', proto: 6, sport: 40000, dport: 80, len: 60 });
  const icmp = parseGprintLine(G({ 'ip.protocol': '1', 'tcp.sport': '', 'tcp.dport': '', 'icmp.type': '8', 'icmp.echoid': '77' }).replace(/,tcp\.[sd]port=/g, ''));
  assert.equal(icmp?.sport, 77);
  assert.equal(icmp?.dport, 0);
  for (const bad of [
    '',
    'garbage',
    G({ 'oob.prefix': 'API0|np/a,b' }), // a comma in the prefix: a token without '='
    G() + ',oob.prefix=DPI|default', // repeated key
    G({ 'ip.saddr.str': '198.19.1.2;rm -rf' }),
    G({ 'tcp.dport': '70000' }),
    G({ 'tcp.sport': '-1' }),
    G({ 'oob.time.sec': '1e9' }),
    'x'.repeat(5000),
  ])
    assert.equal(parseGprintLine(bad), undefined, bad.slice(0, 80));
  const noPort = G().replace(/,tcp\.dport=80/, '');
  assert.equal(parseGprintLine(noPort), undefined, 'TCP without ports');
});

test('conntrack: both tuples are keys (DNAT), counts per direction; junk is skipped', () => {
  const text = [
    'ipv4     2 tcp      6 431999 ESTABLISHED src=198.19.1.2 dst=198.18.16.10 sport=40000 dport=8080 packets=5 bytes=380 src=198.19.2.2 dst=198.19.1.2 sport=80 dport=40000 packets=4 bytes=1200 [ASSURED] mark=0 use=1',
    'ipv4     2 icmp     1 28 src=198.18.200.1 dst=198.18.200.2 type=8 code=0 id=14241 packets=1 bytes=84 src=198.18.200.2 dst=198.18.200.1 type=0 code=0 id=14241 packets=1 bytes=84 mark=0 use=1',
    'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.',
    'src=1 dst=2',
  ].join('\n');
  const ix = indexConntrack(text);
  const want = { packetsOut: 5, bytesOut: 380, packetsIn: 4, bytesIn: 1200 };
  assert.deepEqual(ix.get(flowKey(6, '198.19.1.2', 40000, '198.18.16.10', 8080)), want, 'original tuple');
  assert.deepEqual(ix.get(flowKey(6, '198.19.1.2', 40000, '198.19.2.2', 80)), want, 'after DNAT');
  assert.deepEqual(ix.get(flowKey(1, '198.18.200.1', 14241, '198.18.200.2', 0)), { packetsOut: 1, bytesOut: 84, packetsIn: 1, bytesIn: 84 });
  assert.equal(ix.size, 3);
  assert.equal(parseConntrackLine('ipv4 2 bogus 99 1 src=a'), undefined);
});

const hit = (action: 'allow' | 'deny' | 'pass' | 'end-of-tier-deny', name = 'p', direction: 'ingress' | 'egress' = 'ingress') =>
  ({ tier: 'default', kind: 'NetworkPolicy', namespace: 'demo', name, ruleIndex: 0, direction, action }) as const;

test('assembler: verdicts in order, a retransmission counts as a packet, late ones are not new connections, bounded', () => {
  const asm = new FlowAssembler({ node: 'w1', holdMs: 100, maxPending: 2 });
  const p = parseGprintLine(G())!;
  asm.add({ ...p, prefix: 'PPI0|gnp/x' }, hit('pass', 'x'), 0);
  asm.add(p, hit('allow'), 1);
  asm.add({ ...p, prefix: 'PPI0|gnp/x' }, hit('pass', 'x'), 50); // the same connection's next new packet
  assert.equal(asm.takeDue(60).length, 0, 'held');
  const due = asm.takeDue(150);
  assert.equal(due.length, 1);
  const { events } = asm.events(due, undefined, undefined);
  assert.deepEqual(events[0]!.enforced.map((h) => h.action), ['pass', 'allow']);
  assert.equal(events[0]!.action, 'allow');
  assert.equal(events[0]!.reporter, 'dst');
  assert.deepEqual([events[0]!.packetsOut, events[0]!.bytesOut, events[0]!.packetsIn], [2, 120, 0]);
  assert.equal(events[0]!.protocol, 'tcp');
  asm.add({ ...p, prefix: 'PPI0|gnp/x' }, hit('pass', 'x'), 1000);
  assert.equal(asm.pending, 0, 'a late retransmission is not a new connection');
  assert.equal(asm.repeats, 1);
  for (let i = 0; i < 3; i++) asm.add({ ...p, sport: 50000 + i }, hit('deny', 'p', 'egress'), 2000);
  assert.equal(asm.pending, 2);
  assert.equal(asm.dropped, 1);
  const d = asm.events(asm.takeDue(0, true), undefined, undefined).events;
  assert.ok(d.every((e) => e.action === 'deny' && e.reporter === 'src'));
});

const DOCS = [
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } }, spec: { nodeName: 'w1', serviceAccountName: 'web-sa' }, status: { podIP: '198.19.2.2' } },
  { apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'w1-eth1', labels: { role: 'public' } }, spec: { node: 'w1', interfaceName: 'eth1', expectedIPs: ['198.18.1.11'] } },
  { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'wide', labels: { z: 'wide' } }, spec: { nets: ['198.18.0.0/16'] } },
  { apiVersion: 'projectcalico.org/v3', kind: 'NetworkSet', metadata: { name: 'narrow', namespace: 'demo', labels: { z: 'narrow' } }, spec: { nets: ['198.18.0.0/24'] } },
  { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'allow-web', namespace: 'demo' }, spec: { selector: "app == 'web'", ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }] } },
];

test('resolve: pod, host endpoint, most specific network set, else net', () => {
  const { snapshot } = loadSnapshot(DOCS);
  assert.deepEqual(resolveEndpoint(snapshot, '198.19.2.2'), { kind: 'wep', namespace: 'demo', name: 'web', ip: '198.19.2.2', labels: { app: 'web' }, serviceAccount: 'web-sa' });
  assert.equal(resolveEndpoint(snapshot, '198.18.1.11').kind, 'hep');
  assert.deepEqual(resolveEndpoint(snapshot, '198.18.0.250'), { kind: 'networkset', namespace: 'demo', name: 'narrow', ip: '198.18.0.250', labels: { z: 'narrow' } });
  assert.deepEqual(resolveEndpoint(snapshot, '198.18.5.1'), { kind: 'globalnetworkset', namespace: '', name: 'wide', ip: '198.18.5.1', labels: { z: 'wide' } });
  assert.deepEqual(resolveEndpoint(snapshot, '203.0.113.9'), { kind: 'net', namespace: '', name: '', ip: '203.0.113.9', labels: {} });
  assert.equal(resolveEndpoint(snapshot, 'not-an-ip').kind, 'net');
});

test('reader: lines → decoded, joined with conntrack, resolved, written; foreign prefixes counted as rejected', async () => {
  const { snapshot } = loadSnapshot(DOCS);
  const desired = computeDesiredState(snapshot, 'w1', undefined, { flowLogsDefault: true });
  const dir = mkdtempSync(join(tmpdir(), 'tabby-flowreader-'));
  try {
    const runs: string[][] = [];
    const runner: CommandRunner = {
      run: async (c) => {
        runs.push([...c.argv]);
        return { code: 0, stderr: '', stdout: 'ipv4 2 tcp 6 431999 ESTABLISHED src=198.18.0.7 dst=198.19.2.2 sport=40000 dport=80 packets=6 bytes=400 src=198.19.2.2 dst=198.18.0.7 sport=80 dport=40000 packets=5 bytes=900 [ASSURED] mark=0 use=1\n' };
      },
    };
    const sink = new FlowEventLog({ dir, node: 'w1' });
    const reader = new FlowReader({ node: 'w1', runner, sink, confDir: dir, desired: () => desired, snapshot: () => snapshot, holdMs: 0 });
    reader.line(G({ 'ip.saddr.str': '198.18.0.7', 'oob.prefix': 'API0|np/demo/allow-web' }));
    reader.line(G({ 'oob.prefix': 'API0|np/demo/forged' }));
    reader.line('Mon Dec  7 18:24:37 2026 <5> ulogd.c:978 building new pluginstance stack');
    await reader.flush(true);
    const [e] = sink.recent();
    assert.ok(e);
    assert.equal(sink.recent().length, 1);
    assert.equal(e.action, 'allow');
    assert.deepEqual([e.source.kind, e.source.name, e.dest.kind, e.dest.name], ['networkset', 'narrow', 'wep', 'web']);
    assert.deepEqual(e.enforced, [{ tier: 'default', kind: 'NetworkPolicy', namespace: 'demo', name: 'allow-web', ruleIndex: 0, direction: 'ingress', action: 'allow' }]);
    assert.deepEqual([e.packetsOut, e.bytesOut, e.packetsIn, e.bytesIn], [6, 400, 5, 900]);
    assert.deepEqual(runs, [['conntrack', '-L', '-o', 'extended']]);
    assert.deepEqual([sink.counters.packetsRead, sink.counters.rejected, sink.counters.conntrackJoined], [2, 2, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reader: a packet logged by rules still being applied decodes through the applying state (the nft promote → deny race)', async () => {
  const { snapshot } = loadSnapshot(DOCS);
  const before = computeDesiredState(snapshot, 'w1', undefined, { flowLogsDefault: true });
  const lockdown = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'lockdown', namespace: 'demo' }, spec: { order: 1, selector: "app == 'web'", types: ['Egress'], egress: [{ action: 'Deny' }] } };
  const after = computeDesiredState(loadSnapshot([...DOCS, lockdown]).snapshot, 'w1', undefined, { flowLogsDefault: true });
  const dir = mkdtempSync(join(tmpdir(), 'tabby-flowreader-'));
  try {
    const runner: CommandRunner = { run: async () => ({ code: 0, stderr: '', stdout: '' }) };
    const sink = new FlowEventLog({ dir, node: 'w1' });
    // the driver has committed `after` to the kernel but its apply has not returned yet
    let programmed = before;
    let applying: typeof after | undefined = after;
    const reader = new FlowReader({ node: 'w1', runner, sink, confDir: dir, desired: () => programmed, applying: () => applying, snapshot: () => snapshot, holdMs: 0 });
    const denied = { 'ip.saddr.str': '198.19.2.2', 'ip.daddr.str': '198.18.0.250', 'tcp.dport': '443', 'oob.prefix': 'DPE0|np/demo/lockdown', 'oob.in': 'cali1' };
    reader.line(G(denied));
    applying = undefined;
    programmed = after;
    reader.line(G({ ...denied, 'tcp.sport': '40001' }));
    // without an applying state, a prefix of rules not yet known is still rejected
    const bareSink = new FlowEventLog({ dir: join(dir, 'bare'), node: 'w1' });
    new FlowReader({ node: 'w1', runner, sink: bareSink, confDir: dir, desired: () => before, snapshot: () => snapshot, holdMs: 0 }).line(G(denied));
    assert.deepEqual([bareSink.counters.packetsRead, bareSink.counters.rejected], [1, 1]);
    await reader.flush(true);
    const events = sink.recent();
    assert.deepEqual([sink.counters.packetsRead, sink.counters.rejected], [2, 0]);
    assert.equal(events.length, 2);
    for (const e of events) {
      assert.equal(e.action, 'deny');
      assert.deepEqual(e.enforced, [{ tier: 'default', kind: 'NetworkPolicy', namespace: 'demo', name: 'lockdown', ruleIndex: 0, direction: 'egress', action: 'deny' }]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
