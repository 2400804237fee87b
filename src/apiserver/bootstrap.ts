/**
 * @module How a node joins (kubeadm's discovery and TLS bootstrap, simplified):
 *
 * 1. `GET /api/v1/namespaces/kube-public/configmaps/cluster-info` — public, as kubeadm's
 *    ConfigMap: a kubeconfig naming the server and carrying the cluster CA. The agent fetches it
 *    without verifying the server (it has nothing to verify with yet), then pins the CA: the
 *    SHA-256 of its SubjectPublicKeyInfo must equal `--ca-cert-hash`, or it refuses. Every later
 *    request verifies the server against that CA.
 * 2. `POST /bootstrap/v1/node-credential` with `Authorization: Bearer <bootstrap token>` and the
 *    body `{"node": "<name>", "csr": "<PEM PKCS#10>"}`: the server checks the token
 *    (bootstrap-tokens.ts: it exists, its secret matches, it has not expired, it was made for
 *    that node — else 401 naming why), verifies the CSR's signature (the agent holds the key; the
 *    key never leaves the node) and answers a client certificate for
 *    CN=`system:node:<name>`, O=`system:nodes`, signed by the cluster CA, valid one year. The
 *    CSR's own subject is ignored: the token decides the name, as the Node authorizer then does.
 *
 * Why a certificate and not a per-node token: a certificate is checked by the TLS layer of any
 * server holding the CA certificate, with nothing stored or looked up per request, and the
 * node's private key is made on the node and never sent.
 */
import { checkBootstrapToken } from './bootstrap-tokens.js';
import type { Datastore } from '../datastore/index.js';
import { json } from './resources.js';
import { badRequest, status, StatusError } from './status.js';
import { decodeText, readBody } from './body.js';
import { NODE_USER_PREFIX, NODES_GROUP } from './node-auth.js';

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
export const NODE_CREDENTIAL_PATH = '/bootstrap/v1/node-credential';

/** Largest node-credential request body: a CSR is well under 1 KiB. */
const MAX_BODY = 16 * 1024;

export interface BootstrapDeps {
  readonly datastore: Datastore;
  readonly caPem: string;
  /** The URL the cluster-info kubeconfig names (the advertise address). */
  readonly serverUrl: () => string;
  /** Signs CSRPEM as a client certificate with CN and O; throws an Error naming a bad CSR. */
  readonly signClientCsr: (csrPem: string, commonName: string, organization: string) => Promise<string>;
  readonly now?: () => Date;
}

export function clusterInfo(d: BootstrapDeps): Response {
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: ""',
    '  cluster:',
    `    certificate-authority-data: ${Buffer.from(d.caPem).toString('base64')}`,
    `    server: ${d.serverUrl()}`,
    'contexts: []',
    'current-context: ""',
    'preferences: {}',
    'users: []',
    '',
  ].join('\n');
  return json(200, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig },
  });
}

const _unauthorized = (why: string): StatusError => new StatusError(status(401, 'Unauthorized', `Unauthorized: ${why}`));

export async function nodeCredential(req: Request, d: BootstrapDeps): Promise<Response> {
  if (req.method !== 'POST') return json(405, status(405, 'MethodNotAllowed', `${NODE_CREDENTIAL_PATH} takes POST`));
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get('authorization') ?? '');
  if (m === null) throw _unauthorized('a bootstrap token is required (Authorization: Bearer <id>.<secret>)');
  let body: unknown;
  try {
    body = JSON.parse(decodeText(await readBody(req, MAX_BODY)));
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw badRequest('the body must be JSON: {"node": "<name>", "csr": "<PEM certificate signing request>"}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object with "node" and "csr"');
  const node = Object.hasOwn(body, 'node') ? (body as Record<string, unknown>)['node'] : undefined;
  const csr = Object.hasOwn(body, 'csr') ? (body as Record<string, unknown>)['csr'] : undefined;
  if (typeof node !== 'string' || node === '') throw badRequest('node: Required value: the name of the joining node');
  if (typeof csr !== 'string' || csr === '') throw badRequest('csr: Required value: a PEM PKCS#10 certificate signing request');
  const check = await checkBootstrapToken(d.datastore, m[1]!, node, (d.now ?? (() => new Date()))());
  if (!check.ok) throw _unauthorized(check.reason);
  let certificate: string;
  try {
    certificate = await d.signClientCsr(csr, `${NODE_USER_PREFIX}${check.node}`, NODES_GROUP);
  } catch (e) {
    throw badRequest(`csr: Invalid value: ${e instanceof Error ? e.message : String(e)}`);
  }
  return json(201, { apiVersion: 'tabby.dev/v1', kind: 'NodeCredential', node: check.node, certificate, ca: d.caPem });
}
