/**
 * @module The server's TLS material and access tokens, created on first start and reused after:
 * DATA_DIR/pki/{ca.crt,ca.key,server.crt,server.key} (an EC P-256 CA and a server certificate
 * for 127.0.0.1, ::1 and localhost plus the names the server is given: `--bind`,
 * `--advertise-address`, `--tls-san`) and DATA_DIR/tokens (the admin and read-only bearer
 * tokens, JSON). Private keys and tokens are written mode 0600.
 *
 * The CA is kept once made: when the server certificate is missing or does not cover every name
 * asked for, only it is issued again, by the same CA (so agents that pinned the CA, and several
 * servers given the same ca.crt/ca.key, keep trusting it). `caCertHash` is kubeadm's
 * `--discovery-token-ca-cert-hash`: `sha256:` and the hex SHA-256 of the CA certificate's
 * DER SubjectPublicKeyInfo.
 *
 * Certificates are made in-process with `@peculiar/x509` on Node's WebCrypto: no `openssl`
 * command (or any other program outside npm) is needed. Formats are the ones `openssl req
 * -newkey ec -nodes` wrote before: PEM certificates and unencrypted PKCS#8 PEM keys. The
 * library (and the Reflect polyfill it needs) is loaded only when something must be generated,
 * so a start that reuses existing files does not pay for it.
 */
import { createHash, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, readFile, writeFile, access, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface Pki {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** A certificate and its private key, both PEM (the key unencrypted PKCS#8). */
export interface IssuedCert {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What a leaf certificate is for: its common name, subject alternative names and usages. */
export interface LeafSpec {
  readonly commonName: string;
  /** O= attributes of the subject (Kubernetes reads them as the user's groups). */
  readonly organization?: readonly string[];
  /** `IP:127.0.0.1`, `IP:::1` or `DNS:localhost` (openssl's notation). */
  readonly sans?: readonly string[];
  readonly serverAuth?: boolean;
  readonly clientAuth?: boolean;
  readonly days: number;
}

/** The default names of the API server's certificate. */
export const SERVER_SANS: readonly string[] = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost'];

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

type X509 = typeof import('@peculiar/x509');
let _lib: Promise<X509> | undefined;

/** Loads `@peculiar/x509` once, after its Reflect polyfill, on Node's WebCrypto. */
function _x509(): Promise<X509> {
  return (_lib ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<X509['cryptoProvider']['set']>[0]);
    return x509;
  })());
}

const _pemKey = async (key: webcrypto.CryptoKey): Promise<string> => {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}-----END PRIVATE KEY-----\n`;
};

const _serial = (): string => {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive, as RFC 5280 requires
  return b.toString('hex');
};

/** The validity window: from an hour ago (clock skew between processes) for DAYS days. */
const _validity = (days: number): { notBefore: Date; notAfter: Date } => {
  const now = Date.now();
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + days * DAY_MS) };
};

function _generalNames(sans: readonly string[]): { type: 'ip' | 'dns'; value: string }[] {
  return sans.map((s) => {
    const m = /^(IP|DNS):(.+)$/.exec(s);
    if (m === null) throw new Error(`subject alternative name ${JSON.stringify(s)}: expected IP:<address> or DNS:<name>`);
    return { type: m[1] === 'IP' ? 'ip' : 'dns', value: m[2]! };
  });
}

/** A certificate authority that can sign leaf certificates. */
export interface CertificateAuthority extends IssuedCert {
  /** A leaf certificate; for PUBLICKEY (a CSR's, see verifyCsr) the returned keyPem is empty. */
  issue(spec: LeafSpec, publicKey?: webcrypto.CryptoKey): Promise<IssuedCert>;
}

/** Creates a self-signed EC P-256 CA named CN=COMMONNAME, valid for DAYS days. */
export async function createCa(commonName: string, days: number): Promise<CertificateAuthority> {
  const x509 = await _x509();
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name = `CN=${commonName}`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: _serial(),
    name,
    ..._validity(days),
    signingAlgorithm: EC,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return _authority(x509, caCert, keys.privateKey, `${caCert.toString('pem')}\n`, await _pemKey(keys.privateKey));
}

/** The CA of CERTPEM and KEYPEM (PEM; the key unencrypted PKCS#8 EC P-256), to issue more certificates. */
export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const x509 = await _x509();
  const caCert = new x509.X509Certificate(certPem);
  const der = Buffer.from(keyPem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, ''), 'base64');
  const key = await webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign']);
  return _authority(x509, caCert, key, certPem, keyPem);
}

/** What a certificate signing request asks for, once its signature is verified. */
export interface SignedRequest {
  readonly publicKey: webcrypto.CryptoKey;
}

/**
 * Verifies a PKCS#10 certificate signing request (PEM): its self-signature proves the sender
 * holds the private key. Only EC P-256 keys are accepted. Throws an Error naming the problem.
 */
export async function verifyCsr(csrPem: string): Promise<SignedRequest> {
  const x509 = await _x509();
  let csr: import('@peculiar/x509').Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (e) {
    throw new Error(`not a PEM PKCS#10 certificate signing request (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const alg = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw new Error('the certificate signing request must carry an EC P-256 public key');
  if (!(await csr.verify())) throw new Error('the certificate signing request\'s signature does not verify');
  return { publicKey: await csr.publicKey.export(EC, ['verify']) };
}

