import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../lib/json-patch.js';
import { allocateServiceAddresses, usedServiceAddresses } from './service-alloc.js';

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
