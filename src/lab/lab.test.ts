import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../engine/index.js';
import { renderKubeProxy } from './kube-proxy.js';
import { parseLogLine } from './logs.js';
import { addHostSteps, addWorkerSteps, clientPlan, hostInCidr64, namespaces, planLab, planWithWorker, podNeighSteps, podSteps, POD_GATEWAY6, upSteps, type Step } from './topology.js';
import { Lab, podStatus } from './controller.js';
import { generateCase, rng } from './verify.js';
import { validateResource } from '../model/validate-resource.js';

test('topology: names carry the prefix, addresses stay in 198.18.0.0/15, interface names ≤ 15', () => {
  const plan = planLab({ prefix: 'tbyabc123', workers: 3 });
  assert.deepEqual(namespaces(plan), ['tbyabc123-fab', 'tbyabc123-w1', 'tbyabc123-w2', 'tbyabc123-w3', 'tbyabc123-inet', 'tbyabc123-sys']);
  const steps = upSteps(plan);
  assert.deepEqual(steps.filter((s) => s.createsNetns).map((s) => s.createsNetns), namespaces(plan));
  for (const s of steps) {
    assert.ok(s.argv.includes('-n') || s.argv[1] === 'netns', `every step names a lab namespace: ${s.argv.join(' ')}`);
    for (const a of s.argv) if (/^\d+\.\d+\.\d+\.\d+/.test(a)) assert.match(a, /^198\.1[89]\./, a);
    const i = s.argv.indexOf('add');
    if (s.argv[2] === 'link' && i > 0) assert.ok(s.argv[i + 1]!.length <= 15);
  }
  assert.throws(() => planLab({ prefix: 'x', workers: 1 }), /invalid lab prefix "x"/);
  assert.throws(() => planLab({ prefix: 'tbyabc', workers: 0 }), /workers must be 1-\d+/);
});

test('topology: workers may carry the provider\'s node names, also when added later; bad patterns are refused', () => {
  const names = 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w{i}.cloud.ibm';
  const plan = planLab({ prefix: 'tbyabc123', workers: 2, nodeNames: names });
  assert.deepEqual(plan.workers.map((w) => [w.name, w.netns]), [
    ['kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w1.cloud.ibm', 'tbyabc123-w1'],
    ['kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w2.cloud.ibm', 'tbyabc123-w2'],
  ]);
  assert.equal(planWithWorker(plan).worker.name, 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w3.cloud.ibm');
  assert.equal(planLab({ prefix: 'tbyabc123', workers: 1 }).workers[0]!.name, 'worker1');
  assert.throws(() => planLab({ prefix: 'tbyabc', workers: 1, nodeNames: 'worker' }), /containing \{i\}/);
  assert.throws(() => planLab({ prefix: 'tbyabc', workers: 1, nodeNames: 'Worker_{i}' }), /DNS subdomain/);
});

test('kube-proxy: ClusterIP, NodePort and LoadBalancer rules; no endpoints → blackhole', () => {
  const plan = planLab({ prefix: 'tbyabc', workers: 2 });
  const snap = buildSnapshot([
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'default', labels: { app: 'b' } }, spec: { nodeName: 'worker2', containers: [{ name: 'c' }] }, status: { podIP: '198.19.2.2' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'default' }, spec: { type: 'LoadBalancer', clusterIP: '198.18.16.10', selector: { app: 'b' }, ports: [{ port: 8080, targetPort: 80, nodePort: 30000 }] }, status: { loadBalancer: { ingress: [{ ip: '198.18.32.10' }] } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'none', namespace: 'default' }, spec: { clusterIP: '198.18.16.11', selector: { app: 'zzz' }, ports: [{ port: 80 }] } },
  ] as never);
  const text = renderKubeProxy(snap, plan, plan.workers[0]!);
  assert.match(text, /-A KUBE-SERVICES .* -d 198\.18\.16\.10\/32 -p tcp -m tcp --dport 8080 -j KUBE-SVC-/);
  assert.match(text, /-d 198\.18\.32\.10\/32 -p tcp -m tcp --dport 8080 -j KUBE-EXT-/);
  assert.match(text, /-A KUBE-NODEPORTS .* --dport 30000 -j KUBE-EXT-/);
  assert.match(text, /-j DNAT --to-destination 198\.19\.2\.2:80/);
  assert.match(text, /-j DNAT --to-destination 198\.18\.255\.254/);
  assert.doesNotMatch(text, /cali-|-j DROP/);
  assert.equal(renderKubeProxy(snap, plan, plan.workers[0]!), text, 'deterministic');
});