/** A PKCS#10 certificate signing request (PEM) for a new EC P-256 key, and that key (PKCS#8 PEM). */
export async function createCsr(commonName: string): Promise<{ csrPem: string; keyPem: string }> {
  const x509 = await _x509();
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${_escapeRdn(commonName)}`, keys, signingAlgorithm: EC });
  return { csrPem: `${csr.toString('pem')}\n`, keyPem: await _pemKey(keys.privateKey) };
}

/** Escapes an RFC 4514 attribute value. */
const _escapeRdn = (v: string): string => v.replace(/([,+"\\<>;=#])/g, '\\$1');

function _authority(x509: X509, caCert: import('@peculiar/x509').X509Certificate, caKey: webcrypto.CryptoKey, certPem: string, keyPem: string): CertificateAuthority {
  const issue = async (spec: LeafSpec, publicKey?: webcrypto.CryptoKey): Promise<IssuedCert> => {
    const leafKeys = publicKey === undefined ? ((await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair) : undefined;
    const leafPublic = publicKey ?? leafKeys!.publicKey;
    const usages: string[] = [];
    if (spec.serverAuth === true) usages.push(x509.ExtendedKeyUsage.serverAuth);
    if (spec.clientAuth === true) usages.push(x509.ExtendedKeyUsage.clientAuth);
    const extensions: import('@peculiar/x509').Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      await x509.SubjectKeyIdentifierExtension.create(leafPublic),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ];
    if (usages.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(usages, false));
    if (spec.sans !== undefined && spec.sans.length > 0) {
      extensions.push(new x509.SubjectAlternativeNameExtension(_generalNames(spec.sans), false));
    }
    const subject = [`CN=${_escapeRdn(spec.commonName)}`, ...(spec.organization ?? []).map((o) => `O=${_escapeRdn(o)}`)].join(', ');
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: _serial(),
      subject,
      issuer: caCert.subject,
      ..._validity(spec.days),
      signingAlgorithm: EC,
      publicKey: leafPublic,
      signingKey: caKey,
      extensions,
    });
    return { certPem: `${cert.toString('pem')}\n`, keyPem: leafKeys === undefined ? '' : await _pemKey(leafKeys.privateKey) };
  };
  return { certPem, keyPem, issue };
}

/**
 * kubeadm's CA pin (`--discovery-token-ca-cert-hash`): `sha256:` and the lowercase hex SHA-256
 * of the DER SubjectPublicKeyInfo of the CA certificate CAPEM.
 */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/**
 * A `--tls-san` value (an IP address or a DNS name) in openssl's notation (`IP:…`/`DNS:…`);
 * throws an Error naming the value when it is neither.
 */
export function sanOf(value: string): string {
  const v = value.trim();
  if (isIP(v.replace(/^\[|\]$/g, '')) !== 0) return `IP:${v.replace(/^\[|\]$/g, '')}`;
  if (v.length > 0 && v.length <= 253 && /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(v)) return `DNS:${v.toLowerCase()}`;
  throw new Error(`${JSON.stringify(value)} is neither an IP address nor a DNS name`);
}

/** Whether the certificate LEAF names every SAN in SANS (`IP:…`/`DNS:…`). */
function _covers(leaf: X509Certificate, sans: readonly string[]): boolean {
  return sans.every((s) => (s.startsWith('IP:') ? leaf.checkIP(s.slice(3)) !== undefined : leaf.checkHost(s.slice(4), { wildcards: false }) !== undefined));
}

const _exists = async (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Loads DIR's CA and server certificate. A missing CA (either file) makes a new set; a server
 * certificate that is missing, not issued by the CA, or does not name every SAN in SANS is
 * issued again by the kept CA (its names: SERVER_SANS and SANS). New files are written under
 * temporary names and renamed into place, so a failure leaves no half set.
 */
export async function ensurePki(dir: string, sans: readonly string[] = SERVER_SANS): Promise<Pki> {
  const f = {
    caCrt: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    crt: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  };
  const want = [...new Set([...SERVER_SANS, ...sans])];
  const [caCrt, caKey, crt, key] = await Promise.all(Object.values(f).map(_exists));
  const files: [string, string, number][] = [];
  let ca: CertificateAuthority | undefined;
  if (!caCrt || !caKey) {
    ca = await createCa('tabby-ca', 3650);
    files.push([f.caCrt, ca.certPem, 0o644], [f.caKey, ca.keyPem, 0o600]);
  }
  let reissue = ca !== undefined || !crt || !key;
  if (!reissue) {
    const [caPem, certPem] = await Promise.all([readFile(f.caCrt, 'utf8'), readFile(f.crt, 'utf8')]);
    const leaf = new X509Certificate(certPem);
    reissue = !leaf.checkIssued(new X509Certificate(caPem)) || !_covers(leaf, want);
  }
  if (reissue) {
    ca ??= await loadCa(await readFile(f.caCrt, 'utf8'), await readFile(f.caKey, 'utf8'));
    const server = await ca.issue({ commonName: 'tabby-apiserver', sans: want, serverAuth: true, days: 825 });
    files.push([f.crt, server.certPem, 0o644], [f.key, server.keyPem, 0o600]);
  }
  if (files.length > 0) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await Promise.all(files.map(([p, text, mode]) => writeFile(p + tmp, text, { mode })));
      await Promise.all(files.map(([p]) => rename(p + tmp, p)));
    } finally {
      await Promise.all(files.map(([p]) => rm(p + tmp, { force: true })));
    }
  }
  const [caPem, certPem, keyPem] = await Promise.all([readFile(f.caCrt, 'utf8'), readFile(f.crt, 'utf8'), readFile(f.key, 'utf8')]);
  return { caPem, certPem, keyPem };
}

export interface StoredTokens {
  readonly admin: string;
  readonly readOnly: string;
}

/** Loads DATA_DIR/tokens, creating random tokens (256 bits each) on first use. */
export async function ensureTokens(file: string): Promise<StoredTokens> {
  if (await _exists(file)) {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (typeof o['admin'] === 'string' && typeof o['readOnly'] === 'string') return { admin: o['admin'], readOnly: o['readOnly'] };
    }
    throw new Error(`${file}: expected {"admin": "...", "readOnly": "..."}`);
  }
  const tokens = { admin: randomBytes(32).toString('base64url'), readOnly: randomBytes(32).toString('base64url') };
  await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return tokens;
}
