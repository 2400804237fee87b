/**
 * @module WorkloadEndpoint (projectcalico.org/v3, namespaced; libcalico-go's internal API):
 * decode, default, validate.
 *
 * Invariants checked (libcalico-go validateWorkloadEndpointSpec, validateIPNAT,
 * validateWorkloadEndpointPort): `interfaceName` is required; `ipNetworks` are single addresses
 * (/32, /128); each NAT's internal IP is one of those addresses and has the same IP version as
 * its external IP; gateways match their family; a port needs a name unless it maps a host port.
 *
 * Like Calico's client, defaulting names the endpoint from its identifiers when no name is given
 * (`<node>-<orchestrator>-<workload|pod|containerID>-<endpoint>`, dashes doubled) and sets the
 * `projectcalico.org/namespace` and `projectcalico.org/orchestrator` labels; a given name must
 * equal the computed one.
 */
import { FieldPath } from '../field/path.js';
import { invalid, required, type FieldError } from '../field/errors.js';
import { arr, int, intOrStr, obj, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { cidrContains, isMasked, parseCidrOrIp, parseIp, type Cidr } from '../../lib/net.js';
import {
  goIpVersion,
  interfaceNameErrors,
  ipErrors,
  isValidPortName,
  nameRefErrors,
  portNumberErrors,
  portProtocolErrors,
} from './host-endpoint.js';
import { cidrOrIpErrors } from './network-set.js';
import type { Result } from '../../lib/result.js';
import type { IPNAT, QoSControls, WorkloadEndpoint, WorkloadEndpointPort, WorkloadEndpointSpec } from './other-types.js';

// ---------------------------------------------------------------------------------------------
// Shared field checks

/** Go net.ParseMAC: EUI-48, EUI-64 or 20-octet IPoIB, as `aa:bb:..`, `aa-bb-..` or `aabb.ccdd...`. */
export function isValidMac(s: string): boolean {
  const okLen = (n: number): boolean => n === 6 || n === 8 || n === 20;
  if (s.length < 14) return false;
  const sep = s[2];
  if (sep === ':' || sep === '-') {
    const groups = s.split(sep);
    return okLen(groups.length) && groups.every((g) => /^[0-9a-fA-F]{2}$/.test(g));
  }
  if (s[4] === '.') {
    const groups = s.split('.');
    return okLen(groups.length * 2) && groups.every((g) => /^[0-9a-fA-F]{4}$/.test(g));
  }
  return false;
}

export function macErrors(v: string, path: FieldPath): FieldError[] {
  return isValidMac(v) ? [] : [invalid(path, v, 'must be a valid MAC address (for example `aa:bb:cc:dd:ee:ff`)')];
}

/** A strictly masked network or a bare IP (Calico's `net` validator): `10.0.0.0/8` yes, `10.0.0.1/8` no. */
export function strictNetErrors(v: string, path: FieldPath): FieldError[] {
  const c = parseCidrOrIp(v);
  if (!c) return [invalid(path, v, 'must be a valid IP address or CIDR')];
  if (!isMasked(c)) return [invalid(path, v, 'must be a strictly masked network (no host bits set) or a single IP address')];
  return [];
}

const CONTAINER_ID = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

// ---------------------------------------------------------------------------------------------
// IPNAT

export const ipnatDecoder: Decoder<IPNAT> = obj({ internalIP: str, externalIP: str, source: str });

export function validateIPNAT(n: IPNAT, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const int4 = n.internalIP ?? '';
  const ext = n.externalIP ?? '';
  if (int4 === '') errs.push(required(path.child('internalIP'), 'a NAT mapping needs an `internalIP`'));
  else errs.push(...ipErrors(int4, path.child('internalIP')));
  if (ext === '') errs.push(required(path.child('externalIP'), 'a NAT mapping needs an `externalIP`'));
  else errs.push(...ipErrors(ext, path.child('externalIP')));
  const vi = goIpVersion(int4);
  const ve = goIpVersion(ext);
  if (vi !== undefined && ve !== undefined && vi !== ve)
    errs.push(invalid(path.child('externalIP'), ext, `must be the same IP version as \`internalIP\` (IPv${vi})`));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// WorkloadEndpointPort

export const workloadEndpointPortDecoder: Decoder<WorkloadEndpointPort> = obj({
  name: str,
  protocol: intOrStr,
  port: int,
  hostPort: int,
  hostIP: str,
});

export function validateWorkloadEndpointPort(p: WorkloadEndpointPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = p.name ?? '';
  const hostPort = p.hostPort ?? 0;
  if (name === '' && hostPort === 0)
    errs.push(required(path.child('name'), 'a port must have a `name` unless it maps a `hostPort`'));
  if (name !== '') errs.push(...isValidPortName(name).map((m) => invalid(path.child('name'), name, m)));
  errs.push(...portProtocolErrors(p.protocol, path.child('protocol')));
  errs.push(...portNumberErrors(p.port, path.child('port')));
  if (hostPort < 0 || hostPort > 65535)
    errs.push(invalid(path.child('hostPort'), hostPort, 'must be between 0 and 65535, inclusive'));
  if ((p.hostIP ?? '') !== '') errs.push(...strictNetErrors(p.hostIP ?? '', path.child('hostIP')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// QoSControls (ranges from the API field documentation)

export const qosControlsDecoder: Decoder<QoSControls> = obj({
  ingressBandwidth: int,
  ingressBurst: int,
  ingressPeakrate: int,
  ingressMinburst: int,
  egressBandwidth: int,
  egressBurst: int,
  egressPeakrate: int,
  egressMinburst: int,
  ingressPacketRate: int,
  ingressPacketBurst: int,
  egressPacketRate: int,
  egressPacketBurst: int,
  ingressMaxConnections: int,
  egressMaxConnections: int,
  dscp: intOrStr,
});

/** [min, max] for each non-zero QoS value; 0 means "not limited" (or "defaulted" for bursts). */
const QOS_RANGES: Readonly<Record<Exclude<keyof QoSControls, 'dscp'>, readonly [number, number]>> = {
  ingressBandwidth: [1000, 1e15],
  egressBandwidth: [1000, 1e15],
  ingressBurst: [1000, 34359738360],
  egressBurst: [1000, 34359738360],
  ingressPeakrate: [1010, 1.01e15],
  egressPeakrate: [1010, 1.01e15],
  ingressMinburst: [1000, 1e8],
  egressMinburst: [1000, 1e8],
  ingressPacketRate: [1, 1e4],
  egressPacketRate: [1, 1e4],
  ingressPacketBurst: [1, 1e4],
  egressPacketBurst: [1, 1e4],
  ingressMaxConnections: [1, 4294967295],
  egressMaxConnections: [1, 4294967295],
};

const DSCP_NAMES = ['DF', 'EF', 'AF11', 'AF12', 'AF13', 'AF21', 'AF22', 'AF23', 'AF31', 'AF32', 'AF33', 'AF41', 'AF42', 'AF43', 'CS0', 'CS1', 'CS2', 'CS3', 'CS4', 'CS5', 'CS6'];

export function validateQoSControls(q: QoSControls, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, [min, max]] of Object.entries(QOS_RANGES)) {
    const v = q[k as keyof typeof QOS_RANGES];
    if (v !== undefined && v !== 0 && (v < min || v > max))
      errs.push(invalid(path.child(k), v, `must be 0 or between ${min} and ${max}, inclusive`));
  }
  if (q.dscp !== undefined) {
    const d = q.dscp;
    const ok = typeof d === 'number' ? d >= 0 && d <= 63 : DSCP_NAMES.includes(d) || (/^\d+$/.test(d) && Number(d) <= 63);
    if (!ok) errs.push(invalid(path.child('dscp'), d, 'must be a DSCP value between 0 and 63 or a name such as `AF11` or `EF`'));
  }
  if (q.ingressMinburst && !q.ingressPeakrate)
    errs.push(invalid(path.child('ingressMinburst'), q.ingressMinburst, 'must be 0 when `ingressPeakrate` is 0'));
  if (q.egressMinburst && !q.egressPeakrate)
    errs.push(invalid(path.child('egressMinburst'), q.egressMinburst, 'must be 0 when `egressPeakrate` is 0'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// WorkloadEndpointSpec

export const workloadEndpointSpecDecoder: Decoder<WorkloadEndpointSpec> = obj({
  orchestrator: str,
  workload: str,
  node: str,
  containerID: str,
  pod: str,
  endpoint: str,
  serviceAccountName: str,
  ipNetworks: arr(str),
  ipNATs: arr(ipnatDecoder),
  ipv4Gateway: str,
  ipv6Gateway: str,
  profiles: arr(str),
  interfaceName: str,
  mac: str,
  ports: arr(workloadEndpointPortDecoder),
  allowSpoofedSourcePrefixes: arr(str),
  qosControls: qosControlsDecoder,
});

const NAME_FIELDS = ['orchestrator', 'workload', 'node', 'pod', 'endpoint', 'serviceAccountName'] as const;

export function validateWorkloadEndpointSpec(spec: WorkloadEndpointSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of NAME_FIELDS) {
    const v = spec[f];
    if (v !== undefined && v !== '') errs.push(...nameRefErrors(v, path.child(f)));
  }
  const cid = spec.containerID ?? '';
  if (cid !== '' && !CONTAINER_ID.test(cid))
    errs.push(
      invalid(path.child('containerID'), cid, "must consist of alphanumeric characters or '-', and must start and end with an alphanumeric character"),
    );

  const iface = spec.interfaceName ?? '';
  if (iface === '') errs.push(required(path.child('interfaceName'), 'a workload endpoint must specify its host-side `interfaceName`'));
  else errs.push(...interfaceNameErrors(iface, path.child('interfaceName')));

  const nets: Cidr[] = [];
  (spec.ipNetworks ?? []).forEach((n, i) => {
    const p = path.child('ipNetworks').index(i);
    const c = parseCidrOrIp(n);
    if (!c) errs.push(invalid(p, n, 'must be a valid IP address or CIDR'));
    else if (c.prefix !== (c.family === 4 ? 32 : 128))
      errs.push(invalid(p, n, 'must be a single address: only /32 (IPv4) and /128 (IPv6) networks are supported'));
    else nets.push(c);
  });

  (spec.ipNATs ?? []).forEach((nat, i) => {
    const p = path.child('ipNATs').index(i);
    errs.push(...validateIPNAT(nat, p));
    const ip = parseIp(nat.internalIP ?? '');
    if (ip && !nets.some((c) => cidrContains(c, ip)))
      errs.push(invalid(p.child('internalIP'), nat.internalIP, "must be one of the endpoint's `ipNetworks`"));
  });

  if ((spec.ipv4Gateway ?? '') !== '') errs.push(...ipErrors(spec.ipv4Gateway ?? '', path.child('ipv4Gateway'), 4));
  if ((spec.ipv6Gateway ?? '') !== '') errs.push(...ipErrors(spec.ipv6Gateway ?? '', path.child('ipv6Gateway'), 6));
  (spec.profiles ?? []).forEach((pr, i) => errs.push(...nameRefErrors(pr, path.child('profiles').index(i))));
  if ((spec.mac ?? '') !== '') errs.push(...macErrors(spec.mac ?? '', path.child('mac')));
  (spec.ports ?? []).forEach((pt, i) => errs.push(...validateWorkloadEndpointPort(pt, path.child('ports').index(i))));
  (spec.allowSpoofedSourcePrefixes ?? []).forEach((c, i) =>
    errs.push(...cidrOrIpErrors(c, path.child('allowSpoofedSourcePrefixes').index(i))),
  );
  if (spec.qosControls) errs.push(...validateQoSControls(spec.qosControls, path.child('qosControls')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Names and labels (libcalico-go names.CalculateWorkloadEndpointName, clientv3 workloadEndpoints)

export const LABEL_NAMESPACE = 'projectcalico.org/namespace';
export const LABEL_ORCHESTRATOR = 'projectcalico.org/orchestrator';

type IdField = 'node' | 'orchestrator' | 'pod' | 'containerID' | 'workload' | 'endpoint';

/** The identifier fields that make up a workload endpoint's name, by orchestrator. */
function _nameSegments(orchestrator: string): readonly IdField[] {
  switch (orchestrator) {
    case 'k8s':
      return ['node', 'orchestrator', 'pod', 'endpoint'];
    case 'cni':
      return ['node', 'orchestrator', 'containerID', 'endpoint'];
    case 'libnetwork':
      return ['node', 'orchestrator', 'orchestrator', 'endpoint'];
    default:
      return ['node', 'orchestrator', 'workload', 'endpoint'];
  }
}

/**
 * The one name Calico allows for a workload endpoint: its identifiers joined with `-`, each with
 * its own dashes doubled: `<node>-k8s-<pod>-<endpoint>` (k8s), `<node>-cni-<containerID>-<endpoint>`,
 * `<node>-libnetwork-libnetwork-<endpoint>`, otherwise `<node>-<orchestrator>-<workload>-<endpoint>`.
 * Errors (at `specPath`) when an identifier is missing or starts or ends with `-`.
 */
export function workloadEndpointName(spec: WorkloadEndpointSpec, specPath: FieldPath): Result<string, FieldError[]> {
  if ((spec.node ?? '') === '') return { ok: false, error: [required(specPath.child('node'), 'a workload endpoint must name its `node`')] };
  const errs: FieldError[] = [];
  const parts: string[] = [];
  for (const f of _nameSegments(spec.orchestrator ?? '')) {
    const v = spec[f] ?? '';
    if (v === '') errs.push(required(specPath.child(f), 'needed to build the workload endpoint name'));
    else if (v.startsWith('-') || v.endsWith('-')) errs.push(invalid(specPath.child(f), v, "must not begin or end with a '-'"));
    else parts.push(v.replace(/-/g, '--'));
  }
  return errs.length > 0 ? { ok: false, error: [...new Map(errs.map((e) => [e.path + e.type, e])).values()] } : { ok: true, value: parts.join('-') };
}

/** Client-side defaulting: assigns the computed name when none is given and sets the namespace and orchestrator labels. */
export function defaultWorkloadEndpoint(o: WorkloadEndpoint): WorkloadEndpoint {
  const spec = o.spec ?? {};
  const meta = o.metadata ?? {};
  const labels: Record<string, string> = { ...(meta.labels ?? {}) };
  if ((meta.namespace ?? '') !== '') labels[LABEL_NAMESPACE] = meta.namespace ?? '';
  if ((spec.orchestrator ?? '') !== '') labels[LABEL_ORCHESTRATOR] = spec.orchestrator ?? '';
  let name = meta.name ?? '';
  if (name === '') {
    const computed = workloadEndpointName(spec, FieldPath.root('spec'));
    if (computed.ok) name = computed.value;
  }
  const metadata = { ...meta, ...(name === '' ? {} : { name }), ...(Object.keys(labels).length > 0 ? { labels } : {}) };
  return { ...o, metadata };
}

function _validateWorkloadEndpoint(o: WorkloadEndpoint, path: FieldPath): FieldError[] {
  const specPath = path.child('spec');
  const errs = validateWorkloadEndpointSpec(o.spec ?? {}, specPath);
  const expected = workloadEndpointName(o.spec ?? {}, specPath);
  const name = o.metadata?.name ?? '';
  if (!expected.ok) errs.push(...expected.error.filter((e) => !errs.some((x) => x.path === e.path)));
  else if (name !== '' && name !== expected.value)
    errs.push(
      invalid(path.child('metadata').child('name'), name, `the WorkloadEndpoint name does not match the primary identifiers assigned in the spec: expected name ${expected.value}`),
    );
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Registry rows

export const workloadEndpointKind: KindInfo = defineKind<WorkloadEndpoint>({
  kind: 'WorkloadEndpoint',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'workloadendpoints',
  singular: 'workloadendpoint',
  shortNames: ['wep', 'weps'],
  namespaced: true,
  decode: resourceDecoder({ spec: workloadEndpointSpecDecoder }) as Decoder<WorkloadEndpoint>,
  applyDefaults: defaultWorkloadEndpoint,
  validate: _validateWorkloadEndpoint,
});

export const WORKLOAD_ENDPOINT_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<WorkloadEndpointSpec>({
    name: 'WorkloadEndpointSpec',
    decode: workloadEndpointSpecDecoder,
    validate: validateWorkloadEndpointSpec,
  }),
  defineFragment<WorkloadEndpointPort>({
    name: 'WorkloadEndpointPort',
    decode: workloadEndpointPortDecoder,
    validate: validateWorkloadEndpointPort,
  }),
  defineFragment<IPNAT>({ name: 'IPNAT', decode: ipnatDecoder, validate: validateIPNAT }),
];
