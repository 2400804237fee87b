/**
 * @module OpenAPI v3 documents (`/openapi/v3` and `/openapi/v3/<api|apis/group>/<version>`), so
 * that `kubectl explain` describes Tabby's kinds and kubectl sees `fieldValidation` on every
 * PATCH (then it leaves unknown-field checks to the server, which rejects them with
 * `fieldValidation=Strict`).
 *
 * The schemas are hand-written for the fields people explain (policy specs, rules, entity
 * rules, Kubernetes NetworkPolicy); other kinds get their top level and a `spec` that preserves
 * unknown fields. The strategic-merge-patch media type is deliberately not advertised: kubectl
 * then computes strategic patches from its own compiled-in Go types for the built-in kinds,
 * which carry the exact patch metadata.
 */
import { apiVersionOf, type KindInfo } from '../model/kind-info.js';
import { WORKLOAD_DESCRIPTIONS, WORKLOAD_PROPERTIES } from './workload-openapi.js';
import { POLICY_API_DESCRIPTIONS, POLICY_API_PROPERTIES } from './policy-api-openapi.js';

export type Schema = { readonly [k: string]: unknown };

// ------------------------------------------------------------------ a tiny schema DSL

const s = (description: string): Schema => ({ type: 'string', description });
const i = (description: string, format = 'int32'): Schema => ({ type: 'integer', format, description });
const n = (description: string): Schema => ({ type: 'number', format: 'double', description });
const b = (description: string): Schema => ({ type: 'boolean', description });
const intOrString = (description: string): Schema => ({ 'x-kubernetes-int-or-string': true, description });
const arr = (items: Schema, description: string, listType = 'atomic'): Schema => ({
  type: 'array',
  items,
  description,
  'x-kubernetes-list-type': listType,
});
const map = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string', default: '' }, description });
const o = (description: string, properties: Record<string, Schema>, required: readonly string[] = []): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const open = (description: string, properties: Record<string, Schema> = {}): Schema => ({
  ...o(description, properties),
  'x-kubernetes-preserve-unknown-fields': true,
});

/** The metav1 schemas every kind refers to, under the names kube-apiserver gives them. */
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const OBJECT_META_NAME = `${META}.ObjectMeta`;
export const LABEL_SELECTOR_NAME = `${META}.LabelSelector`;
const _ref = (name: string, description: string): Schema => ({ description, default: {}, allOf: [{ $ref: `#/components/schemas/${name}` }] });

