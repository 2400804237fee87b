/**
 * @module The indexed evaluator: Allow? for a pod → pod flow where neither node has a host
 * endpoint (the common case, and the one the throughput goal is about), without a trace and
 * without walking the generic rule structures.
 *
 * Compiled once per snapshot (lazily, per endpoint on first use):
 * - every rule of the enforced policies and of the profiles becomes an `FRule`: a bit mask of the
 *   criteria it has (protocol, ICMP, IP version, ports, peer), the criteria as plain numbers, and
 *   one *peer predicate* id per side: the rule side's selector, notSelector, nets and notNets
 *   together (interned: equal sides share an id). Log rules and rules that can never match
 *   (HTTP, unrenderable) are left out — they never decide;
 * - per endpoint and direction, a *program*: the rules of every policy that selects it, tier by
 *   tier (a Pass jumps to the next tier; a tier that ends without a decision drops when its
 *   default action is Deny), then its profiles (a Pass jumps to the next profile), then Deny.
 *   Programs depend only on the endpoint's label set and profiles, so endpoints with equal ones
 *   share them;
 * - per endpoint, a row of peer predicate results (0 not yet known, 1 match, 2 no match), filled
 *   the first time a rule asks — the endpoint's bitset of which rule sides select it.
 * A verdict then runs the source's egress program and the destination's ingress program,
 * reading the packet from module scratch variables; it allocates nothing. A verdict is computed
 * afresh every time: nothing here remembers verdicts (the per-class verdict memo is `decide`'s,
 * in evaluate.ts).
 *
 * Everything the index does not cover — a `services` rule match, a pod address other than the
 * pod's first, host endpoints on either node — returns undefined, and the caller uses the
 * general evaluator (evaluate.ts), which gives the same answers: fast.test.ts checks that over
 * random clusters and flows.
 */
import { anyNetContains, type Ip, type Net } from './ip.js';
import { selMatches, type CompiledEntity, type CompiledRule, type LabelSet, type NamedPort, type Owner, type PortMatch, type SelRef } from './match.js';
import { planFor } from './resolve.js';
import type { Snapshot, WorkloadEndpointInfo } from './snapshot.js';
import { workloadClasses } from './classes.js';



/** Which criteria a compiled rule has (const enums: inlined as literals on the hot path). */
const enum F {
  Proto = 1,
  NotProto = 2,
  IpVersion = 4,
  Icmp = 8,
  NotIcmp = 16,
  Src = 32,
  Dst = 64,
  DstPorts = 128,
  DstNotPorts = 256,
  SrcPorts = 512,
  SrcNotPorts = 1024,
}

/** Rule actions. */
const enum A {
  Allow = 1,
  Deny = 2,
  Pass = 3,
}

/** Per workload: not prepared yet, indexed, or left to the general evaluator. */
const enum S {
  Unprepared = 0,
  Indexed = 1,
  Generic = 2,
}

/** A port list: numeric ranges and port names. */
class _Ports {
  constructor(
    readonly lo: Int32Array,
    readonly hi: Int32Array,
    readonly names: readonly string[],
  ) {}
}

function _ports(list: readonly PortMatch[]): _Ports {
  const lo: number[] = [];
  const hi: number[] = [];
  const names: string[] = [];
  for (const p of list) {
    if (p.name === undefined) {
      lo.push(p.min);
      hi.push(p.max);
    } else names.push(p.name);
  }
  return new _Ports(Int32Array.from(lo), Int32Array.from(hi), names);
}

/** match.ts _portIn, on the compiled list. */
function _portIn(p: _Ports, port: number, proto: number, named: readonly NamedPort[]): boolean {
  if (port < 0) return false;
  const lo = p.lo;
  for (let i = 0; i < lo.length; i++) if (port >= lo[i]! && port <= p.hi[i]!) return true;
  const names = p.names;
  for (let i = 0; i < names.length; i++)
    for (let j = 0; j < named.length; j++) {
      const n = named[j]!;
      if (n.name === names[i] && n.proto === proto && n.port === port) return true;
    }
  return false;
}

