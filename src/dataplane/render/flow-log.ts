/**
 * @module Flow-log NFLOG prefixes (issue 17), as Felix writes them (`felix/rules/nflogprefix.go`),
 * and the table that turns a prefix read back from the kernel into a `FlowPolicyHit`. Pure.
 *
 * When flow logs are on (`DesiredState.flowLogs`), the renderer adds one NFLOG rule, matching only
 * `ctstate NEW`, at every verdict a new connection can meet in the filter table:
 * - a policy or profile rule's Allow / Deny / Pass: `<A|D|P><P|R><I|E><index>|<id>`, e.g.
 *   `API0|np/demo/allow-web` (policy `demo/allow-web`, ingress rule 0 allows), where `<id>` is
 *   Felix's policy id (`<short kind>/<namespace>/<name>`, or `<short kind>/<name>` for cluster-scoped
 *   kinds) or, for a profile (owner `R`), the profile name;
 * - a tier's end (default action Deny): `DP<I|E>|<tier>`;
 * - an endpoint whose profiles matched nothing: `DR<I|E>`.
 * Ingress verdicts go to NFLOG group 1, egress to group 2 (Felix's `NFLOGInboundGroup` /
 * `NFLOGOutboundGroup`); the R9 Log rules keep their own group.
 *
 * The kernel keeps 63 bytes of a prefix. A prefix of 63 bytes or more is shortened as Felix does:
 * its first 10 and last 10 characters around `_` + 41 characters of base64url(sha256(prefix)), 63
 * in all (hashing at exactly 63 too, so a user cannot name a policy to look like a hashed one). A
 * hashed prefix cannot be read back on its own, so the agent decodes every prefix through the
 * table built from the DesiredState it rendered (`flowLogTable`), never by parsing: a prefix not
 * in the table (another program's, a forged one, or one from rules already replaced) is rejected.
 */
import type { DesiredPolicy, DesiredProfile, DesiredRule, DesiredState } from '../../engine/index.js';
import { base64UrlEncode, sha256, utf8Encode } from '../../lib/sha2.js';
import type { FlowHitAction, FlowPolicyHit } from '../../model/flows.js';

/** Felix's flow-log NFLOG groups. */
export const FLOW_LOG_GROUP_INBOUND = 1;
export const FLOW_LOG_GROUP_OUTBOUND = 2;

/** The kernel's NFLOG prefix limit, with its terminating NUL (Felix `NFLOGPrefixMaxLength`). */
export const NFLOG_PREFIX_MAX_LENGTH = 64;
const _MAX_WO_TERM = NFLOG_PREFIX_MAX_LENGTH - 1;
const _KEEP = 10;
const _HASH_LEN = _MAX_WO_TERM - _KEEP - _KEEP - 1;

export type FlowLogDir = 'ingress' | 'egress';

export const flowLogGroup = (dir: FlowLogDir): number => (dir === 'ingress' ? FLOW_LOG_GROUP_INBOUND : FLOW_LOG_GROUP_OUTBOUND);

/** Felix's short policy kinds (`felix/types/policy_id.go`), plus ANP/BANP. */
const _SHORT_KIND: Readonly<Record<string, string>> = {
  NetworkPolicy: 'np',
  GlobalNetworkPolicy: 'gnp',
  StagedNetworkPolicy: 'snp',
  StagedGlobalNetworkPolicy: 'sgnp',
  StagedKubernetesNetworkPolicy: 'sknp',
  KubernetesNetworkPolicy: 'knp',
  AdminNetworkPolicy: 'anp',
  BaselineAdminNetworkPolicy: 'banp',
};

