/**
 * @module Cluster management: cluster profiles (what a new cluster holds), the host endpoint
 * controller (automatic HostEndpoints from Nodes, as Calico kube-controllers makes them) and
 * policy packs (the seed's policy sets, with parameters).
 */
export * from './markers.js';
export { nodeManifest, workerAddresses, ADDRESS_PLAN, providerMeta, kubeControllersConfig, type ClusterProfile, type InterfaceConvention, type Manifest, type ProfileContext, type WorkerSpec } from './profile.js';
export { PROFILES, DEFAULT_PROFILE, profileNamed, loadProfile, createMissing, type LoadReport } from './load-profile.js';
export { desiredHostEndpoints, nodeInterfaces, type NodeInterface } from './auto-host-endpoints.js';
export { startHostEndpointController, reconcileHostEndpoints, type HostEndpointController, type HostEndpointControllerOptions, type ReconcileReport } from './host-endpoint-controller.js';
export { renderPack, applyPack, removePack, type PackDefinition, type PackParam, type RenderedPack, type PackApplyResult, type PackRemoveResult } from './pack.js';
export { PACKS } from './packs/catalog.js';
export { cidrContains, isCidrOrIp } from './cidr.js';
export { clusterDefaults, coveringCidr, pathsCut, type CutFlow } from './pack-fit.js';
export { startStaticScheduler, placePods, type StaticScheduler } from './static-scheduler.js';
