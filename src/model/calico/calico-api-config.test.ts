// CalicoAPIConfig (the calicoctl config file) through validateResource, and the environment loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateResource } from '../validate-resource.js';
import { loadCalicoApiConfigEnv } from './calico-api-config.js';
import type { CalicoAPIConfigSpec } from './other-types.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly value: unknown;
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const cfg = (spec: unknown, metadata: unknown = {}): Record<string, unknown> => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'CalicoAPIConfig',
  metadata,
  spec,
});
const c = (name: string, spec: unknown, want: readonly Want[] = []): Case => ({ name, value: cfg(spec), want });

const cases: readonly Case[] = [
  c('accepts an etcd config with two endpoints', { datastoreType: 'etcdv3', etcdEndpoints: 'https://10.0.0.1:2379,https://10.0.0.2:2379' }),
  c('accepts an etcd config with TLS files', {
    datastoreType: 'etcdv3',
    etcdEndpoints: 'https://etcd.example.com:2379',
    etcdKeyFile: '/etc/calico/key.pem',
    etcdCertFile: '/etc/calico/cert.pem',
    etcdCACertFile: '/etc/calico/ca.pem',
    etcdUsername: 'root',
    etcdPassword: 'secret',
  }),
  c('accepts inline etcd certificates', { etcdEndpoints: 'https://10.0.0.1:2379', etcdKey: 'KEY', etcdCert: 'CERT', etcdCACert: 'CA' }),
  c('accepts an etcd discovery domain', { datastoreType: 'etcdv3', etcdDiscoverySrv: 'Example.com' }),
  c('accepts a kubernetes config', {
    datastoreType: 'kubernetes',
    kubeconfig: '/root/.kube/config',
    k8sAPIEndpoint: 'https://10.96.0.1:443',
    k8sInsecureSkipTLSVerify: false,
    k8sClientQPS: 50,
    k8sCurrentContext: 'kind-kind',
  }),
  c('accepts the Tabby embedded datastore', { datastoreType: 'embedded', embeddedPath: '/var/lib/tabby/tabby.db' }),
  c('accepts an empty spec', {}),
  { name: 'accepts a missing metadata', value: { apiVersion: 'projectcalico.org/v3', kind: 'CalicoAPIConfig', spec: {} }, want: [] },
  { name: 'accepts a name', value: cfg({}, { name: 'mycluster' }), want: [] },
  { name: 'still checks a given name', value: cfg({}, { name: 'My_Cluster' }), want: [e('Invalid', 'metadata.name')] },
  { name: 'rejects a wrong apiVersion', value: { ...cfg({}), apiVersion: 'v1' }, want: [e('NotSupported', 'apiVersion')] },
  c('rejects an unknown datastore type', { datastoreType: 'etcd' }, [e('NotSupported', 'spec.datastoreType')]),
  c('rejects a misspelt field', { datastoreType: 'etcdv3', etcdEndpoint: 'http://10.0.0.1:2379' }, [e('Unknown', 'spec.etcdEndpoint')]),
  c('rejects the upstream-absent k8sQPS', { k8sQPS: 5 }, [e('Unknown', 'spec.k8sQPS')]),
  c('rejects an endpoint without scheme', { etcdEndpoints: '10.0.0.1:2379' }, [e('Invalid', 'spec.etcdEndpoints')]),
  c('rejects a non-HTTP endpoint', { etcdEndpoints: 'http://10.0.0.1:2379,ftp://10.0.0.2' }, [e('Invalid', 'spec.etcdEndpoints')]),
  c('rejects an empty endpoint list', { etcdEndpoints: ' , ' }, [e('Invalid', 'spec.etcdEndpoints')]),
  c('rejects a bad discovery domain', { etcdDiscoverySrv: 'not a domain' }, [e('Invalid', 'spec.etcdDiscoverySrv')]),
  c('rejects a bad Kubernetes API endpoint', { k8sAPIEndpoint: 'kubernetes' }, [e('Invalid', 'spec.k8sAPIEndpoint')]),
  c('rejects a key file without a certificate', { etcdKeyFile: '/k.pem' }, [e('Required', 'spec.etcdCertFile')]),
  c('rejects a k8s certificate without a key', { k8sCertFile: '/c.pem' }, [e('Required', 'spec.k8sKeyFile')]),
  c('rejects mixing inline and file certificates', { etcdKey: 'K', etcdCert: 'C', etcdCACertFile: '/ca.pem' }, [e('Forbidden', 'spec.etcdKey'), e('Forbidden', 'spec.etcdCert')]),
  c('rejects a negative QPS', { k8sClientQPS: -1 }, [e('Invalid', 'spec.k8sClientQPS')]),
  c('rejects a string boolean', { k8sInsecureSkipTLSVerify: 'true' }, [e('TypeInvalid', 'spec.k8sInsecureSkipTLSVerify')]),
];

