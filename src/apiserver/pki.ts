/**
 * @module The server's TLS material and access tokens, created on first start and reused after:
 * DATA_DIR/pki/{ca.crt,ca.key,server.crt,server.key} (an EC P-256 CA and a server certificate
 * for 127.0.0.1 and localhost, made with the `openssl` command) and DATA_DIR/tokens (the admin
 * and read-only bearer tokens, JSON). Private keys and tokens are written mode 0600.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, access, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const _exists = async (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/** Loads DIR's CA and server certificate, generating them (with `openssl`) when missing. */
export async function ensurePki(dir: string, sans: readonly string[] = ['IP:127.0.0.1', 'DNS:localhost']): Promise<Pki> {
  const f = {
    caCrt: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    crt: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  };
  const present = await Promise.all(Object.values(f).map(_exists));
  if (!present.every(Boolean)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run('openssl', [
      'req', '-x509', ...ec, '-keyout', f.caKey, '-out', f.caCrt, '-days', '3650', '-subj', '/CN=tabby-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const csr = join(dir, 'server.csr');
    const ext = join(dir, 'server.ext');
    await run('openssl', ['req', '-new', ...ec, '-keyout', f.key, '-out', csr, '-subj', '/CN=tabby-apiserver']);
    await writeFile(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`);
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', f.caCrt, '-CAkey', f.caKey, '-CAcreateserial', '-out', f.crt, '-days', '825', '-sha256', '-extfile', ext]);
    await Promise.all([rm(csr, { force: true }), rm(ext, { force: true }), rm(join(dir, 'ca.srl'), { force: true })]);
    await Promise.all([chmod(f.caKey, 0o600), chmod(f.key, 0o600)]);
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