test('logs: parses LOGEMU lines with or without a colon after the prefix', () => {
  for (const line of [
    'Nov 26 12:15:39 vm calico-packet IN=eth0 OUT=cali1 SRC=198.19.1.2 DST=198.19.2.2 LEN=60 PROTO=TCP SPT=1 DPT=80 SYN URGP=0',
    'Nov 26 12:15:39 w1 calico-packet: IN=eth0 OUT=cali1 SRC=198.19.1.2 DST=198.19.2.2 LEN=60 PROTO=TCP SPT=1 DPT=80 SYN URGP=0',
  ]) {
    const p = parseLogLine(line);
    assert.equal(p?.prefix, 'calico-packet');
    assert.equal(p?.fields['DPT'], '80');
    assert.ok(p?.flags.includes('SYN'));
  }
});

test('verify: cases are a pure function of (seed, index)', () => {
  const pods = [0, 1, 2, 3].map((i) => ({ key: `va/vp${i}`, uid: '', netns: '', ip: `198.19.${1 + (i % 2)}.${2 + i}`, node: '', iface: '', tcp: [], udp: [] }));
  assert.deepEqual(generateCase(1, 7, pods), generateCase(1, 7, pods));
  assert.notDeepEqual(generateCase(1, 7, pods), generateCase(2, 7, pods));
  const r = rng(5);
  assert.ok([r(), r(), r()].every((x) => x >= 0 && x < 1));
});

test('verify: every generated policy is valid, as the API server checks it (seeds 1 and 7, 200 cases, each IP family)', () => {
  const pods = Array.from({ length: 8 }, (_, i) => ({ key: `va/vp${i}`, uid: '', netns: '', ip: `198.19.${1 + (i % 2)}.${2 + i}`, ip6: `2001:db8:19:${1 + (i % 2)}::${2 + i}`, node: '', iface: '', tcp: [], udp: [] }));
  let admin = 0;
  for (const family of [4, 6, 'dual'] as const)
    for (const seed of [1, 7])
      for (let i = 0; i < 200; i++)
        for (const p of generateCase(seed, i, pods, family).policies) {
          const errs = validateResource(p);
          assert.deepEqual(errs.map((e) => e.message), [], `seed ${seed} case ${i} family ${family}: ${JSON.stringify(p)}`);
          if ((p as { kind: string }).kind.endsWith('AdminNetworkPolicy')) admin++;
        }
  assert.ok(admin > 100, `${admin} admin policies generated`);
});

const _ipsIn = (steps: readonly Step[]): string[] => steps.flatMap((s) => s.argv.filter((a) => /^\d+\.\d+\.\d+\.\d+/.test(a)));

test('topology: a worker added later gets its namespace first, the wiring, and a route on every other worker', () => {
  const plan = planLab({ prefix: 'tbyabc', workers: 2 });
  const { plan: next, worker } = planWithWorker(plan);
  assert.deepEqual([worker.name, worker.netns, worker.privateIp, worker.publicIp, worker.podCidr], ['worker3', 'tbyabc-w3', '198.18.0.13', '198.18.1.13', '198.19.3.0/24']);
  assert.equal(next.workers.length, 3);
  assert.equal(plan.workers.length, 2, 'the old plan is unchanged');
  const steps = addWorkerSteps(plan, worker);
  assert.deepEqual(steps[0], { argv: ['ip', 'netns', 'add', 'tbyabc-w3'], createsNetns: 'tbyabc-w3' });
  assert.equal(steps.filter((s) => s.createsNetns).length, 1);
  for (const w of plan.workers) assert.ok(steps.some((s) => s.argv.join(' ') === `ip -n ${w.netns} route add 198.19.3.0/24 via 198.18.0.13 dev eth0`), w.name);
  for (const o of plan.workers) assert.ok(steps.some((s) => s.argv.join(' ') === `ip -n tbyabc-w3 route add ${o.podCidr} via ${o.privateIp} dev eth0`), o.name);
  for (const a of _ipsIn(steps)) assert.match(a, /^198\.1[89]\./);
  // The same worker built by upSteps from the start: identical wiring.
  const mine = (x: Step): boolean => x.argv.some((v) => v === 'tbyabc-w3' || v === 'w3priv' || v === 'w3pub') && !x.argv.includes('tbyabc-w1') && !x.argv.includes('tbyabc-w2');
  assert.deepEqual(steps.filter(mine).map((x) => x.argv.join(' ')).sort(), upSteps(next).filter(mine).map((x) => x.argv.join(' ')).sort());
});

