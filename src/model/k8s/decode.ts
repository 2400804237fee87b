/**
 * @module Strict decoders for the Kubernetes kinds Tabby reads. NetworkPolicy (and the staged
 * variant) is decoded strictly throughout. Pod, Service, Node, Namespace and ServiceAccount are
 * strict at the top level, in metadata and in every struct whose fields Tabby uses (container
 * ports, service ports, ...), and open elsewhere: real manifests carry image, resources,
 * tolerations and other fields Tabby has no use for.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, required, unknownField, type FieldError } from '../field/errors.js';
import {
  anyValue,
  arr,
  bool,
  int,
  intOrStr,
  isPlainObject,
  obj,
  record,
  str,
  type Decoded,
  type Decoder,
} from '../decode/index.js';
import { resourceDecoder } from '../kind-info.js';
import type { ObjectMeta } from '../meta.js';
import type {
  Container,
  ContainerPort,
  IPBlock,
  K8sNetworkPolicy,
  K8sNetworkPolicySpec,
  LabelSelector,
  LabelSelectorRequirement,
  LoadBalancerIngress,
  Namespace,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  Node,
  NodeAddress,
  Pod,
  PodSpec,
  PodStatus,
  Service,
  ServiceAccount,
  ServicePort,
  ServiceSpec,
  StagedKubernetesNetworkPolicy,
  StagedKubernetesNetworkPolicySpec,
} from './types.js';

/**
 * Wraps an object decoder so that the listed keys, when present, are reported as unknown fields
 * with a hand-written hint (the usual indentation mistakes) instead of the generic one.
 */
function _withHints<T>(d: Decoder<T>, hints: Readonly<Record<string, string>>): Decoder<T> {
  return (raw, path, errs) => {
    if (!isPlainObject(raw)) return d(raw, path, errs);
    const misplaced = Object.keys(raw).filter((k) => Object.prototype.hasOwnProperty.call(hints, k));
    if (misplaced.length === 0) return d(raw, path, errs);
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!misplaced.includes(k)) rest[k] = v;
    d(rest, path, errs);
    for (const k of misplaced) errs.push(_hinted(path.child(k), hints[k]!));
    return undefined;
  };
}

function _hinted(path: FieldPath, hint: string): FieldError {
  const detail = `unknown field; ${hint}`;
  return { ...unknownField(path), detail, message: `Unknown field: ${detail}` };
}

// ---------------------------------------------------------------- LabelSelector

export const labelSelectorRequirementDecoder: Decoder<LabelSelectorRequirement> = obj({
  key: str,
  operator: str,
  values: arr(str),
});

export const labelSelectorDecoder: Decoder<LabelSelector> = obj({
  matchLabels: record(str),
  matchExpressions: arr(labelSelectorRequirementDecoder),
});

// ---------------------------------------------------------------- NetworkPolicy

const ipBlockDecoder: Decoder<IPBlock> = obj({ cidr: str, except: arr(str) });

function _peerDecoder(list: 'from' | 'to'): Decoder<NetworkPolicyPeer> {
  return _withHints(
    obj({ podSelector: labelSelectorDecoder, namespaceSelector: labelSelectorDecoder, ipBlock: ipBlockDecoder }),
    { ports: `\`ports\` belongs to the rule, not to a peer: indent it to the level of \`${list}\`` },
  );
}

export const networkPolicyPortDecoder: Decoder<NetworkPolicyPort> = obj({ protocol: str, port: intOrStr, endPort: int });

const ingressRuleDecoder: Decoder<NetworkPolicyIngressRule> = _withHints(
  obj({ ports: arr(networkPolicyPortDecoder), from: arr(_peerDecoder('from')) }),
  { to: 'ingress rules take `from`; `to` is for egress rules' },
);

const egressRuleDecoder: Decoder<NetworkPolicyEgressRule> = _withHints(
  obj({ ports: arr(networkPolicyPortDecoder), to: arr(_peerDecoder('to')) }),
  { from: 'egress rules take `to`; `from` is for ingress rules' },
);

const specFields = {
  podSelector: labelSelectorDecoder,
  ingress: arr(ingressRuleDecoder),
  egress: arr(egressRuleDecoder),
  policyTypes: arr(str),
};

export const k8sNetworkPolicySpecDecoder: Decoder<K8sNetworkPolicySpec> = obj(specFields);

export const stagedKubernetesNetworkPolicySpecDecoder: Decoder<StagedKubernetesNetworkPolicySpec> = obj({
  stagedAction: str,
  ...specFields,
});