/** One rule (or a tier's end-of-tier drop, or the final drop: no criteria, action Deny). */
class FRule {
  constructor(
    readonly flags: number,
    readonly action: number,
    /** For Pass: the index to go on at (the next tier, or the next profile). */
    public passTo: number,
    readonly proto: number,
    readonly notProto: number,
    readonly ipVersion: number,
    readonly icmpType: number,
    readonly icmpCode: number,
    readonly notIcmpType: number,
    readonly notIcmpCode: number,
    readonly srcPred: number,
    readonly dstPred: number,
    readonly dstPorts: _Ports | null,
    readonly dstNotPorts: _Ports | null,
    readonly srcPorts: _Ports | null,
    readonly srcNotPorts: _Ports | null,
  ) {}
}

const _DROP = new FRule(0, A.Deny, -1, -1, -1, 0, -1, -1, -1, -1, -1, -1, null, null, null, null);

/** A rule side's peer predicate: selector, notSelector, nets, notNets. */
interface _Pred {
  readonly sel: SelRef | null;
  readonly notSel: SelRef | null;
  readonly nets: readonly Net[] | null;
  readonly notNets: readonly Net[] | null;
}

/** The programs of one endpoint (shared by endpoints with the same label set and profiles). */
interface _Programs {
  readonly profiles: readonly string[];
  readonly egress: readonly FRule[];
  readonly ingress: readonly FRule[];
  /** A rule has a criterion the index does not compile (a `services` match). */
  readonly generic: boolean;
}


class _Index {
  readonly preds: _Pred[] = [];
  readonly #predIds = new Map<string, number>();
  /** Compiled rules by CompiledRule (a rule object is compiled once, whichever program holds it). */
  readonly #rules = new Map<CompiledRule, FRule | null | undefined>();
  readonly #programs = new Map<LabelSet, _Programs[]>();
  readonly #hepNodes: ReadonlySet<string>;
  readonly state: Uint8Array;
  readonly egress: (readonly FRule[] | undefined)[];
  readonly ingress: (readonly FRule[] | undefined)[];
  readonly rows: (Uint8Array | undefined)[];
  readonly owners: (readonly Owner[] | undefined)[];
  /** The first address of each prepared workload (the one its row is about). */
  readonly primary: (Ip | undefined)[];
  readonly named: (readonly NamedPort[] | undefined)[];

  constructor(readonly snap: Snapshot) {
    const hepNodes = new Set<string>();
    for (const h of snap.hostEndpoints) hepNodes.add(h.node);
    this.#hepNodes = hepNodes;
    const n = snap.workloads.length;
    this.state = new Uint8Array(n);
    // Pre-sized: assigning far past the end of an empty array would make it a slow dictionary.
    this.egress = new Array<readonly FRule[] | undefined>(n).fill(undefined);
    this.ingress = new Array<readonly FRule[] | undefined>(n).fill(undefined);
    this.rows = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.owners = new Array<readonly Owner[] | undefined>(n).fill(undefined);
    this.primary = new Array<Ip | undefined>(n).fill(undefined);
    this.named = new Array<readonly NamedPort[] | undefined>(n).fill(undefined);
    // Every rule a program can hold, compiled now: the predicate count (the row size) is then final.
    for (const p of snap.enforced.policies) for (const list of [p.ingressRules, p.egressRules]) for (const r of list) this.#rule(r);
    for (const p of snap.profiles.values()) for (const list of [p.ingress, p.egress]) for (const r of list) this.#rule(r);
    this.#sealed = true;
  }

  /** Set once every rule is compiled: no predicate may be added after rows exist. */
  #sealed = false;

