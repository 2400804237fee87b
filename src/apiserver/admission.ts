/**
 * @module Mutations the API server applies to objects of some kinds before storing them (a
 * registry, as Kubernetes' admission plugins are): namespaces carry the immutable
 * `kubernetes.io/metadata.name` label and report phase Active; a pod without a phase is `Pending`
 * (kube-apiserver's pod strategy sets it on create; the lab, as a kubelet would, sets `Running`
 * once it runs the pod). Pure.
 */
import { isObject, type Json } from '../lib/json-patch.js';

type JsonObject = { [k: string]: Json };
type Mutator = (obj: JsonObject) => JsonObject;

const _namespace: Mutator = (obj) => {
  const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
  const labels = isObject(meta['labels']) ? meta['labels'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const status = isObject(obj['status']) ? obj['status'] : {};
  return {
    ...obj,
    metadata: { ...meta, labels: { ...labels, 'kubernetes.io/metadata.name': name } },
    status: { ...status, phase: typeof status['phase'] === 'string' ? status['phase'] : 'Active' },
  };
};

const _pod: Mutator = (obj) => {
  const status = isObject(obj['status']) ? obj['status'] : {};
  return typeof status['phase'] === 'string' && status['phase'] !== '' ? obj : { ...obj, status: { ...status, phase: 'Pending' } };
};

const MUTATORS: ReadonlyMap<string, Mutator> = new Map([
  ['/Namespace', _namespace],
  ['/Pod', _pod],
]);

export function admit(group: string, kind: string, obj: JsonObject): JsonObject {
  const m = MUTATORS.get(`${group}/${kind}`);
  return m === undefined ? obj : m(obj);
}
