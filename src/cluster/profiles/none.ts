/** @module The `none` profile: a bare cluster, workers with no provider resources. */
import type { ClusterProfile, WorkerSpec } from '../profile.js';

const WORKER_NAMES = 'worker-{i}';

function workers(count: number): WorkerSpec[] {
  const out: WorkerSpec[] = [];
  for (let i = 1; i <= count; i++) out.push({ name: WORKER_NAMES.replace('{i}', String(i)), internalIP: `10.0.0.${10 + i}`, podCIDR: `10.244.${i}.0/24`, labels: {} });
  return out;
}

export const noProfile: ClusterProfile = {
  name: 'none',
  description: 'a bare cluster: workers only, no provider resources',
  interfaces: { InternalIP: 'eth0' },
  workers,
  workerNames: WORKER_NAMES,
  resources: () => [],
};
