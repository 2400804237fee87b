/**
 * @module The indexed evaluator: Allow? for a pod → pod flow where neither node has a host
 * endpoint (the common case, and the one the throughput goal is about), without a trace and
 * without walking the generic rule structures. Nothing here remembers a verdict: every call
 * runs the rules that apply to the two pods (the per-class verdict memo is `decide`'s, in
 * evaluate.ts).
 *
 * The index, built from the snapshot (per workload on first use, or all at once by
 * `prepareFastIndex`):
 * - every rule of the enforced policies and profiles becomes an `FRule`: a bit mask of the
 *   criteria it has, the criteria as plain numbers, and one *peer predicate* id per side (the
 *   side's selector, notSelector, nets and notNets together, interned). Log rules and rules that
 *   can never match (HTTP, unrenderable) are left out — they never decide;
 * - per distinct (policy selectors the endpoint matches, profiles), the *program* of each
 *   direction: blocks of rules, one per tier that has a policy selecting the endpoint (tier
 *   order, then policy order; a Pass goes on at the next block; a tier whose default action is
 *   Deny ends with a drop), then one per profile, then a drop;
 * - per workload, its *row*: which peer predicates its first address satisfies (through the
 *   IP-set view: every owner of the address counts) — the bitset of rule sides that select it;
 * - *classes*: workloads with the same programs, row, address family and named ports are
 *   indistinguishable to every rule, and share one class. Per class and direction the program
 *   is specialised: the criteria about the endpoint itself (the source side of its egress rules,
 *   the destination side of its ingress rules, ipVersion, its named ports) are decided once, so
 *   rules that can never match it are dropped, rules that always match it end their block, and
 *   what is left tests only the packet and the peer: one flat Int32Array of `R.Size` slots per
 *   rule (peer predicate, protocol, one inline port range, and an index to the rare criteria).
 * - per class, direction and *packet shape* (protocol × destination port class: the ports
 *   between two consecutive bounds of any rule's port range or any workload's named port are
 *   alike to every rule), the program specialised once more: protocol, port, notProtocol and
 *   the ICMP-ness of the packet are decided too, so only the rules that could match that packet
 *   remain, testing the peer's row (and the rare criteria: ICMP type/code, source ports, the
 *   peer's named ports). Built on first use or by `prepareFastIndex`; when a snapshot has more
 *   than _MAX_SHAPES shapes, the per-class programs above test protocol and ports instead.
 * A verdict runs the source class's egress program against the destination class's row, then
 * the destination class's ingress program against the source class's row; it allocates nothing.
 * Programs hold rules, never verdicts.
 *
 * Everything the index does not cover — a `services` rule match, a pod address other than the
 * pod's first, host endpoints on either node — returns undefined, and the caller uses the
 * general evaluator (evaluate.ts), which gives the same answers: fast.test.ts checks that over
 * random clusters and flows.
 */
import { anyNetContains, type Ip, type Net } from './ip.js';
import { selMatches, type CompiledEntity, type CompiledRule, type NamedPort, type Owner, type PortMatch, type SelRef } from './match.js';
import { planFor, type Plan } from './resolve.js';
import type { Snapshot, WorkloadEndpointInfo } from './snapshot.js';
import { workloadClasses } from './classes.js';

/** Which criteria a compiled rule has. */
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

/** The criteria a specialised rule still tests at run time (0: it always matches). */
const enum K {
  Peer = 1,
  Proto = 2,
  Port = 4,
  Rare = 8,
}

/** Rule actions. */
const enum A {
  Allow = 1,
  Deny = 2,
  Pass = 3,
}

/** The slots of one specialised rule in the code array. */
const enum R {
  Flags = 0,
  Action = 1,
  PassTo = 2,
  Peer = 3,
  Proto = 4,
  PortLo = 5,
  PortHi = 6,
  Rare = 7,
  Size = 8,
}

