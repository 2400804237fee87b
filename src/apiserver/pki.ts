/**
 * @module The server's TLS material and access tokens, created on first start and reused after:
 * DATA_DIR/pki/{ca.crt,ca.key,server.crt,server.key} (an EC P-256 CA and a server certificate
 * for 127.0.0.1, ::1 and localhost) and DATA_DIR/tokens (the admin and read-only bearer tokens,
 * JSON). Private keys and tokens are written mode 0600.
 *
 * Certificates are made in-process with `@peculiar/x509` on Node's WebCrypto: no `openssl`
 * command (or any other program outside npm) is needed. Formats are the ones `openssl req
 * -newkey ec -nodes` wrote before: PEM certificates and unencrypted PKCS#8 PEM keys. The
 * library (and the Reflect polyfill it needs) is loaded only when something must be generated,
 * so a start that reuses existing files does not pay for it.
 */
import { randomBytes, webcrypto } from 'node:crypto';
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
  issue(spec: LeafSpec): Promise<IssuedCert>;
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
  const issue = async (spec: LeafSpec): Promise<IssuedCert> => {
    const leafKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const usages: string[] = [];
    if (spec.serverAuth === true) usages.push(x509.ExtendedKeyUsage.serverAuth);
    if (spec.clientAuth === true) usages.push(x509.ExtendedKeyUsage.clientAuth);
    const extensions: import('@peculiar/x509').Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ];
    if (usages.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(usages, false));
    if (spec.sans !== undefined && spec.sans.length > 0) {
      extensions.push(new x509.SubjectAlternativeNameExtension(_generalNames(spec.sans), false));
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: _serial(),
      subject: `CN=${spec.commonName}`,
      issuer: caCert.subject,
      ..._validity(spec.days),
      signingAlgorithm: EC,
      publicKey: leafKeys.publicKey,
      signingKey: keys.privateKey,
      extensions,
    });
    return { certPem: `${cert.toString('pem')}\n`, keyPem: await _pemKey(leafKeys.privateKey) };
  };
  return { certPem: `${caCert.toString('pem')}\n`, keyPem: await _pemKey(keys.privateKey), issue };
}

const _exists = async (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Loads DIR's CA and server certificate, generating them when any file is missing. New files
 * are written under temporary names and renamed into place, so a failure leaves no half set.
 */
export async function ensurePki(dir: string, sans: readonly string[] = SERVER_SANS): Promise<Pki> {
  const f = {
    caCrt: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    crt: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  };
  const present = await Promise.all(Object.values(f).map(_exists));
  if (!present.every(Boolean)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ca = await createCa('tabby-ca', 3650);
    const server = await ca.issue({ commonName: 'tabby-apiserver', sans, serverAuth: true, days: 825 });
    const files: [string, string, number][] = [
      [f.caCrt, ca.certPem, 0o644],
      [f.caKey, ca.keyPem, 0o600],
      [f.crt, server.certPem, 0o644],
      [f.key, server.keyPem, 0o600],
    ];
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