  #pred(e: CompiledEntity): number {
    if (e.sel === null && e.notSel === null && e.nets === null && e.notNets === null) return -1;
    const nets = (l: readonly Net[] | null): string => (l === null ? '-' : l.map((x) => x.text).join(','));
    const key = `${e.sel?.id ?? -1}|${e.notSel?.id ?? -1}|${nets(e.nets)}|${nets(e.notNets)}`;
    let id = this.#predIds.get(key);
    if (id === undefined) {
      id = this.preds.length;
      this.preds.push({ sel: e.sel, notSel: e.notSel, nets: e.nets, notNets: e.notNets });
      this.#predIds.set(key, id);
    }
    return id;
  }

  /** The compiled rule; null when it never decides (Log, HTTP, unrenderable); undefined: not compilable. */
  #rule(r: CompiledRule): FRule | null | undefined {
    if (this.#rules.has(r)) return this.#rules.get(r);
    if (this.#sealed) throw new Error('fast index: a rule outside the snapshot'); // never: programs hold snapshot rules only
    let out: FRule | null | undefined;
    if (r.action === 'Log' || r.invalid !== null || r.http) out = null;
    else if (r.src.service !== null || r.dst.service !== null) out = undefined;
    else {
      const srcPred = this.#pred(r.src);
      const dstPred = this.#pred(r.dst);
      const flags =
        (r.proto >= 0 ? F.Proto : 0) |
        (r.notProto >= 0 ? F.NotProto : 0) |
        (r.ipVersion !== 0 ? F.IpVersion : 0) |
        (r.icmpType >= 0 ? F.Icmp : 0) |
        (r.notIcmpType >= 0 ? F.NotIcmp : 0) |
        (srcPred >= 0 ? F.Src : 0) |
        (dstPred >= 0 ? F.Dst : 0) |
        (r.dst.ports !== null ? F.DstPorts : 0) |
        (r.dst.notPorts !== null ? F.DstNotPorts : 0) |
        (r.src.ports !== null ? F.SrcPorts : 0) |
        (r.src.notPorts !== null ? F.SrcNotPorts : 0);
      const action = r.action === 'Allow' ? A.Allow : r.action === 'Deny' ? A.Deny : A.Pass;
      const p = (l: readonly PortMatch[] | null): _Ports | null => (l === null ? null : _ports(l));
      out = new FRule(flags, action, -1, r.proto, r.notProto, r.ipVersion, r.icmpType, r.icmpCode, r.notIcmpType, r.notIcmpCode, srcPred, dstPred, p(r.dst.ports), p(r.dst.notPorts), p(r.src.ports), p(r.src.notPorts));
    }
    this.#rules.set(r, out);
    return out;
  }

  /**
   * The program of `w` in one direction: tiers, profiles, then Deny. Undefined when a rule
   * cannot be compiled. A rule with no criteria always matches, so nothing after it in its tier
   * (a Pass: the tier is left there, without its end-of-tier drop) or in the program (Allow or
   * Deny: it decides) can run, and is left out.
   */
  #program(w: WorkloadEndpointInfo, ingress: boolean): FRule[] | undefined {
    const snap = this.snap;
    const out: FRule[] = [];
    /** Pass rules of the current tier / profile, to point at the next one. */
    let pending: FRule[] = [];
    const close = (): void => {
      for (const p of pending) p.passTo = out.length;
      pending = [];
    };
    /** Adds the rules of one policy or profile: 'next' (go on), 'leave' (an unconditional Pass), 'end' (it decides), or 'generic'. */
    const addAll = (rules: readonly CompiledRule[]): 'next' | 'leave' | 'end' | 'generic' => {
      for (const r of rules) {
        const f = this.#rule(r);
        if (f === undefined) return 'generic';
        if (f === null) continue;
        if (f.flags === 0) {
          if (f.action === A.Pass) return 'leave';
          out.push(f);
          return 'end';
        }
        if (f.action === A.Pass) {
          // A compiled rule may sit in several programs at different places: Pass rules get their own copy.
          const g = new FRule(f.flags, A.Pass, -1, f.proto, f.notProto, f.ipVersion, f.icmpType, f.icmpCode, f.notIcmpType, f.notIcmpCode, f.srcPred, f.dstPred, f.dstPorts, f.dstNotPorts, f.srcPorts, f.srcNotPorts);
          pending.push(g);
          out.push(g);
        } else out.push(f);
      }
      return 'next';
    };
    for (const tp of planFor(snap, snap.enforced, w, ingress ? 'ingress' : 'egress', 'normal', false)) {
      let r: 'next' | 'leave' | 'end' | 'generic' = 'next';
      for (const p of tp.policies) {
        r = addAll(ingress ? p.ingressRules : p.egressRules);
        if (r !== 'next') break;
      }
      if (r === 'generic') return undefined;
      // Decided unless a Pass before it jumps on to the next tier.
      if (r === 'end' && pending.length === 0) return out;
      if (r === 'next' && tp.tier.defaultAction === 'Deny') out.push(_DROP);
      close();
    }
    for (const name of w.profiles) {
      const prof = snap.profiles.get(name);
      if (prof === undefined) continue; // fail closed: an unknown profile allows nothing
      const r = addAll(ingress ? prof.ingress : prof.egress);
      if (r === 'generic') return undefined;
      if (r === 'end' && pending.length === 0) return out;
      close();
    }
    out.push(_DROP);
    return out;
  }

  /** Prepares `w`: its programs (shared by label set and profiles), its row; INDEXED or GENERIC. */
  prepare(w: WorkloadEndpointInfo): number {
    const i = w.index;
    let s = this.state[i]!;
    if (s !== S.Unprepared) return s;
    if (this.#hepNodes.has(w.node)) s = S.Generic;
    else {
      let list = this.#programs.get(w.ls);
      if (list === undefined) this.#programs.set(w.ls, (list = []));
      let progs = list.find((p) => p.profiles === w.profiles);
      if (progs === undefined) {
        const egress = this.#program(w, false);
        const ingress = this.#program(w, true);
        progs = { profiles: w.profiles, egress: egress ?? [], ingress: ingress ?? [], generic: egress === undefined || ingress === undefined };
        list.push(progs);
      }
      if (progs.generic) s = S.Generic;
      else {
        this.egress[i] = progs.egress;
        this.ingress[i] = progs.ingress;
        this.rows[i] = new Uint8Array(this.preds.length);
        this.primary[i] = w.ips[0]!;
        this.named[i] = w.namedPorts;
        this.owners[i] = this.snap.ownersOf(w.ips[0]!);
        s = S.Indexed;
      }
    }
    this.state[i] = s;
    return s;
  }

}

