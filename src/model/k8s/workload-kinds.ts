/**
 * @module Registry rows for the workload kinds: apps/v1 Deployment and ReplicaSet,
 * discovery.k8s.io/v1 EndpointSlice, core/v1 Event, events.k8s.io/v1 Event, and the
 * authorization.k8s.io/v1 SelfSubjectAccessReview (answered, never stored).
 */
import { defineKind, type KindInfo } from '../kind-info.js';
import { SELF_SUBJECT_ACCESS_REVIEW_KIND } from './authorization.js';
import { defaultDeployment, defaultReplicaSet, deploymentDecoder, replicaSetDecoder, validateDeployment, validateReplicaSet, type Deployment, type ReplicaSet } from './apps.js';
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

export const WORKLOAD_KINDS: readonly KindInfo[] = [DEPLOYMENT_KIND, REPLICA_SET_KIND, ENDPOINT_SLICE_KIND, CORE_EVENT_KIND, EVENTS_V1_EVENT_KIND, SELF_SUBJECT_ACCESS_REVIEW_KIND];
