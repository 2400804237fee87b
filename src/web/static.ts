/**
 * @module The dashboard bundle (Vite's output, `dist/ui`) served under `/ui`: files by path,
 * `index.html` for every other path (client-side routes such as `/ui/trace`). Hashed assets
 * are cached for good; index.html never. A missing bundle is a 503 page saying how to build it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** `dist/ui` of the package this file belongs to (found by walking up to package.json), or undefined. */
export function defaultUiDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tabby') return join(dir, 'dist', 'ui');
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'",
};

/** Serves `rel` (the path after `/ui/`) from `uiDir`. */
export async function serveAsset(uiDir: string | undefined, rel: string, method: string): Promise<Response> {
  if (method !== 'GET' && method !== 'HEAD') return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
  const index = uiDir === undefined ? undefined : join(uiDir, 'index.html');
  if (uiDir === undefined || index === undefined || !existsSync(index)) {
    return new Response(
      '<!doctype html><title>Tabby dashboard not built</title><p>The dashboard bundle is missing. Build it with <code>npm run build</code> (it runs <code>vite build ui</code> into <code>dist/ui</code>).</p>\n',
      { status: 503, headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS } },
    );
  }
  let file = index;
  let cache = 'no-cache';
  const clean = normalize(`/${rel}`).slice(1);
  if (clean !== '' && !clean.split(sep).includes('..')) {
    const candidate = join(uiDir, clean);
    const dot = clean.lastIndexOf('.');
    if (dot > clean.lastIndexOf('/') && existsSync(candidate)) {
      file = candidate;
      if (clean.startsWith('assets/')) cache = 'public, max-age=31536000, immutable';
    } else if (dot > clean.lastIndexOf('/') && clean.startsWith('assets/')) {
      return new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain', ...SECURITY_HEADERS } });
    }
  }
  const ext = file.slice(file.lastIndexOf('.'));
  const body = await readFile(file);
  return new Response(method === 'HEAD' ? null : body, {
    status: 200,
    headers: { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': cache, ...SECURITY_HEADERS },
  });
}
