/**
 * @module The kinds a cluster with Calico in Kubernetes-datastore mode serves as custom
 * resources under `crd.projectcalico.org/v1` (libcalico-go/config/crd/), and the
 * `apiextensions.k8s.io/v1` CustomResourceDefinition objects that declare them. Used by the API
 * server's CRD mode; not in the model's registry (ALL_KINDS), so nothing else serves or lists
 * them. Pure.
 *
 * Objects are stored as written (a custom resource is what the client sent plus server
 * metadata). Kinds Tabby models are checked on the way in by reading them as Calico would
 * (kddToV3) and passing the v3 object through the model's door: a custom resource that Calico
 * could not read, or that calicoctl would refuse, is refused with its field path. Kinds Tabby
 * does not model (IPPool, BGPPeer, IPAM blocks…) are stored with only their metadata checked.
 */
import { anyValue, obj, str, type Decoder } from '../decode/decoder.js';
import { defineKind, type KindInfo } from '../kind-info.js';
import { objectMetaDecoder, type Resource } from '../meta.js';
import { kindFor } from '../kinds.js';
import { decodeResource } from '../validate-resource.js';
import { KDD_GROUP, KDD_VERSION, kddToV3 } from './crd-kdd.js';

interface _CrdRow {
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** Every CRD of Calico's KDD install (crd.projectcalico.org_*.yaml), kind → plural, scope. */
const _CALICO_CRDS: readonly _CrdRow[] = [
  { kind: 'BGPConfiguration', plural: 'bgpconfigurations', namespaced: false },
  { kind: 'BGPFilter', plural: 'bgpfilters', namespaced: false },
  { kind: 'BGPPeer', plural: 'bgppeers', namespaced: false },
  { kind: 'BlockAffinity', plural: 'blockaffinities', namespaced: false },
  { kind: 'CalicoNodeStatus', plural: 'caliconodestatuses', namespaced: false },
  { kind: 'ClusterInformation', plural: 'clusterinformations', namespaced: false },
  { kind: 'FelixConfiguration', plural: 'felixconfigurations', namespaced: false },
  { kind: 'GlobalNetworkPolicy', plural: 'globalnetworkpolicies', namespaced: false },
  { kind: 'GlobalNetworkSet', plural: 'globalnetworksets', namespaced: false },
  { kind: 'HostEndpoint', plural: 'hostendpoints', namespaced: false },
  { kind: 'IPAMBlock', plural: 'ipamblocks', namespaced: false },
  { kind: 'IPAMConfig', plural: 'ipamconfigs', namespaced: false },
  { kind: 'IPAMHandle', plural: 'ipamhandles', namespaced: false },
  { kind: 'IPPool', plural: 'ippools', namespaced: false },
  { kind: 'IPReservation', plural: 'ipreservations', namespaced: false },
  { kind: 'KubeControllersConfiguration', plural: 'kubecontrollersconfigurations', namespaced: false },
  { kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
  { kind: 'NetworkSet', plural: 'networksets', namespaced: true },
  { kind: 'StagedGlobalNetworkPolicy', plural: 'stagedglobalnetworkpolicies', namespaced: false },
  { kind: 'StagedKubernetesNetworkPolicy', plural: 'stagedkubernetesnetworkpolicies', namespaced: true },
  { kind: 'StagedNetworkPolicy', plural: 'stagednetworkpolicies', namespaced: true },
  { kind: 'Tier', plural: 'tiers', namespaced: false },
];

const _crShape = obj({ apiVersion: str, kind: str, metadata: objectMetaDecoder, spec: anyValue, status: anyValue });

/** A custom resource, type-checked at the top and in metadata, then (for modelled kinds) read as Calico reads it. */
function _crDecoder(kind: string): Decoder<Resource> {
  return (raw, path, errs) => {
    const shaped = _crShape(raw, path, errs);
    if (shaped === undefined) return undefined;
    // Looked up per call, not at load: this module may be loaded while the registry is.
    if (kindFor('projectcalico.org/v3', kind) === undefined) return shaped as Resource;
    const v3 = kddToV3(raw, path);
    if (!v3.ok) {
      errs.push(...v3.error);
      return undefined;
    }
    const d = decodeResource(v3.value, path);
    if (!d.ok) {
      errs.push(...d.error);
      return undefined;
    }
    return shaped as Resource;
  };
}

function _row(r: _CrdRow): KindInfo {
  return defineKind<Resource>({
    kind: r.kind,
    group: KDD_GROUP,
    version: KDD_VERSION,
    plural: r.plural,
    singular: r.kind.toLowerCase(),
    shortNames: [],
    namespaced: r.namespaced,
    decode: _crDecoder(r.kind),
    applyDefaults: (o) => o,
    validate: () => [],
  });
}

/** The `crd.projectcalico.org/v1` kinds, one row each, in the CRD files' order. */
export const KDD_KINDS: readonly KindInfo[] = _CALICO_CRDS.map(_row);

/** `apiextensions.k8s.io/v1` CustomResourceDefinition (spec and status kept as written). */
export const CUSTOM_RESOURCE_DEFINITION_KIND: KindInfo = defineKind<Resource>({
  kind: 'CustomResourceDefinition',
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  shortNames: ['crd', 'crds'],
  namespaced: false,
  decode: _crShape as Decoder<Resource>,
  applyDefaults: (o) => o,
  validate: () => [],
});

/** Whether Tabby reads this `crd.projectcalico.org/v1` kind into its model (kddToV3 + decode). */
export function isModelledKddKind(info: KindInfo): boolean {
  return info.group === KDD_GROUP && kindFor('projectcalico.org/v3', info.kind) !== undefined;
}

/**
 * The CustomResourceDefinition a Calico install creates for one kind: names, scope, one served
 * and stored version v1 with a structural schema that keeps every field (Calico's own schemas
 * list each field; Tabby's server checks the objects against the model instead).
 */
export function customResourceDefinitionFor(info: KindInfo, creationTimestamp: string): Resource {
  const names = { kind: info.kind, listKind: `${info.kind}List`, plural: info.plural, singular: info.singular };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${info.group}`, creationTimestamp },
    spec: {
      group: info.group,
      names,
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: info.version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                ...(info.kind === 'KubeControllersConfiguration' || info.kind === 'CalicoNodeStatus' || info.kind === 'IPPool' || info.kind === 'Tier'
                  ? { status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }
                  : {}),
              },
            },
          },
        },
      ],
    },
    status: {
      acceptedNames: names,
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: creationTimestamp },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: creationTimestamp },
      ],
      storedVersions: [info.version],
    },
  } as Resource;
}
