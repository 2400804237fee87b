/**
 * @module Packs fit the cluster they land on (pure):
 * - `clusterDefaults`: parameter values read from the cluster — the pod network (covering the
 *   Nodes' pod CIDRs, at least a /16), the private networks (the /24 of each Node's InternalIP)
 *   and the first LoadBalancer address — so a pack's defaults are this cluster's, not the seed's.
 * - `pathsCut`: the cluster's own paths a change would close: pod → pod on the destination's
 *   declared ports (TCP 80 when it declares none), worker → worker and pod → worker on the
 *   kubelet port, worker → pod. Each is evaluated by the engine before and after the change
 *   (with the host endpoints the templates would generate); an Allow that becomes a Deny at a
 *   host endpoint (host policy cutting the cluster's plumbing) is cut. A Deny at a pod is the
 *   pack's purpose (access-nginx closes nginx to every pod but access) and is not reported.
 */
import { applyChanges, buildSnapshot, runVerdicts, type FlowInput } from '../engine/index.js';
import type { Resource } from '../model/meta.js';
import type { KubeControllersConfigurationSpec } from '../model/calico/other-types.js';
import { decodeResource } from '../model/validate-resource.js';
import type { StoredObject } from '../datastore/index.js';
import { desiredHostEndpoints } from './auto-host-endpoints.js';
import type { RenderedPack } from './pack.js';
import type { InterfaceConvention, Manifest } from './profile.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const _arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const _str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const KUBELET = 10250;
/** Bounds the work of one check (pairs of pods grow quadratically). */
const MAX_FLOWS = 20_000;

function _v4(ip: string): number | undefined {
  const p = ip.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return p.reduce((a, x) => a * 256 + Number(x), 0);
}
const _text = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The smallest IPv4 CIDR covering `cidrs`, no longer than `maxLen`. */
export function coveringCidr(cidrs: readonly string[], maxLen = 32): string | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    const n = _v4(net ?? '');
    const len = bits === undefined ? 32 : Number(bits);
    if (n === undefined || !Number.isInteger(len) || len < 0 || len > 32) continue;
    const size = 2 ** (32 - len);
    lo = Math.min(lo, Math.floor(n / size) * size);
    hi = Math.max(hi, Math.floor(n / size) * size + size - 1);
  }
  if (lo === Infinity) return undefined;
  let len = Math.min(maxLen, 32);
  while (len > 0 && Math.floor(lo / 2 ** (32 - len)) !== Math.floor(hi / 2 ** (32 - len))) len--;
  const size = 2 ** (32 - len);
  return `${_text(Math.floor(lo / size) * size)}/${len}`;
}

function _nodes(objects: readonly Obj[]): Obj[] {
  return objects.filter((o) => o['kind'] === 'Node' && o['apiVersion'] === 'v1');
}

/** Parameter values from the cluster: `podNetwork`, `privateNets`, `lbIP` (each only when the cluster says). */
export function clusterDefaults(objects: readonly unknown[]): Record<string, string> {
  const objs = objects.map(_obj);
  const out: Record<string, string> = {};
  const nodes = _nodes(objs);
  const podCidrs = nodes.flatMap((n) => [_str(_obj(n['spec'])['podCIDR']), ..._arr(_obj(n['spec'])['podCIDRs']).map(_str)]).filter((c): c is string => c !== undefined && !c.includes(':'));
  const pods = coveringCidr(podCidrs, 16);
  if (pods !== undefined) out['podNetwork'] = pods;
  const internal = nodes.flatMap((n) => _arr(_obj(n['status'])['addresses']).map(_obj).filter((a) => a['type'] === 'InternalIP').map((a) => _str(a['address']) ?? ''));
  const nets = [...new Set(internal.map(_v4).filter((n): n is number => n !== undefined).map((n) => `${_text(Math.floor(n / 256) * 256)}/24`))].sort();
  if (nets.length > 0) out['privateNets'] = nets.join(',');
  for (const s of objs) {
    if (s['kind'] !== 'Service' || _obj(s['spec'])['type'] !== 'LoadBalancer') continue;
    const ip = _str(_obj(s['spec'])['loadBalancerIP']) ?? _arr(_obj(_obj(s['status'])['loadBalancer'])['ingress']).map((i) => _str(_obj(i)['ip'])).find((x) => x !== undefined);
    if (ip !== undefined && ip !== '') {
      out['lbIP'] = ip;
      break;
    }
  }
  return out;
}

export interface CutFlow {
  readonly flow: FlowInput;
  /** What the flow is, for the user: `pod default/a → pod default/b TCP/80`. */
  readonly label: string;
  /** The policy that decides it after the change. */
  readonly decidedBy: string;
}

function _decode(m: unknown): Resource | undefined {
  const r = decodeResource(m);
  return r.ok ? r.value.resource : undefined;
}

