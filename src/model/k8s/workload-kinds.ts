/**
 * @module Registry rows for the workload kinds: apps/v1 Deployment and ReplicaSet,
 * discovery.k8s.io/v1 EndpointSlice, core/v1 Event, events.k8s.io/v1 Event, and the
 * authorization.k8s.io/v1 SelfSubjectAccessReview (answered, never stored).
 */
import { defineKind, type KindInfo } from '../kind-info.js';
import { SELF_SUBJECT_ACCESS_REVIEW_KIND } from './authorization.js';
import {
  daemonSetDecoder,
  defaultDaemonSet,
  defaultDeployment,
  defaultReplicaSet,
  deploymentDecoder,
  replicaSetDecoder,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  type DaemonSet,
  type Deployment,
  type ReplicaSet,
} from './apps.js';
import { defaultSecret, secretDecoder, validateSecret, type Secret } from './secret.js';
import {
  coreEventDecoder,
  endpointSliceDecoder,
  eventsV1EventDecoder,
  validateCoreEvent,
  validateEndpointSlice,
  validateEventsV1Event,
  type CoreEvent,
  type EndpointSlice,
  type EventsV1Event,
} from './events.js';

export const DEPLOYMENT_KIND = defineKind<Deployment>({
  kind: 'Deployment',
  group: 'apps',
  version: 'v1',
  plural: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  namespaced: true,
  decode: deploymentDecoder,
  applyDefaults: defaultDeployment,
  validate: validateDeployment,
});

export const REPLICA_SET_KIND = defineKind<ReplicaSet>({
  kind: 'ReplicaSet',
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  singular: 'replicaset',
  shortNames: ['rs'],
  namespaced: true,
  decode: replicaSetDecoder,
  applyDefaults: defaultReplicaSet,
  validate: validateReplicaSet,
});

export const ENDPOINT_SLICE_KIND = defineKind<EndpointSlice>({
  kind: 'EndpointSlice',
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  singular: 'endpointslice',
  shortNames: [],
  namespaced: true,
  decode: endpointSliceDecoder,
  applyDefaults: (s) => s,
  validate: validateEndpointSlice,
});

export const CORE_EVENT_KIND = defineKind<CoreEvent>({
  kind: 'Event',
  group: '',
  version: 'v1',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  decode: coreEventDecoder,
  applyDefaults: (e) => e,
  validate: validateCoreEvent,
});

export const EVENTS_V1_EVENT_KIND = defineKind<EventsV1Event>({
  kind: 'Event',
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  decode: eventsV1EventDecoder,
  applyDefaults: (e) => e,
  validate: validateEventsV1Event,
});

/** Why Tabby validates DaemonSets and Secrets but keeps none (KindInfo.dryRunOnly). */
const DRY_RUN_ONLY = (what: string): string =>
  `Tabby checks ${what} for --dry-run=server only and never stores or runs them (it schedules no pods and keeps no secrets): apply this manifest to the Kubernetes cluster that runs your nodes (docs/deploy.md)`;

export const DAEMON_SET_KIND = defineKind<DaemonSet>({
  kind: 'DaemonSet',
  group: 'apps',
  version: 'v1',
  plural: 'daemonsets',
  singular: 'daemonset',
  shortNames: ['ds'],
  namespaced: true,
  decode: daemonSetDecoder,
  applyDefaults: defaultDaemonSet,
  validate: validateDaemonSet,
  neverStored: true,
  dryRunOnly: DRY_RUN_ONLY('apps/v1 DaemonSets'),
});

export const SECRET_KIND = defineKind<Secret>({
  kind: 'Secret',
  group: '',
  version: 'v1',
  plural: 'secrets',
  singular: 'secret',
  shortNames: [],
  namespaced: true,
  decode: secretDecoder,
  applyDefaults: defaultSecret,
  validate: validateSecret,
  neverStored: true,
  dryRunOnly: DRY_RUN_ONLY('v1 Secrets'),
});

export const WORKLOAD_KINDS: readonly KindInfo[] = [
  DEPLOYMENT_KIND,
  REPLICA_SET_KIND,
  DAEMON_SET_KIND,
  ENDPOINT_SLICE_KIND,
  CORE_EVENT_KIND,
  EVENTS_V1_EVENT_KIND,
  SELF_SUBJECT_ACCESS_REVIEW_KIND,
  SECRET_KIND,
];