/** The packet and both ends of the verdict being computed: one reused object (single-threaded, non-reentrant). */
class _Scratch {
  idx: _Index | null = null;
  proto = 0;
  family = 4;
  dstPort = -1;
  srcPort = -1;
  icmpType = -1;
  icmpCode = -1;
  portsApply = false;
  isIcmp = false;
  src = 0;
  dst = 0;
  srcRow: Uint8Array = new Uint8Array(0);
  dstRow: Uint8Array = new Uint8Array(0);
}
const _p = new _Scratch();

/** The peer predicate `id` for workload `w` (its row slot was 0): computes and remembers it. */
function _fill(idx: _Index, id: number, w: number): number {
  const p = idx.preds[id]!;
  const ip = idx.primary[w]!;
  const owners = idx.owners[w]!;
  const ok =
    (p.sel === null || selMatches(p.sel, owners)) &&
    (p.notSel === null || !selMatches(p.notSel, owners)) &&
    (p.nets === null || anyNetContains(p.nets, ip)) &&
    (p.notNets === null || !anyNetContains(p.notNets, ip));
  const v = ok ? 1 : 2;
  idx.rows[w]![id] = v;
  return v;
}

/**
 * Runs one program: true for Allow. Every rule but the last has criteria (see #program); they
 * are tested cheapest first, inline (this loop is the hot path).
 */
function _run(prog: readonly FRule[], p: _Scratch): boolean {
  let i = 0;
  for (;;) {
    const r = prog[i]!;
    const f = r.flags;
    if (f !== 0) {
      if (
        ((f & F.Proto) !== 0 && r.proto !== p.proto) ||
        ((f & F.NotProto) !== 0 && r.notProto === p.proto) ||
        ((f & F.IpVersion) !== 0 && r.ipVersion !== p.family) ||
        ((f & F.Icmp) !== 0 && (!p.isIcmp || p.icmpType !== r.icmpType || (r.icmpCode >= 0 && p.icmpCode !== r.icmpCode))) ||
        ((f & F.NotIcmp) !== 0 && p.isIcmp && p.icmpType === r.notIcmpType && (r.notIcmpCode < 0 || p.icmpCode === r.notIcmpCode)) ||
        ((f & (F.DstPorts | F.DstNotPorts | F.SrcPorts | F.SrcNotPorts)) !== 0 && !_portsMatch(r, p))
      ) {
        i++;
        continue;
      }
      if ((f & F.Src) !== 0) {
        const v = p.srcRow[r.srcPred]!;
        if (v === 2 || (v === 0 && _fill(p.idx!, r.srcPred, p.src) !== 1)) {
          i++;
          continue;
        }
      }
      if ((f & F.Dst) !== 0) {
        const v = p.dstRow[r.dstPred]!;
        if (v === 2 || (v === 0 && _fill(p.idx!, r.dstPred, p.dst) !== 1)) {
          i++;
          continue;
        }
      }
    }
    const a = r.action;
    if (a === A.Pass) {
      i = r.passTo;
      continue;
    }
    return a === A.Allow;
  }
}

