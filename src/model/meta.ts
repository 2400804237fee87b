/**
 * @module ObjectMeta and TypeMeta: the parts every resource shares, decoded strictly.
 */
import { anyValue, arr, int, obj, record, str, type Decoder } from './decode/index.js';

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
  selfLink?: string;
}

export const objectMetaDecoder: Decoder<ObjectMeta> = obj({
  name: str,
  generateName: str,
  namespace: str,
  labels: record(str),
  annotations: record(str),
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int,
  finalizers: arr(str),
  ownerReferences: arr(anyValue),
  managedFields: arr(anyValue),
  selfLink: str,
});

/** Every decoded resource: TypeMeta + ObjectMeta + kind-specific fields. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
}

/** Identity of a stored resource. `namespace` is '' for cluster-scoped kinds. */
export interface ResourceKey {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}