/** Workload states in `_Index.cls` (a class id otherwise). */
const enum S {
  Unprepared = -2,
  Generic = -1,
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

/** match.ts portsApply: TCP, UDP, SCTP, UDPLite. */
const _portsApply = (proto: number): boolean => proto === 6 || proto === 17 || proto === 132 || proto === 136;

/** One compiled rule (shared by every program that holds it). */
class FRule {
  constructor(
    readonly id: number,
    readonly flags: number,
    readonly action: number,
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

/** A rule side's peer predicate: selector, notSelector, nets, notNets. */
interface _Pred {
  readonly sel: SelRef | null;
  readonly notSel: SelRef | null;
  readonly nets: readonly Net[] | null;
  readonly notNets: readonly Net[] | null;
}

/** One tier (or profile) of a program: its rules in order; `drop`: it ends with a drop when no rule decided. */
interface _Block {
  readonly rules: readonly FRule[];
  readonly drop: boolean;
}

/** The programs of one label set and profile list, with their identity for class keys. */
interface _Programs {
  readonly egress: readonly _Block[] | undefined;
  readonly ingress: readonly _Block[] | undefined;
  readonly key: string;
}

/** A growable Int32Array. */
class _Code {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

class _Index {
  readonly preds: _Pred[] = [];
  readonly #predIds = new Map<string, number>();
  /** Compiled rules by CompiledRule (a rule object is compiled once, whichever program holds it). */
  readonly #rules = new Map<CompiledRule, FRule | null | undefined>();
  readonly #programs = new Map<string, _Programs>();
  /** The distinct selectors of the enforced policies. */
  readonly #policySelectors: readonly SelRef[];
  readonly #one: Owner[] = [];
  readonly #classIds = new Map<string, number>();
  readonly #namedIds = new Map<readonly NamedPort[], string>();
  readonly #hepNodes: ReadonlySet<string>;
  /** Per workload: its class, or S.Unprepared / S.Generic. */
  readonly cls: Int32Array;
  /** The first address of each indexed workload (the one its row is about); undefined otherwise. */
  readonly primary: (Ip | undefined)[];
  /** The specialised programs of every class, back to back. */
  readonly #code = new _Code();
  code: Int32Array = this.#code.a;
  /** Per class: where its egress and ingress programs start in `code`. */
  egressAt = new Int32Array(64);
  ingressAt = new Int32Array(64);
  /** Per class: its row (one byte per peer predicate: 1 match, 0 no match), `npred` bytes each. */
  rows: Uint8Array;
  /** Per class: the named ports of its workloads. */
  readonly named: (readonly NamedPort[])[] = [];
  /** The rare criteria of specialised rules (R.Rare indexes this). */
  readonly rare: FRule[] = [];
  npred = 0;
  classes = 0;
  /** What each class's programs were specialised from. */
  readonly #classes: _ClassInfo[] = [];
  /**
   * Packet shapes: protocol slot × destination port class (0 when there are too many shapes to
   * keep a table per class; the class programs then test protocol and ports themselves).
   */
  nShapes = 0;
  nPortClasses = 1;
  /** Protocol number → slot (0: a protocol no rule names and that has no special meaning). */
  readonly protoSlot = new Uint8Array(256);
  /** Destination port + 1 → port class (class 0: port unknown). */
  portClass = new Uint16Array(0);
  readonly #slotProto: number[] = [];
  readonly #portRep: number[] = [];
  /** Per class × shape: where its shaped egress / ingress program starts; -1 until built. */
  egressShaped = new Int32Array(0);
  ingressShaped = new Int32Array(0);

  get codeSlots(): number {
    return this.#code.n;
  }

  constructor(readonly snap: Snapshot) {
    const hepNodes = new Set<string>();
    for (const h of snap.hostEndpoints) hepNodes.add(h.node);
    this.#hepNodes = hepNodes;
    this.#policySelectors = [...new Set(snap.enforced.policies.map((p) => p.selector))];
    const n = snap.workloads.length;
    this.cls = new Int32Array(n).fill(S.Unprepared);
    // Pre-sized: assigning far past the end of an empty array would make it a slow dictionary.
    this.primary = new Array<Ip | undefined>(n).fill(undefined);
    // Every rule a program can hold, compiled now: the predicate count (the row size) is then final.
    for (const p of snap.enforced.policies) for (const list of [p.ingressRules, p.egressRules]) for (const r of list) this.#rule(r);
    for (const p of snap.profiles.values()) for (const list of [p.ingress, p.egress]) for (const r of list) this.#rule(r);
    this.#sealed = true;
    this.npred = this.preds.length;
    this.rows = new Uint8Array(Math.max(1, this.npred) * 64);
    this.#shapes();
  }

  /** Protocol slots and port classes (every port criterion of a rule, every named port of a workload, is constant on a port class). */
  #shapes(): void {
    const protos = new Set<number>([1, 6, 17, 58, 132, 136]);
    const cuts = new Set<number>([0, 65536]);
    const addPorts = (p: _Ports | null): void => {
      if (p === null) return;
      for (let i = 0; i < p.lo.length; i++) cuts.add(p.lo[i]!).add(p.hi[i]! + 1);
    };
    for (const r of this.#rules.values()) {
      if (r === null || r === undefined) continue;
      if (r.proto >= 0) protos.add(r.proto);
      if (r.notProto >= 0) protos.add(r.notProto);
      addPorts(r.dstPorts);
      addPorts(r.dstNotPorts);
    }
    const seen = new Set<readonly NamedPort[]>();
    for (const w of this.snap.workloads) {
      if (seen.has(w.namedPorts)) continue;
      seen.add(w.namedPorts);
      for (const n of w.namedPorts) if (n.port >= 0 && n.port <= 65535) cuts.add(n.port).add(n.port + 1);
    }
    let other = 0;
    while (other < 256 && protos.has(other)) other++;
    this.#slotProto.push(other); // slot 0
    for (const p of [...protos].sort((a, b) => a - b)) {
      this.protoSlot[p] = this.#slotProto.length;
      this.#slotProto.push(p);
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    const classes = sorted.length; // class 0: unknown port; class i: [sorted[i-1], sorted[i])
    const shapes = this.#slotProto.length * classes;
    if (shapes > _MAX_SHAPES) return;
    const pc = new Uint16Array(65537);
    this.#portRep.push(-1);
    for (let i = 1; i < classes; i++) {
      this.#portRep.push(sorted[i - 1]!);
      pc.fill(i, sorted[i - 1]! + 1, sorted[i]! + 1);
    }
    this.portClass = pc;
    this.nPortClasses = classes;
    this.nShapes = shapes;
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
      out = new FRule(this.#rules.size, flags, action, r.proto, r.notProto, r.ipVersion, r.icmpType, r.icmpCode, r.notIcmpType, r.notIcmpCode, srcPred, dstPred, p(r.dst.ports), p(r.dst.notPorts), p(r.src.ports), p(r.src.notPorts));
    }
    this.#rules.set(r, out);
    return out;
  }

  /**
   * The program of `w` in one direction: a block per tier (its policies' rules in order), then
   * one per profile. A block stops at a rule with no criteria (nothing after it can run); the
   * program stops after a block that always decides (it has no Pass and ends with such a rule
   * or a drop). Undefined when a rule cannot be compiled.
   */
  #program(plan: Plan, profiles: readonly string[], ingress: boolean): _Block[] | undefined {
    const snap = this.snap;
    const out: _Block[] = [];
    /** Adds one block: 'decides' when it always decides, 'generic' when a rule is not compilable. */
    const block = (lists: readonly (readonly CompiledRule[])[], drop: boolean): 'open' | 'decides' | 'generic' => {
      const rules: FRule[] = [];
      let pass = false;
      let end: 'open' | 'decides' | 'generic' = drop ? 'decides' : 'open';
      done: for (const list of lists)
        for (const r of list) {
          const f = this.#rule(r);
          if (f === undefined) return 'generic';
          if (f === null) continue;
          rules.push(f);
          if (f.action === A.Pass) pass = true;
          if (f.flags === 0) {
            end = f.action === A.Pass ? 'open' : 'decides';
            break done;
          }
        }
      out.push({ rules, drop });
      return pass ? 'open' : end;
    };
    for (const tp of plan) {
      const r = block(
        tp.policies.map((p) => (ingress ? p.ingressRules : p.egressRules)),
        tp.tier.defaultAction === 'Deny',
      );
      if (r === 'generic') return undefined;
      if (r === 'decides') return out;
    }
    for (const name of profiles) {
      const prof = snap.profiles.get(name);
      if (prof === undefined) continue; // fail closed: an unknown profile allows nothing
      const r = block([ingress ? prof.ingress : prof.egress], false);
      if (r === 'generic') return undefined;
      if (r === 'decides') return out;
    }
    out.push({ rules: [], drop: true });
    return out;
  }

  /**
   * The programs of `w`: built once per distinct (policy selectors that match it, profiles) —
   * everything the policy plan of an endpoint depends on (resolve.ts planFor).
   */
  #programsOf(w: WorkloadEndpointInfo): _Programs {
    const snap = this.snap;
    const one = this.#one;
    one[0] = w;
    let key = '';
    for (const sel of this.#policySelectors) key += selMatches(sel, one) ? '1' : '0';
    key += `/${w.profiles.join('\u0000')}`;
    let progs = this.#programs.get(key);
    if (progs === undefined) {
      const egress = this.#program(planFor(snap, snap.enforced, w, 'egress', 'normal', false), w.profiles, false);
      const ingress = this.#program(planFor(snap, snap.enforced, w, 'ingress', 'normal', false), w.profiles, true);
      progs = { egress, ingress, key: String(this.#programs.size) };
      this.#programs.set(key, progs);
    }
    return progs;
  }

  /** The row of `w`: which peer predicates its first address satisfies. */
  #row(w: WorkloadEndpointInfo, ip: Ip): Uint8Array {
    const owners = this.snap.ownersOf(ip);
    const row = new Uint8Array(this.npred);
    for (let id = 0; id < this.npred; id++) {
      const p = this.preds[id]!;
      const ok =
        (p.sel === null || selMatches(p.sel, owners)) &&
        (p.notSel === null || !selMatches(p.notSel, owners)) &&
        (p.nets === null || anyNetContains(p.nets, ip)) &&
        (p.notNets === null || !anyNetContains(p.notNets, ip));
      row[id] = ok ? 1 : 0;
    }
    return row;
  }

  #namedKey(list: readonly NamedPort[]): string {
    let k = this.#namedIds.get(list);
    if (k === undefined) this.#namedIds.set(list, (k = list.map((n) => `${n.name}/${n.proto}/${n.port}`).join(',')));
    return k;
  }

  /** Prepares `w`: its class (shared with every workload indistinguishable from it), or S.Generic. */
  prepare(w: WorkloadEndpointInfo): number {
    const i = w.index;
    let c = this.cls[i]!;
    if (c !== S.Unprepared) return c;
    const ip = w.ips[0];
    const progs = ip === undefined || this.#hepNodes.has(w.node) ? undefined : this.#programsOf(w);
    if (ip === undefined || progs === undefined || progs.egress === undefined || progs.ingress === undefined) c = S.Generic;
    else {
      const row = this.#row(w, ip);
      const key = `${progs.key}|${ip.family}|${this.#namedKey(w.namedPorts)}|${row.join('')}`;
      let id = this.#classIds.get(key);
      if (id === undefined) {
        id = this.#addClass(progs.egress, progs.ingress, row, ip.family, w.namedPorts);
        this.#classIds.set(key, id);
      }
      c = id;
      this.primary[i] = ip;
    }
    this.cls[i] = c;
    return c;
  }

  #addClass(egress: readonly _Block[], ingress: readonly _Block[], row: Uint8Array, family: number, named: readonly NamedPort[]): number {
    const c = this.classes++;
    if (c === this.egressAt.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.egressAt = grow(this.egressAt);
      this.ingressAt = grow(this.ingressAt);
    }
    const np = this.npred;
    if ((c + 1) * np > this.rows.length) {
      const b = new Uint8Array(this.rows.length * 2);
      b.set(this.rows);
      this.rows = b;
    }
    this.rows.set(row, c * np);
    this.named.push(named);
    this.egressAt[c] = this.#specialise(egress, false, row, family, named, null);
    this.ingressAt[c] = this.#specialise(ingress, true, row, family, named, null);
    this.#classes.push({ egress, ingress, row, family, named });
    const n = this.nShapes;
    if (n > 0 && (c + 1) * n > this.egressShaped.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(Math.max(a.length * 2, (c + 1) * n)).fill(-1);
        b.set(a);
        return b;
      };
      this.egressShaped = grow(this.egressShaped);
      this.ingressShaped = grow(this.ingressShaped);
    }
    this.code = this.#code.a;
    return c;
  }

  /**
   * Emits the program `blocks` specialised for one class (its row, family and named ports) and,
   * when `shape` is given, for one packet shape (protocol, and a destination port class: every
   * port of the class is alike to every port criterion), and returns where it starts. What is
   * known is decided here; a rule that cannot match is left out, one that always matches ends
   * its block (a Pass: the block is left there; Allow/Deny: it decides).
   */
  #specialise(blocks: readonly _Block[], ingress: boolean, row: Uint8Array, family: number, named: readonly NamedPort[], shape: _Shape | null): number {
    const code = this.#code;
    const start = code.n;
    const emit = (flags: number, action: number, peer: number, proto: number, lo: number, hi: number, rare: number): number => {
      const at = code.n;
      code.push(flags);
      code.push(action);
      code.push(-1);
      code.push(peer);
      code.push(proto);
      code.push(lo);
      code.push(hi);
      code.push(rare);
      return at;
    };
    for (const b of blocks) {
      const passes: number[] = [];
      let decided = false;
      let left = false;
      for (const r of b.rules) {
        const f = r.flags;
        if ((f & F.IpVersion) !== 0 && r.ipVersion !== family) continue;
        const self = ingress ? r.dstPred : r.srcPred;
        if (self >= 0 && row[self] === 0) continue;
        if ((f & F.Proto) !== 0 && (f & F.NotProto) !== 0 && r.proto === r.notProto) continue;
        const peer = ingress ? r.srcPred : r.dstPred;
        let k = peer >= 0 ? K.Peer : 0;
        // What the out-of-line check still has to test.
        let rare = f & (F.SrcPorts | F.SrcNotPorts);
        let lo = 0;
        let hi = 0;
        const dp = r.dstPorts;
        const dnp = r.dstNotPorts;
        /** The port names of `list` resolved on this endpoint for protocol `proto` (ingress: it is the destination). */
        const resolved = (list: _Ports, proto: number): number[] => {
          const out: number[] = [];
          for (const name of list.names) for (const n of named) if (n.name === name && n.proto === proto) out.push(n.port);
          return out;
        };
        if (shape !== null) {
          const proto = shape.proto;
          const port = shape.port;
          const icmp = proto === 1 || proto === 58;
          const apply = _portsApply(proto);
          if ((f & F.Proto) !== 0 && r.proto !== proto) continue;
          if ((f & F.NotProto) !== 0 && r.notProto === proto) continue;
          if ((f & F.Icmp) !== 0) {
            if (!icmp) continue;
            rare |= F.Icmp;
          }
          if ((f & F.NotIcmp) !== 0 && icmp) rare |= F.NotIcmp;
          if (dp !== null) {
            if (!apply || port < 0) continue;
            if (!_inRanges(dp, port)) {
              if (ingress) {
                if (!resolved(dp, proto).includes(port)) continue;
              } else if (dp.names.length === 0) continue;
              else rare |= F.DstPorts;
            }
          }
          if (dnp !== null && apply && port >= 0) {
            if (_inRanges(dnp, port)) continue;
            if (ingress) {
              if (resolved(dnp, proto).includes(port)) continue;
            } else if (dnp.names.length > 0) rare |= F.DstNotPorts;
          }
        } else {
          if ((f & F.Proto) !== 0) k |= K.Proto;
          rare |= f & (F.Icmp | F.NotIcmp | F.DstNotPorts);
          if ((f & F.NotProto) !== 0 && (f & F.Proto) === 0) rare |= F.NotProto;
          if (dp !== null) {
            // One port range tested inline when the rule's protocol takes ports: numbers, plus the
            // port names resolved here when the destination is the endpoint itself (ingress).
            const ranges: [number, number][] = [];
            for (let j = 0; j < dp.lo.length; j++) ranges.push([dp.lo[j]!, dp.hi[j]!]);
            const known = dp.names.length === 0 || (ingress && (f & F.Proto) !== 0);
            if (ingress && (f & F.Proto) !== 0) for (const port of resolved(dp, r.proto)) ranges.push([port, port]);
            if (known && (f & F.Proto) !== 0 && _portsApply(r.proto) && ranges.length <= 1) {
              if (ranges.length === 0) continue; // no port of the list exists here: never matches
              k |= K.Port;
              lo = ranges[0]![0];
              hi = ranges[0]![1];
            } else rare |= F.DstPorts;
          }
        }
        let rareAt = -1;
        if (rare !== 0) {
          k |= K.Rare;
          rareAt = this.rare.length;
          this.rare.push(new FRule(r.id, rare, r.action, r.proto, r.notProto, r.ipVersion, r.icmpType, r.icmpCode, r.notIcmpType, r.notIcmpCode, r.srcPred, r.dstPred, r.dstPorts, r.dstNotPorts, r.srcPorts, r.srcNotPorts));
        }
        if (k === 0) {
          if (r.action === A.Pass) left = true;
          else {
            emit(0, r.action, -1, -1, 0, 0, -1);
            decided = true;
          }
          break;
        }
        const at = emit(k, r.action, peer, r.proto, lo, hi, rareAt);
        if (r.action === A.Pass) passes.push(at);
      }
      if (!decided && !left && b.drop) {
        emit(0, A.Deny, -1, -1, 0, 0, -1);
        decided = true;
      }
      for (const at of passes) code.a[at + R.PassTo] = code.n;
      if (decided && passes.length === 0) return start;
    }
    // Unreachable when the last block decides; kept so that every program ends in a decision.
    emit(0, A.Deny, -1, -1, 0, 0, -1);
    return start;
  }

  /** The program of class `c` in one direction for packet shape `shape`: built on first use, then kept (it holds rules, not verdicts). */
  shaped(c: number, ingress: boolean, shape: number): number {
    const info = this.#classes[c]!;
    const at = this.#specialise(ingress ? info.ingress : info.egress, ingress, info.row, info.family, info.named, this.#shapeOf(shape));
    (ingress ? this.ingressShaped : this.egressShaped)[c * this.nShapes + shape] = at;
    this.code = this.#code.a;
    return at;
  }

  #shapeOf(shape: number): _Shape {
    const slot = Math.floor(shape / this.nPortClasses);
    const pc = shape % this.nPortClasses;
    return { proto: this.#slotProto[slot]!, port: this.#portRep[pc]! };
  }

  /** Builds every packet-shape program of every class so far (prepareFastIndex). */
  allShapes(): void {
    const n = this.nShapes;
    for (let c = 0; c < this.classes; c++)
      for (let sh = 0; sh < n; sh++) {
        if (this.egressShaped[c * n + sh]! < 0) this.shaped(c, false, sh);
        if (this.ingressShaped[c * n + sh]! < 0) this.shaped(c, true, sh);
      }
  }
}

