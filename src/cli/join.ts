/**
 * @module The agent's side of joining a cluster (apiserver/bootstrap.ts has the server's), as
 * `kubeadm join --token T --discovery-token-ca-cert-hash sha256:…`:
 *
 * 1. fetch the public cluster-info from the first server that answers, without verifying it;
 * 2. pin its CA: the SHA-256 of the CA's SubjectPublicKeyInfo must be one of the given hashes,
 *    or the join stops with JoinError (nothing is written, nothing else is sent);
 * 3. make an EC P-256 key and a CSR on this node, and exchange the bootstrap token and the CSR
 *    for the node's client certificate (CN=system:node:<node>, O=system:nodes), now verifying the
 *    server against the pinned CA;
 * 4. store the key, the certificate, the CA and a kubeconfig listing every server in the state
 *    directory (keys and kubeconfig 0600).
 *
 * A state directory that already holds a kubeconfig is used as it is: the token is needed once.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { caCertHash, createCsr } from '../apiserver/pki.js';
import { SERVERS_EXTENSION } from '../datastore/kube/kubeconfig.js';

export class JoinError extends Error {
  override get name(): string {
    return 'JoinError';
  }
}

export interface JoinOptions {
  readonly servers: readonly string[];
  readonly node: string;
  readonly token: string;
  /** `sha256:<hex>` values; the CA must match one. */
  readonly caCertHashes: readonly string[];
  readonly stateDir: string;
  /** Bound on each request (default 10 s). */
  readonly timeoutMs?: number;
}

export const STATE_KUBECONFIG = 'kubeconfig';

interface Reply {
  readonly status: number;
  readonly body: string;
}

const MAX_REPLY = 256 * 1024;

