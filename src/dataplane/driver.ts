/**
 * @module DataplaneDriver: the one port between the agent and a dataplane backend (Felix's
 * `int_dataplane` managers behind one interface). The agent computes and renders; the driver
 * owns everything about the kernel: the apply order, what it reads back, drift detection and
 * repair, and its helper processes. Implementations: `iptables/driver.ts` (iptables + ipset, in
 * Felix's order) and `nft/driver.ts` (one native nftables table). `driver-conformance.ts` is the
 * suite every implementation passes, against fakes and, as root, against the kernel.
 *
 * Life cycle: `failClosed` (before the first apply) → `apply` on every change → `verify` often
 * and whenever `watch` reports a kernel change (cheap: a fingerprint of what the kernel holds;
 * repairs at once when it differs) and
 * `refresh` when `refreshDueInMs()` reaches 0 (a full re-read and repair, on the intervals of
 * the node's FelixConfiguration, given with `configure`) → `close`.
 * Calls are serialised by the driver; every method may be called at any time.
 */
import type { EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import type { FailClosedRules } from './render/fail-closed.js';
import type { RenderedDataplane } from './render/index.js';

export type DataplaneKind = 'iptables' | 'nft';

export interface DriverApplyResult {
  /** True when something was written to the kernel. */
  readonly changed: boolean;
}

/** What a verify or refresh found and repaired. */
export interface DriftReport {
  /** True when the kernel differed from what the driver programmed and was repaired. */
  readonly repaired: boolean;
  /** What differed, one entry per object (`filter: hook FORWARD`, `set cali40s-…`, …). */
  readonly found: readonly string[];
  /** Whether the kernel was read at all (a verify may decide from its fingerprint alone). */
  readonly read: boolean;
}

export interface DataplaneDriver {
  readonly kind: DataplaneKind;
  /** Takes the refresh intervals it honours from the node's effective FelixConfiguration. */
  configure(felix: EffectiveFelixConfig): void;
  /** Installs the fail-closed rules (before the first apply); a dual-stack node's IPv6 ones too. */
  failClosed(rules: FailClosedRules, ipv6?: FailClosedRules): Promise<void>;
  /**
   * Programs a rendered dataplane; only what changed is written. On a dual-stack node `ipv6` is
   * the IPv6 rendering (ip6tables / `cali60` sets / the nft `ip6` table), programmed with the
   * IPv4 one in the same apply; without it the IPv6 side is left as it is.
   */
  apply(rendered: RenderedDataplane, ipv6?: RenderedDataplane): Promise<DriverApplyResult>;
  /**
   * Cheap drift check: reads a fingerprint of the driver's tables and sets; when it differs from
   * the last one seen, re-reads everything and repairs. No-op before the first apply.
   */
  verify(): Promise<DriftReport>;
  /** Full re-read and repair of every part (all of them with `force`, else those whose interval passed). */
  refresh(force?: boolean): Promise<DriftReport>;
  /** Milliseconds until `refresh()` has a part due (Infinity when refresh is off). */
  refreshDueInMs(): number;
  /**
   * Asks to be told (best effort) when the kernel reports a change that may touch the driver's
   * tables or sets; the agent then verifies at once instead of at its next poll.
   */
  watch(onChange: () => void): void;
  /** Ends helper processes; the programmed rules stay (like Felix). */
  close(): Promise<void>;
}

/** Joins what several parts found. */
export function mergeDrift(reports: readonly DriftReport[]): DriftReport {
  return { repaired: reports.some((r) => r.repaired), found: reports.flatMap((r) => r.found), read: reports.some((r) => r.read) };
}

export const NO_DRIFT: DriftReport = { repaired: false, found: [], read: false };
