/** @module The `none` profile: a bare cluster, workers with no provider resources. */
import { workerAddresses, type ClusterProfile, type WorkerSpec } from '../profile.js';

const WORKER_NAMES = 'worker-{i}';

function workers(count: number): WorkerSpec[] {
  const out: WorkerSpec[] = [];
  for (let i = 1; i <= count; i++) out.push({ name: WORKER_NAMES.replace('{i}', String(i)), ...workerAddresses(i), labels: {} });
  return out;
}

export const noProfile: ClusterProfile = {
  name: 'none',
  description: 'a bare cluster: workers only, no provider resources',
  interfaces: { InternalIP: 'eth0', ExternalIP: 'eth1' },
  workers,
  workerNames: WORKER_NAMES,
  workerLabels: {},
  resources: () => [],
};
