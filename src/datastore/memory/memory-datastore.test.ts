import { runDatastoreConformance } from '../conformance.js';
import { openMemoryDatastore } from './memory-datastore.js';

runDatastoreConformance('memory', async (opts) => {
  const ds = await openMemoryDatastore(opts);
  return { ds, compact: () => ds.compact(), cleanup: () => ds.close() };
});
