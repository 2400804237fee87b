/**
 * @module Server-side printing columns of the workload kinds, as kube-apiserver's printers
 * (pkg/printers/internalversion) show them: Deployments (READY, UP-TO-DATE, AVAILABLE),
 * ReplicaSets (DESIRED, CURRENT, READY), EndpointSlices and Events. Plugged into the column
 * registry of tables.ts. Pure.
 */
import { humanDuration, type Column, type ColumnDefinition } from './tables.js';

function _get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

const _num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const _s = (v: unknown, none = '<none>'): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : none);

const col = (name: string, cell: (o: unknown, now: Date) => string | number, opts: { type?: ColumnDefinition['type']; priority?: number; description?: string } = {}): Column => ({
  def: { name, type: opts.type ?? 'string', format: '', description: opts.description ?? name, priority: opts.priority ?? 0 },
  cell,
});

function _containers(o: unknown, what: 'name' | 'image'): string {
  const cs = _get(o, 'spec.template.spec.containers');
  return Array.isArray(cs) && cs.length > 0 ? cs.map((c) => _s(_get(c, what), '')).join(',') : '<none>';
}

function _selector(o: unknown): string {
  const sel = _get(o, 'spec.selector');
  const parts: string[] = [];
  const ml = _get(sel, 'matchLabels');
  if (typeof ml === 'object' && ml !== null) for (const k of Object.keys(ml).sort()) parts.push(`${k}=${_s((ml as Record<string, unknown>)[k], '')}`);
  const me = _get(sel, 'matchExpressions');
  if (Array.isArray(me))
    for (const e of me) {
      const vs = Array.isArray(_get(e, 'values')) ? (_get(e, 'values') as unknown[]).map((v) => _s(v, '')).join(',') : '';
      const key = _s(_get(e, 'key'), '');
      const op = _get(e, 'operator');
      parts.push(op === 'In' ? `${key} in (${vs})` : op === 'NotIn' ? `${key} notin (${vs})` : op === 'Exists' ? key : `!${key}`);
    }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

const _since = (ts: unknown, now: Date): string => {
  if (typeof ts !== 'string') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
};

/** The Event printer's LAST SEEN: the series' last observation, lastTimestamp, else eventTime. */
function _lastSeen(o: unknown, now: Date): string {
  const series = _get(o, 'series.lastObservedTime');
  if (typeof series === 'string') return _since(series, now);
  const last = _get(o, 'lastTimestamp');
  if (typeof last === 'string' && last !== '') return _since(last, now);
  return _since(_get(o, 'eventTime'), now);
}

function _firstSeen(o: unknown, now: Date): string {
  const first = _get(o, 'firstTimestamp');
  return typeof first === 'string' && first !== '' ? _since(first, now) : _since(_get(o, 'eventTime'), now);
}

function _eventSource(o: unknown): string {
  const c = _s(_get(o, 'source.component'), '');
  const h = _s(_get(o, 'source.host'), '');
  const comp = c !== '' ? c : _s(_get(o, 'reportingComponent'), '');
  return comp === '' ? '<none>' : h === '' ? comp : `${comp}, ${h}`;
}

function _slicePorts(o: unknown): string {
  const ports = _get(o, 'ports');
  if (!Array.isArray(ports) || ports.length === 0) return '<unset>';
  return ports.map((p) => (typeof _get(p, 'port') === 'number' ? String(_get(p, 'port')) : '<unset>')).join(',');
}

function _sliceEndpoints(o: unknown): string {
  const eps = _get(o, 'endpoints');
  const addrs: string[] = [];
  if (Array.isArray(eps)) for (const e of eps) for (const a of (_get(e, 'addresses') as unknown[] | undefined) ?? []) addrs.push(_s(a, ''));
  if (addrs.length === 0) return '<none>';
  return addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',');
}

/** Columns per `group/Kind`, given tables.ts's NAME and AGE columns. */
export function WORKLOAD_COLUMNS(NAME: Column, AGE: Column): [string, readonly Column[]][] {
  const wide = [
    col('Containers', (o) => _containers(o, 'name'), { priority: 1 }),
    col('Images', (o) => _containers(o, 'image'), { priority: 1 }),
    col('Selector', _selector, { priority: 1 }),
  ];
  return [
    [
      'apps/Deployment',
      [
        NAME,
        col('Ready', (o) => `${_num(_get(o, 'status.readyReplicas'))}/${_num(_get(o, 'spec.replicas'))}`, { description: 'Number of the pod with ready state' }),
        col('Up-to-date', (o) => _num(_get(o, 'status.updatedReplicas')), { type: 'integer', description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.' }),
        col('Available', (o) => _num(_get(o, 'status.availableReplicas')), { type: 'integer', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.' }),
        AGE,
        ...wide,
      ],
    ],
    [
      'apps/ReplicaSet',
      [
        NAME,
        col('Desired', (o) => _num(_get(o, 'spec.replicas')), { type: 'integer', description: 'Number of desired pods.' }),
        col('Current', (o) => _num(_get(o, 'status.replicas')), { type: 'integer', description: 'Number of actual pods.' }),
        col('Ready', (o) => _num(_get(o, 'status.readyReplicas')), { type: 'integer', description: 'Number of ready pods.' }),
        AGE,
        ...wide,
      ],
    ],
    [
      'discovery.k8s.io/EndpointSlice',
      [NAME, col('AddressType', (o) => _s(_get(o, 'addressType'))), col('Ports', _slicePorts), col('Endpoints', _sliceEndpoints), AGE],
    ],
    [
      '/Event',
      [
        col('Last Seen', _lastSeen),
        col('Type', (o) => _s(_get(o, 'type'), '')),
        col('Reason', (o) => _s(_get(o, 'reason'), '')),
        col('Object', (o) => `${_s(_get(o, 'involvedObject.kind'), '').toLowerCase()}/${_s(_get(o, 'involvedObject.name'), '')}`),
        col('Subobject', (o) => _s(_get(o, 'involvedObject.fieldPath'), ''), { priority: 1 }),
        col('Source', _eventSource, { priority: 1 }),
        col('Message', (o) => _s(_get(o, 'message'), '')),
        col('First Seen', _firstSeen, { priority: 1 }),
        col('Count', (o) => _num(_get(o, 'count')), { type: 'integer', priority: 1 }),
        col('Name', (o) => _s(_get(o, 'metadata.name'), ''), { priority: 1 }),
      ],
    ],
    [
      'events.k8s.io/Event',
      [
        col('Last Seen', _lastSeen),
        col('Type', (o) => _s(_get(o, 'type'), '')),
        col('Reason', (o) => _s(_get(o, 'reason'), '')),
        col('Object', (o) => `${_s(_get(o, 'regarding.kind'), '').toLowerCase()}/${_s(_get(o, 'regarding.name'), '')}`),
        col('Message', (o) => _s(_get(o, 'note'), '')),
      ],
    ],
  ];
}