function _request(url: string, opts: { method: string; ca?: string; token?: string; body?: string; timeoutMs: number }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const req = httpsRequest(
      url,
      { method: opts.method, headers, timeout: opts.timeoutMs, ...(opts.ca !== undefined ? { ca: opts.ca, rejectUnauthorized: true } : { rejectUnauthorized: false }) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (body.length > MAX_REPLY) req.destroy(new Error(`reply larger than ${MAX_REPLY} bytes`));
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

const _message = (r: Reply): string => {
  try {
    const v = JSON.parse(r.body) as { message?: unknown };
    if (typeof v.message === 'string') return v.message;
  } catch {
    // not a Status
  }
  return r.body.slice(0, 200);
};

/** The CA PEM in a cluster-info ConfigMap's kubeconfig; throws JoinError when it has none. */
function _caOf(server: string, body: string): string {
  try {
    const cm = JSON.parse(body) as { data?: { kubeconfig?: unknown } };
    const kc = parseYaml(String(cm.data?.kubeconfig ?? '')) as { clusters?: { cluster?: Record<string, unknown> }[] } | null;
    const data = kc?.clusters?.[0]?.cluster?.['certificate-authority-data'];
    if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
  } catch {
    // fall through
  }
  throw new JoinError(`${server}: the cluster-info has no certificate-authority-data`);
}

/** A kubeconfig for the node's certificate, listing every server (kubeconfig.ts `tabby.dev/servers`). */
export function nodeKubeconfig(servers: readonly string[], node: string): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: tabby',
    '  cluster:',
    `    server: ${q(servers[0]!)}`,
    '    certificate-authority: ca.crt',
    '    extensions:',
    `    - name: ${SERVERS_EXTENSION}`,
    `      extension: {servers: [${servers.map(q).join(', ')}]}`,
    'users:',
    `- name: ${q(`system:node:${node}`)}`,
    '  user:',
    '    client-certificate: node.crt',
    '    client-key: node.key',
    'contexts:',
    '- name: tabby',
    '  context:',
    '    cluster: tabby',
    `    user: ${q(`system:node:${node}`)}`,
    'current-context: tabby',
    '',
  ].join('\n');
}

/** Joins (steps 1-4 above); returns the kubeconfig path. Throws JoinError naming what failed. */
export async function joinCluster(o: JoinOptions): Promise<string> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const pins = o.caCertHashes.map((h) => h.trim().toLowerCase());
  const bad = pins.find((h) => !/^sha256:[0-9a-f]{64}$/.test(h));
  if (bad !== undefined || pins.length === 0) throw new JoinError(`--ca-cert-hash ${JSON.stringify(bad ?? '')}: expected sha256:<64 hex digits> (the output of tabby token create)`);
  // 1. cluster-info, from the first server that answers
  let ca: string | undefined;
  let from = '';
  const failures: string[] = [];
  for (const server of o.servers) {
    try {
      const r = await _request(`${server.replace(/\/$/, '')}/api/v1/namespaces/kube-public/configmaps/cluster-info`, { method: 'GET', timeoutMs });
      if (r.status !== 200) {
        failures.push(`${server}: HTTP ${r.status} ${_message(r)}`);
        continue;
      }
      ca = _caOf(server, r.body);
      from = server;
      break;
    } catch (e) {
      if (e instanceof JoinError) throw e;
      failures.push(`${server}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (ca === undefined) throw new JoinError(`cannot fetch the cluster-info from any server (${failures.join('; ')})`);
  // 2. pin the CA
  let got: string;
  try {
    got = caCertHash(ca);
  } catch (e) {
    throw new JoinError(`${from}: the cluster-info's CA is not a certificate (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  if (!pins.includes(got)) {
    throw new JoinError(`refusing to join: the CA served by ${from} has public key hash ${got}, which does not match --ca-cert-hash ${pins.join(', ')} (a different cluster, or someone in between)`);
  }
  // 3. the node's key stays here; the CSR goes out with the token
  const { csrPem, keyPem } = await createCsr(`system:node:${o.node}`);
  const body = JSON.stringify({ node: o.node, csr: csrPem });
  let cert: string | undefined;
  const sendFailures: string[] = [];
  for (const server of [from, ...o.servers.filter((s) => s !== from)]) {
    let r: Reply;
    try {
      r = await _request(`${server.replace(/\/$/, '')}/bootstrap/v1/node-credential`, { method: 'POST', ca, token: o.token, body, timeoutMs });
    } catch (e) {
      sendFailures.push(`${server}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    if (r.status === 201) {
      const v = JSON.parse(r.body) as { certificate?: unknown };
      if (typeof v.certificate !== 'string') throw new JoinError(`${server}: the node credential reply has no certificate`);
      cert = v.certificate;
      break;
    }
    if (r.status >= 500) {
      sendFailures.push(`${server}: HTTP ${r.status} ${_message(r)}`);
      continue;
    }
    throw new JoinError(`${server} refused the bootstrap token (HTTP ${r.status}): ${_message(r)}`);
  }
  if (cert === undefined) throw new JoinError(`no server issued a node credential (${sendFailures.join('; ')})`);
  // 4. the state directory, written whole: files first, the kubeconfig (the marker of a finished join) last
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(join(o.stateDir, 'ca.crt'), ca, { mode: 0o644 });
  await writeFile(join(o.stateDir, 'node.key'), keyPem, { mode: 0o600 });
  await writeFile(join(o.stateDir, 'node.crt'), cert, { mode: 0o644 });
  const kc = join(o.stateDir, STATE_KUBECONFIG);
  await writeFile(`${kc}.tmp`, nodeKubeconfig(o.servers, o.node), { mode: 0o600 });
  await rename(`${kc}.tmp`, kc);
  return kc;
}

/** The kubeconfig of an earlier join in STATEDIR, or undefined. */
export async function joinedKubeconfig(stateDir: string): Promise<string | undefined> {
  const kc = join(stateDir, STATE_KUBECONFIG);
  try {
    await readFile(kc, 'utf8');
    return kc;
  } catch {
    return undefined;
  }
}
