/**
 * @module Policy packs: render a pack with parameters into manifests (pure), and apply it
 * through the ResourceClient. Every rendered object is labelled `tabby.dev/pack: <name>`.
 * A pack may add automatic host endpoint templates: applying it merges them into the
 * KubeControllersConfiguration `default` (a provider-managed object, so that one write is
 * forced, and reported), and the host endpoint controller does the rest as workers come and go.
 */
import { parseAllDocuments } from 'yaml';
import type { ResourceClient, WriteOutcome } from '../client/index.js';
import { NotFoundError } from '../datastore/index.js';
import { kindFor } from '../model/kinds.js';
import type { AutoHostEndpointTemplate } from '../model/calico/other-types.js';
import { err, ok, type Result } from '../lib/index.js';
import { isCidrOrIp } from './cidr.js';
import { PACK_LABEL } from './markers.js';
import type { Manifest } from './profile.js';

/** `cidrs`: a comma-separated list of addresses or CIDRs, substituted as YAML flow-list items. */
export type PackParamKind = 'cidr' | 'cidrs' | 'name';

export interface PackParam {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
  readonly kind: PackParamKind;
  /** The running cluster gives the default (pack-fit.ts clusterDefaults), before `default`. */
  readonly fromCluster?: boolean;
}

export interface PackDefinition {
  readonly name: string;
  readonly description: string;
  /** The seed section it reproduces. */
  readonly seed: string;
  readonly params: readonly PackParam[];
  /** Multi-document YAML with `{{param}}` placeholders. */
  readonly yaml: string;
  readonly hostEndpointTemplates?: readonly AutoHostEndpointTemplate[];
}