/** Whether a numeric range of `p` holds `port`. */
function _inRanges(p: _Ports, port: number): boolean {
  for (let i = 0; i < p.lo.length; i++) if (port >= p.lo[i]! && port <= p.hi[i]!) return true;
  return false;
}

/** Above this many packet shapes, classes keep one program per direction instead of one per shape. */
const _MAX_SHAPES = 1024;

/** What a class's programs are specialised from. */
interface _ClassInfo {
  readonly egress: readonly _Block[];
  readonly ingress: readonly _Block[];
  readonly row: Uint8Array;
  readonly family: number;
  readonly named: readonly NamedPort[];
}

/** A packet shape: its protocol and a representative destination port of its port class (-1: unknown). */
interface _Shape {
  readonly proto: number;
  readonly port: number;
}

/** The packet and both ends of the verdict being computed: one reused object (single-threaded, non-reentrant). */
class _Scratch {
  idx: _Index | null = null;
  proto = 0;
  dstPort = -1;
  srcPort = -1;
  icmpType = -1;
  icmpCode = -1;
  src = 0;
  dst = 0;
}
const _p = new _Scratch();

/**
 * Runs one specialised program from `o`: true for Allow. `peer` is the offset of the peer's row.
 * A rule's criteria are tested cheapest first: the peer's row byte, the protocol, the inline
 * port range, then the rare ones out of line.
 */
