import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { exampleFiles } from '../testdata/examples.js';

const FILES = exampleFiles('examples/flows/cluster/namespaces.yaml', 'examples/flows/cluster/pods.json', 'examples/flows/cluster/policies.yaml');
const F = ['-f', 'examples/flows/cluster'];

const cases: { name: string; argv: string[]; code: number; out?: RegExp; err?: RegExp; json?: (j: unknown) => void }[] = [
  { name: 'endpoint: policies in evaluation order', argv: ['query', 'endpoint', 'accounts/backend', ...F], code: 0, out: /ingress, in evaluation order:\n {4}default\/accounts\/knp\.default\.accounts-allow \(order 1000\) KubernetesNetworkPolicy\n {2}egress: no policy \(profiles decide: kns\.accounts, ksa\.accounts\.default\)/ },
  { name: 'endpoint by IP, json', argv: ['query', 'endpoint', '172.30.1.12', ...F, '-o', 'json'], code: 0, json: (j) => assert.deepEqual((j as { policies: string[] }).policies, ['default/knp.default.db-allow']) },
  { name: 'policy by the Kubernetes name', argv: ['query', 'policy', 'default/backend-allow', ...F], code: 0, out: /^default\/knp\.default\.backend-allow: .*\n {2}default\/backend\n$/ },
  { name: 'staged policy', argv: ['query', 'policy', 'accounts/deny-reports', ...F, '-o', 'json'], code: 0, json: (j) => assert.deepEqual((j as { endpoints: string[] }).endpoints, ['accounts/backend']) },
  { name: 'selector', argv: ['query', 'selector', "tier == 'backend' && pcns.usage == 'accounts'", ...F], code: 0, out: /^accounts\/backend\n$/ },
  { name: 'unknown endpoint', argv: ['query', 'endpoint', 'x/y', ...F], code: 1, err: /no endpoint "x\/y"/ },
  { name: 'bad selector', argv: ['query', 'selector', 'a ==', ...F], code: 1, err: /invalid selector/ },
];

for (const c of cases)
  test(`query ${c.name}`, async () => {
    const io = fakeIo(FILES);
    assert.equal(await main(c.argv, io), c.code, io.err());
    if (c.out) assert.match(io.out(), c.out);
    if (c.err) assert.match(io.err(), c.err);
    if (c.json) c.json(JSON.parse(io.out()));
  });