export interface RenderedPack {
  readonly pack: PackDefinition;
  readonly values: Readonly<Record<string, string>>;
  readonly manifests: readonly Manifest[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function _checkValue(p: PackParam, v: string): string | undefined {
  switch (p.kind) {
    case 'cidr':
      return isCidrOrIp(v) ? undefined : `${p.name}: Invalid value: ${JSON.stringify(v)}: must be an IP address or CIDR`;
    case 'cidrs': {
      const items = v.split(',').map((x) => x.trim());
      const bad = items.filter((x) => !isCidrOrIp(x));
      return items.length > 0 && bad.length === 0 ? undefined : `${p.name}: Invalid value: ${JSON.stringify(v)}: must be a comma-separated list of IP addresses or CIDRs${bad.length > 0 ? ` (not: ${bad.map((b) => JSON.stringify(b)).join(', ')})` : ''}`;
    }
    case 'name':
      return DNS_LABEL.test(v) ? undefined : `${p.name}: Invalid value: ${JSON.stringify(v)}: must be a lowercase RFC 1123 label`;
  }
}

/** A bare address as the /32 (or /128) the policies need. */
const _asCidr = (v: string): string => (v.includes('/') ? v : v.includes(':') ? `${v}/128` : `${v}/32`);

/** `--set k=v` values (else the cluster's, for `fromCluster` parameters) → the pack's manifests; every problem at once. */
export function renderPack(pack: PackDefinition, set: Readonly<Record<string, string>>, fromCluster: Readonly<Record<string, string>> = {}): Result<RenderedPack, string[]> {
  const errors: string[] = [];
  const known = new Set(pack.params.map((p) => p.name));
  for (const k of Object.keys(set)) if (!known.has(k)) errors.push(`${k}: Unsupported parameter: pack ${pack.name} takes ${pack.params.length === 0 ? 'no parameters' : pack.params.map((p) => p.name).join(', ')}`);
  const values: Record<string, string> = {};
  for (const p of pack.params) {
    const v = set[p.name] ?? (p.fromCluster === true ? fromCluster[p.name] : undefined) ?? p.default;
    if (v === undefined) {
      errors.push(`${p.name}: Required value: ${p.description} (--set ${p.name}=...)`);
      continue;
    }
    const bad = _checkValue(p, v);
    if (bad !== undefined) errors.push(bad);
    else values[p.name] = p.kind === 'cidr' ? _asCidr(v) : p.kind === 'cidrs' ? v.split(',').map((x) => _asCidr(x.trim())).join(',') : v;
  }
  if (errors.length > 0) return err(errors);
  const kinds = new Map(pack.params.map((p) => [p.name, p.kind]));
  const text = pack.yaml.replace(/\{\{(\w+)\}\}/g, (_m, k: string) =>
    kinds.get(k) === 'cidrs' ? (values[k] ?? '').split(',').map((x) => `'${x}'`).join(', ') : (values[k] ?? ''),
  );
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    const v: unknown = doc.toJS();
    if (typeof v !== 'object' || v === null) continue;
    const m = v as Record<string, unknown>;
    const meta = (m['metadata'] ?? {}) as Record<string, unknown>;
    const labels = (meta['labels'] ?? {}) as Record<string, string>;
    manifests.push({ ...m, metadata: { ...meta, labels: { ...labels, [PACK_LABEL]: pack.name } } });
  }
  return ok({ pack, values, manifests });
}

export interface PackApplyResult {
  readonly id: string;
  readonly outcome: WriteOutcome;
}

const _id = (m: Manifest): string => {
  const meta = (m['metadata'] ?? {}) as { name?: string; namespace?: string };
  return `${String(m['kind'])} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`;
};

/**
 * Applies the manifests in order (namespaces first, as written), then merges the host endpoint
 * templates into KubeControllersConfiguration `default` (creating it if missing).
 */
export async function applyPack(client: ResourceClient, r: RenderedPack, opts: { dryRun?: boolean } = {}): Promise<PackApplyResult[]> {
  const dryRun = opts.dryRun === true;
  const out: PackApplyResult[] = [];
  for (const m of r.manifests) {
    const res = await client.apply(m, { dryRun });
    out.push({ id: _id(m), outcome: res.outcome });
  }
  const templates = r.pack.hostEndpointTemplates ?? [];
  if (templates.length > 0) out.push({ id: 'KubeControllersConfiguration default (host endpoint templates)', outcome: await _mergeTemplates(client, templates, dryRun) });
  return out;
}

async function _mergeTemplates(client: ResourceClient, templates: readonly AutoHostEndpointTemplate[], dryRun: boolean): Promise<WriteOutcome> {
  const info = kindFor('projectcalico.org/v3', 'KubeControllersConfiguration')!;
  type Obj = Record<string, unknown>;
  const merge = (cur: Obj): Obj => {
    const spec = (cur['spec'] ?? {}) as Obj;
    const controllers = (spec['controllers'] ?? {}) as Obj;
    const node = (controllers['node'] ?? {}) as Obj;
    const hep = (node['hostEndpoint'] ?? {}) as Obj;
    const existing = (Array.isArray(hep['templates']) ? hep['templates'] : []) as AutoHostEndpointTemplate[];
    const names = new Set(templates.map((t) => t.generateName));
    const merged = [...existing.filter((t) => !names.has(t.generateName)), ...templates];
    return { ...cur, spec: { ...spec, controllers: { ...controllers, node: { ...node, hostEndpoint: { ...hep, autoCreate: 'Enabled', templates: merged } } } } };
  };
  try {
    return (await client.modify(info, undefined, 'default', merge, { dryRun, force: true })).outcome;
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    const res = await client.create(merge({ apiVersion: 'projectcalico.org/v3', kind: 'KubeControllersConfiguration', metadata: { name: 'default' } }), { dryRun });
    return res.outcome;
  }
}

export interface PackRemoveResult {
  readonly id: string;
  readonly outcome: 'deleted' | 'kept';
  readonly why?: string;
}

/** The kinds a pack's objects are removed from (Namespaces are kept: deleting one deletes its pods). */
const REMOVABLE: readonly (readonly [apiVersion: string, kind: string])[] = [
  ['projectcalico.org/v3', 'GlobalNetworkPolicy'],
  ['projectcalico.org/v3', 'NetworkPolicy'],
  ['projectcalico.org/v3', 'StagedGlobalNetworkPolicy'],
  ['projectcalico.org/v3', 'StagedNetworkPolicy'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy'],
  ['policy.networking.k8s.io/v1alpha1', 'BaselineAdminNetworkPolicy'],
  ['projectcalico.org/v3', 'GlobalNetworkSet'],
  ['projectcalico.org/v3', 'NetworkSet'],
  ['projectcalico.org/v3', 'HostEndpoint'],
];

/**
 * Removes what a pack wrote: every object labelled `tabby.dev/pack: <name>` (whatever parameters
 * it was applied with, and only objects still carrying that pack's label, so an object another
 * pack has since taken over stays), and the pack's host endpoint templates from
 * KubeControllersConfiguration `default` (the controller then deletes the host endpoints it made
 * from them). Namespaces the pack created are kept and reported.
 */
export async function removePack(client: ResourceClient, pack: PackDefinition, opts: { dryRun?: boolean } = {}): Promise<PackRemoveResult[]> {
  const dryRun = opts.dryRun === true;
  const mine = (labels: Readonly<Record<string, string>>): boolean => labels[PACK_LABEL] === pack.name;
  const out: PackRemoveResult[] = [];
  for (const [apiVersion, kind] of REMOVABLE) {
    const info = kindFor(apiVersion, kind);
    if (info === undefined) continue;
    const { items } = await client.list(info, { labels: mine });
    for (const o of items) {
      const ns = o.metadata.namespace;
      await client.delete(info, ns, o.metadata.name ?? '', { dryRun });
      out.push({ id: `${kind} ${ns ? `${ns}/` : ''}${o.metadata.name ?? ''}`, outcome: 'deleted' });
    }
  }
  const nsInfo = kindFor('v1', 'Namespace');
  if (nsInfo !== undefined)
    for (const o of (await client.list(nsInfo, { labels: mine })).items)
      out.push({ id: `Namespace ${o.metadata.name ?? ''}`, outcome: 'kept', why: 'deleting a namespace deletes its pods; delete it with kubectl if that is meant' });
  const names = new Set((pack.hostEndpointTemplates ?? []).map((t) => t.generateName));
  if (names.size > 0) {
    const info = kindFor('projectcalico.org/v3', 'KubeControllersConfiguration')!;
    type Obj = Record<string, unknown>;
    let removed = 0;
    const drop = (cur: Obj): Obj => {
      const spec = (cur['spec'] ?? {}) as Obj;
      const controllers = (spec['controllers'] ?? {}) as Obj;
      const node = (controllers['node'] ?? {}) as Obj;
      const hep = (node['hostEndpoint'] ?? {}) as Obj;
      const existing = (Array.isArray(hep['templates']) ? hep['templates'] : []) as AutoHostEndpointTemplate[];
      const kept = existing.filter((t) => !names.has(t.generateName));
      removed = existing.length - kept.length;
      return { ...cur, spec: { ...spec, controllers: { ...controllers, node: { ...node, hostEndpoint: { ...hep, templates: kept } } } } };
    };
    try {
      await client.modify(info, undefined, 'default', drop, { dryRun, force: true });
      if (removed > 0) out.push({ id: `KubeControllersConfiguration default (${removed} host endpoint template${removed === 1 ? '' : 's'})`, outcome: 'deleted' });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  return out;
}
