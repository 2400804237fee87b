/**
 * @module Registry rows for the Kubernetes-side kinds: networking.k8s.io/v1 NetworkPolicy,
 * projectcalico.org/v3 StagedKubernetesNetworkPolicy, and core/v1 Namespace, Pod, Node, Service,
 * ServiceAccount. Plus the `K8sNetworkPolicySpec` fragment.
 */
import type { FieldPath } from '../field/path.js';
import { forbidden, notSupported, type FieldError } from '../field/errors.js';
import { defineFragment, defineKind, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { isDNS1123Label } from '../validate/names.js';
import {
  k8sNetworkPolicyDecoder,
  k8sNetworkPolicySpecDecoder,
  namespaceDecoder,
  nodeDecoder,
  podDecoder,
  serviceAccountDecoder,
  serviceDecoder,
  stagedKubernetesNetworkPolicyDecoder,
} from './decode.js';
import { defaultK8sNetworkPolicy, defaultPod, defaultService } from './defaults.js';
import { validateK8sNetworkPolicySpec } from './validate-network-policy.js';
import { isDNS1035Label, validateNode, validatePod, validateService } from './validate-core.js';
import { WORKLOAD_KINDS } from './workload-kinds.js';
import type {
  K8sNetworkPolicy,
  K8sNetworkPolicySpec,
  Namespace,
  Node,
  Pod,
  Service,
  ServiceAccount,
  StagedKubernetesNetworkPolicy,
} from './types.js';

export const STAGED_ACTIONS = ['Set', 'Delete', 'Learn', 'Ignore'] as const;

const _none = (): FieldError[] => [];

/** Calico's check for `stagedAction: Delete`: nothing but the action may be set (nil ≠ empty, as in Go). */
function _isZeroSpec(spec: StagedKubernetesNetworkPolicy['spec'] & object): boolean {
  const sel = spec.podSelector;
  return (
    spec.ingress === undefined &&
    spec.egress === undefined &&
    spec.policyTypes === undefined &&
    (sel === undefined || (sel.matchLabels === undefined && sel.matchExpressions === undefined))
  );
}

export const NETWORK_POLICY_KIND = defineKind<K8sNetworkPolicy>({
  kind: 'NetworkPolicy',
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  shortNames: ['netpol'],
  namespaced: true,
  decode: k8sNetworkPolicyDecoder,
  applyDefaults: defaultK8sNetworkPolicy,
  validate: (np, path) => validateK8sNetworkPolicySpec(np.spec ?? {}, path.child('spec')),
});

export const STAGED_KUBERNETES_NETWORK_POLICY_KIND = defineKind<StagedKubernetesNetworkPolicy>({
  kind: 'StagedKubernetesNetworkPolicy',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'stagedkubernetesnetworkpolicies',
  singular: 'stagedkubernetesnetworkpolicy',
  shortNames: ['sknp', 'skpol'],
  namespaced: true,
  decode: stagedKubernetesNetworkPolicyDecoder,
  applyDefaults: (p) => p,
  validate: (p, path) => {
    const sp = path.child('spec');
    const spec = p.spec ?? {};
    if (spec.stagedAction !== undefined && !(STAGED_ACTIONS as readonly string[]).includes(spec.stagedAction))
      return [notSupported(sp.child('stagedAction'), spec.stagedAction, STAGED_ACTIONS), ...validateK8sNetworkPolicySpec(spec, sp)];
    if (spec.stagedAction === 'Delete')
      return _isZeroSpec(spec) ? [] : [forbidden(sp, 'spec fields should all be zero-value if stagedAction is Delete')];
    return validateK8sNetworkPolicySpec(spec, sp);
  },
});

export const NAMESPACE_KIND = defineKind<Namespace>({
  kind: 'Namespace',
  group: '',
  version: 'v1',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  validateName: isDNS1123Label,
  decode: namespaceDecoder,
  applyDefaults: (n) => n,
  validate: _none,
});

export const POD_KIND = defineKind<Pod>({
  kind: 'Pod',
  group: '',
  version: 'v1',
  plural: 'pods',
  singular: 'pod',
  shortNames: ['po'],
  namespaced: true,
  decode: podDecoder,
  applyDefaults: defaultPod,
  validate: validatePod,
});

export const NODE_KIND = defineKind<Node>({
  kind: 'Node',
  group: '',
  version: 'v1',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  namespaced: false,
  decode: nodeDecoder,
  applyDefaults: (n) => n,
  validate: validateNode,
});

export const SERVICE_KIND = defineKind<Service>({
  kind: 'Service',
  group: '',
  version: 'v1',
  plural: 'services',
  singular: 'service',
  shortNames: ['svc'],
  namespaced: true,
  validateName: isDNS1035Label,
  decode: serviceDecoder,
  applyDefaults: defaultService,
  validate: validateService,
});

export const SERVICE_ACCOUNT_KIND = defineKind<ServiceAccount>({
  kind: 'ServiceAccount',
  group: '',
  version: 'v1',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  shortNames: ['sa'],
  namespaced: true,
  decode: serviceAccountDecoder,
  applyDefaults: (s) => s,
  validate: _none,
});

export const KINDS: readonly KindInfo[] = [
  NETWORK_POLICY_KIND,
  STAGED_KUBERNETES_NETWORK_POLICY_KIND,
  NAMESPACE_KIND,
  POD_KIND,
  NODE_KIND,
  SERVICE_KIND,
  SERVICE_ACCOUNT_KIND,
  ...WORKLOAD_KINDS,
];

export const FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<K8sNetworkPolicySpec>({
    name: 'K8sNetworkPolicySpec',
    decode: k8sNetworkPolicySpecDecoder,
    validate: (spec: K8sNetworkPolicySpec, path: FieldPath) => validateK8sNetworkPolicySpec(spec, path),
  }),
];
