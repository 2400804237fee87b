/**
 * @module Lint findings: data only. A finding names the resource (kind, group, namespace, name)
 * and the field path inside it, so the CLI can print `file:line:col` from manifest locations.
 */
import type { FieldPath } from '../../model/field/path.js';

export type LintCode =
  /** A rule peer selector that selects no endpoint, network set or namespace. */
  | 'selector-matches-nothing'
  /** A policy whose own selector selects no endpoint (it has no effect yet). */
  | 'policy-selects-nothing'
  /** A rule no packet can reach: an earlier rule of the policy matches everything it does. */
  | 'rule-shadowed'
  /** A Log rule that no packet reaches (shadowed, or evaluation always ends before its policy). */
  | 'log-unreachable'
  /** Host endpoint policy that denies a management path (failsafe ports, SSH, kubelet, VRRP). */
  | 'host-management-cut'
  /** Egress is default-deny for some pods and DNS (UDP 53) is not allowed. */
  | 'egress-without-dns';

export interface LintResourceRef {
  readonly kind: string;
  readonly group: string;
  readonly namespace: string;
  readonly name: string;
}

export interface LintFinding {
  readonly code: LintCode;
  readonly severity: 'warning' | 'info';
  readonly resource: LintResourceRef;
  readonly path: FieldPath;
  /** Kubernetes voice: a lowercase fragment, no trailing period. */
  readonly message: string;
}