function _run(code: Int32Array, o: number, rows: Uint8Array, peer: number, proto: number, dstPort: number): boolean {
  for (;;) {
    const k = code[o]!;
    if (
      k !== 0 &&
      (((k & K.Peer) !== 0 && rows[peer + code[o + R.Peer]!] === 0) ||
        ((k & K.Proto) !== 0 && code[o + R.Proto] !== proto) ||
        ((k & K.Port) !== 0 && (dstPort < code[o + R.PortLo]! || dstPort > code[o + R.PortHi]!)) ||
        ((k & K.Rare) !== 0 && !_rare(code[o + R.Rare]!)))
    ) {
      o += R.Size;
      continue;
    }
    const a = code[o + R.Action]!;
    if (a !== A.Pass) return a === A.Allow;
    o = code[o + R.PassTo]!;
  }
}

/** `_run` for a program specialised to the packet shape: its rules test only the peer's row and rare criteria. */
function _runShaped(code: Int32Array, o: number, rows: Uint8Array, peer: number): boolean {
  for (;;) {
    const k = code[o]!;
    if (k !== 0 && (((k & K.Peer) !== 0 && rows[peer + code[o + R.Peer]!] === 0) || ((k & K.Rare) !== 0 && !_rare(code[o + R.Rare]!)))) {
      o += R.Size;
      continue;
    }
    const a = code[o + R.Action]!;
    if (a !== A.Pass) return a === A.Allow;
    o = code[o + R.PassTo]!;
  }
}

