/**
 * @module The calicoctl table columns of each kind (calicoctl `resourcemgr`, one row per kind):
 * the `ps` and `wide` headings and how each heading renders a resource, as the Go template
 * `{{.Spec.Order}}` would (`<nil>` for an unset pointer, `join` with `,` for lists).
 * Namespaced kinds also have `NAMESPACE`, prepended when listing with `-A` or `-n`.
 */
import { goFloat } from './table.js';

type Obj = Readonly<Record<string, unknown>>;
export type Cell = (o: Obj) => string;

export interface KindTable {
  readonly ps: readonly string[];
  readonly wide: readonly string[];
  readonly cells: Readonly<Record<string, Cell>>;
}

const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const _meta = (o: Obj): Obj => _obj(o['metadata']);
const _spec = (o: Obj): Obj => _obj(o['spec']);
const _str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'number' ? goFloat(v) : String(v));
/** A Go pointer field: `<nil>` when unset. */
const _ptr = (v: unknown): string => (v === undefined || v === null ? '<nil>' : _str(v));
/** Go template `join` (maps become sorted `k=v`). */
const _join = (v: unknown, sep = ',', max = 0): string => {
  let items: string[];
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) items = v.map((x) => (typeof x === 'object' && x !== null ? _goStruct(x) : _str(x)));
  else if (typeof v === 'object') items = Object.entries(v).map(([k, x]) => `${k}=${_str(x)}`).sort();
  else items = [_str(v)];
  let out = '';
  for (let i = 0; i < items.length; i++) {
    out += (i > 0 ? sep : '') + items[i]!;
    if (max > 0 && out.length > max) return `${out.slice(0, max - 3)}...`;
  }
  return out;
};
/** Go's `%v` of a struct value: `{a b}`. */
const _goStruct = (v: object): string => `{${Object.values(v).map((x) => _str(x)).join(' ')}}`;

const name: Cell = (o) => _str(_meta(o)['name']);
const namespace: Cell = (o) => _str(_meta(o)['namespace']);
const spec = (f: string): Cell => (o) => _str(_spec(o)[f]);
const specPtr = (f: string): Cell => (o) => _ptr(_spec(o)[f]);
const specJoin = (f: string, max = 0): Cell => (o) => _join(_spec(o)[f], ',', max);
const bgp = (f: string, fallback?: string): Cell => (o) => {
  const b = _spec(o)['bgp'];
  if (b === undefined || b === null) return '';
  const v = _obj(b)[f];
  return v === undefined || v === '' ? (fallback ?? '') : _str(v);
};

const POLICY: KindTable = {
  ps: ['NAME', 'TIER'],
  wide: ['NAME', 'TIER', 'ORDER', 'SELECTOR'],
  cells: { NAME: name, NAMESPACE: namespace, TIER: spec('tier'), ORDER: specPtr('order'), SELECTOR: spec('selector') },
};
const GLOBAL_POLICY: KindTable = {
  ps: POLICY.ps,
  wide: POLICY.wide,
  cells: { NAME: name, TIER: spec('tier'), ORDER: specPtr('order'), SELECTOR: spec('selector') },
};
const NAME_ONLY: KindTable = { ps: ['NAME'], wide: ['NAME'], cells: { NAME: name } };

/** Upstream's default AS number when no BGPConfiguration sets one. */
const DEFAULT_ASN = '64512';

export const KIND_TABLES: Readonly<Record<string, KindTable>> = {
  NetworkPolicy: POLICY,
  StagedNetworkPolicy: POLICY,
  StagedKubernetesNetworkPolicy: { ps: ['NAME'], wide: ['NAME'], cells: { NAME: name, NAMESPACE: namespace } },
  GlobalNetworkPolicy: GLOBAL_POLICY,
  StagedGlobalNetworkPolicy: GLOBAL_POLICY,
  Tier: { ps: ['NAME', 'ORDER'], wide: ['NAME', 'ORDER'], cells: { NAME: name, ORDER: specPtr('order') } },
  HostEndpoint: {
    ps: ['NAME', 'NODE'],
    wide: ['NAME', 'NODE', 'INTERFACE', 'IPS', 'PROFILES'],
    cells: { NAME: name, NODE: spec('node'), INTERFACE: spec('interfaceName'), IPS: specJoin('expectedIPs'), PROFILES: specJoin('profiles') },
  },
  GlobalNetworkSet: { ps: ['NAME'], wide: ['NAME', 'NETS'], cells: { NAME: name, NETS: specJoin('nets', 80) } },
  NetworkSet: { ps: ['NAME'], wide: ['NAME', 'NETS'], cells: { NAME: name, NAMESPACE: namespace, NETS: specJoin('nets', 80) } },
  Profile: { ps: ['NAME'], wide: ['NAME', 'LABELS'], cells: { NAME: name, LABELS: specJoin('labelsToApply') } },
  Node: {
    ps: ['NAME'],
    wide: ['NAME', 'ASN', 'IPV4', 'IPV6'],
    cells: { NAME: name, ASN: bgp('asNumber', `(${DEFAULT_ASN})`), IPV4: bgp('ipv4Address'), IPV6: bgp('ipv6Address') },
  },
  WorkloadEndpoint: {
    ps: ['WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE'],
    wide: ['NAME', 'WORKLOAD', 'NODE', 'NETWORKS', 'INTERFACE', 'PROFILES', 'NATS'],
    cells: {
      NAME: name,
      NAMESPACE: namespace,
      NODE: spec('node'),
      ORCHESTRATOR: spec('orchestrator'),
      WORKLOAD: (o) => _str(_spec(o)['workload']) || _str(_spec(o)['pod']),
      NETWORKS: specJoin('ipNetworks'),
      NATS: specJoin('ipNATs'),
      PROFILES: specJoin('profiles'),
      INTERFACE: spec('interfaceName'),
    },
  },
  FelixConfiguration: NAME_ONLY,
  KubeControllersConfiguration: NAME_ONLY,
};

export function tableFor(kind: string): KindTable {
  return KIND_TABLES[kind] ?? NAME_ONLY;
}