// ---------------------------------------------------------------- whole resources

type ResourceShape<K extends string, F extends Record<string, Decoder<unknown>>> = Decoded<F> & {
  apiVersion: string;
  kind: K;
  metadata?: ObjectMeta;
};

/** `resourceDecoder` narrowed to one kind: `kind` must equal `kindName` and apiVersion is required. */
function _typedResource<const K extends string, F extends Record<string, Decoder<unknown>>>(
  kindName: K,
  fields: F,
): Decoder<ResourceShape<K, F>> {
  const d = resourceDecoder(fields);
  return (raw, path, errs) => {
    const v = d(raw, path, errs);
    if (v === undefined) return undefined;
    const apiVersion: unknown = v.apiVersion;
    if (typeof apiVersion !== 'string' || apiVersion === '') {
      errs.push(required(path.child('apiVersion'), 'apiVersion must be set'));
      return undefined;
    }
    if (v.kind !== kindName) {
      errs.push(invalid(path.child('kind'), v.kind ?? '', `must be "${kindName}"`));
      return undefined;
    }
    return { ...(v as Decoded<F> & { metadata?: ObjectMeta }), apiVersion, kind: kindName };
  };
}

export const k8sNetworkPolicyDecoder: Decoder<K8sNetworkPolicy> = _typedResource('NetworkPolicy', {
  spec: k8sNetworkPolicySpecDecoder,
});

export const stagedKubernetesNetworkPolicyDecoder: Decoder<StagedKubernetesNetworkPolicy> = _typedResource(
  'StagedKubernetesNetworkPolicy',
  { spec: stagedKubernetesNetworkPolicySpecDecoder },
);

export const namespaceDecoder: Decoder<Namespace> = _typedResource('Namespace', {
  spec: obj({ finalizers: arr(str) }),
  status: obj({ phase: str }, { open: true }),
});

const containerPortDecoder: Decoder<ContainerPort> = obj({
  name: str,
  containerPort: int,
  protocol: str,
  hostPort: int,
  hostIP: str,
});

const containerDecoder: Decoder<Container> = obj(
  { name: str, image: str, command: arr(str), args: arr(str), stdin: bool, tty: bool, ports: arr(containerPortDecoder) },
  { open: true },
);

export const podSpecDecoder: Decoder<PodSpec> = obj(
  {
    nodeName: str,
    hostNetwork: bool,
    serviceAccountName: str,
    containers: arr(containerDecoder),
    initContainers: arr(containerDecoder),
    restartPolicy: str,
  },
  { open: true },
);

const podStatusDecoder: Decoder<PodStatus> = obj(
  { phase: str, podIP: str, podIPs: arr(obj({ ip: str })) },
  { open: true },
);

export const podDecoder: Decoder<Pod> = _typedResource('Pod', { spec: podSpecDecoder, status: podStatusDecoder });

const nodeAddressDecoder: Decoder<NodeAddress> = obj({ type: str, address: str });

export const nodeDecoder: Decoder<Node> = _typedResource('Node', {
  spec: obj({ podCIDR: str, podCIDRs: arr(str) }, { open: true }),
  status: obj({ addresses: arr(nodeAddressDecoder) }, { open: true }),
});

const servicePortDecoder: Decoder<ServicePort> = obj({
  name: str,
  protocol: str,
  appProtocol: str,
  port: int,
  targetPort: intOrStr,
  nodePort: int,
});

const serviceSpecDecoder: Decoder<ServiceSpec> = obj(
  {
    type: str,
    clusterIP: str,
    clusterIPs: arr(str),
    ports: arr(servicePortDecoder),
    selector: record(str),
    externalName: str,
    externalTrafficPolicy: str,
    loadBalancerIP: str,
  },
  { open: true },
);

const loadBalancerIngressDecoder: Decoder<LoadBalancerIngress> = obj({ ip: str, hostname: str }, { open: true });

export const serviceDecoder: Decoder<Service> = _typedResource('Service', {
  spec: serviceSpecDecoder,
  status: obj({ loadBalancer: obj({ ingress: arr(loadBalancerIngressDecoder) }, { open: true }) }, { open: true }),
});

export const serviceAccountDecoder: Decoder<ServiceAccount> = _typedResource('ServiceAccount', {
  secrets: arr(anyValue),
  imagePullSecrets: arr(anyValue),
  automountServiceAccountToken: bool,
});

/** For the workload kinds (apps.ts, events.ts): a strict top level of one kind. */
export const typedResource = _typedResource;