test('topology: client hosts are validated, named with the prefix and wired to their VLAN', () => {
  const plan = planLab({ prefix: 'tbyabc', workers: 2 });
  const c = clientPlan(plan, 'other', 'public', '198.18.1.200');
  assert.deepEqual(c, { name: 'other', netns: 'tbyabc-cother', ip: '198.18.1.200', vlan: 'public' });
  const steps = addHostSteps(plan, c);
  assert.deepEqual(steps[0], { argv: ['ip', 'netns', 'add', 'tbyabc-cother'], createsNetns: 'tbyabc-cother' });
  assert.ok(steps.some((s) => s.argv.join(' ') === 'ip -n tbyabc-fab link set cother master brpub up'));
  assert.ok(steps.some((s) => s.argv.join(' ') === 'ip -n tbyabc-cother route add 198.18.32.0/24 via 198.18.1.11 dev eth0'), 'public clients reach LB IPs through worker 1');
  assert.ok(!addHostSteps(plan, clientPlan(plan, 'priv', 'private', '198.18.0.201')).some((s) => s.argv.includes('198.18.32.0/24')));
  assert.deepEqual(namespaces({ ...plan, clients: [c] }).at(-1), 'tbyabc-cother');
  for (const [name, vlan, ip, msg] of [
    ['Bad', 'public', '198.18.1.200', /invalid client name/],
    ['internet', 'public', '198.18.1.201', /is taken/],
    ['x', 'public', '198.18.1.11', /\.200-\.253/],
    ['x', 'private', '198.18.1.201', /must be in 198\.18\.0\.0\/24/],
    ['x', 'private', '198.18.0.250', /is taken/],
  ] as const)
    assert.throws(() => clientPlan(plan, name, vlan, ip), msg, `${name} ${ip}`);
});

test('status: lab Nodes are Ready with their addresses; placed pods are Running with every container ready', () => {
  const plan = planLab({ prefix: 'tbyabc', workers: 1 });
  const node = Lab.nodeManifest(plan, plan.workers[0]!, new Date('2026-01-02T03:04:05.678Z')) as { status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[] } };
  assert.deepEqual(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  assert.ok(node.status.conditions.filter((c) => c.type !== 'Ready').every((c) => c.status === 'False'));
  assert.deepEqual(node.status.addresses.map((a) => `${a.type}=${a.address}`), ['InternalIP=198.18.0.11', 'ExternalIP=198.18.1.11', 'Hostname=worker1']);
  const st = podStatus({ spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b' }] }, status: { qosClass: 'BestEffort' } }, { ip: '198.19.1.2' }, '198.18.0.11', new Date('2026-01-02T03:04:05Z')) as {
    phase: string;
    podIP: string;
    hostIP: string;
    qosClass: string;
    conditions: { type: string; status: string }[];
    containerStatuses: { name: string; ready: boolean; started: boolean; restartCount: number; state: { running?: unknown } }[];
  };
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '198.19.1.2');
  assert.equal(st.hostIP, '198.18.0.11');
  assert.equal(st.qosClass, 'BestEffort', 'other status fields are kept');
  assert.deepEqual(st.conditions.map((c) => `${c.type}=${c.status}`), ['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']);
  assert.deepEqual(st.containerStatuses.map((c) => [c.name, c.ready, c.started, c.restartCount, c.state.running !== undefined]), [
    ['a', true, true, 0, true],
    ['b', true, true, 0, true],
  ]);
});

