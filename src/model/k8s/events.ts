/**
 * @module core/v1 Event, events.k8s.io/v1 Event and discovery.k8s.io/v1 EndpointSlice: types,
 * decoders and the validation kube-apiserver applies (pkg/apis/core/validation/events.go,
 * pkg/apis/discovery/validation). Pure.
 *
 * The two Event APIs are stored apart here (kube-apiserver keeps one storage behind both):
 * Tabby's controllers write core/v1 Events, which is what `kubectl get events` and
 * `kubectl events` read.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, notSupported, required, tooLong, tooMany, type FieldError } from '../field/errors.js';
import { anyValue, arr, bool, int, obj, str, type Decoder } from '../decode/index.js';
import type { ObjectMeta } from '../meta.js';
import { parseIp } from '../../lib/net.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../validate/names.js';
import { typedResource } from './decode.js';
import { SUPPORTED_PROTOCOLS, isValidPortNum } from './validate-network-policy.js';

// ---------------------------------------------------------------- types

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface CoreEvent {
  apiVersion: string;
  kind: 'Event';
  metadata?: ObjectMeta;
  involvedObject?: ObjectReference;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  type?: string;
  eventTime?: string;
  action?: string;
  reportingComponent?: string;
  reportingInstance?: string;
}

export interface EventsV1Event {
  apiVersion: string;
  kind: 'Event';
  metadata?: ObjectMeta;
  eventTime?: string;
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  regarding?: ObjectReference;
  related?: ObjectReference;
  note?: string;
  type?: string;
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses?: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
}

export interface EndpointPort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice {
  apiVersion: string;
  kind: 'EndpointSlice';
  metadata?: ObjectMeta;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN' | string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

// ---------------------------------------------------------------- decoders

export const objectReferenceDecoder: Decoder<ObjectReference> = obj({
  kind: str,
  namespace: str,
  name: str,
  uid: str,
  apiVersion: str,
  resourceVersion: str,
  fieldPath: str,
});

const seriesDecoder = obj({ count: int, lastObservedTime: str }, { open: true });

export const coreEventDecoder: Decoder<CoreEvent> = typedResource('Event', {
  involvedObject: objectReferenceDecoder,
  reason: str,
  message: str,
  source: obj({ component: str, host: str }),
  firstTimestamp: str,
  lastTimestamp: str,
  count: int,
  type: str,
  eventTime: str,
  series: seriesDecoder,
  action: str,
  related: objectReferenceDecoder,
  reportingComponent: str,
  reportingInstance: str,
});

export const eventsV1EventDecoder: Decoder<EventsV1Event> = typedResource('Event', {
  eventTime: str,
  series: seriesDecoder,
  reportingController: str,
  reportingInstance: str,
  action: str,
  reason: str,
  regarding: objectReferenceDecoder,
  related: objectReferenceDecoder,
  note: str,
  type: str,
  deprecatedSource: obj({ component: str, host: str }),
  deprecatedFirstTimestamp: str,
  deprecatedLastTimestamp: str,
  deprecatedCount: int,
});

export const endpointSliceDecoder: Decoder<EndpointSlice> = typedResource('EndpointSlice', {
  addressType: str,
  endpoints: arr(
    obj({
      addresses: arr(str),
      conditions: obj({ ready: bool, serving: bool, terminating: bool }),
      hostname: str,
      targetRef: objectReferenceDecoder,
      deprecatedTopology: anyValue,
      nodeName: str,
      zone: str,
      hints: anyValue,
    }),
  ),
  ports: arr(obj({ name: str, protocol: str, port: int, appProtocol: str })),
});

// ---------------------------------------------------------------- validation

const EVENT_TYPES = ['Normal', 'Warning'] as const;
const NOTE_MAX = 1024;
const FIELD_MAX = 128;

function _len(v: string | undefined, max: number, path: FieldPath): FieldError[] {
  return v !== undefined && v.length > max ? [tooLong(path, v, max)] : [];
}

/** legacyValidateEvent (core/v1): the involved object lives in the event's namespace. */
export function validateCoreEvent(e: CoreEvent, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata?.namespace ?? '';
  const ion = e.involvedObject?.namespace ?? '';
  if (ion !== '' && ns !== '' && ion !== ns) errs.push(invalid(path.child('involvedObject').child('namespace'), ion, 'does not match event.namespace'));
  if (e.type !== undefined && e.type !== '' && !(EVENT_TYPES as readonly string[]).includes(e.type)) errs.push(notSupported(path.child('type'), e.type, EVENT_TYPES));
  errs.push(..._len(e.reason, FIELD_MAX, path.child('reason')), ..._len(e.action, FIELD_MAX, path.child('action')));
  return errs;
}

