/**
 * @module GlobalNetworkSet (cluster-scoped) and NetworkSet (namespaced): decode, default, validate.
 *
 * `spec.nets` are CIDRs or bare IPs and, unlike rule nets, need not be strictly masked
 * (`10.0.0.1/24` is accepted, as Calico's `cidr` validator does). The label
 * `projectcalico.org/namespace` is reserved: Calico adds it to namespaced endpoints itself.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, type FieldError } from '../field/errors.js';
import { arr, obj, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import type { ObjectMeta } from '../meta.js';
import { parseCidrOrIp } from '../../lib/net.js';
import type { GlobalNetworkSet, GlobalNetworkSetSpec, NetworkSet, NetworkSetSpec } from './other-types.js';

export const RESERVED_NAMESPACE_LABEL = 'projectcalico.org/namespace';

/** A CIDR or a bare IP, host bits allowed (Calico's `cidr` validator). */
export function cidrOrIpErrors(v: string, path: FieldPath): FieldError[] {
  return parseCidrOrIp(v) ? [] : [invalid(path, v, 'must be a valid IP address or CIDR (for example `10.0.0.0/8`)')];
}

export const networkSetSpecDecoder: Decoder<NetworkSetSpec> = obj({ nets: arr(str) });

export function validateNetworkSetSpec(spec: NetworkSetSpec, path: FieldPath): FieldError[] {
  return (spec.nets ?? []).flatMap((n, i) => cidrOrIpErrors(n, path.child('nets').index(i)));
}

function reservedLabelErrors(meta: ObjectMeta | undefined, path: FieldPath): FieldError[] {
  const labels = meta?.labels ?? {};
  return Object.keys(labels)
    .filter((k) => k === RESERVED_NAMESPACE_LABEL)
    .map((k) => invalid(path.child('metadata').child('labels'), k, `\`${RESERVED_NAMESPACE_LABEL}\` is a reserved label name`));
}

export const globalNetworkSetKind: KindInfo = defineKind<GlobalNetworkSet>({
  kind: 'GlobalNetworkSet',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'globalnetworksets',
  singular: 'globalnetworkset',
  shortNames: ['gnetsets'],
  namespaced: false,
  decode: resourceDecoder({ spec: networkSetSpecDecoder }) as Decoder<GlobalNetworkSet>,
  applyDefaults: (o) => o,
  validate: (o, path) => [
    ...reservedLabelErrors(o.metadata, path),
    ...validateNetworkSetSpec(o.spec ?? {}, path.child('spec')),
  ],
});

export const networkSetKind: KindInfo = defineKind<NetworkSet>({
  kind: 'NetworkSet',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'networksets',
  singular: 'networkset',
  shortNames: ['netsets'],
  namespaced: true,
  decode: resourceDecoder({ spec: networkSetSpecDecoder }) as Decoder<NetworkSet>,
  applyDefaults: (o) => o,
  validate: (o, path) => [
    ...reservedLabelErrors(o.metadata, path),
    ...validateNetworkSetSpec(o.spec ?? {}, path.child('spec')),
  ],
});

export const NETWORK_SET_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<NetworkSetSpec>({ name: 'NetworkSetSpec', decode: networkSetSpecDecoder, validate: validateNetworkSetSpec }),
  defineFragment<GlobalNetworkSetSpec>({
    name: 'GlobalNetworkSetSpec',
    decode: networkSetSpecDecoder,
    validate: validateNetworkSetSpec,
  }),
];
