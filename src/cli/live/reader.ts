/**
 * @module The live-cluster reader: discovery (which Calico API the cluster offers), then every
 * type of the read set listed page by page, decoded through the model's door into the
 * resources the engine's snapshot is built from.
 *
 * Invariants:
 * - Only the types of read-set.ts, only GET (list; watch in live.ts): `tabby rbac`'s role is
 *   the privilege used. Discovery (`/api`, `/apis`) is open to every authenticated user.
 * - Objects the cluster derives are left out, because the engine derives them itself from the
 *   same Pods, Namespaces, ServiceAccounts and Kubernetes NetworkPolicies (feeding both would
 *   count them twice): anything Tabby's server marks derived, the `knp.default.*` and
 *   `kns.*`/`ksa.*`/`projectcalico-default-allow` views of the Calico API server (Pods'
 *   WorkloadEndpoints are not even listed: read-set.ts).
 * - A Forbidden list is an error naming the resource and `tabby rbac`; a type the cluster does
 *   not serve is skipped with a note (an older cluster without, say, staged policies).
 * - An object that does not decode is reported (`Kind ns/name: path: message`) and left out.
 */
import type { Resource } from '../../model/meta.js';
import { decodeResource } from '../../model/validate-resource.js';
import { isDerived } from '../../model/calico/derived.js';
import { ApiError, type KubeApi } from './api.js';
import { BASE_TYPES, CALICO_CRD, CALICO_V3, calicoTypes, listPath, qualifiedName, type CalicoApi, type ReadType } from './read-set.js';
import { decodeCrdObject } from './crd.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

export interface Discovery {
  readonly calicoApi: CalicoApi;
  /** The types of the read set the cluster serves. */
  readonly types: readonly ReadType[];
  /** The types of the read set it does not serve (skipped). */
  readonly missing: readonly ReadType[];
}

/** Fails with the reader's message for a failed request on `t` (or on discovery). */
export class ReaderError extends Error {
  override get name(): string {
    return 'ReaderError';
  }
}

function _explain(e: unknown, what: string): Error {
  if (!(e instanceof ApiError)) return e instanceof Error ? e : new Error(String(e));
  if (e.code === 403)
    return new ReaderError(`cannot list ${what}: forbidden (HTTP 403: ${e.message}); the reader needs the ClusterRole that \`tabby rbac\` prints`);
  if (e.code === 401) return new ReaderError(`cannot list ${what}: unauthorized (HTTP 401); check the kubeconfig's credentials`);
  if (e.code === 0) return new ReaderError(`cannot reach the API server: ${e.message}`);
  return new ReaderError(`cannot list ${what}: HTTP ${e.code} ${e.reason}: ${e.message}`);
}

async function _resourcesOf(api: KubeApi, groupVersion: string): Promise<Set<string>> {
  const path = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
  let body: unknown;
  try {
    body = await api.get(path);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return new Set();
    throw _explain(e, `the resources of ${groupVersion} (discovery)`);
  }
  const out = new Set<string>();
  const list = _obj(body)['resources'];
  for (const r of Array.isArray(list) ? list : []) {
    const name = _obj(r)['name'];
    if (typeof name === 'string' && !name.includes('/')) out.add(name);
  }
  return out;
}

/** Which of the read set the cluster serves, and which Calico API: v3 when offered, else the CRDs. */
export async function discover(api: KubeApi): Promise<Discovery> {
  let groups: Obj;
  try {
    groups = _obj(await api.get('/apis'));
  } catch (e) {
    throw _explain(e, 'the API groups (discovery)');
  }
  const offered = new Set<string>(['v1']);
  for (const g of Array.isArray(groups['groups']) ? (groups['groups'] as unknown[]) : [])
    for (const v of (_obj(g)['versions'] as unknown[] | undefined) ?? []) {
      const gv = _obj(v)['groupVersion'];
      if (typeof gv === 'string') offered.add(gv);
    }
  const gvOf = (t: ReadType): string => (t.group === '' ? t.version : `${t.group}/${t.version}`);
  const v3 = calicoTypes(CALICO_V3);
  const crd = calicoTypes(CALICO_CRD);
  const calicoApi: CalicoApi = offered.has(gvOf(v3[0]!)) ? CALICO_V3 : offered.has(gvOf(crd[0]!)) ? CALICO_CRD : 'none';
  const wanted = [...BASE_TYPES, ...calicoTypes(calicoApi)];
  const served = new Map<string, Set<string>>();
  await Promise.all(
    [...new Set(wanted.map(gvOf))].map(async (gv) => {
      served.set(gv, offered.has(gv) ? await _resourcesOf(api, gv) : new Set());
    }),
  );
  const types: ReadType[] = [];
  const missing: ReadType[] = [];
  for (const t of wanted) (served.get(gvOf(t))?.has(t.plural) === true ? types : missing).push(t);
  return { calicoApi, types, missing };
}