/** The rare criteria of a specialised rule (match.ts semantics), from the scratch packet. */
function _rare(at: number): boolean {
  const p = _p;
  const idx = p.idx!;
  const r = idx.rare[at]!;
  const f = r.flags;
  const proto = p.proto;
  const isIcmp = proto === 1 || proto === 58; // ICMP, ICMPv6
  if ((f & F.NotProto) !== 0 && r.notProto === proto) return false;
  if ((f & F.Icmp) !== 0 && (!isIcmp || p.icmpType !== r.icmpType || (r.icmpCode >= 0 && p.icmpCode !== r.icmpCode))) return false;
  if ((f & F.NotIcmp) !== 0 && isIcmp && p.icmpType === r.notIcmpType && (r.notIcmpCode < 0 || p.icmpCode === r.notIcmpCode)) return false;
  if ((f & (F.DstPorts | F.DstNotPorts | F.SrcPorts | F.SrcNotPorts)) === 0) return true;
  // match.ts: ports need a port protocol; notPorts exclude. Named ports resolve on the side's own endpoint.
  const apply = _portsApply(proto);
  const dstNamed = idx.named[p.dst]!;
  const srcNamed = idx.named[p.src]!;
  if ((f & F.DstPorts) !== 0 && (!apply || !_portIn(r.dstPorts!, p.dstPort, proto, dstNamed))) return false;
  if ((f & F.DstNotPorts) !== 0 && apply && _portIn(r.dstNotPorts!, p.dstPort, proto, dstNamed)) return false;
  if ((f & F.SrcPorts) !== 0 && (!apply || !_portIn(r.srcPorts!, p.srcPort, proto, srcNamed))) return false;
  if ((f & F.SrcNotPorts) !== 0 && apply && _portIn(r.srcNotPorts!, p.srcPort, proto, srcNamed)) return false;
  return true;
}

