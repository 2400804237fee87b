import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../lib/json-patch.js';
import { allocateServiceAddresses, keepAllocatedValues, usedServiceAddresses } from './service-alloc.js';

const svc = (spec: { [k: string]: Json }): { [k: string]: Json } => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec });
const existing = [
  svc({ clusterIP: '198.18.16.10', ports: [{ port: 80, nodePort: 30000 }] }),
  svc({ clusterIP: '198.18.16.11', ports: [{ port: 80 }] }),
  svc({ clusterIP: 'None', ports: [{ port: 80 }] }),
];

test('cluster IPs: lowest free host from .10 of the service range; set ones and None are kept; ExternalName gets none', () => {
  const used = usedServiceAddresses(existing);
  const cases: { name: string; spec: { [k: string]: Json }; want: { [k: string]: Json } }[] = [
    { name: 'ClusterIP', spec: { ports: [{ port: 80 }] }, want: { clusterIP: '198.18.16.12', clusterIPs: ['198.18.16.12'], ports: [{ port: 80 }] } },
    { name: 'empty clusterIP', spec: { clusterIP: '', ports: [] }, want: { clusterIP: '198.18.16.12', clusterIPs: ['198.18.16.12'], ports: [] } },
    { name: 'chosen IP kept', spec: { clusterIP: '198.18.16.99' }, want: { clusterIP: '198.18.16.99' } },
    { name: 'headless', spec: { clusterIP: 'None' }, want: { clusterIP: 'None' } },
    { name: 'ExternalName', spec: { type: 'ExternalName', externalName: 'db.example.org' }, want: { type: 'ExternalName', externalName: 'db.example.org' } },
    {
      name: 'NodePort: free node ports for ports without one, chosen ones kept',
      spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81, nodePort: 30001 }, { port: 82 }] },
      want: { type: 'NodePort', clusterIP: '198.18.16.12', clusterIPs: ['198.18.16.12'], ports: [{ port: 80, nodePort: 30002 }, { port: 81, nodePort: 30001 }, { port: 82, nodePort: 30003 }] },
    },
  ];
  for (const c of cases) {
    const input = svc(c.spec);
    const before = JSON.stringify(input);
    assert.deepEqual(allocateServiceAddresses(input, used)['spec'], c.want, c.name);
    assert.equal(JSON.stringify(input), before, `${c.name}: the input is unchanged`);
  }
});

test('a full range is an error naming it', () => {
  const full = usedServiceAddresses(Array.from({ length: 245 }, (_, i) => svc({ clusterIP: `198.18.16.${10 + i}` })));
  assert.throws(() => allocateServiceAddresses(svc({}), full), { message: 'no free cluster IP in 198.18.16.0/24' });
});

test('an update that omits the addresses keeps the stored ones (kube patchAllocatedValues); new ports and types get fresh ones', () => {
  const old = svc({ type: 'NodePort', clusterIP: '198.18.16.10', clusterIPs: ['198.18.16.10'], ports: [{ name: 'http', port: 80, nodePort: 30000 }, { name: 'https', port: 443, nodePort: 30001 }] });
  const next = svc({ type: 'NodePort', ports: [{ name: 'http', port: 8080 }, { name: 'https', port: 443, nodePort: 30005 }, { name: 'new', port: 9 }] });
  const kept = keepAllocatedValues(old, next);
  assert.deepEqual(kept['spec'], {
    type: 'NodePort',
    clusterIP: '198.18.16.10',
    clusterIPs: ['198.18.16.10'],
    ports: [{ name: 'http', port: 8080, nodePort: 30000 }, { name: 'https', port: 443, nodePort: 30005 }, { name: 'new', port: 9 }],
  });
  // what is still missing is allocated as at create, from what the others hold
  assert.deepEqual((allocateServiceAddresses(kept, usedServiceAddresses([]))['spec'] as { ports: unknown })['ports'], [
    { name: 'http', port: 8080, nodePort: 30000 },
    { name: 'https', port: 443, nodePort: 30005 },
    { name: 'new', port: 9, nodePort: 30001 },
  ]);
  // ExternalName → ClusterIP: nothing to keep; NodePort → ClusterIP: node ports are not brought back
  assert.deepEqual(keepAllocatedValues(svc({ type: 'ExternalName', externalName: 'x.example' }), svc({ ports: [] }))['spec'], { ports: [] });
  assert.deepEqual(keepAllocatedValues(old, svc({ type: 'ClusterIP', ports: [{ name: 'http', port: 80 }] }))['spec'], {
    type: 'ClusterIP',
    clusterIP: '198.18.16.10',
    clusterIPs: ['198.18.16.10'],
    ports: [{ name: 'http', port: 80 }],
  });
});
