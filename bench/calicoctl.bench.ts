/**
 * @module calicoctl throughput: `calicoctl apply -f` of 10,000 GlobalNetworkPolicies in one
 * file (the CLI batch path: parse, validate, apply each) into the embedded datastore and into
 * etcd (started here on loopback; skipped without etcd-server), then `calicoctl get
 * globalnetworkpolicy -o yaml` of all of them. In-process, with the real Io replaced by an
 * in-memory one so the disk and terminal are not measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEtcdDatastore, openSqliteDatastore, type Datastore } from '../src/datastore/index.js';
import { calicoctlMain } from '../src/cli/calicoctl/main.js';
import { fakeIo } from '../src/cli/testdata/fake-io.js';
import { etcdSkipReason, startEtcd } from '../test/support/etcd.js';

const N = 10_000;

function policies(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++)
    docs.push(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: gnp-${i}
  labels: {bench: "yes"}
spec:
  order: ${1000 + i}
  selector: ibm.role == 'worker_public' && app == 'a${i % 100}'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source:
      nets: [10.${i % 256}.0.0/16]
    destination:
      ports: [80, 443, "30000:32767"]
`);
  return docs.join('---\n');
}

interface Figures {
  applyPerSec: number;
  /** undefined when the listing failed; `getError` says why. */
  getMs: number | undefined;
  getError?: string;
}

async function measure(ds: Datastore, text: string): Promise<Figures> {
  const deps = { openDatastore: async () => ds, closeDatastore: false };
  const io = fakeIo({ 'gnps.yaml': text });
  const t0 = performance.now();
  const code = await calicoctlMain(['apply', '-f', 'gnps.yaml'], io, deps);
  const applyMs = performance.now() - t0;
  if (code !== 0) throw new Error(`apply failed: ${io.err().slice(0, 500)}`);
  const applyPerSec = Math.round((N / applyMs) * 1000);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const gio = fakeIo({});
    const t1 = performance.now();
    const gcode = await calicoctlMain(['get', 'globalnetworkpolicy', '-o', 'yaml'], gio, deps);
    best = Math.min(best, performance.now() - t1);
    if (gcode !== 0 || !gio.out().includes(`name: gnp-${N - 1}`))
      return { applyPerSec, getMs: undefined, getError: `exit ${gcode}: ${gio.err().trim().slice(0, 200)}` };
  }
  return { applyPerSec, getMs: Math.round(best) };
}

/** A failed listing is reported as a missed goal (value ∞) with the reason in the name. */
function _get(backend: string, f: Figures): { name: string; value: number; unit: string; goal: string } {
  const name = `calicoctl get gnp -o yaml, 10,000 GNPs (${backend})`;
  if (f.getMs === undefined) return { name: `${name} FAILED: ${f.getError ?? ''}`, value: Number.POSITIVE_INFINITY, unit: 'ms', goal: '< 1000' };
  return { name, value: f.getMs, unit: 'ms', goal: '< 1000' };
}

export async function run(): Promise<{ name: string; value: number; unit: string; goal: string | number }[]> {
  const text = policies(N);
  const out: { name: string; value: number; unit: string; goal: string | number }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tabby-bench-calicoctl-'));
  try {
    const ds = await openSqliteDatastore(join(dir, 'tabby.db'));
    const f = await measure(ds, text);
    await ds.close();
    out.push({ name: 'calicoctl apply -f, 10,000 GNPs (embedded)', value: f.applyPerSec, unit: 'policies/s', goal: '>= 2000' });
    out.push(_get('embedded', f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (etcdSkipReason() === undefined) {
    const cluster = await startEtcd();
    try {
      const ds = await openEtcdDatastore({ endpoints: cluster.endpoints });
      const f = await measure(ds, text);
      await ds.close();
      out.push({ name: 'calicoctl apply -f, 10,000 GNPs (etcd)', value: f.applyPerSec, unit: 'policies/s', goal: '>= 1000' });
      out.push(_get('etcd', f));
    } finally {
      await cluster.stop();
    }
  }
  return out;
}