function _index(snap: Snapshot): _Index {
  let idx = snap.memo.fast as _Index | undefined;
  if (idx === undefined) snap.memo.fast = idx = new _Index(snap);
  return idx;
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
  const idx = _index(snap);
  const s = src.index;
  const d = dst.index;
  // `primary` is set for indexed workloads only: one load answers "indexed, and at its first address?".
  const primary = idx.primary;
  if (srcIp !== primary[s] && (idx.prepare(src) < 0 || srcIp !== primary[s])) return undefined;
  if (dstIp !== primary[d] && (idx.prepare(dst) < 0 || dstIp !== primary[d])) return undefined;
  const cls = idx.cls;
  const cs = cls[s]!;
  const cd = cls[d]!;
  const p = _p;
  p.idx = idx;
  p.proto = proto;
  p.dstPort = dstPort;
  p.srcPort = srcPort;
  p.icmpType = icmpType;
  p.icmpCode = icmpCode;
  p.src = cs;
  p.dst = cd;
  const rows = idx.rows;
  const np = idx.npred;
  const n = idx.nShapes;
  if (n !== 0 && proto >= 0 && proto <= 255 && dstPort >= -1 && dstPort <= 65535) {
    const shape = idx.protoSlot[proto]! * idx.nPortClasses + idx.portClass[dstPort + 1]!;
    let eo = idx.egressShaped[cs * n + shape]!;
    if (eo < 0) eo = idx.shaped(cs, false, shape);
    let io = idx.ingressShaped[cd * n + shape]!;
    if (io < 0) io = idx.shaped(cd, true, shape);
    const code = idx.code;
    return _runShaped(code, eo, rows, cd * np) && _runShaped(code, io, rows, cs * np);
  }
  const code = idx.code;
  return _run(code, idx.egressAt[cs]!, rows, cd * np, proto, dstPort) && _run(code, idx.ingressAt[cd]!, rows, cs * np, proto, dstPort);
}