for (const t of cases) {
  void test(`CalicoAPIConfig: ${t.name}`, () => {
    const got = validateResource(t.value);
    assert.deepEqual(uniq(got), uniq(t.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

const defaulting: readonly { readonly name: string; readonly spec: Record<string, unknown>; readonly want: string }[] = [
  { name: 'etcd endpoints → etcdv3', spec: { etcdEndpoints: 'http://127.0.0.1:2379' }, want: 'etcdv3' },
  { name: 'nothing → kubernetes', spec: {}, want: 'kubernetes' },
  { name: 'embedded path → embedded', spec: { embeddedPath: '/tmp/t.db' }, want: 'embedded' },
  { name: 'explicit type kept', spec: { datastoreType: 'kubernetes', etcdEndpoints: 'http://127.0.0.1:2379' }, want: 'kubernetes' },
];
for (const d of defaulting) {
  void test(`CalicoAPIConfig: defaults the datastore type: ${d.name}`, () => {
    const raw = cfg(d.spec);
    const r = decodeResource(raw);
    assert.ok(r.ok);
    assert.equal((r.value.resource as { spec?: CalicoAPIConfigSpec }).spec?.datastoreType, d.want);
    assert.equal((raw['spec'] as Record<string, unknown>)['datastoreType'], d.spec['datastoreType'], 'input unchanged');
  });
}

// ---------------------------------------------------------------------------------------------
// Environment loading

interface EnvCase {
  readonly name: string;
  readonly env: Record<string, string | undefined>;
  readonly file?: CalicoAPIConfigSpec;
  readonly exists?: readonly string[];
  /** Expected spec, or the expected error paths. */
  readonly want: CalicoAPIConfigSpec | { readonly errors: readonly string[] };
}

const envCases: readonly EnvCase[] = [
  { name: 'no file and no env → kubernetes', env: {}, want: { datastoreType: 'kubernetes' } },
  {
    name: 'etcd from env',
    env: { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: 'http://127.0.0.1:2379', ETCD_KEY_FILE: '/k', ETCD_CERT_FILE: '/c', ETCD_CA_CERT_FILE: '/ca' },
    want: { datastoreType: 'etcdv3', etcdEndpoints: 'http://127.0.0.1:2379', etcdKeyFile: '/k', etcdCertFile: '/c', etcdCACertFile: '/ca' },
  },
  { name: 'etcd endpoints imply etcdv3', env: { ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }, want: { datastoreType: 'etcdv3', etcdEndpoints: 'http://127.0.0.1:2379' } },
  {
    name: 'CALICO_-prefixed names win',
    env: { CALICO_DATASTORE_TYPE: 'kubernetes', DATASTORE_TYPE: 'etcdv3', KUBECONFIG: '/kc' },
    want: { datastoreType: 'kubernetes', kubeconfig: '/kc' },
  },
  { name: 'embedded path from env', env: { EMBEDDED_PATH: '/var/lib/tabby.db' }, want: { datastoreType: 'embedded', embeddedPath: '/var/lib/tabby.db' } },
  {
    name: 'booleans and QPS from env',
    env: { K8S_INSECURE_SKIP_TLS_VERIFY: 'true', USE_POD_CIDR: '0', CALICO_K8SCLIENTQPS: '20', K8SCLIENTQPS: '99' },
    want: { datastoreType: 'kubernetes', k8sInsecureSkipTLSVerify: true, usePodCIDR: false, k8sClientQPS: 20 },
  },
  {
    name: 'a file wins over the environment entirely',
    env: { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: 'http://1.1.1.1:2379', KUBECONFIG: '/env-kc' },
    file: { kubeconfig: '/file-kc' },
    want: { datastoreType: 'kubernetes', kubeconfig: '/file-kc' },
  },
  {
    name: 'kubeconfig defaults to $HOME/.kube/config when it exists',
    env: { HOME: '/home/me' },
    exists: ['/home/me/.kube/config'],
    want: { datastoreType: 'kubernetes', kubeconfig: '/home/me/.kube/config' },
  },
  { name: 'no kubeconfig default when the file is absent', env: { HOME: '/home/me' }, exists: [], want: { datastoreType: 'kubernetes' } },
  {
    name: 'no kubeconfig default when an API endpoint is set',
    env: { HOME: '/home/me', K8S_API_ENDPOINT: 'https://10.0.0.1:6443' },
    exists: ['/home/me/.kube/config'],
    want: { datastoreType: 'kubernetes', k8sAPIEndpoint: 'https://10.0.0.1:6443' },
  },
  { name: 'an unparsable boolean is an error', env: { K8S_INSECURE_SKIP_TLS_VERIFY: 'yes' }, want: { errors: ['env[K8S_INSECURE_SKIP_TLS_VERIFY]'] } },
  { name: 'an unknown datastore type is an error', env: { DATASTORE_TYPE: 'consul' }, want: { errors: ['spec.datastoreType'] } },
  { name: 'a bad endpoint is an error', env: { ETCD_ENDPOINTS: '127.0.0.1:2379' }, want: { errors: ['spec.etcdEndpoints'] } },
];

for (const t of envCases) {
  void test(`CalicoAPIConfig: loadCalicoApiConfigEnv ${t.name}`, () => {
    const envBefore = JSON.stringify(t.env);
    const fileBefore = JSON.stringify(t.file);
    const exists = t.exists;
    const r = loadCalicoApiConfigEnv(t.env, t.file, exists === undefined ? {} : { fileExists: (p) => exists.includes(p) });
    if ('errors' in t.want) {
      assert.ok(!r.ok, 'expected errors');
      assert.deepEqual(r.error.map((x) => x.path).sort(), [...t.want.errors].sort());
    } else {
      assert.ok(r.ok, r.ok ? '' : r.error.map((x) => `${x.path}: ${x.message}`).join('\n'));
      assert.deepEqual(r.value, t.want);
    }
    assert.equal(JSON.stringify(t.env), envBefore, 'env unchanged');
    assert.equal(JSON.stringify(t.file), fileBefore, 'file spec unchanged');
  });
}
