/**
 * @module JSON output as calicoctl writes it (Go `json.MarshalIndent(v, "", "  ")`): struct
 * field order — TypeMeta (`kind`, `apiVersion`) first, then `metadata` in ObjectMeta order,
 * `spec`, `status` — and Go's HTML-safe escaping of `<`, `>` and `&`. Pure.
 */

const TOP = ['kind', 'apiVersion', 'metadata', 'items', 'spec', 'status'];
const META = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

const _isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function _ordered(o: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const [k, v] of Object.entries(o)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** Go struct field order of the spec types calicoctl prints most (api/pkg/apis/projectcalico/v3). */
const SPEC_ORDER: Readonly<Record<string, readonly string[]>> = {
  NetworkPolicy: ['tier', 'order', 'selector', 'types', 'ingress', 'egress', 'serviceAccountSelector', 'performanceHints'],
  GlobalNetworkPolicy: ['tier', 'order', 'selector', 'ingress', 'egress', 'doNotTrack', 'preDNAT', 'applyOnForward', 'types', 'namespaceSelector', 'serviceAccountSelector', 'performanceHints'],
  HostEndpoint: ['node', 'interfaceName', 'expectedIPs', 'profiles', 'ports'],
  Tier: ['order', 'defaultAction'],
};
const RULE = ['action', 'ipVersion', 'protocol', 'icmp', 'notProtocol', 'notICMP', 'source', 'destination', 'http', 'metadata'];
const ENTITY = ['nets', 'selector', 'namespaceSelector', 'services', 'ports', 'notNets', 'notSelector', 'notPorts', 'serviceAccounts'];

function _rules(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((r) => {
    if (!_isObj(r)) return r;
    const o = _ordered(r, RULE);
    for (const k of ['source', 'destination']) if (_isObj(o[k])) o[k] = _ordered(o[k], ENTITY);
    return o;
  });
}

function _resource(v: unknown): unknown {
  if (!_isObj(v)) return v;
  const o = _ordered(v, TOP);
  if (_isObj(o['metadata'])) o['metadata'] = _ordered(o['metadata'], META);
  if (Array.isArray(o['items'])) o['items'] = o['items'].map(_resource);
  const order = typeof o['kind'] === 'string' ? SPEC_ORDER[o['kind'].replace(/^Staged/, '')] : undefined;
  if (_isObj(o['spec'])) {
    const spec = order ? _ordered(o['spec'], order) : { ...o['spec'] };
    for (const k of ['ingress', 'egress']) if (spec[k] !== undefined) spec[k] = _rules(spec[k]);
    o['spec'] = spec;
  }
  return o;
}

/** One resource, a list object, or an array of resources, as calicoctl's JSON (with newline). */
export function toCalicoJson(value: unknown): string {
  const v = Array.isArray(value) ? value.map(_resource) : _resource(value);
  const text = JSON.stringify(v, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${text}\n`;
}
