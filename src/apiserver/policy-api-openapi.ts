/**
 * @module OpenAPI v3 properties of AdminNetworkPolicy and BaselineAdminNetworkPolicy
 * (`policy.networking.k8s.io/v1alpha1`), shaped as the CRD schema Calico v3.31 installs
 * (required fields, enums, ranges, item counts), so `kubectl explain adminnetworkpolicy.spec.ingress`
 * works. Plugged into openapi.ts's registry. Pure data.
 */
type Schema = { readonly [k: string]: unknown };

const s = (description: string, extra: Record<string, unknown> = {}): Schema => ({ type: 'string', description, ...extra });
const i = (description: string, min: number, max: number): Schema => ({ type: 'integer', format: 'int32', minimum: min, maximum: max, description });
const arr = (items: Schema, description: string, bounds: { min?: number; max?: number } = {}): Schema => ({
  type: 'array',
  items,
  description,
  ...(bounds.min !== undefined ? { minItems: bounds.min } : {}),
  ...(bounds.max !== undefined ? { maxItems: bounds.max } : {}),
});
const map = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string' }, description });
const o = (description: string, properties: Record<string, Schema>, required: readonly string[] = [], extra: Record<string, unknown> = {}): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  ...extra,
});
const oneOf = { minProperties: 1, maxProperties: 1 };

const selector = (description: string): Schema =>
  o(
    description,
    {
      matchLabels: map('matchLabels is a map of {key,value} pairs; each pair is one requirement `key In (value)`. Requirements are ANDed.'),
      matchExpressions: arr(
        o('A label selector requirement: a key, an operator and values.', {
          key: s('key is the label key that the selector applies to.'),
          operator: s('operator: In, NotIn, Exists or DoesNotExist.'),
          values: arr({ type: 'string' }, 'values: non-empty for In and NotIn, empty for Exists and DoesNotExist.'),
        }, ['key', 'operator']),
        'matchExpressions is a list of label selector requirements. The requirements are ANDed.',
      ),
    },
    [],
    { 'x-kubernetes-map-type': 'atomic' },
  );

const NAMESPACED_POD = o('Pods in namespaces: both selectors must match.', {
  namespaceSelector: selector('Selects the namespaces; empty selects all namespaces.'),
  podSelector: selector('Selects the pods within those namespaces; empty selects all pods.'),
}, ['namespaceSelector', 'podSelector']);

const SUBJECT = o('The pods this policy applies to. Exactly one field must be set. Host-networked pods are never subjects.', {
  namespaces: selector('Selects every pod in the namespaces this label selector selects.'),
  pods: NAMESPACED_POD,
}, [], oneOf);

const protocol = s('Protocol: TCP, UDP or SCTP. Defaults to TCP.', { default: 'TCP' });
const port = (description: string): Schema => i(description, 1, 65535);
const PORT = o('A destination port on the subject (ingress) or on the peer (egress). Exactly one field must be set.', {
  portNumber: o('A single port number.', { protocol, port: port('The port number.') }, ['port', 'protocol']),
  namedPort: s('A named container port of the pod (experimental): the port of that name, with its protocol.'),
  portRange: o('An inclusive range of port numbers.', { protocol, start: port('The first port of the range.'), end: port('The last port of the range.') }, ['end', 'start']),
}, [], oneOf);
const PORTS = arr(PORT, 'Ports the rule matches; not set: every port. At most 100.', { max: 100 });

const INGRESS_PEER = o('A source of incoming traffic. Exactly one field must be set.', {
  namespaces: selector('Every pod in the selected namespaces (not host-networked pods).'),
  pods: NAMESPACED_POD,
}, [], oneOf);

const EGRESS_PEER = o('A destination of outgoing traffic. Exactly one field must be set.', {
  namespaces: selector('Every pod in the selected namespaces (not host-networked pods).'),
  pods: NAMESPACED_POD,
  nodes: selector('The selected Nodes (experimental): traffic to their addresses.'),
  networks: arr(s('A CIDR, IPv4 or IPv6 (e.g. 10.0.0.0/8, fd00::/8).', { maxLength: 43 }), 'CIDRs (experimental), 1 to 25. Traffic to pods inside them matches too.', { min: 1, max: 25 }),
}, [], oneOf);