/** Felix `maybeHash`: prefixes of 63 bytes or more become first 10 + `_` + hash + `_` + last 10. */
export function maybeHashPrefix(prefix: string): string {
  if (utf8Encode(prefix).length < _MAX_WO_TERM) return prefix;
  // Names are Kubernetes names (ASCII); slice by characters as Felix slices bytes.
  const head = prefix.slice(0, _KEEP);
  const tail = prefix.slice(prefix.length - _KEEP);
  // Felix: hash.GetLengthLimitedID("", prefix, hashLen) = "_" + base64url(sha256)[:hashLen-1].
  const hash = '_' + base64UrlEncode(sha256(prefix)).slice(0, _HASH_LEN - 1);
  return `${head}${hash}_${tail}`;
}

/** The prefixes the engine gives converted kinds' names (`knp.default.<name>`, …), by kind. */
const _CONVERTED_PREFIX: Readonly<Record<string, string>> = {
  KubernetesNetworkPolicy: 'knp.default.',
  StagedKubernetesNetworkPolicy: 'knp.default.',
  AdminNetworkPolicy: 'kanp.adminnetworkpolicy.',
  BaselineAdminNetworkPolicy: 'kbanp.baselineadminnetworkpolicy.',
};

/** A policy's name as the user wrote it (the engine's converted name without its `knp.default.`-like prefix). */
export function flowLogPolicyName(kind: string, name: string): string {
  const pre = _CONVERTED_PREFIX[kind];
  return pre !== undefined && name.startsWith(pre) ? name.slice(pre.length) : name;
}

/** Felix's policy id (3.30: by kind): `<short kind>/<namespace>/<name>` or `<short kind>/<name>`, with the user's name. */
export function flowLogPolicyId(p: Pick<DesiredPolicy, 'kind' | 'namespace' | 'name'>): string {
  const k = _SHORT_KIND[p.kind] ?? p.kind;
  const name = flowLogPolicyName(p.kind, p.name);
  return p.namespace !== '' ? `${k}/${p.namespace}/${name}` : `${k}/${name}`;
}

const _dirChar = (d: FlowLogDir): string => (d === 'ingress' ? 'I' : 'E');

/** The prefix of a rule verdict (Felix `CalculateNFLOGPrefixStr`). */
export function ruleFlowLogPrefix(action: 'A' | 'D' | 'P', owner: 'P' | 'R', dir: FlowLogDir, index: number, id: string): string {
  return maybeHashPrefix(`${action}${owner}${_dirChar(dir)}${index}|${id}`);
}

/** The prefix of a tier's end-of-tier drop (Felix `CalculateEndOfTierDropNFLOGPrefixStr`). */
export function endOfTierFlowLogPrefix(dir: FlowLogDir, tier: string): string {
  return maybeHashPrefix(`DP${_dirChar(dir)}|${tier}`);
}

/** The prefix of the "no profile matched" drop (Felix `CalculateNoMatchProfileNFLOGPrefixStr`). */
export function noProfileFlowLogPrefix(dir: FlowLogDir): string {
  return `DR${_dirChar(dir)}`;
}

const _ACTION_CHAR: Readonly<Record<string, 'A' | 'D' | 'P' | undefined>> = { Allow: 'A', Deny: 'D', Pass: 'P' };

/** The prefix of one programmed policy/profile rule, or undefined when the rule gets no flow-log mark (Log, skipped). */
export function flowLogPrefixOfRule(r: DesiredRule, owner: 'P' | 'R', dir: FlowLogDir, id: string): string | undefined {
  const a = _ACTION_CHAR[r.action];
  if (a === undefined || r.skip !== null) return undefined;
  return ruleFlowLogPrefix(a, owner, dir, r.index, id);
}

/** Prefix → the verdict it stands for. */
export type FlowLogTable = ReadonlyMap<string, FlowPolicyHit>;

