/**
 * Start-up cost of the CLIs: loading `calicoctl` and `tabby` does not load the etcd client
 * (etcd3 + gRPC, about a second on a busy machine); it is imported when an etcd datastore is
 * opened. Checked in a fresh process, from the CommonJS module cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

const script = `
import { createRequire } from 'node:module';
await import('./src/cli/calicoctl/main.ts');
await import('./src/cli/main.ts');
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => /node_modules\\/(etcd3|@grpc)\\//.test(p));
console.log(JSON.stringify(loaded.length));
`;

test('calicoctl and tabby start without loading etcd3 or gRPC', async () => {
  const r = await new Promise<{ code: number; out: string }>((ok) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) =>
      ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr }),
    );
  });
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), '0', r.out);
});
