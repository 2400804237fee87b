import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from './main.js';
import { VERSION } from './version.js';
import { fakeIo } from './testdata/fake-io.js';

// Kubernetes NetworkPolicy is used here: its decoder is the smallest dependency of these tests.
const KNP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: default
spec:
  podSelector: {}
`;
const BAD = KNP.replace('podSelector', 'podSelectr');

const FILES = {
  'good.yaml': KNP,
  'two.yaml': `${KNP}---\n${KNP.replace('name: web', 'name: api')}`,
  'bad.yaml': BAD,
  'dir/a.yaml': KNP,
  'dir/b.json': JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'j' }, spec: {} }),
  'dir/notes.txt': 'not a manifest',
  'dir/sub/c.yml': KNP,
  'empty/readme.md': '#',
  'nginx.yaml': `kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      run: nginx
  ingress:
    - from:
      - podSelector:
          matchLabels:
            run: access
`,
  'gnp.yaml': 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: g\nspec:\n  selector: all()\n',
  'anp.yaml': `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-control-plane}
spec:
  priority: 5
  subject: {namespaces: {}}
  egress:
  - {name: deny-cp, action: Deny, to: [{nodes: {matchLabels: {role: cp}}}]}
---
apiVersion: v1
kind: Node
metadata: {name: cp1, labels: {role: cp}}
status: {addresses: [{type: InternalIP, address: 198.18.0.2}]}
`,
};

const cases: { name: string; argv: string[]; stdin?: string; code: number; out?: RegExp; err?: RegExp; noErr?: boolean }[] = [
  { name: 'validate one good file', argv: ['validate', '-f', 'good.yaml'], code: 0, out: /^Valid: 1 resource in 1 file\n$/, noErr: true },
  { name: 'validate several -f', argv: ['validate', '-f', 'good.yaml', '-f', 'two.yaml'], code: 0, out: /Valid: 3 resources in 2 files/ },
  { name: 'validate a folder (not recursive)', argv: ['validate', '-f', 'dir'], code: 0, out: /Valid: 2 resources in 2 files/ },
  { name: 'validate a folder recursively', argv: ['validate', '-R', '-f', 'dir/'], code: 0, out: /Valid: 3 resources in 3 files/ },
  { name: 'validate stdin', argv: ['validate', '-f', '-'], stdin: KNP, code: 0, out: /Valid: 1 resource in 1 file/ },
  {
    name: 'validate reports located errors and exits 1',
    argv: ['validate', '-f', 'good.yaml', '-f', 'bad.yaml'],
    code: 1,
    err: /^bad\.yaml:7:3: spec\.podSelectr: Unknown field: [^\n]*\nInvalid: 1 error in 1 of 2 files; 1 resource valid\n$/,
  },
  { name: 'stdin errors are named <stdin>', argv: ['validate', '-f', '-'], stdin: BAD, code: 1, err: /^<stdin>:7:3: spec\.podSelectr/ },
  { name: 'missing file', argv: ['validate', '-f', 'nope.yaml'], code: 1, err: /tabby: nope\.yaml: no such file or directory/ },
  { name: 'folder with no manifests', argv: ['validate', '-f', 'empty'], code: 1, err: /empty: no \.yaml, \.yml or \.json files found \(use -R/ },
  { name: 'validate without -f is a usage error', argv: ['validate'], code: 2, err: /at least one -f/ },
  { name: 'unknown command', argv: ['bogus'], code: 2, err: /unknown command 'bogus'/ },
  { name: 'unknown option', argv: ['validate', '--bogus'], code: 2, err: /unknown option '--bogus'/ },
  { name: 'no arguments prints help', argv: [], code: 0, out: /Usage: tabby \[options\] \[command\][\s\S]*validate/ },
  { name: '--help', argv: ['--help'], code: 0, out: /Commands:[\s\S]*validate[\s\S]*version/ },
  { name: 'validate --help', argv: ['validate', '--help'], code: 0, out: /-R, --recursive/ },
  { name: 'version', argv: ['version'], code: 0, out: new RegExp(`^tabby version ${VERSION.replace(/\./g, '\\.')}\n$`) },
  { name: '--version', argv: ['--version'], code: 0, out: new RegExp(`^${VERSION.replace(/\./g, '\\.')}\n$`) },
  {
    name: 'convert prints the Calico form',
    argv: ['convert', '-f', 'nginx.yaml'],
    code: 0,
    out: /^apiVersion: projectcalico\.org\/v3\nkind: NetworkPolicy\nmetadata:\n {2}name: knp\.default\.access-nginx\n[\s\S]*order: 1000[\s\S]*selector: projectcalico\.org\/orchestrator == 'k8s' && run == 'nginx'\n/,
    noErr: true,
  },
  { name: 'convert -o json', argv: ['convert', '-f', 'nginx.yaml', '-o', 'json'], code: 0, out: /^\{\n {2}"apiVersion": "projectcalico\.org\/v3",[\s\S]*"knp\.default\.access-nginx"/ },
  { name: 'convert skips resources that are not Kubernetes NetworkPolicies', argv: ['convert', '-f', 'gnp.yaml'], code: 0, err: /^gnp\.yaml:1:1: skipped: GlobalNetworkPolicy is not a Kubernetes NetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy\n$/ },
  {
    name: 'convert an AdminNetworkPolicy: a GlobalNetworkPolicy in tier adminnetworkpolicy; a nodes peer becomes the Node addresses',
    argv: ['convert', '-f', 'anp.yaml'],
    code: 0,
    out: /^apiVersion: projectcalico\.org\/v3\nkind: GlobalNetworkPolicy\nmetadata:\n {2}name: kanp\.adminnetworkpolicy\.no-control-plane\nspec:\n {2}tier: adminnetworkpolicy\n {2}order: 5\n[\s\S]*nets:\n {6}- 198\.18\.0\.2\/32\n/,
    err: /^anp\.yaml:10:1: skipped: Node is not/,
  },
  { name: 'convert reports invalid input', argv: ['convert', '-f', 'bad.yaml'], code: 1, err: /bad\.yaml:7:3: spec\.podSelectr/ },
  { name: 'convert rejects an unknown output format', argv: ['convert', '-f', 'good.yaml', '-o', 'xml'], code: 2, err: /argument 'xml' is invalid/ },
];

for (const c of cases) {
  void test(c.name, async () => {
    const io = fakeIo(FILES, c.stdin ?? '');
    const code = await main(c.argv, io);
    const ctx = `stdout:\n${io.out()}\nstderr:\n${io.err()}`;
    assert.equal(code, c.code, ctx);
    if (c.out) assert.match(io.out(), c.out, ctx);
    if (c.err) assert.match(io.err(), c.err, ctx);
    if (c.noErr) assert.equal(io.err(), '', ctx);
  });
}

void test('VERSION matches package.json', () => {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined, VERSION);
});
