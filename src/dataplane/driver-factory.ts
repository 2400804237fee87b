/**
 * @module The one place that knows every dataplane backend: `createDriver` builds the driver a
 * node's agent runs (`--dataplane iptables|nft`), and `removeOtherBackend` clears what the other
 * backend left behind when a node switches. The agent imports this and `driver.ts`, never a
 * backend.
 */
import type { Clock, CommandRunner } from '../sys/index.js';
import type { DataplaneDriver, DataplaneKind } from './driver.js';
import { IptablesDriver } from './iptables/driver.js';
import type { IptablesBackend } from './iptables/table.js';
import { NftDriver } from './nft/driver.js';

export { removeOtherBackend, type CleanupOptions } from './backend-cleanup.js';

export interface DriverOptions {
  readonly kind: DataplaneKind;
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  readonly log?: (msg: string) => void;
  /** Overrides FelixConfiguration's refresh intervals (ms). */
  readonly refreshIntervalMs?: number;
  /** iptables binaries: `iptables-save` (default), `-nft` or `-legacy`. */
  readonly iptablesBackend?: IptablesBackend;
  /** The nft driver's table (default `tabby`). */
  readonly nftTable?: string;
}

export function createDriver(o: DriverOptions): DataplaneDriver {
  const common = {
    runner: o.runner,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.log === undefined ? {} : { log: o.log }),
    ...(o.refreshIntervalMs === undefined ? {} : { refreshIntervalMs: o.refreshIntervalMs }),
  };
  if (o.kind === 'nft') return new NftDriver({ ...common, ...(o.nftTable === undefined ? {} : { table: o.nftTable }) });
  return new IptablesDriver({ ...common, ...(o.iptablesBackend === undefined ? {} : { backend: o.iptablesBackend }) });
}
