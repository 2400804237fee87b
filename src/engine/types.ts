/**
 * @module The engine's public value types: flows in, verdicts with traces out. Data only.
 *
 * A trace is a list of stages, in the order the packet meets them (untracked → preDNAT → DNAT →
 * source egress → forward → destination ingress / host input). Each stage names what decided it:
 * a policy rule (tier, policy, rule index, action), the end of a tier, a profile, the failsafe
 * ports, or a built-in default, plus the nearest rule that almost matched when it denied.
 */

export type VerdictAction = 'Allow' | 'Deny';

/** One flow as given on the command line or in flows.json. */
export interface FlowInput {
  /** `namespace/pod`, `pod` (namespace `default`), a node name (`node:<name>`), or an IP address. */
  readonly from: string;
  /** `namespace/pod`, `node:<name>`, or an IP address (pod, node, Service ClusterIP / LB IP, external). */
  readonly to: string;
  /** Destination port (TCP/UDP/SCTP). Omitted: unknown, so rules with port matches do not match. */
  readonly port?: number;
  /** `TCP` (default), `UDP`, `SCTP`, `ICMP`, `ICMPv6`, `UDPLite`, or a number 1-255. */
  readonly protocol?: string | number;
  /** Source port; omitted means an ephemeral port not listed by any rule. */
  readonly srcPort?: number;
  /** ICMP type/code for ICMP flows; default echo request (8/0, or 128/0 for ICMPv6). */
  readonly icmp?: { readonly type?: number; readonly code?: number };
  /** For LoadBalancer IPs: the node the load balancer delivers to (default: see services.ts). */
  readonly via?: string;
}

/** What decided one stage. */
export type Decision =
  | {
      readonly kind: 'rule';
      readonly tier: string;
      readonly policy: string;
      readonly policyKind: string;
      readonly ruleIndex: number;
      readonly action: 'Allow' | 'Deny' | 'Pass';
      /** The rule's name where the source policy names its rules (AdminNetworkPolicy, BaselineAdminNetworkPolicy). */
      readonly ruleName?: string;
    }
  | { readonly kind: 'endOfTier'; readonly tier: string; readonly action: 'Deny' | 'Pass' }
  | { readonly kind: 'profile'; readonly profile: string; readonly ruleIndex: number; readonly action: 'Allow' | 'Deny' }
  /** No policy applied in this direction, so profiles decided; none allowed. */
  | { readonly kind: 'noProfileMatch'; readonly profiles: readonly string[] }
  | { readonly kind: 'failsafe'; readonly protocol: string; readonly port: number }
  /** A built-in behaviour (no host endpoint, forward default allow, DefaultEndpointToHostAction, …). */
  | { readonly kind: 'default'; readonly action: 'Allow' | 'Deny' | 'Continue'; readonly reason: string };

export interface RuleRef {
  readonly tier: string;
  readonly policy: string;
  readonly ruleIndex: number;
  readonly action: string;
}

/** The rule that came closest to matching (fewest failed criteria) and the criteria it failed. */
export interface NearMiss extends RuleRef {
  readonly failed: readonly string[];
}

export type StageKind =
  | 'untracked'
  | 'untrackedReply'
  | 'preDNAT'
  | 'dnat'
  | 'snat'
  | 'sourceEgress'
  | 'endpointToHost'
  | 'hostEgress'
  | 'forwardEgress'
  | 'forwardIngress'
  | 'hostIngress'
  | 'destinationIngress';

export interface Stage {
  readonly stage: StageKind;
  /** The endpoint whose policy ran: `ns/pod`, `hep:<name>`, `node:<name>`. */
  readonly endpoint?: string;
  /** Allow / Deny, or Continue for a stage that made no final decision (untracked/preDNAT with no match, DNAT). */
  readonly action: 'Allow' | 'Deny' | 'Continue';
  readonly decidedBy?: Decision;
  /** One-line rendering of `decidedBy`, e.g. `tier default, policy ns1/knp.default.x, rule 0: Allow`. */
  readonly summary: string;
  /** Log rules the packet hit on the way (Log does not end evaluation). */
  readonly logged?: readonly RuleRef[];
  readonly nearMiss?: NearMiss;
  /** For DNAT/SNAT stages: the rewritten address. */
  readonly detail?: string;
}

export interface Verdict {
  readonly action: VerdictAction;
  readonly stages: readonly Stage[];
  /** Present when staged policies exist and, enforced, would give a different action. */
  readonly staged?: { readonly action: VerdictAction; readonly stages: readonly Stage[] };
  /** For flows to a Service with several backends: one verdict per backend. */
  readonly backends?: readonly { readonly backend: string; readonly action: VerdictAction; readonly stages: readonly Stage[] }[];
  /** Problems resolving the flow (unknown pod, …); such flows are denied. */
  readonly error?: string;
}

/** One line of `tabby verdict -o json`. */
export interface VerdictOutput {
  readonly from: string;
  readonly to: string;
  readonly port?: number;
  readonly protocol: string | number;
  readonly action: VerdictAction;
  readonly staged?: VerdictAction;
  readonly trace: readonly Stage[];
  readonly backends?: Verdict['backends'];
  readonly error?: string;
}