/** The port criteria of `r` (match.ts semantics: ports need a port protocol; notPorts exclude). */
function _portsMatch(r: FRule, p: _Scratch): boolean {
  const f = r.flags;
  const idx = p.idx!;
  if ((f & F.DstPorts) !== 0 && (!p.portsApply || !_portIn(r.dstPorts!, p.dstPort, p.proto, idx.named[p.dst]!))) return false;
  if ((f & F.DstNotPorts) !== 0 && p.portsApply && _portIn(r.dstNotPorts!, p.dstPort, p.proto, idx.named[p.dst]!)) return false;
  if ((f & F.SrcPorts) !== 0 && (!p.portsApply || !_portIn(r.srcPorts!, p.srcPort, p.proto, idx.named[p.src]!))) return false;
  if ((f & F.SrcNotPorts) !== 0 && p.portsApply && _portIn(r.srcNotPorts!, p.srcPort, p.proto, idx.named[p.src]!)) return false;
  return true;
}

/**
 * Allow? for a pod → pod flow (each end at its first address) where neither node has a host
 * endpoint; undefined when the flow is not one the index handles (the caller then uses the
 * general evaluator). The two pods are different (a pod → itself is not policed: isSelfFlow).
 */
export function decidePodToPod(
  snap: Snapshot,
  src: WorkloadEndpointInfo,
  srcIp: Ip,
  dst: WorkloadEndpointInfo,
  dstIp: Ip,
  proto: number,
  dstPort: number,
  srcPort: number,
  icmpType: number,
  icmpCode: number,
): boolean | undefined {
  let idx = snap.memo.fast as _Index | undefined;
  if (idx === undefined) snap.memo.fast = idx = new _Index(snap);
  const s = src.index;
  const d = dst.index;
  // `primary` is set for indexed workloads only: one load answers "indexed, and at its first address?".
  const primary = idx.primary;
  if (srcIp !== primary[s] && (idx.prepare(src) !== S.Indexed || srcIp !== primary[s])) return undefined;
  if (dstIp !== primary[d] && (idx.prepare(dst) !== S.Indexed || dstIp !== primary[d])) return undefined;
  const p = _p;
  p.idx = idx;
  p.proto = proto;
  p.family = srcIp.family;
  p.dstPort = dstPort;
  p.srcPort = srcPort;
  p.icmpType = icmpType;
  p.icmpCode = icmpCode;
  p.portsApply = proto === 6 || proto === 17 || proto === 132 || proto === 136; // match.ts portsApply: TCP, UDP, SCTP, UDPLite
  p.isIcmp = proto === 1 || proto === 58; // ICMP, ICMPv6
  p.src = s;
  p.dst = d;
  p.srcRow = idx.rows[s]!;
  p.dstRow = idx.rows[d]!;
  return _run(idx.egress[s]!, p) && _run(idx.ingress[d]!, p);
}


/** How many workloads of `snap` the index has prepared for itself (not left to the general evaluator); for tests. */
export function indexedWorkloads(snap: Snapshot): number {
  const idx = snap.memo.fast as _Index | undefined;
  if (idx === undefined) return 0;
  let n = 0;
  for (const s of idx.state) if (s === S.Indexed) n++;
  return n;
}

export interface VerdictTable {
  readonly classOf: Int32Array;
  readonly classes: number;
  /** classes × classes: 0 unknown, 1 allow, 2 deny. */
  readonly table: Uint8Array;
}

/**
 * The memo table of pod → pod verdicts for one (protocol, destination port, ICMP type), indexed by
 * workload class (classes.ts): pods of one class are indistinguishable to every rule, so one
 * evaluation answers for the whole class pair.
 */
export function verdictTable(snap: Snapshot, proto: number, dstPort: number, icmpType: number): VerdictTable {
  const memo = snap.memo;
  const key = (proto * 65537 + dstPort + 1) * 257 + icmpType + 1;
  if (memo.lastVerdictKey === key) return memo.lastVerdictTable as VerdictTable;
  let byKey = memo.verdictTables;
  if (byKey === undefined) byKey = memo.verdictTables = new Map();
  let t = byKey.get(key) as VerdictTable | undefined;
  if (t === undefined) {
    const wc = workloadClasses(snap);
    const classes = wc.reps.length;
    t = { classOf: wc.classOf, classes, table: new Uint8Array(classes * classes) };
    byKey.set(key, t);
  }
  memo.lastVerdictKey = key;
  memo.lastVerdictTable = t;
  return t;
}