function _policyHits(out: Map<string, FlowPolicyHit>, p: DesiredPolicy): void {
  const id = flowLogPolicyId(p);
  for (const dir of ['ingress', 'egress'] as const)
    for (const r of dir === 'ingress' ? p.ingress : p.egress) {
      const prefix = flowLogPrefixOfRule(r, 'P', dir, id);
      if (prefix === undefined) continue;
      const action: FlowHitAction = r.action === 'Allow' ? 'allow' : r.action === 'Deny' ? 'deny' : 'pass';
      out.set(prefix, { tier: p.tier, kind: p.kind, namespace: p.namespace, name: flowLogPolicyName(p.kind, p.name), ruleIndex: r.index, direction: dir, action });
    }
}

function _profileHits(out: Map<string, FlowPolicyHit>, p: DesiredProfile): void {
  for (const dir of ['ingress', 'egress'] as const)
    for (const r of dir === 'ingress' ? p.ingress : p.egress) {
      const prefix = flowLogPrefixOfRule(r, 'R', dir, p.name);
      if (prefix === undefined || r.action === 'Pass') continue;
      out.set(prefix, { tier: '', kind: 'Profile', namespace: '', name: p.name, ruleIndex: r.index, direction: dir, action: r.action === 'Allow' ? 'profile-allow' : 'profile-deny' });
    }
}

/**
 * Every prefix the renderer writes for `d`, with the verdict it stands for. A hashed prefix that
 * two verdicts share (a sha256 collision in 41 characters) maps to neither: it is left out, so it
 * is rejected rather than misreported.
 */
export function flowLogTable(d: DesiredState): FlowLogTable {
  const out = new Map<string, FlowPolicyHit>();
  const clash = new Set<string>();
  const add = (m: Map<string, FlowPolicyHit>): void => {
    for (const [k, v] of m) {
      const old = out.get(k);
      if (old !== undefined && JSON.stringify(old) !== JSON.stringify(v)) clash.add(k);
      out.set(k, v);
    }
  };
  for (const p of d.policies.values()) {
    const m = new Map<string, FlowPolicyHit>();
    _policyHits(m, p);
    add(m);
  }
  for (const p of d.profiles.values()) {
    const m = new Map<string, FlowPolicyHit>();
    _profileHits(m, p);
    add(m);
  }
  const tiers = new Set<string>();
  for (const w of d.workloads) for (const t of [...w.ingress, ...w.egress]) tiers.add(t.name);
  for (const h of d.hostEndpoints) for (const t of [...h.normal.ingress, ...h.normal.egress, ...h.forward.ingress, ...h.forward.egress]) tiers.add(t.name);
  for (const dir of ['ingress', 'egress'] as const) {
    const m = new Map<string, FlowPolicyHit>();
    for (const t of tiers) m.set(endOfTierFlowLogPrefix(dir, t), { tier: t, kind: 'Tier', namespace: '', name: t, ruleIndex: -1, direction: dir, action: 'end-of-tier-deny' });
    m.set(noProfileFlowLogPrefix(dir), { tier: '', kind: 'Profile', namespace: '', name: '', ruleIndex: -1, direction: dir, action: 'profile-deny' });
    add(m);
  }
  for (const k of clash) out.delete(k);
  return out;
}

/** Why a prefix read from the kernel was not accepted. */
export type FlowLogPrefixError = 'too-long' | 'bad-characters' | 'unknown';

/**
 * A prefix read back from the kernel → the verdict, through the table(s) of what was rendered
 * (newest first). Rejects anything longer than the kernel keeps, anything outside printable ASCII,
 * and anything not rendered by us.
 */
export function decodeFlowLogPrefix(prefix: string, tables: readonly FlowLogTable[]): { ok: true; hit: FlowPolicyHit } | { ok: false; error: FlowLogPrefixError } {
  if (prefix.length > _MAX_WO_TERM) return { ok: false, error: 'too-long' };
  if (!/^[\x21-\x7e]+$/.test(prefix)) return { ok: false, error: 'bad-characters' };
  for (const t of tables) {
    const hit = t.get(prefix);
    if (hit !== undefined) return { ok: true, hit };
  }
  return { ok: false, error: 'unknown' };
}