const OBJECT_META = o('Standard object\'s metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata', {
  name: s('Name must be unique within a namespace. Cannot be updated.'),
  generateName: s('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.'),
  namespace: s('Namespace defines the space within which each name must be unique.'),
  labels: map('Map of string keys and values that can be used to organize and categorize (scope and select) objects. Policies select endpoints by these labels.'),
  annotations: map('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.'),
  uid: s('UID is the unique in time and space value for this object. Populated by the system. Read-only.'),
  resourceVersion: s('An opaque value that represents the internal version of this object, used for optimistic concurrency, change detection, and the watch operation. Populated by the system. Read-only.'),
  generation: i('A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.', 'int64'),
  creationTimestamp: { type: 'string', format: 'date-time', description: 'CreationTimestamp is a timestamp representing the server time when this object was created. Populated by the system. Read-only.' },
  deletionTimestamp: { type: 'string', format: 'date-time', description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.' },
  finalizers: arr({ type: 'string', default: '' }, 'Must be empty before the object is deleted from the registry.', 'set'),
  ownerReferences: arr(open('OwnerReference contains enough information to let you identify an owning object.'), 'List of objects depended by this object.'),
  managedFields: arr(open('ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.'), 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow (server-side apply).'),
});

// ------------------------------------------------------------------ Calico

const PORTS = arr(intOrString('A port number, a range "min:max", or a named port.'), 'Ports: this rule only applies if the port is in one of the given ports.');
const ENTITY_RULE = o('An EntityRule is a sub-component of a Rule comprising the match criteria specific to a particular entity (that is either the source or destination).', {
  nets: arr({ type: 'string' }, 'Nets is an optional field that restricts the rule to only apply to traffic that originates from (or terminates at) IP addresses in any of the given subnets.'),
  notNets: arr({ type: 'string' }, 'NotNets is the negated version of the Nets field.'),
  selector: s('Selector is an optional field that contains a selector expression (see Policy for sample syntax). Only traffic that originates from (terminates at) endpoints matching the selector will be matched.'),
  notSelector: s('NotSelector is the negated version of the Selector field.'),
  namespaceSelector: s('NamespaceSelector is an optional field that contains a selector expression. Only traffic that originates from (or terminates at) endpoints within the selected namespaces will be matched.'),
  ports: PORTS,
  notPorts: arr(intOrString('A port number, a range, or a named port.'), 'NotPorts is the negated version of the Ports field.'),
  serviceAccounts: o('ServiceAccounts is an optional field that restricts the rule to only apply to traffic that originates from (or terminates at) a pod running as a matching service account.', {
    names: arr({ type: 'string' }, 'Names is an optional field that restricts the rule to only apply to traffic that originates from (or terminates at) a pod running as a service account whose name is in the list.'),
    selector: s('Selector is an optional field that restricts the rule to only apply to traffic that originates from (or terminates at) a pod running as a service account that matches the given label selector.'),
  }),
  services: o('Services is an optional field that contains options for matching Kubernetes Services.', {
    name: s('Name specifies the name of a Kubernetes Service to match.'),
    namespace: s('Namespace specifies the namespace of the given Service. If left empty, the rule will match within this policy\'s namespace.'),
  }),
});
const ICMP = o('ICMPFields defines structure for ICMP and ICMPv6 sub-protocols.', {
  type: i('Match on a specific ICMP type. For example a value of 8 refers to ICMP Echo Request (i.e. pings).'),
  code: i('Match on a specific ICMP code. If specified, the Type value must also be specified.'),
});
const RULE = o('A Rule encapsulates a set of match criteria and an action. Both selector-based security Policy and security Profiles reference rules - separated out as a list of rules for both ingress and egress packet matching.', {
  action: { ...s('Action: Allow, Deny, Log or Pass.'), enum: ['Allow', 'Deny', 'Log', 'Pass'] },
  ipVersion: i('IPVersion is an optional field that restricts the rule to only match a specific IP version (4 or 6).'),
  protocol: intOrString('Protocol is an optional field that restricts the rule to only apply to traffic of a specific IP protocol: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or an integer 1-255.'),
  notProtocol: intOrString('NotProtocol is the negated version of the Protocol field.'),
  icmp: ICMP,
  notICMP: ICMP,
  source: ENTITY_RULE,
  destination: ENTITY_RULE,
  http: o('HTTP contains match criteria that apply to HTTP requests.', {
    methods: arr({ type: 'string' }, 'Methods is an optional field that restricts the rule to apply only to HTTP requests that use one of the listed HTTP Methods.'),
    paths: arr(o('HTTPPath specifies an HTTP path to match. It may be either of the form: exact: <path> or prefix: <path>.', { exact: s('Exact path.'), prefix: s('Path prefix.') }), 'Paths is an optional field that restricts the rule to apply to HTTP requests that use one of the listed HTTP Paths.'),
  }),
  metadata: o('Metadata contains additional information for this rule.', { annotations: map('Annotations is a set of key value pairs that give extra information about the rule.') }),
}, ['action']);

const POLICY_COMMON: Record<string, Schema> = {
  tier: s('The name of the tier that this policy belongs to. If this is omitted, the default tier (name is "default") is assumed.'),
  order: n('Order is an optional field that specifies the order in which the policy is applied. Policies with higher "order" are applied after those with lower order within the same tier. If the order is omitted, it may be considered to be "infinite".'),
  selector: s('The selector is an expression used to pick out the endpoints that the policy should be applied to. Example: role == \'webserver\' && has(app). The default is all().'),
  types: arr({ type: 'string', enum: ['Ingress', 'Egress'] }, 'Types indicates whether this policy applies to ingress, or to egress, or to both. When not explicitly specified, it is inferred from the rules.'),
  ingress: arr(RULE, 'The ordered set of ingress rules. Each rule contains a set of packet match criteria and a corresponding action to apply.'),
  egress: arr(RULE, 'The ordered set of egress rules. Each rule contains a set of packet match criteria and a corresponding action to apply.'),
  serviceAccountSelector: s('ServiceAccountSelector is an optional field for an expression used to select a pod based on service accounts.'),
  performanceHints: arr({ type: 'string' }, 'PerformanceHints contains a list of hints to Calico\'s policy engine to help process the policy more efficiently.'),
};
const GLOBAL_POLICY: Record<string, Schema> = {
  ...POLICY_COMMON,
  namespaceSelector: s('NamespaceSelector is an optional field for an expression used to select a pod based on namespaces.'),
  doNotTrack: b('DoNotTrack indicates whether packets matched by the rules in this policy should go through the data plane\'s connection tracking.'),
  preDNAT: b('PreDNAT indicates to apply the rules in this policy before any DNAT.'),
  applyOnForward: b('ApplyOnForward indicates to apply the rules in this policy on forward traffic.'),
};
const STAGED = { stagedAction: { ...s('The staged action. If this is omitted, the default is Set.'), enum: ['Set', 'Delete', 'Learn', 'Ignore'] } };

// ------------------------------------------------------------------ Kubernetes

const LABEL_SELECTOR = o('A label selector is a label query over a set of resources. An empty label selector matches all objects.', {
  matchLabels: map('matchLabels is a map of {key,value} pairs.'),
  matchExpressions: arr(o('A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.', {
    key: s('key is the label key that the selector applies to.'),
    operator: s('operator represents a key\'s relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist.'),
    values: arr({ type: 'string' }, 'values is an array of string values.'),
  }, ['key', 'operator']), 'matchExpressions is a list of label selector requirements. The requirements are ANDed.'),
});
const NP_PORT = o('NetworkPolicyPort describes a port to allow traffic on', {
  protocol: s('protocol represents the protocol (TCP, UDP, or SCTP) which traffic must match. If not specified, this field defaults to TCP.'),
  port: intOrString('port represents the port on the given protocol. This can either be a numerical or named port on a pod.'),
  endPort: i('endPort indicates that the range of ports from port to endPort if set, inclusive, should be allowed by the policy.'),
});
const NP_PEER = o('NetworkPolicyPeer describes a peer to allow traffic to/from. Only certain combinations of fields are allowed', {
  podSelector: _ref(LABEL_SELECTOR_NAME, 'podSelector is a label selector which selects pods. If namespaceSelector is also set, it selects the pods matching podSelector in the namespaces selected by namespaceSelector; otherwise the pods in the policy\'s own namespace.'),
  namespaceSelector: _ref(LABEL_SELECTOR_NAME, 'namespaceSelector selects namespaces using cluster-scoped labels.'),
  ipBlock: o('IPBlock describes a particular CIDR (Ex. "192.168.1.0/24","2001:db8::/64") that is allowed to the pods matched by a NetworkPolicySpec\'s podSelector.', {
    cidr: s('cidr is a string representing the IPBlock. Valid examples are "192.168.1.0/24" or "2001:db8::/64"'),
    except: arr({ type: 'string' }, 'except is a slice of CIDRs that should not be included within an IPBlock'),
  }, ['cidr']),
});
const K8S_NP_SPEC: Record<string, Schema> = {
  podSelector: _ref(LABEL_SELECTOR_NAME, 'podSelector selects the pods to which this NetworkPolicy object applies. An empty podSelector selects all pods in the namespace.'),
  ingress: arr(o('NetworkPolicyIngressRule describes a particular set of traffic that is allowed to the pods matched by a NetworkPolicySpec\'s podSelector.', {
    ports: arr(NP_PORT, 'ports is a list of ports which should be made accessible on the pods selected for this rule.'),
    from: arr(NP_PEER, 'from is a list of sources which should be able to access the pods selected for this rule.'),
  }), 'ingress is a list of ingress rules to be applied to the selected pods.'),
  egress: arr(o('NetworkPolicyEgressRule describes a particular set of traffic that is allowed out of pods matched by a NetworkPolicySpec\'s podSelector.', {
    ports: arr(NP_PORT, 'ports is a list of destination ports for outgoing traffic.'),
    to: arr(NP_PEER, 'to is a list of destinations for outgoing traffic of pods selected for this rule.'),
  }), 'egress is a list of egress rules to be applied to the selected pods.'),
  policyTypes: arr({ type: 'string', enum: ['Ingress', 'Egress'] }, 'policyTypes is a list of rule types that the NetworkPolicy relates to. Valid options are ["Ingress"], ["Egress"], or ["Ingress", "Egress"].'),
};
const CONTAINER = open('A single application container that you want to run within a pod.', {
  name: s('Name of the container specified as a DNS_LABEL.'),
  image: s('Container image name.'),
  ports: arr(o('ContainerPort represents a network port in a single container.', {
    name: s('If specified, this must be an IANA_SVC_NAME and unique within the pod. Named ports can be referred to by policies.'),
    containerPort: i('Number of port to expose on the pod\'s IP address.'),
    protocol: s('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".'),
    hostPort: i('Number of port to expose on the host.'),
    hostIP: s('What host IP to bind the external port to.'),
  }, ['containerPort']), 'List of ports to expose from the container.', 'map'),
});

// ------------------------------------------------------------------ the registry

const SPEC_DESCRIPTION = 'Specification of the desired behavior.';

/** `group/Kind` → top-level properties beyond apiVersion/kind/metadata. Unlisted kinds get an open spec. */
const PROPERTIES: ReadonlyMap<string, Record<string, Schema>> = new Map<string, Record<string, Schema>>([
  ['projectcalico.org/NetworkPolicy', { spec: o('NetworkPolicySpec: the policy rules, the endpoints they apply to, and their order.', POLICY_COMMON) }],
  ['projectcalico.org/GlobalNetworkPolicy', { spec: o('GlobalNetworkPolicySpec: the policy rules, the endpoints they apply to, and their order.', GLOBAL_POLICY) }],
  ['projectcalico.org/StagedNetworkPolicy', { spec: o('StagedNetworkPolicySpec.', { ...STAGED, ...POLICY_COMMON }) }],
  ['projectcalico.org/StagedGlobalNetworkPolicy', { spec: o('StagedGlobalNetworkPolicySpec.', { ...STAGED, ...GLOBAL_POLICY }) }],
  ['projectcalico.org/StagedKubernetesNetworkPolicy', { spec: o('StagedKubernetesNetworkPolicySpec.', { ...STAGED, ...K8S_NP_SPEC }) }],
  ['projectcalico.org/Tier', { spec: o('TierSpec contains the specification for a security policy tier resource.', {
    order: n('Order is an optional field that specifies the order in which the tier is applied. Tiers with higher "order" are applied after those with lower order.'),
    defaultAction: { ...s('DefaultAction specifies the action applied to workloads selected by a policy in the tier, but not rule matched the workload\'s traffic.'), enum: ['Deny', 'Pass'] },
  }) }],
  ['projectcalico.org/HostEndpoint', { spec: o('HostEndpointSpec contains the specification for a HostEndpoint resource.', {
    node: s('The node name identifying the Calico node instance.'),
    interfaceName: s('Either "*", or the name of a specific Linux interface to apply policy to; or empty.'),
    expectedIPs: arr({ type: 'string' }, 'The expected IP addresses (IPv4 and IPv6) of the endpoint.'),
    profiles: arr({ type: 'string' }, 'A list of identifiers of security Profile objects that apply to this endpoint.'),
    ports: arr(o('EndpointPort: a named port.', { name: s('Port name.'), protocol: intOrString('Protocol.'), port: i('Port number.') }), 'Ports contains the endpoint\'s named ports, which may be referenced in security policy rules.'),
  }) }],
  ['projectcalico.org/NetworkSet', { spec: o('NetworkSetSpec contains the specification for a NetworkSet resource.', { nets: arr({ type: 'string' }, 'The list of IP networks that belong to this set.') }) }],
  ['projectcalico.org/GlobalNetworkSet', { spec: o('GlobalNetworkSetSpec contains the set of IP networks that belong to this set.', { nets: arr({ type: 'string' }, 'The list of IP networks that belong to this set.') }) }],
  ['projectcalico.org/Profile', { spec: o('ProfileSpec contains the specification for a security Profile resource.', {
    ingress: arr(RULE, 'The ordered set of ingress rules.'),
    egress: arr(RULE, 'The ordered set of egress rules.'),
    labelsToApply: map('An option set of labels to apply to each endpoint (in addition to their own labels) referencing this profile.'),
  }) }],
  ['networking.k8s.io/NetworkPolicy', { spec: o('NetworkPolicySpec provides the specification of a NetworkPolicy', K8S_NP_SPEC) }],
  ['/Pod', {
    spec: open('PodSpec is a description of a pod.', {
      nodeName: s('NodeName indicates in which node this pod is scheduled.'),
      hostNetwork: b('Host networking requested for this pod.'),
      serviceAccountName: s('ServiceAccountName is the name of the ServiceAccount to use to run this pod.'),
      containers: arr(CONTAINER, 'List of containers belonging to the pod.', 'map'),
      initContainers: arr(CONTAINER, 'List of initialization containers belonging to the pod.', 'map'),
    }),
    status: open('PodStatus represents information about the status of a pod.', {
      phase: s('The phase of a Pod: Pending, Running, Succeeded, Failed, Unknown.'),
      podIP: s('podIP address allocated to the pod.'),
      podIPs: arr(o('PodIP represents a single IP address allocated to the pod.', { ip: s('IP is the IP address assigned to the pod') }), 'podIPs holds the IP addresses allocated to the pod.'),
    }),
  }],
  ['/Namespace', {
    spec: o('NamespaceSpec describes the attributes on a Namespace.', { finalizers: arr({ type: 'string' }, 'Finalizers is an opaque list of values that must be empty to permanently remove object from storage.') }),
    status: open('NamespaceStatus is information about the current status of a Namespace.', { phase: s('Phase is the current lifecycle phase of the namespace.') }),
  }],
  ['/Service', {
    spec: open('ServiceSpec describes the attributes that a user creates on a service.', {
      type: s('type determines how the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
      clusterIP: s('clusterIP is the IP address of the service.'),
      selector: map('Route service traffic to pods with label keys and values matching this selector.'),
      ports: arr(o('ServicePort contains information on service\'s port.', {
        name: s('The name of this port within the service.'),
        protocol: s('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.'),
        port: i('The port that will be exposed by this service.'),
        targetPort: intOrString('Number or name of the port to access on the pods targeted by the service.'),
        nodePort: i('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.'),
      }, ['port']), 'The list of ports that are exposed by this service.', 'map'),
    }),
    status: open('ServiceStatus represents the current status of a service.'),
  }],
  ['/Node', { spec: open('NodeSpec describes the attributes that a node is created with.', { podCIDR: s('PodCIDR represents the pod IP range assigned to the node.') }), status: open('NodeStatus is information about the current status of a node.') }],
  ['/ServiceAccount', {
    secrets: arr(open('ObjectReference.'), 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    imagePullSecrets: arr(open('LocalObjectReference.'), 'ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods.'),
    automountServiceAccountToken: b('AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted.'),
  }],
  ...WORKLOAD_PROPERTIES,
  ...POLICY_API_PROPERTIES,
]);

const KIND_DESCRIPTIONS: ReadonlyMap<string, string> = new Map([
  ['projectcalico.org/NetworkPolicy', 'NetworkPolicy is a namespaced Calico policy: ordered rules, in a tier, applied to the endpoints its selector picks in its namespace.'],
  ['projectcalico.org/GlobalNetworkPolicy', 'GlobalNetworkPolicy is a cluster-wide Calico policy: ordered rules, in a tier, applied to the workload and host endpoints its selector picks.'],
  ['projectcalico.org/Tier', 'Tier groups policies; tiers are evaluated in order, and a tier\'s default action applies when no policy in it decides.'],
  ['projectcalico.org/HostEndpoint', 'HostEndpoint is a host interface that Calico policy protects.'],
  ['networking.k8s.io/NetworkPolicy', 'NetworkPolicy describes what network traffic is allowed for a set of Pods'],
  ['/Pod', 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.'],
  ['/Namespace', 'Namespace provides a scope for Names. Use of multiple namespaces is optional.'],
  ...WORKLOAD_DESCRIPTIONS,
  ...POLICY_API_DESCRIPTIONS,
]);

/**
 * The Go package path kube-apiserver's OpenAPI names a group's schemas by (reversed domain, as
 * `k8s.io/api/networking/v1` → `io.k8s.api.networking.v1`). Built-in groups live under
 * `k8s.io/api/<short>`; the few served from other modules are listed.
 */
const PACKAGE_OF_GROUP: ReadonlyMap<string, string> = new Map([
  ['', 'io.k8s.api.core'],
  ['rbac.authorization.k8s.io', 'io.k8s.api.rbac'],
  ['internal.apiserver.k8s.io', 'io.k8s.api.apiserverinternal'],
  ['flowcontrol.apiserver.k8s.io', 'io.k8s.api.flowcontrol'],
  ['apiextensions.k8s.io', 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions'],
  ['apiregistration.k8s.io', 'io.k8s.kube-aggregator.pkg.apis.apiregistration'],
  // a CRD group: named like custom resources, by the reversed group
  ['policy.networking.k8s.io', 'io.k8s.networking.policy'],
]);

function _packageOf(group: string): string {
  const known = PACKAGE_OF_GROUP.get(group);
  if (known !== undefined) return known;
  // built-in groups: `apps`, `batch`, `policy` (no dot) and `<short>.k8s.io`
  if (!group.includes('.')) return `io.k8s.api.${group}`;
  if (group.endsWith('.k8s.io')) return `io.k8s.api.${group.split('.')[0]!}`;
  // other groups (Calico's projectcalico.org): the reversed group name, as for custom resources
  return group.split('.').reverse().join('.');
}

/** Component name, as kube-apiserver names it: `io.k8s.api.networking.v1.NetworkPolicy`, `io.k8s.api.core.v1.Pod`. */
export function schemaName(k: KindInfo): string {
  return `${_packageOf(k.group)}.${k.version}.${k.kind}`;
}

export function kindSchema(k: KindInfo): Schema {
  const key = `${k.group}/${k.kind}`;
  const gvk = { group: k.group, version: k.version, kind: k.kind };
  return {
    type: 'object',
    description: KIND_DESCRIPTIONS.get(key) ?? `${k.kind} (${apiVersionOf(k)}).`,
    properties: {
      apiVersion: s('APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.'),
      kind: s('Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.'),
      metadata: _ref(OBJECT_META_NAME, "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
      ...(PROPERTIES.get(key) ?? { spec: open(SPEC_DESCRIPTION) }),
    },
    'x-kubernetes-group-version-kind': [gvk],
  };
}

const QUERY = (name: string, description: string): Schema => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = [
  QUERY('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  QUERY('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  QUERY('fieldValidation', 'Strict, Warn or Ignore: how the server treats unknown and duplicate fields in the request.'),
];

/** The OpenAPI v3 document for one group-version. */
export function groupVersionDocument(kinds: readonly KindInfo[]): Schema {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = { [OBJECT_META_NAME]: OBJECT_META, [LABEL_SELECTOR_NAME]: LABEL_SELECTOR };
  for (const k of kinds) {
    const name = schemaName(k);
    schemas[name] = kindSchema(k);
    const gvk = { group: k.group, version: k.version, kind: k.kind };
    const ref = { $ref: `#/components/schemas/${name}` };
    const body = (types: readonly string[]) => ({ content: Object.fromEntries(types.map((t) => [t, { schema: ref }])), required: true });
    const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
    const prefix = `/${k.group === '' ? 'api' : `apis/${k.group}`}/${k.version}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}`;
    const op = (action: string, extra: Record<string, unknown> = {}) => ({
      operationId: `${action}${k.kind}`,
      responses: ok,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...extra,
    });
    paths[prefix] = {
      get: op('list', { parameters: [QUERY('labelSelector', 'A selector to restrict the list of returned objects by their labels.'), QUERY('fieldSelector', 'A selector to restrict the list of returned objects by their fields.')] }),
      post: op('post', { parameters: WRITE_PARAMS, requestBody: body(['*/*']) }),
    };
    paths[`${prefix}/{name}`] = {
      get: op('get'),
      put: op('put', { parameters: WRITE_PARAMS, requestBody: body(['*/*']) }),
      patch: op('patch', {
        parameters: [...WRITE_PARAMS, QUERY('force', 'Force is going to "force" Apply requests: re-acquire conflicting fields owned by other people.')],
        requestBody: body(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']),
      }),
      delete: op('delete', { parameters: [QUERY('dryRun', 'When present, indicates that modifications should not be persisted.')] }),
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}