/** The cluster's own paths, as flows between its pods and workers. */
function _ownFlows(objects: readonly Obj[]): { flow: FlowInput; label: string }[] {
  const pods = objects
    .filter((o) => o['kind'] === 'Pod' && o['apiVersion'] === 'v1')
    .map((p) => {
      const meta = _obj(p['metadata']);
      const key = `${_str(meta['namespace']) ?? 'default'}/${_str(meta['name']) ?? ''}`;
      const ip = _str(_obj(p['status'])['podIP']);
      const ports = _arr(_obj(p['spec'])['containers']).flatMap((c) => _arr(_obj(c)['ports']).map(_obj)).map((x) => ({ port: Number(x['containerPort']), protocol: _str(x['protocol']) ?? 'TCP' })).filter((x) => Number.isInteger(x.port) && x.port > 0);
      return { key, ip, ports: ports.length > 0 ? ports : [{ port: 80, protocol: 'TCP' }], hostNetwork: _obj(p['spec'])['hostNetwork'] === true };
    })
    .filter((p) => p.ip !== undefined && p.ip !== '' && !p.hostNetwork);
  const nodes = _nodes(objects).map((n) => _str(_obj(n['metadata'])['name']) ?? '').filter((n) => n !== '');
  const out: { flow: FlowInput; label: string }[] = [];
  const add = (flow: FlowInput, label: string): void => void (out.length < MAX_FLOWS && out.push({ flow, label }));
  for (const a of pods) for (const b of pods) if (a.key !== b.key) for (const p of b.ports) add({ from: a.key, to: b.key, port: p.port, protocol: p.protocol }, `pod ${a.key} → pod ${b.key} ${p.protocol}/${p.port}`);
  for (const a of nodes) for (const b of nodes) if (a !== b) add({ from: `node:${a}`, to: `node:${b}`, port: KUBELET, protocol: 'TCP' }, `worker ${a} → worker ${b} TCP/${KUBELET} (kubelet)`);
  for (const a of pods) for (const n of nodes) add({ from: a.key, to: `node:${n}`, port: KUBELET, protocol: 'TCP' }, `pod ${a.key} → worker ${n} TCP/${KUBELET} (kubelet)`);
  for (const n of nodes) for (const b of pods) for (const p of b.ports) add({ from: `node:${n}`, to: b.key, port: p.port, protocol: p.protocol }, `worker ${n} → pod ${b.key} ${p.protocol}/${p.port}`);
  return out;
}

/**
 * The paths of the cluster (`objects`: every stored object, as listed) that `pack` would cut:
 * open now, denied once its manifests are applied and its host endpoint templates realized.
 */
export function pathsCut(objects: readonly StoredObject[] | readonly unknown[], pack: RenderedPack, convention: InterfaceConvention): CutFlow[] {
  const objs = (objects as readonly unknown[]).map(_obj);
  const before = objs.map(_decode).filter((r): r is Resource => r !== undefined);
  const kcc = objs.find((o) => o['kind'] === 'KubeControllersConfiguration' && _str(_obj(o['metadata'])['name']) === 'default');
  const spec = _obj(kcc?.['spec']) as KubeControllersConfigurationSpec;
  const hep = spec.controllers?.node?.hostEndpoint;
  const templates = [...(hep?.templates ?? []), ...(pack.pack.hostEndpointTemplates ?? [])];
  const merged: KubeControllersConfigurationSpec = { ...spec, controllers: { ...spec.controllers, node: { ...spec.controllers?.node, hostEndpoint: { ...hep, autoCreate: 'Enabled', templates } } } };
  const heps: Manifest[] = (pack.pack.hostEndpointTemplates ?? []).length === 0 ? [] : desiredHostEndpoints(merged, _nodes(objs) as unknown as StoredObject[], convention);
  const added = [...pack.manifests, ...heps].map(_decode).filter((r): r is Resource => r !== undefined);
  const after = buildSnapshot(applyChanges(before, { apply: added }));
  const flows = _ownFlows(objs);
  const b = runVerdicts(buildSnapshot(before), flows.map((f) => f.flow));
  const a = runVerdicts(after, flows.map((f) => f.flow));
  const cut: CutFlow[] = [];
  flows.forEach((f, i) => {
    if (b[i]!.action !== 'Allow' || a[i]!.action === 'Allow' || b[i]!.error !== undefined) return;
    const decided = a[i]!.trace.find((s) => s.action === 'Deny') ?? a[i]!.trace.at(-1);
    // A pack's pod policies close pod paths on purpose (access-nginx); a path closed by host
    // policy (a host endpoint's stage) is the cluster's own plumbing, cut as a side effect.
    if (decided?.endpoint === undefined || !decided.endpoint.startsWith('hep:')) return;
    cut.push({ ...f, decidedBy: decided === undefined ? 'no stage' : `${decided.stage}${decided.endpoint === undefined ? '' : ` ${decided.endpoint}`}: ${decided.summary}` });
  });
  return cut;
}
