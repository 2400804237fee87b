/**
 * @module What the dashboard's browser bundle (ui/) and its server side (src/web) agree on: the
 * resource types the dashboard follows, and the events of the one multiplexed watch stream
 * (`GET /ui/api/watch`) and of the denied-traffic feed (`GET /ui/api/denied`). Pure data.
 *
 * One stream instead of one watch per type: browsers open at most six HTTP/1.1 connections per
 * host, and the dashboard follows twenty-one types.
 */

export interface DashboardType {
  /** Stable id used in events, e.g. `projectcalico.org/globalnetworkpolicies`. */
  readonly id: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
}

const _t = (group: string, version: string, plural: string, kind: string): DashboardType => ({
  id: group === '' ? plural : `${group}/${plural}`,
  group,
  version,
  plural,
  kind,
});

/** Every type the dashboard reads: what the engine needs to build a snapshot, plus Calico Nodes (status). */
export const DASHBOARD_TYPES: readonly DashboardType[] = [
  _t('', 'v1', 'namespaces', 'Namespace'),
  _t('', 'v1', 'pods', 'Pod'),
  _t('', 'v1', 'services', 'Service'),
  _t('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  _t('', 'v1', 'nodes', 'Node'),
  _t('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy'),
  _t('projectcalico.org', 'v3', 'tiers', 'Tier'),
  _t('projectcalico.org', 'v3', 'globalnetworkpolicies', 'GlobalNetworkPolicy'),
  _t('projectcalico.org', 'v3', 'networkpolicies', 'NetworkPolicy'),
  _t('projectcalico.org', 'v3', 'stagedglobalnetworkpolicies', 'StagedGlobalNetworkPolicy'),
  _t('projectcalico.org', 'v3', 'stagednetworkpolicies', 'StagedNetworkPolicy'),
  _t('projectcalico.org', 'v3', 'stagedkubernetesnetworkpolicies', 'StagedKubernetesNetworkPolicy'),
  _t('projectcalico.org', 'v3', 'globalnetworksets', 'GlobalNetworkSet'),
  _t('projectcalico.org', 'v3', 'networksets', 'NetworkSet'),
  _t('projectcalico.org', 'v3', 'hostendpoints', 'HostEndpoint'),
  _t('projectcalico.org', 'v3', 'workloadendpoints', 'WorkloadEndpoint'),
  _t('projectcalico.org', 'v3', 'profiles', 'Profile'),
  _t('projectcalico.org', 'v3', 'felixconfigurations', 'FelixConfiguration'),
  _t('projectcalico.org', 'v3', 'nodes', 'Node'),
  _t('policy.networking.k8s.io', 'v1alpha1', 'adminnetworkpolicies', 'AdminNetworkPolicy'),
  _t('policy.networking.k8s.io', 'v1alpha1', 'baselineadminnetworkpolicies', 'BaselineAdminNetworkPolicy'),
];

export const apiVersionOfType = (t: DashboardType): string => (t.group === '' ? t.version : `${t.group}/${t.version}`);

/** The collection path of a type, e.g. `/apis/projectcalico.org/v3/tiers`. */
export const collectionPath = (t: DashboardType): string => (t.group === '' ? `/api/${t.version}/${t.plural}` : `/apis/${t.group}/${t.version}/${t.plural}`);

/** A stored object as the API returns it (only the fields the dashboard reads are typed). */
export interface ApiObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [k: string]: unknown;
  };
  readonly [k: string]: unknown;
}

/** One line of `GET /ui/api/watch` (newline-delimited JSON). */
export type DashboardEvent =
  /** The full current list of one type (at start, and again after a watch expired). */
  | { readonly type: 'SYNC'; readonly resource: string; readonly resourceVersion: string; readonly items: readonly ApiObject[] }
  /** Every type has been listed once; `readOnly` (a sentence) when the server refuses writes (`tabby dashboard --kubeconfig`). */
  | { readonly type: 'READY'; readonly resourceVersion: string; readonly readOnly?: string }
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly resource: string; readonly object: ApiObject }
  | { readonly type: 'ERROR'; readonly resource: string; readonly message: string }
  /** Keeps idle connections open through proxies. */
  | { readonly type: 'PING' };

/** One packet-log line of a lab worker (`calico-packet: IN=… SRC=… DPT=…`). */
export interface DeniedLine {
  readonly node: string;
  readonly line: string;
  readonly prefix: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** `GET /ui/api/denied?cursor=C`: new lines since cursor C (omitted: the last lines of each log). */
export interface DeniedResponse {
  /** False when no lab runs beside this server (so there are no worker logs). */
  readonly lab: boolean;
  readonly nodes: readonly string[];
  readonly lines: readonly DeniedLine[];
  /** Pass back to get only later lines. */
  readonly cursor: string;
}

/** The non-empty lines of a newline-delimited JSON stream (both ends read the watch stream with it). */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line !== '') yield line;
      }
    }
    if (buf.trim() !== '') yield buf.trim();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
