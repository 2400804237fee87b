/**
 * Child process for the SQLite cross-process tests: opens the datastore file given as argv[2]
 * and runs the script in argv[3] (a JSON array of steps), printing `ok <step> <resourceVersion>`
 * after each acknowledged write. Exits 0 when done.
 */
import { openSqliteDatastore } from '../sqlite-datastore.js';
import type { StoredObject } from '../../datastore.js';

type Step =
  | { readonly op: 'create'; readonly name: string; readonly labels?: Record<string, string> }
  | { readonly op: 'update'; readonly name: string; readonly labels: Record<string, string> }
  | { readonly op: 'delete'; readonly name: string }
  | { readonly op: 'createMany'; readonly prefix: string; readonly count: number };

const TYPE = { group: 'projectcalico.org', plural: 'globalnetworksets' };
const obj = (name: string, labels: Record<string, string> = {}): StoredObject & { spec: unknown } => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkSet',
  metadata: { name, labels },
  spec: { nets: ['10.0.0.0/8'] },
});

async function main(): Promise<void> {
  const [path, script] = process.argv.slice(2);
  if (path === undefined || script === undefined) throw new Error('usage: writer.ts <db> <steps-json>');
  const steps = JSON.parse(script) as Step[];
  const ds = await openSqliteDatastore(path);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    for (const s of steps) {
      switch (s.op) {
        case 'create':
          say(`ok ${s.name} ${(await ds.create(TYPE, obj(s.name, s.labels))).metadata.resourceVersion ?? ''}`);
          break;
        case 'update': {
          const cur = await ds.get({ ...TYPE, namespace: '', name: s.name });
          const next = { ...cur, metadata: { ...cur.metadata, labels: s.labels } };
          say(`ok ${s.name} ${(await ds.update(TYPE, next)).metadata.resourceVersion ?? ''}`);
          break;
        }
        case 'delete':
          say(`ok ${s.name} ${(await ds.delete({ ...TYPE, namespace: '', name: s.name })).metadata.resourceVersion ?? ''}`);
          break;
        case 'createMany':
          for (let i = 0; i < s.count; i++) {
            const name = `${s.prefix}${i}`;
            say(`ok ${name} ${(await ds.create(TYPE, obj(name))).metadata.resourceVersion ?? ''}`);
          }
          break;
      }
    }
  } finally {
    await ds.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