test('topology: dual stack adds 2001:db8::/32 addresses only, only inside lab namespaces; Nodes and pods declare them', () => {
  const plan = planLab({ prefix: 'tbyabc123', workers: 2, dualStack: true });
  assert.deepEqual(
    plan.workers.map((w) => [w.privateIp6, w.publicIp6, w.podCidr6]),
    [
      ['2001:db8:18::11', '2001:db8:18:1::11', '2001:db8:19:1::/64'],
      ['2001:db8:18::12', '2001:db8:18:1::12', '2001:db8:19:2::/64'],
    ],
  );
  const worker3 = planWithWorker(plan).worker;
  assert.equal(worker3.podCidr6, '2001:db8:19:3::/64', 'a worker added later is dual stack too');
  const pod = { worker: plan.workers[0]!, netns: 'tbyabc123-p1', iface: 'cali0123456789a', ip: '198.19.1.2', ip6: hostInCidr64(plan.workers[0]!.podCidr6!, 2) };
  assert.equal(pod.ip6, '2001:db8:19:1::2');
  const steps = [...upSteps(plan), ...addWorkerSteps(plan, worker3), ...podSteps(pod), ...podNeighSteps(pod, '02:00:00:00:00:01', '02:00:00:00:00:02')];
  let v6 = 0;
  for (const s of steps) {
    assert.ok(s.argv.includes('-n') || s.argv[1] === 'netns', `every step names a lab namespace: ${s.argv.join(' ')}`);
    const ns = (s.argv.includes('-n') ? s.argv[s.argv.indexOf('-n') + 1] : s.argv[3]) ?? '';
    assert.ok(ns.startsWith('tbyabc123-'), `${s.argv.join(' ')} runs in a lab namespace`);
    for (const a of s.argv)
      if (a.includes(':') && /^[0-9a-f:]+(\/\d+)?$/.test(a) && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(a)) {
        v6++;
        assert.ok(a.startsWith('2001:db8:') || a === POD_GATEWAY6, `IPv6 ${a} is documentation space (or the pods' link-local gateway)`);
      }
  }
  assert.ok(v6 >= 10, `the plan has IPv6 steps (${v6})`);
  assert.ok(steps.some((s) => s.argv.join(' ') === 'ip netns exec tbyabc123-w1 sysctl -qw net.ipv6.conf.all.forwarding=1'));
  assert.ok(steps.some((s) => s.argv.join(' ') === 'ip -n tbyabc123-w1 -6 route add 2001:db8:19:2::/64 via 2001:db8:18::12 dev eth0'));
  assert.ok(steps.some((s) => s.argv.join(' ') === 'ip -n tbyabc123-w1 -6 route add 2001:db8:19:3::/64 via 2001:db8:18::13 dev eth0'), 'route to the added worker');
  // An IPv4-only plan has no IPv6 at all.
  assert.ok(!upSteps(planLab({ prefix: 'tbyabc123', workers: 2 })).some((s) => s.argv.includes('-6')));
  const node = Lab.nodeManifest(plan, plan.workers[0]!) as { spec: { podCIDRs: string[] }; status: { addresses: { type: string; address: string }[] } };
  assert.deepEqual(node.spec.podCIDRs, ['198.19.1.0/24', '2001:db8:19:1::/64']);
  assert.deepEqual(node.status.addresses.map((a) => `${a.type}=${a.address}`), ['InternalIP=198.18.0.11', 'InternalIP=2001:db8:18::11', 'ExternalIP=198.18.1.11', 'ExternalIP=2001:db8:18:1::11', 'Hostname=worker1']);
  const st = podStatus({ spec: { containers: [] } }, { ip: '198.19.1.2', ip6: '2001:db8:19:1::2' }, '198.18.0.11') as { podIP: string; podIPs: { ip: string }[] };
  assert.deepEqual([st.podIP, st.podIPs], ['198.19.1.2', [{ ip: '198.19.1.2' }, { ip: '2001:db8:19:1::2' }]]);
});
