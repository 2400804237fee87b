/**
 * @module Strict decoders for AdminNetworkPolicy and BaselineAdminNetworkPolicy: every field the
 * CRD schema has, nothing else (an unknown field is an error naming it, as with a CRD's
 * structural schema and kubectl's field validation).
 */
import { invalid, required } from '../field/errors.js';
import { arr, int, obj, str, type Decoder } from '../decode/index.js';
import { resourceDecoder } from '../kind-info.js';
import type { ObjectMeta } from '../meta.js';
import { labelSelectorDecoder } from '../k8s/decode.js';
import type {
  AdminNetworkPolicy,
  AdminNetworkPolicyEgressPeer,
  AdminNetworkPolicyEgressRule,
  AdminNetworkPolicyIngressPeer,
  AdminNetworkPolicyIngressRule,
  AdminNetworkPolicyPort,
  AdminNetworkPolicySpec,
  AdminNetworkPolicySubject,
  AdminPolicyStatus,
  BaselineAdminNetworkPolicy,
  BaselineAdminNetworkPolicySpec,
  NamespacedPod,
  PolicyCondition,
} from './types.js';

const namespacedPodDecoder: Decoder<NamespacedPod> = obj({ namespaceSelector: labelSelectorDecoder, podSelector: labelSelectorDecoder });

export const adminNetworkPolicySubjectDecoder: Decoder<AdminNetworkPolicySubject> = obj({
  namespaces: labelSelectorDecoder,
  pods: namespacedPodDecoder,
});

export const adminNetworkPolicyPortDecoder: Decoder<AdminNetworkPolicyPort> = obj({
  portNumber: obj({ protocol: str, port: int }),
  namedPort: str,
  portRange: obj({ protocol: str, start: int, end: int }),
});

const ingressPeerDecoder: Decoder<AdminNetworkPolicyIngressPeer> = obj({ namespaces: labelSelectorDecoder, pods: namespacedPodDecoder });

const egressPeerDecoder: Decoder<AdminNetworkPolicyEgressPeer> = obj({
  namespaces: labelSelectorDecoder,
  pods: namespacedPodDecoder,
  nodes: labelSelectorDecoder,
  networks: arr(str),
});

export const adminNetworkPolicyIngressRuleDecoder: Decoder<AdminNetworkPolicyIngressRule> = obj({
  name: str,
  action: str,
  from: arr(ingressPeerDecoder),
  ports: arr(adminNetworkPolicyPortDecoder),
});

export const adminNetworkPolicyEgressRuleDecoder: Decoder<AdminNetworkPolicyEgressRule> = obj({
  name: str,
  action: str,
  to: arr(egressPeerDecoder),
  ports: arr(adminNetworkPolicyPortDecoder),
});

const ruleLists = {
  subject: adminNetworkPolicySubjectDecoder,
  ingress: arr(adminNetworkPolicyIngressRuleDecoder),
  egress: arr(adminNetworkPolicyEgressRuleDecoder),
};

export const adminNetworkPolicySpecDecoder: Decoder<AdminNetworkPolicySpec> = obj({ priority: int, ...ruleLists });
export const baselineAdminNetworkPolicySpecDecoder: Decoder<BaselineAdminNetworkPolicySpec> = obj(ruleLists);

const conditionDecoder: Decoder<PolicyCondition> = obj({
  type: str,
  status: str,
  reason: str,
  message: str,
  lastTransitionTime: str,
  observedGeneration: int,
});

const statusDecoder: Decoder<AdminPolicyStatus> = obj({ conditions: arr(conditionDecoder) });

/** `resourceDecoder` narrowed to one kind, with apiVersion required. */
function _typed<K extends 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy', S>(
  kindName: K,
  spec: Decoder<S>,
): Decoder<{ apiVersion: string; kind: K; metadata?: ObjectMeta; spec?: S; status?: AdminPolicyStatus }> {
  const d = resourceDecoder({ spec, status: statusDecoder });
  return (raw, path, errs) => {
    const v = d(raw, path, errs);
    if (v === undefined) return undefined;
    if (typeof v.apiVersion !== 'string' || v.apiVersion === '') {
      errs.push(required(path.child('apiVersion'), 'apiVersion must be set'));
      return undefined;
    }
    if (v.kind !== kindName) {
      errs.push(invalid(path.child('kind'), v.kind ?? '', `must be "${kindName}"`));
      return undefined;
    }
    const out: { apiVersion: string; kind: K; metadata?: ObjectMeta; spec?: S; status?: AdminPolicyStatus } = { apiVersion: v.apiVersion, kind: kindName };
    if (v.metadata !== undefined) out.metadata = v.metadata;
    if (v.spec !== undefined) out.spec = v.spec;
    if (v.status !== undefined) out.status = v.status;
    return out;
  };
}

export const adminNetworkPolicyDecoder: Decoder<AdminNetworkPolicy> = _typed('AdminNetworkPolicy', adminNetworkPolicySpecDecoder);
export const baselineAdminNetworkPolicyDecoder: Decoder<BaselineAdminNetworkPolicy> = _typed(
  'BaselineAdminNetworkPolicy',
  baselineAdminNetworkPolicySpecDecoder,
);