export interface ListedType {
  readonly type: ReadType;
  readonly items: readonly Obj[];
  readonly resourceVersion: string;
}

/** Lists every served type of the read set (concurrently, each page by page). */
export async function listAll(api: KubeApi, d: Discovery): Promise<ListedType[]> {
  return Promise.all(
    d.types.map(async (type) => {
      try {
        const r = await api.list(listPath(type));
        return { type, items: r.items, resourceVersion: r.resourceVersion };
      } catch (e) {
        throw _explain(e, qualifiedName(type));
      }
    }),
  );
}

const _DERIVED_PROFILE = /^(kns\.|ksa\.|projectcalico-default-allow$)/;

/** True for an object the cluster derives and the engine derives again (module doc). */
export function derivedByCluster(type: ReadType, o: Obj): boolean {
  const meta = _obj(o['metadata']);
  if (isDerived(o as { metadata?: { annotations?: Record<string, string> } })) return true;
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  if (type.group !== CALICO_V3) return false;
  if ((type.plural === 'networkpolicies' || type.plural === 'stagednetworkpolicies') && name.startsWith('knp.default.')) return true;
  if (type.plural === 'profiles' && _DERIVED_PROFILE.test(name)) return true;
  return false;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The object as the model reads it: with its kind and apiVersion, without the server's and
 * kubectl's bookkeeping (managedFields, the last-applied copy of the object as sent).
 */
export function cleanListed(type: ReadType, o: Obj): Obj {
  const meta = _obj(o['metadata']);
  const { managedFields: _m, ...rest } = meta;
  const ann = _obj(rest['annotations']);
  if (Object.prototype.hasOwnProperty.call(ann, LAST_APPLIED)) {
    const { [LAST_APPLIED]: _l, ...others } = ann;
    if (Object.keys(others).length === 0) delete rest['annotations'];
    else rest['annotations'] = others;
  }
  return { ...o, apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`, kind: type.kind, metadata: rest };
}

export interface DecodedCluster {
  readonly resources: Resource[];
  /** One line per problem of an object that did not decode: `Kind ns/name: path: message`. */
  readonly problems: string[];
  /** How many objects did not decode. */
  readonly invalid: number;
}

/** Decodes listed objects into model resources, leaving derived ones out. */
export function decodeListed(listed: readonly ListedType[]): DecodedCluster {
  const resources: Resource[] = [];
  const problems: string[] = [];
  let invalid = 0;
  for (const l of listed)
    for (const raw of l.items) {
      if (derivedByCluster(l.type, raw)) continue;
      const o = cleanListed(l.type, raw);
      const meta = _obj(o['metadata']);
      const who = `${l.type.kind} ${typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? `${meta['namespace']}/` : ''}${String(meta['name'] ?? '')}`;
      if (l.type.group === CALICO_CRD) {
        const r = decodeCrdObject(o);
        if (r.ok) resources.push(...r.value);
        else {
          invalid++;
          for (const e of r.error) problems.push(`${who}: ${e}`);
        }
        continue;
      }
      const r = decodeResource(o);
      if (r.ok) resources.push(r.value.resource);
      else {
        invalid++;
        for (const e of r.error) problems.push(`${who}: ${e.path}: ${e.message}`);
      }
    }
  return { resources, problems, invalid };
}
