import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../engine/index.js';
import { renderKubeProxy } from './kube-proxy.js';
import { parseLogLine } from './logs.js';
import { namespaces, planLab, upSteps } from './topology.js';
import { generateCase, rng } from './verify.js';

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
  assert.throws(() => planLab({ prefix: 'x', workers: 1 }));
  assert.throws(() => planLab({ prefix: 'tbyabc', workers: 0 }));
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
