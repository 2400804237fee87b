/**
 * @module Which lists of the built-in kinds are merged by key rather than replaced whole:
 * the `patchMergeKey` of the Kubernetes Go types, for strategic merge patch and server-side
 * apply. Lists not named here are atomic (a patch or an apply replaces them), which is also
 * what Kubernetes does for every list of a Calico (custom resource) kind. Pure.
 *
 * Paths are dotted field names with `[]` for "every item": `spec.containers[].ports`.
 */

const ALL_KINDS_KEYS: Readonly<Record<string, string>> = { 'metadata.ownerReferences': 'uid' };

const CONTAINER_KEYS = (p: string): Record<string, string> => ({
  [p]: 'name',
  [`${p}[].ports`]: 'containerPort',
  [`${p}[].env`]: 'name',
  [`${p}[].volumeMounts`]: 'mountPath',
});

const LIST_KEYS: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map([
  [
    '/Pod',
    {
      ...CONTAINER_KEYS('spec.containers'),
      ...CONTAINER_KEYS('spec.initContainers'),
      'spec.volumes': 'name',
      'spec.imagePullSecrets': 'name',
      'status.conditions': 'type',
      'status.podIPs': 'ip',
    },
  ],
  ['/Service', { 'spec.ports': 'port' }],
  ['/Node', { 'status.addresses': 'type', 'status.conditions': 'type' }],
  ['/ServiceAccount', { secrets: 'name' }],
]);

/** The merge key of the list at `pattern` in objects of this kind, if it is merged by key. */
export function listMergeKey(group: string, kind: string, pattern: string): string | undefined {
  return LIST_KEYS.get(`${group}/${kind}`)?.[pattern] ?? ALL_KINDS_KEYS[pattern];
}

/** Whether strategic merge patch is offered for this kind (the built-in groups, not Calico's). */
export function supportsStrategicMerge(group: string): boolean {
  return group === '' || group.endsWith('.k8s.io');
}
