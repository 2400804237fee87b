/**
 * @module Reading a live cluster for the analysis commands (`--kubeconfig FILE [--context C]`):
 * kubeconfig → discovery → paged lists → model resources. Read-only and least-privilege (the
 * read set, read-set.ts, is what `tabby rbac` prints).
 */
import type { Resource } from '../../model/meta.js';
import type { Io } from '../io.js';
import { plural } from '../output/located.js';
import { KubeApi, type ApiOptions } from './api.js';
import { loadKubeconfig } from './kubeconfig.js';
import { decodeListed, discover, listAll, ReaderError, type Discovery, type ListedType } from './reader.js';
import { CALICO_V3, qualifiedName } from './read-set.js';

export { KubeApi, ApiError, type ApiOptions } from './api.js';
export { loadKubeconfig } from './kubeconfig.js';
export { discover, listAll, decodeListed, derivedByCluster, ReaderError, type Discovery, type ListedType } from './reader.js';
export * from './read-set.js';
export { createReadOnlyApi, type ReadOnlyApiOptions } from './read-only-api.js';
export { LiveCluster, type LiveChange, type LiveOptions as LiveClusterOptions } from './live.js';

export interface LiveOptions {
  readonly kubeconfig: string;
  readonly context?: string | undefined;
  /** The command name, for messages. */
  readonly command: string;
  /** Overrides of the API client (tests, the benchmark): page size, bounds. */
  readonly api?: Partial<ApiOptions> | undefined;
}

export interface LiveRead {
  readonly resources: Resource[];
  /** Objects that did not decode (reported on stderr). */
  readonly errors: number;
  /** `cluster https://127.0.0.1:6443 (projectcalico.org/v3)` */
  readonly origin: string;
  readonly discovery: Discovery;
  readonly listed: readonly ListedType[];
}

/** Reads the cluster once; undefined after printing why on stderr. */
export async function readLive(io: Io, o: LiveOptions): Promise<LiveRead | undefined> {
  const cfg = await loadKubeconfig(io, o.kubeconfig, o.context);
  if (!cfg.ok) {
    io.stderr(`tabby ${o.command}: ${cfg.error}\n`);
    return undefined;
  }
  let api: KubeApi;
  try {
    api = new KubeApi({ ...cfg.value, ...(o.api ?? {}) });
  } catch (e) {
    io.stderr(`tabby ${o.command}: ${o.kubeconfig}: ${e instanceof Error ? e.message : String(e)}\n`);
    return undefined;
  }
  try {
    const discovery = await discover(api);
    if (discovery.calicoApi === 'none') io.stderr(`tabby ${o.command}: the cluster offers neither projectcalico.org/v3 nor crd.projectcalico.org/v1; reading its Kubernetes policies only\n`);
    if (discovery.missing.length > 0) io.stderr(`tabby ${o.command}: the cluster does not serve ${discovery.missing.map(qualifiedName).join(', ')}; read without them\n`);
    const listed = await listAll(api, discovery);
    const decoded = decodeListed(listed);
    for (const p of decoded.problems) io.stderr(`tabby ${o.command}: ${p}\n`);
    if (decoded.invalid > 0) io.stderr(`tabby ${o.command}: left out ${plural(decoded.invalid, 'object')} that did not decode\n`);
    return {
      resources: decoded.resources,
      errors: decoded.invalid,
      origin: `cluster ${api.server} (${discovery.calicoApi === 'none' ? 'no Calico API' : discovery.calicoApi === CALICO_V3 ? 'projectcalico.org/v3' : 'crd.projectcalico.org/v1'})`,
      discovery,
      listed,
    };
  } catch (e) {
    io.stderr(`tabby ${o.command}: ${e instanceof ReaderError ? e.message : e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return undefined;
  } finally {
    api.close();
  }
}