/** ValidateEventCreate for events.k8s.io/v1: the reporting fields are required. */
export function validateEventsV1Event(e: EventsV1Event, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (e.eventTime === undefined || e.eventTime === '') errs.push(required(path.child('eventTime')));
  if (e.reportingController === undefined || e.reportingController === '') errs.push(required(path.child('reportingController')));
  else for (const m of isQualifiedName(e.reportingController)) errs.push(invalid(path.child('reportingController'), e.reportingController, m));
  if (e.reportingInstance === undefined || e.reportingInstance === '') errs.push(required(path.child('reportingInstance')));
  else errs.push(..._len(e.reportingInstance, FIELD_MAX, path.child('reportingInstance')));
  if (e.action === undefined || e.action === '') errs.push(required(path.child('action')));
  else errs.push(..._len(e.action, FIELD_MAX, path.child('action')));
  if (e.reason === undefined || e.reason === '') errs.push(required(path.child('reason')));
  else errs.push(..._len(e.reason, FIELD_MAX, path.child('reason')));
  if (e.type === undefined || !(EVENT_TYPES as readonly string[]).includes(e.type)) errs.push(notSupported(path.child('type'), e.type ?? '', EVENT_TYPES));
  errs.push(..._len(e.note, NOTE_MAX, path.child('note')));
  const ns = e.metadata?.namespace ?? '';
  const rn = e.regarding?.namespace ?? '';
  if (rn !== '' && ns !== '' && rn !== ns) errs.push(invalid(path.child('regarding').child('namespace'), rn, 'does not match event.namespace'));
  return errs;
}

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 20000;
const MAX_ADDRESSES = 100;

export function validateEndpointSlice(s: EndpointSlice, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const at = s.addressType;
  if (at === undefined || at === '') errs.push(required(path.child('addressType')));
  else if (!(ADDRESS_TYPES as readonly string[]).includes(at)) errs.push(notSupported(path.child('addressType'), at, ADDRESS_TYPES));
  const eps = s.endpoints ?? [];
  if (eps.length > MAX_ENDPOINTS) errs.push(tooMany(path.child('endpoints'), eps.length, MAX_ENDPOINTS));
  eps.forEach((ep, i) => {
    const p = path.child('endpoints').index(i);
    const addrs = ep.addresses ?? [];
    if (addrs.length === 0) errs.push(required(p.child('addresses'), 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(p.child('addresses'), addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => {
      const ap = p.child('addresses').index(j);
      const ip = parseIp(a);
      if (at === 'IPv4' && (ip === undefined || ip.family !== 4)) errs.push(invalid(ap, a, 'must be a valid IPv4 address'));
      else if (at === 'IPv6' && (ip === undefined || ip.family !== 6)) errs.push(invalid(ap, a, 'must be a valid IPv6 address'));
      else if (at === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push(invalid(ap, a, m));
    });
    if (ep.hostname !== undefined) for (const m of isDNS1123Label(ep.hostname)) errs.push(invalid(p.child('hostname'), ep.hostname, m));
  });
  const ports = s.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(tooMany(path.child('ports'), ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.child('ports').index(i);
    const name = port.name ?? '';
    if (name !== '') for (const m of isDNS1123Label(name)) errs.push(invalid(p.child('name'), name, m));
    if (names.has(name)) errs.push(invalid(p.child('name'), name, 'Duplicate value'));
    names.add(name);
    if (port.protocol === undefined || port.protocol === '') errs.push(required(p.child('protocol')));
    else if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, SUPPORTED_PROTOCOLS));
    if (port.port !== undefined) for (const m of isValidPortNum(port.port)) errs.push(invalid(p.child('port'), port.port, m));
  });
  return errs;
}
