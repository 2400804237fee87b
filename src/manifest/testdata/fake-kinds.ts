/**
 * @module A small stand-in for the kind registry, so the manifest reader is tested on its own:
 * a strict GlobalNetworkPolicy / Calico NetworkPolicy and a Kubernetes NetworkPolicy, built
 * from the real decoders, with one semantic check (port range) to exercise value errors.
 */
import { arr, bool, intOrStr, isPlainObject, num, obj, oneOf, record, runDecoder, str, type Decoder } from '../../model/decode/index.js';
import { invalid, notSupported, required, type FieldError } from '../../model/field/errors.js';
import type { FieldPath } from '../../model/field/path.js';
import { defineKind, resourceDecoder, type KindInfo } from '../../model/kind-info.js';
import type { Resource } from '../../model/meta.js';
import type { Result } from '../../lib/result.js';
import type { DecodedResource } from '../../model/validate-resource.js';

const entity = obj({ nets: arr(str), notNets: arr(str), ports: arr(intOrStr), notPorts: arr(intOrStr), selector: str, namespaceSelector: str });
const rule = obj({
  action: oneOf(['Allow', 'Deny', 'Log', 'Pass']),
  protocol: intOrStr,
  notProtocol: intOrStr,
  ipVersion: num,
  source: entity,
  destination: entity,
});
const calicoSpec = obj({
  order: num,
  selector: str,
  types: arr(oneOf(['Ingress', 'Egress'])),
  applyOnForward: bool,
  preDNAT: bool,
  doNotTrack: bool,
  ingress: arr(rule),
  egress: arr(rule),
});
const labelSelector = obj({ matchLabels: record(str), matchExpressions: arr(obj({ key: str, operator: str, values: arr(str) })) });
const peer = obj({ podSelector: labelSelector, namespaceSelector: labelSelector, ipBlock: obj({ cidr: str, except: arr(str) }) });
const knpPort = obj({ port: intOrStr, endPort: num, protocol: str });
const knpSpec = obj({
  podSelector: labelSelector,
  ingress: arr(obj({ from: arr(peer), ports: arr(knpPort) })),
  egress: arr(obj({ to: arr(peer), ports: arr(knpPort) })),
  policyTypes: arr(str),
});

interface Spec {
  spec?: { ingress?: { destination?: { ports?: (number | string)[] } }[] };
}

function portErrors(o: Resource & Spec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (o.spec?.ingress ?? []).forEach((r, i) =>
    (r.destination?.ports ?? []).forEach((p, j) => {
      if (typeof p === 'number' && (p < 1 || p > 65535))
        errs.push(invalid(path.child('spec').child('ingress').index(i).child('destination').child('ports').index(j), p, 'port number must be between 1 and 65535'));
    }),
  );
  return errs;
}

function kind(group: string, version: string, k: string, namespaced: boolean, spec: Decoder<unknown>): KindInfo {
  return defineKind<Resource & Spec>({
    kind: k,
    group,
    version,
    plural: `${k.toLowerCase()}s`,
    singular: k.toLowerCase(),
    shortNames: [],
    namespaced,
    decode: resourceDecoder({ spec }) as Decoder<Resource & Spec>,
    applyDefaults: (x) => x,
    validate: portErrors,
  });
}

export const FAKE_KINDS: readonly KindInfo[] = [
  kind('projectcalico.org', 'v3', 'GlobalNetworkPolicy', false, calicoSpec),
  kind('projectcalico.org', 'v3', 'NetworkPolicy', true, calicoSpec),
  kind('networking.k8s.io', 'v1', 'NetworkPolicy', true, knpSpec),
];

/** decodeResource over FAKE_KINDS. */
export function fakeDecode(raw: unknown, path: FieldPath): Result<DecodedResource, FieldError[]> {
  if (!isPlainObject(raw)) return { ok: false, error: [invalid(path, raw, 'expected a map (a resource object)')] };
  const errs: FieldError[] = [];
  if (typeof raw['apiVersion'] !== 'string') errs.push(required(path.child('apiVersion'), 'apiVersion must be set'));
  if (typeof raw['kind'] !== 'string') errs.push(required(path.child('kind'), 'kind must be set'));
  if (errs.length > 0) return { ok: false, error: errs };
  const info = FAKE_KINDS.find((k) => `${k.group}/${k.version}` === raw['apiVersion'] && k.kind === raw['kind']);
  if (!info) return { ok: false, error: [notSupported(path.child('kind'), raw['kind'], FAKE_KINDS.map((k) => k.kind))] };
  const d = runDecoder(info.decode, raw, path);
  if (d.value === undefined) return { ok: false, error: d.errors };
  const v = info.validate(d.value, path);
  if ((d.value.metadata?.name ?? '') === '') v.unshift(required(path.child('metadata').child('name'), 'name or generateName is required'));
  if (v.length > 0) return { ok: false, error: v };
  return { ok: true, value: { info, resource: d.value } };
}