const ruleName = s('A name for the rule, at most 100 characters, shown in traces and errors.', { maxLength: 100 });
const action = (values: readonly string[], description: string): Schema => s(description, { enum: values });

const rules = (actions: readonly string[], actionHelp: string): Record<string, Schema> => ({
  ingress: arr(
    o('What to do with traffic to the subject pods from the peers in `from`.', {
      name: ruleName,
      action: action(actions, actionHelp),
      from: arr(INGRESS_PEER, 'Sources this rule matches: at least 1, at most 100.', { min: 1, max: 100 }),
      ports: PORTS,
    }, ['action', 'from']),
    'Ingress rules, at most 100, in precedence order: the first matching rule decides.',
    { max: 100 },
  ),
  egress: arr(
    o('What to do with traffic from the subject pods to the peers in `to`. A rule with `networks` or `nodes` peers cannot use `namedPort`.', {
      name: ruleName,
      action: action(actions, actionHelp),
      to: arr(EGRESS_PEER, 'Destinations this rule matches: at least 1, at most 100.', { min: 1, max: 100 }),
      ports: PORTS,
    }, ['action', 'to']),
    'Egress rules, at most 100, in precedence order: the first matching rule decides.',
    { max: 100 },
  ),
});

const STATUS = o('Conditions reported by the implementation.', {
  conditions: arr(
    o('A metav1.Condition.', {
      type: s('Condition type.'),
      status: s('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      reason: s('Machine-readable reason.'),
      message: s('Human-readable message.'),
      lastTransitionTime: s('When the condition last changed.', { format: 'date-time' }),
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The generation the condition was set for.' },
    }, ['lastTransitionTime', 'message', 'reason', 'status', 'type']),
    'Conditions.',
  ),
}, ['conditions']);

const ANP_ACTION_HELP =
  'Allow: accept (no NetworkPolicy or BaselineAdminNetworkPolicy can deny it). Deny: drop. Pass: skip the remaining AdminNetworkPolicies and let the NetworkPolicies decide, then the BaselineAdminNetworkPolicy.';
const BANP_ACTION_HELP = 'Allow or Deny, applied only when no AdminNetworkPolicy and no NetworkPolicy decided.';

export const POLICY_API_PROPERTIES: [string, Record<string, Schema>][] = [
  [
    'policy.networking.k8s.io/AdminNetworkPolicy',
    {
      spec: o('The desired behaviour of the AdminNetworkPolicy.', {
        priority: i('0 to 1000: lower values take precedence. Every AdminNetworkPolicy comes before every NetworkPolicy and the BaselineAdminNetworkPolicy. In Calico this is the order in tier `adminnetworkpolicy`.', 0, 1000),
        subject: SUBJECT,
        ...rules(['Allow', 'Deny', 'Pass'], ANP_ACTION_HELP),
      }, ['priority', 'subject']),
      status: STATUS,
    },
  ],
  [
    'policy.networking.k8s.io/BaselineAdminNetworkPolicy',
    {
      spec: o('The desired behaviour of the BaselineAdminNetworkPolicy.', { subject: SUBJECT, ...rules(['Allow', 'Deny'], BANP_ACTION_HELP) }, ['subject']),
      status: STATUS,
    },
  ],
];

export const POLICY_API_DESCRIPTIONS: [string, string][] = [
  [
    'policy.networking.k8s.io/AdminNetworkPolicy',
    'AdminNetworkPolicy is a cluster-scoped policy of the cluster administrator, evaluated before every NetworkPolicy (Calico: GlobalNetworkPolicy kanp.adminnetworkpolicy.<name> in tier adminnetworkpolicy).',
  ],
  [
    'policy.networking.k8s.io/BaselineAdminNetworkPolicy',
    'BaselineAdminNetworkPolicy is the cluster-wide default, evaluated after the NetworkPolicies; there is one, named default (Calico: kbanp.baselineadminnetworkpolicy.default in tier baselineadminnetworkpolicy).',
  ],
];
