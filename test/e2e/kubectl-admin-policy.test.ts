/**
 * End to end: the real kubectl with AdminNetworkPolicy and BaselineAdminNetworkPolicy
 * (`policy.networking.k8s.io/v1alpha1`) against a real `tabby server` process on 127.0.0.1 (free
 * port, temporary data directory): discovery with the short names, `apply`, `get anp,banp` with
 * the PRIORITY and AGE columns, `describe`, `explain adminnetworkpolicy.spec.ingress`, `diff`,
 * the 422 with the field path for an invalid priority and for a BANP not named `default`, and
 * delete. Every call has a bounded wait. Without kubectl on PATH the suite is skipped, except
 * under CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTabbyServer, type TabbyServer } from '../support/clients/server.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = requireTool('kubectl');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const ANP = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: isolate-prod
spec:
  priority: 20
  subject:
    namespaces:
      matchLabels: {env: prod}
  ingress:
  - name: deny-dev
    action: Deny
    from:
    - namespaces:
        matchLabels: {env: dev}
  egress:
  - name: pass-dns
    action: Pass
    to:
    - pods:
        namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
        podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - portNumber: {port: 53, protocol: UDP}
    - portRange: {start: 8000, end: 8100}
`;

const BANP = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {}
  ingress:
  - action: Deny
    from:
    - namespaces: {}
`;

describe('kubectl with AdminNetworkPolicy and BaselineAdminNetworkPolicy against tabby server', { skip }, () => {
  let server: TabbyServer | undefined;

  const kubectl = (args: readonly string[]): Promise<Run> =>
    new Promise((ok) => {
      execFile(
        KUBECTL,
        ['--cache-dir', join(server!.dir, 'cache'), '--request-timeout=20s', ...args],
        { env: { PATH: '/usr/bin:/bin', HOME: server!.dir, KUBECONFIG: server!.kubeconfigPath }, timeout: 30_000 },
        (err, stdout, stderr) => ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
    });
  const ok = async (args: readonly string[]): Promise<string> => {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const file = async (name: string, text: string): Promise<string> => {
    const p = join(server!.dir, name);
    await writeFile(p, text);
    return p;
  };

  before(async () => {
    server = await startTabbyServer('tabby-kubectl-anp-');
  });
  after(async () => {
    await server?.stop();
  });

  test('api-resources: adminnetworkpolicies (anp) and baselineadminnetworkpolicies (banp), cluster-scoped', async () => {
    const out = await ok(['api-resources', '--api-group=policy.networking.k8s.io']);
    assert.match(out, /^adminnetworkpolicies\s+anp\s+policy\.networking\.k8s\.io\/v1alpha1\s+false\s+AdminNetworkPolicy$/m);
    assert.match(out, /^baselineadminnetworkpolicies\s+banp\s+policy\.networking\.k8s\.io\/v1alpha1\s+false\s+BaselineAdminNetworkPolicy$/m);
  });

  test('apply, then get anp,banp with PRIORITY and AGE', async () => {
    assert.equal(await ok(['apply', '-f', await file('anp.yaml', ANP)]), 'adminnetworkpolicy.policy.networking.k8s.io/isolate-prod created\n');
    assert.equal(await ok(['apply', '-f', await file('banp.yaml', BANP)]), 'baselineadminnetworkpolicy.policy.networking.k8s.io/default created\n');
    const out = await ok(['get', 'anp,banp']);
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+PRIORITY\s+AGE$/);
    assert.match(lines[1]!, /^adminnetworkpolicy\.policy\.networking\.k8s\.io\/isolate-prod\s+20\s+\d+s$/);
    assert.equal(lines[2], '');
    assert.match(lines[3]!, /^NAME\s+AGE$/);
    assert.match(lines[4]!, /^baselineadminnetworkpolicy\.policy\.networking\.k8s\.io\/default\s+\d+s$/);
    // the CRD default: a port without protocol is TCP
    assert.equal(await ok(['get', 'anp', 'isolate-prod', '-o', 'jsonpath={.spec.egress[0].ports[1].portRange.protocol}']), 'TCP');
    // the BANP file has no defaulted field inside a list: applying it again is a no-op patch
    assert.equal(await ok(['apply', '-f', join(server!.dir, 'banp.yaml')]), 'baselineadminnetworkpolicy.policy.networking.k8s.io/default unchanged\n');
  });

  test('describe shows the spec', async () => {
    const out = await ok(['describe', 'anp', 'isolate-prod']);
    assert.match(out, /^Name:\s+isolate-prod$/m);
    assert.match(out, /^API Version:\s+policy\.networking\.k8s\.io\/v1alpha1$/m);
    assert.match(out, /^Kind:\s+AdminNetworkPolicy$/m);
    assert.match(out, /Priority:\s+20/);
    assert.match(out, /Action:\s+Deny/);
  });

  test('explain adminnetworkpolicy.spec.ingress', async () => {
    const out = await ok(['explain', 'adminnetworkpolicy.spec.ingress']);
    assert.match(out, /^GROUP:\s+policy\.networking\.k8s\.io$/m);
    assert.match(out, /^KIND:\s+AdminNetworkPolicy$/m);
    assert.match(out, /^VERSION:\s+v1alpha1$/m);
    assert.match(out, /^FIELD: ingress <\[\]Object>$/m);
    assert.match(out, /^\s+action\s+<string> -required-$/m);
    assert.match(out, /^\s+from\s+<\[\]Object> -required-$/m);
    assert.match(out, /^\s+ports\s+<\[\]Object>$/m);
    const prio = await ok(['explain', 'anp.spec.priority']);
    assert.match(prio, /^FIELD: priority <integer>$/m);
    assert.match(await ok(['explain', 'banp.spec.egress.to']), /^\s+networks\s+<\[\]string>$/m);
  });

  test('diff shows the change; no change: exit 0 and empty', async () => {
    assert.equal((await kubectl(['diff', '-f', join(server!.dir, 'anp.yaml')])).code, 0);
    const changed = await file('anp2.yaml', ANP.replace('priority: 20', 'priority: 25'));
    const r = await kubectl(['diff', '-f', changed]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^-\s+priority: 20$/m);
    assert.match(r.stdout, /^\+\s+priority: 25$/m);
    assert.equal(await ok(['get', 'anp', 'isolate-prod', '-o', 'jsonpath={.spec.priority}']), '20', 'diff changes nothing');
  });

  test('422 with the field path: priority out of range, BANP not named default, namedPort with networks', async () => {
    const bad = await kubectl(['apply', '-f', await file('bad.yaml', ANP.replace('priority: 20', 'priority: 1001'))]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr.trim(),
      'The AdminNetworkPolicy "isolate-prod" is invalid: spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000',
    );
    const banp = await kubectl(['apply', '-f', await file('banp-bad.yaml', BANP.replace('name: default', 'name: other'))]);
    assert.equal(banp.code, 1);
    assert.equal(
      banp.stderr.trim(),
      'The BaselineAdminNetworkPolicy "other" is invalid: metadata.name: Invalid value: "other": Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
    );
    const cel = await kubectl(['create', '-f', await file('cel.yaml', ANP.replace('name: isolate-prod', 'name: cel').replace(/- pods:\n(.*\n){2}/, '- networks: [10.0.0.0/8]\n').replace('- portRange: {start: 8000, end: 8100}', '- namedPort: web'))]);
    assert.equal(cel.code, 1, cel.stdout);
    assert.match(cel.stderr, /spec\.egress\[0\]: Invalid value: "object": networks\/nodes peer cannot be set with namedPorts/);
    assert.equal(await ok(['get', 'anp', '-o', 'name']), 'adminnetworkpolicy.policy.networking.k8s.io/isolate-prod\n', 'nothing stored');
  });

  test('delete', async () => {
    assert.equal(await ok(['delete', 'anp', 'isolate-prod']), 'adminnetworkpolicy.policy.networking.k8s.io "isolate-prod" deleted\n');
    assert.equal(await ok(['delete', 'banp', 'default']), 'baselineadminnetworkpolicy.policy.networking.k8s.io "default" deleted\n');
    const r = await kubectl(['get', 'anp,banp']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), 'No resources found');
  });
});
