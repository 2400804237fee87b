/**
 * @module Server-side printing: `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` turns a
 * list (or one object, or a watch event) into a meta.k8s.io Table, which kubectl prints as
 * `kubectl get` columns. The columns of every kind live in one registry below (style habit 4);
 * priority 1 columns show only with `-o wide`. Pure: `now` is passed in.
 */
import type { StoredObject } from '../datastore/index.js';
import { WORKLOAD_COLUMNS } from './workload-tables.js';

export interface ColumnDefinition {
  readonly name: string;
  /** `date`: a custom resource's printer column of type date (the cell is the age, as kube-apiserver renders it). */
  readonly type: 'string' | 'integer' | 'number' | 'date';
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

export interface Column {
  readonly def: ColumnDefinition;
  cell(obj: unknown, now: Date): string | number;
}

export interface TableRow {
  readonly cells: readonly (string | number)[];
  readonly object?: unknown;
}

export interface Table {
  readonly kind: 'Table';
  readonly apiVersion: 'meta.k8s.io/v1';
  readonly metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  readonly columnDefinitions: readonly ColumnDefinition[];
  readonly rows: readonly TableRow[];
}

// ------------------------------------------------------------------ helpers

function _get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

const _str = (v: unknown, none = '<none>'): string =>
  v === undefined || v === null || v === '' ? none : typeof v === 'string' ? v : JSON.stringify(v);

const _list = (v: unknown, none = '<none>'): string =>
  Array.isArray(v) && v.length > 0 ? v.map((x) => _str(x, '')).join(',') : none;

/** apimachinery `duration.HumanDuration`: 45s, 3m20s, 5h, 3d4h, 2y30d. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function _age(obj: unknown, now: Date): string {
  const ts = _get(obj, 'metadata.creationTimestamp');
  if (typeof ts !== 'string') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
}

/** metav1.FormatLabelSelector: `app=web,tier in (a,b)`, or `<none>` when empty. */
export function formatLabelSelector(sel: unknown): string {
  if (typeof sel !== 'object' || sel === null) return '<none>';
  const parts: string[] = [];
  const ml = _get(sel, 'matchLabels');
  if (typeof ml === 'object' && ml !== null)
    for (const k of Object.keys(ml).sort()) parts.push(`${k}=${_str((ml as Record<string, unknown>)[k], '')}`);
  const me = _get(sel, 'matchExpressions');
  if (Array.isArray(me))
    for (const e of me) {
      const key = _str(_get(e, 'key'), '');
      const values = _get(e, 'values');
      const vs = Array.isArray(values) ? values.map((v) => _str(v, '')).join(',') : '';
      switch (_get(e, 'operator')) {
        case 'In':
          parts.push(`${key} in (${vs})`);
          break;
        case 'NotIn':
          parts.push(`${key} notin (${vs})`);
          break;
        case 'Exists':
          parts.push(key);
          break;
        case 'DoesNotExist':
          parts.push(`!${key}`);
          break;
        default:
          parts.push(`${key} ${_str(_get(e, 'operator'), '?')} (${vs})`);
      }
    }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

function _podReady(o: unknown): string {
  const containers = _get(o, 'spec.containers');
  const total = Array.isArray(containers) ? containers.length : 0;
  const statuses = _get(o, 'status.containerStatuses');
  const ready = Array.isArray(statuses) ? statuses.filter((s) => _get(s, 'ready') === true).length : 0;
  return `${ready}/${total}`;
}

function _podRestarts(o: unknown): number {
  const statuses = _get(o, 'status.containerStatuses');
  if (!Array.isArray(statuses)) return 0;
  return statuses.reduce<number>((n, s) => n + (typeof _get(s, 'restartCount') === 'number' ? (_get(s, 'restartCount') as number) : 0), 0);
}

function _servicePorts(o: unknown): string {
  const ports = _get(o, 'spec.ports');
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .map((p) => {
      const node = _get(p, 'nodePort');
      return `${_str(_get(p, 'port'), '')}${node === undefined ? '' : `:${_str(node, '')}`}/${_str(_get(p, 'protocol'), 'TCP')}`;
    })
    .join(',');
}

function _nodeAddress(type: string): (o: unknown) => string {
  return (o) => {
    const addrs = _get(o, 'status.addresses');
    const a = Array.isArray(addrs) ? addrs.find((x) => _get(x, 'type') === type) : undefined;
    return _str(_get(a, 'address'));
  };
}

function _nodeRoles(o: unknown): string {
  const labels = _get(o, 'metadata.labels');
  if (typeof labels !== 'object' || labels === null) return '<none>';
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort();
  return roles.length === 0 ? '<none>' : roles.join(',');
}

function _nodeStatus(o: unknown): string {
  const conds = _get(o, 'status.conditions');
  const ready = Array.isArray(conds) ? conds.find((c) => _get(c, 'type') === 'Ready') : undefined;
  if (ready === undefined) return 'Unknown';
  return _get(ready, 'status') === 'True' ? 'Ready' : 'NotReady';
}

// ------------------------------------------------------------------ the registry

const col = (
  name: string,
  cell: (obj: unknown, now: Date) => string | number,
  opts: { type?: ColumnDefinition['type']; priority?: number; format?: string; description?: string } = {},
): Column => ({
  def: {
    name,
    type: opts.type ?? 'string',
    format: opts.format ?? '',
    description: opts.description ?? name,
    priority: opts.priority ?? 0,
  },
  cell,
});

const NAME = col('Name', (o) => _str(_get(o, 'metadata.name'), ''), {
  format: 'name',
  description: 'Name must be unique within a namespace.',
});
const AGE = col('Age', (o, now) => _age(o, now), { description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' });
const field = (name: string, path: string, opts: { priority?: number; none?: string } = {}): Column =>
  col(name, (o) => _str(_get(o, path), opts.none ?? '<none>'), { ...(opts.priority === undefined ? {} : { priority: opts.priority }) });

const CALICO_POLICY: readonly Column[] = [
  NAME,
  field('Tier', 'spec.tier', { none: 'default' }),
  field('Order', 'spec.order'),
  field('Selector', 'spec.selector', { none: 'all()' }),
  AGE,
  col('Types', (o) => _list(_get(o, 'spec.types')), { priority: 1 }),
];

const K8S_POLICY: readonly Column[] = [NAME, col('Pod-Selector', (o) => formatLabelSelector(_get(o, 'spec.podSelector'))), AGE];

/** Columns per `group/Kind`; kinds not listed get NAME and AGE, as CRDs do. */
const COLUMNS: ReadonlyMap<string, readonly Column[]> = new Map<string, readonly Column[]>([
  ['projectcalico.org/NetworkPolicy', CALICO_POLICY],
  ['projectcalico.org/GlobalNetworkPolicy', CALICO_POLICY],
  ['projectcalico.org/StagedNetworkPolicy', CALICO_POLICY],
  ['projectcalico.org/StagedGlobalNetworkPolicy', CALICO_POLICY],
  ['projectcalico.org/StagedKubernetesNetworkPolicy', K8S_POLICY],
  ['projectcalico.org/Tier', [NAME, field('Order', 'spec.order'), AGE, field('Default-Action', 'spec.defaultAction', { priority: 1, none: 'Deny' })]],
  [
    'projectcalico.org/HostEndpoint',
    [NAME, field('Node', 'spec.node'), field('Interface', 'spec.interfaceName'), col('IPs', (o) => _list(_get(o, 'spec.expectedIPs'))), AGE, col('Profiles', (o) => _list(_get(o, 'spec.profiles')), { priority: 1 })],
  ],
  ['projectcalico.org/GlobalNetworkSet', [NAME, AGE, col('Nets', (o) => _list(_get(o, 'spec.nets')), { priority: 1 })]],
  ['projectcalico.org/NetworkSet', [NAME, AGE, col('Nets', (o) => _list(_get(o, 'spec.nets')), { priority: 1 })]],
  ['networking.k8s.io/NetworkPolicy', K8S_POLICY],
  // the CRDs' additionalPrinterColumns (Priority: type string; Age: type date)
  ['policy.networking.k8s.io/AdminNetworkPolicy', [NAME, col('Priority', (o) => _str(_get(o, 'spec.priority'), '')), col('Age', (o, now) => _age(o, now), { type: 'date' })]],
  ['policy.networking.k8s.io/BaselineAdminNetworkPolicy', [NAME, col('Age', (o, now) => _age(o, now), { type: 'date' })]],
  [
    '/Pod',
    [
      NAME,
      col('Ready', _podReady),
      field('Status', 'status.phase', { none: 'Pending' }),
      col('Restarts', _podRestarts, { type: 'integer' }),
      AGE,
      field('IP', 'status.podIP', { priority: 1 }),
      field('Node', 'spec.nodeName', { priority: 1 }),
    ],
  ],
  ['/Namespace', [NAME, field('Status', 'status.phase', { none: 'Active' }), AGE]],
  [
    '/Node',
    [
      NAME,
      col('Status', _nodeStatus),
      col('Roles', _nodeRoles),
      AGE,
      field('Version', 'status.nodeInfo.kubeletVersion', { none: '' }),
      col('Internal-IP', _nodeAddress('InternalIP'), { priority: 1 }),
      col('External-IP', _nodeAddress('ExternalIP'), { priority: 1 }),
    ],
  ],
  [
    '/Service',
    [
      NAME,
      field('Type', 'spec.type', { none: 'ClusterIP' }),
      field('Cluster-IP', 'spec.clusterIP', { none: 'None' }),
      col('External-IP', (o) => _list((_get(o, 'status.loadBalancer.ingress') as unknown[] | undefined)?.map((i) => _get(i, 'ip') ?? _get(i, 'hostname')))),
      col('Port(s)', _servicePorts),
      AGE,
      col('Selector', (o) => {
        const s = _get(o, 'spec.selector');
        return typeof s === 'object' && s !== null && Object.keys(s).length > 0 ? formatLabelSelector({ matchLabels: s }) : '<none>';
      }, { priority: 1 }),
    ],
  ],
  ['/ServiceAccount', [NAME, col('Secrets', (o) => (Array.isArray(_get(o, 'secrets')) ? (_get(o, 'secrets') as unknown[]).length : 0), { type: 'integer' }), AGE]],
  ...WORKLOAD_COLUMNS(NAME, AGE),
]);

const DEFAULT_COLUMNS: readonly Column[] = [NAME, AGE];

function _columns(group: string, kind: string): readonly Column[] {
  return COLUMNS.get(`${group}/${kind}`) ?? DEFAULT_COLUMNS;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** `?includeObject=`: kubectl asks for Metadata (the default), Object when sorting. */
function _rowObject(o: StoredObject, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return o;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
  }
}

export function toTable(
  group: string,
  kind: string,
  items: readonly StoredObject[],
  opts: { now: Date; include: IncludeObject; resourceVersion?: string; continue?: string; noHeaders?: boolean },
): Table {
  const cols = _columns(group, kind);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      ...(opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion }),
      ...(opts.continue === undefined ? {} : { continue: opts.continue }),
    },
    columnDefinitions: opts.noHeaders ? [] : cols.map((c) => c.def),
    rows: items.map((o) => {
      const object = _rowObject(o, opts.include);
      return { cells: cols.map((c) => c.cell(o, opts.now)), ...(object === undefined ? {} : { object }) };
    }),
  };
}
