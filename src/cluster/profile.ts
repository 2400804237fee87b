/**
 * @module Cluster profiles: what a fresh cluster holds before the operator writes anything. A
 * profile is data: the resources to create, the workers to create as Kubernetes Nodes, and
 * the interface convention of its workers (which address sits on which interface). Pure.
 */
import type { AutoHostEndpointTemplate } from '../model/calico/other-types.js';
import { BREAKS_ANNOTATION, MANAGED_BY_LABEL, PROFILE_LABEL, PROVIDER } from './markers.js';
import { cidrContains } from './cidr.js';

export type Manifest = Readonly<Record<string, unknown>>;

/** One worker: the Kubernetes Node to create (and the lab to bring up, when there is one). */
export interface WorkerSpec {
  readonly name: string;
  /** Private address (Node InternalIP). */
  readonly internalIP: string;
  /** Public address (Node ExternalIP), if the worker is on a public VLAN. */
  readonly externalIP?: string;
  /** This worker's pod CIDR. */
  readonly podCIDR: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Node address type → interface name: where a provider puts each address on its workers. */
export type InterfaceConvention = Readonly<Partial<Record<'InternalIP' | 'ExternalIP', string>>>;

export interface ClusterProfile {
  readonly name: string;
  readonly description: string;
  readonly interfaces: InterfaceConvention;
  /** The workers of a cluster of `count` workers, 1-based: worker i is `workers(n)[i-1]`. */
  workers(count: number): readonly WorkerSpec[];
  /** How the provider names workers, `{i}` for the index (the lab names its workers so too). */
  readonly workerNames: string;
  /** The labels every worker's Node carries (the lab's Nodes carry them too). */
  readonly workerLabels: Readonly<Record<string, string>>;
  /** The resources the profile creates (provider-managed ones carry the marker). */
  resources(ctx: ProfileContext): readonly Manifest[];
}

export interface ProfileContext {
  /** The cluster's workers (the profile's own, or the lab's). */
  readonly workers: readonly WorkerSpec[];
  /**
   * Who places pods: `static` means nobody, so the profile's pods carry `spec.nodeName` and a
   * `status.podIP` from the first worker's pod CIDR; `lab` leaves both to the lab.
   */
  readonly scheduler: 'static' | 'lab';
}

/**
 * The cluster's address plan, one for every profile and the same with or without the lab (the
 * lab's topology realizes it; a test holds them equal): worker i (1-based) has the private
 * (InternalIP) address 198.18.0.(10+i), the public (ExternalIP) 198.18.1.(10+i) and the pod
 * CIDR 198.19.i.0/24, all in the documentation range 198.18.0.0/15.
 */
export function workerAddresses(i: number): { readonly internalIP: string; readonly externalIP: string; readonly podCIDR: string } {
  return { internalIP: `198.18.0.${10 + i}`, externalIP: `198.18.1.${10 + i}`, podCIDR: `198.19.${i}.0/24` };
}

/** The private, public and pod networks of the address plan. */
export const ADDRESS_PLAN = { privateNet: '198.18.0.0/24', publicNet: '198.18.1.0/24', podNetwork: '198.19.0.0/16' } as const;

/** The host address `n` of an IPv4 /24 (`172.30.1.0/24`, 10 → `172.30.1.10`). */
export function hostInCidr(cidr: string, n: number): string {
  const base = cidr.split('/')[0]!.split('.');
  return [...base.slice(0, 3), String(n)].join('.');
}

/**
 * A Kubernetes v1 Node for a worker. On the address plan's private network it carries the
 * annotation calico-node writes on a Kubernetes Node (`projectcalico.org/IPv4Address`, the
 * address with its subnet's prefix), as the lab's Calico Node does in `bgp.ipv4Address`: the
 * engine learns the node's connected subnet from either, so a verdict picks the same interface
 * with or without the lab.
 */
export function nodeManifest(w: WorkerSpec): Manifest {
  const prefix = ADDRESS_PLAN.privateNet.split('/')[1]!;
  const onPlan = cidrContains(ADDRESS_PLAN.privateNet, w.internalIP);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: w.name,
      labels: { 'kubernetes.io/hostname': w.name, 'kubernetes.io/os': 'linux', ...w.labels },
      ...(onPlan ? { annotations: { 'projectcalico.org/IPv4Address': `${w.internalIP}/${prefix}` } } : {}),
    },
    spec: { podCIDR: w.podCIDR, podCIDRs: [w.podCIDR] },
    status: {
      addresses: [
        { type: 'InternalIP', address: w.internalIP },
        ...(w.externalIP === undefined ? [] : [{ type: 'ExternalIP', address: w.externalIP }]),
        { type: 'Hostname', address: w.name },
      ],
    },
  };
}

/** `metadata` for a provider-managed object of `profile`; `breaks` says what stops working without it. */
export function providerMeta(profile: string, name: string, breaks: string, extra: { namespace?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    name,
    ...(extra.namespace === undefined ? {} : { namespace: extra.namespace }),
    labels: { ...(extra.labels ?? {}), [MANAGED_BY_LABEL]: PROVIDER, [PROFILE_LABEL]: profile },
    annotations: { [BREAKS_ANNOTATION]: breaks },
  };
}

/** A KubeControllersConfiguration `default` with automatic host endpoints from `templates`. */
export function kubeControllersConfig(profile: string, templates: readonly AutoHostEndpointTemplate[]): Manifest {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'KubeControllersConfiguration',
    metadata: providerMeta(profile, 'default', 'the automatic host endpoints of every worker (they would be deleted, leaving the workers\' interfaces without host policy)'),
    spec: { controllers: { node: { hostEndpoint: { autoCreate: 'Enabled', templates: [...templates] } } } },
  };
}