/** What `prepareFastIndex` built. */
export interface FastIndexStats {
  /** Workloads the index answers for (the others go to the general evaluator). */
  readonly indexed: number;
  readonly workloads: number;
  /** Distinct classes (programs × row × family × named ports). */
  readonly classes: number;
  /** Distinct peer predicates (rule sides): the row width. */
  readonly predicates: number;
  /** Int32 slots of specialised code, all classes and both directions. */
  readonly codeSlots: number;
}

/**
 * Builds the whole index of `snap` now (every workload's class, row and specialised programs)
 * instead of on first use. No verdict is computed or stored.
 */
export function prepareFastIndex(snap: Snapshot): FastIndexStats {
  const idx = _index(snap);
  for (const w of snap.workloads) idx.prepare(w);
  idx.allShapes();
  return fastIndexStats(snap);
}

/** What the index of `snap` holds so far. */
export function fastIndexStats(snap: Snapshot): FastIndexStats {
  const idx = snap.memo.fast as _Index | undefined;
  let indexed = 0;
  if (idx !== undefined) for (const c of idx.cls) if (c >= 0) indexed++;
  return {
    indexed,
    workloads: snap.workloads.length,
    classes: idx?.classes ?? 0,
    predicates: idx?.npred ?? 0,
    codeSlots: idx?.codeSlots ?? 0,
  };
}

/** How many workloads of `snap` the index has prepared for itself (not left to the general evaluator); for tests. */
export function indexedWorkloads(snap: Snapshot): number {
  return fastIndexStats(snap).indexed;
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
