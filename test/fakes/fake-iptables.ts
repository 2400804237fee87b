/**
 * @module FakeIptables: a `CommandRunner` that simulates `iptables-save` and
 * `iptables-restore` (and a few plain `iptables` commands, for injecting drift) over in-memory
 * tables (Felix `iptables/testutils` `MockDataplane`). A fake, not a mock: tests assert on the
 * resulting state and on the scripts it was given.
 *
 * Faithful where our code depends on it:
 * - tables start with their built-in chains (policy ACCEPT), as with the legacy backend;
 * - `--noflush`: a chain declaration `:name - [0:0]` creates the chain or flushes it if it
 *   exists; without `--noflush` each `*table` starts from an empty table;
 * - commands `-A`, `-I chain [n]`, `-D chain n|spec`, `-R chain n`, `-F [chain]`, `-X [chain]`,
 *   `-N`, `-P`, `COMMIT`; rule numbers are 1-based and checked;
 * - each table's changes are one transaction, applied at COMMIT; any error leaves the whole
 *   restore without effect and returns exit code 1 (2 for a syntax error) with the line number;
 * - `-j`/`-g` to a non-standard target must name an existing chain; `-X` refuses a built-in,
 *   missing, non-empty or referenced chain (the kernel's EBUSY);
 * - `-m set --match-set <name>` must name an existing set when an `ipsetExists` callback is given;
 * - every rule gets a unique id when written, so tests can prove a rule was not rewritten (the
 *   kernel's packet counters play that role in the real-kernel test).
 *
 * Fault injection: `failNextRestore`, `failNextSave`, `beforeRestore` (runs just before a
 * restore, e.g. to simulate another program inserting rules), `addForeignRule`, `addStaleChain`,
 * `deleteRule`.
 */
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/sys/index.js';

export type FakeTableName = 'raw' | 'mangle' | 'filter' | 'nat';

export interface FakeRule {
  readonly id: number;
  readonly text: string;
}

export interface FakeChain {
  readonly builtin: boolean;
  policy: string;
  rules: FakeRule[];
}

type Tables = Map<string, Map<string, FakeChain>>;

const BUILTINS: Readonly<Record<FakeTableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

const STANDARD_TARGETS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'NFLOG', 'MARK', 'CONNMARK', 'NOTRACK', 'CT', 'DNAT', 'SNAT',
  'MASQUERADE', 'REDIRECT', 'QUEUE', 'NFQUEUE', 'TCPMSS', 'CHECKSUM',
]);

export interface FakeIptablesOptions {
  /** When given, `--match-set <name>` must name a set for which this returns true. */
  readonly ipsetExists?: (name: string) => boolean;
}

export interface RecordedCommand {
  readonly argv: readonly string[];
  readonly stdin: string;
}

class _RestoreError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** Splits a rule line into tokens, honouring double quotes (which are kept in the token). */
function _tokens(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (const ch of s) {
    if (ch === '"') {
      inQuote = !inQuote;
      cur += ch;
      has = true;
    } else if (!inQuote && (ch === ' ' || ch === '\t')) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (inQuote) throw new _RestoreError('unterminated quote', 2);
  if (has) out.push(cur);
  return out;
}

function _cloneTables(t: Tables): Tables {
  const out: Tables = new Map();
  for (const [name, chains] of t) {
    const c = new Map<string, FakeChain>();
    for (const [n, ch] of chains) c.set(n, { builtin: ch.builtin, policy: ch.policy, rules: [...ch.rules] });
    out.set(name, c);
  }
  return out;
}

function _freshTable(table: string): Map<string, FakeChain> {
  const m = new Map<string, FakeChain>();
  for (const b of BUILTINS[table as FakeTableName] ?? []) m.set(b, { builtin: true, policy: 'ACCEPT', rules: [] });
  return m;
}

/** The chain a rule jumps or goes to, if it is not a standard target. */
function _jumpTarget(tokens: readonly string[]): string | undefined {
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (t === '-j' || t === '-g' || t === '--jump' || t === '--goto') {
      const target = tokens[i + 1] ?? '';
      return STANDARD_TARGETS.has(target) ? undefined : target;
    }
  }
  return undefined;
}

function _matchSets(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length - 1; i++) if (tokens[i] === '--match-set') out.push(tokens[i + 1] ?? '');
  return out;
}

export class FakeIptables implements CommandRunner {
  private _tables: Tables = new Map();
  private _nextId = 1;
  private _failRestores: { count: number; stderr: string } = { count: 0, stderr: '' };
  private _failSaves = 0;
  private readonly _ipsetExists: ((name: string) => boolean) | undefined;
  /** Every restore run (successful or not), in order. */
  readonly restores: RecordedCommand[] = [];
  /** Every command run, in order. */
  readonly commands: RecordedCommand[] = [];
  saveCount = 0;
  /** Runs just before each restore is applied (after failure injection). */
  beforeRestore: (() => void) | undefined;

  constructor(opts: FakeIptablesOptions = {}) {
    this._ipsetExists = opts.ipsetExists;
    for (const t of ['raw', 'mangle', 'filter', 'nat']) this._tables.set(t, _freshTable(t));
  }

  // ---- fault injection and inspection ----

  failNextRestore(count = 1, stderr = 'iptables-restore: line 2 failed (injected)'): void {
    this._failRestores = { count, stderr };
  }

  failNextSave(count = 1): void {
    this._failSaves = count;
  }

  /** Inserts (at 1-based `position`) or appends a rule as another program would. */
  addForeignRule(table: FakeTableName, chain: string, text: string, position?: number): void {
    const c = this._chain(table, chain, true);
    const rule = { id: this._nextId++, text };
    if (position === undefined) c.rules.push(rule);
    else c.rules.splice(position - 1, 0, rule);
  }

  /** Creates a chain with the given rule texts, as a previous run (or another program) might have. */
  addStaleChain(table: FakeTableName, name: string, rules: readonly string[] = []): void {
    this._tables.get(table)?.set(name, { builtin: false, policy: '-', rules: rules.map((text) => ({ id: this._nextId++, text })) });
  }

  /** Deletes rule `position` (1-based) from a chain, as another program might. */
  deleteRule(table: FakeTableName, chain: string, position: number): void {
    const c = this._chain(table, chain, false);
    if (position < 1 || position > c.rules.length) throw new Error(`no rule ${position} in ${chain}`);
    c.rules.splice(position - 1, 1);
  }

  chainNames(table: FakeTableName): string[] {
    return [...(this._tables.get(table)?.keys() ?? [])];
  }

  chain(table: FakeTableName, name: string): FakeChain | undefined {
    return this._tables.get(table)?.get(name);
  }

  /** Rule texts of a chain (empty if missing). */
  rules(table: FakeTableName, name: string): string[] {
    return this.chain(table, name)?.rules.map((r) => r.text) ?? [];
  }

  ruleIds(table: FakeTableName, name: string): number[] {
    return this.chain(table, name)?.rules.map((r) => r.id) ?? [];
  }

  /** Names of IP sets referenced by any rule in any table (for FakeIpset's in-use check). */
  referencedSets(): Set<string> {
    const out = new Set<string>();
    for (const chains of this._tables.values())
      for (const c of chains.values()) for (const r of c.rules) for (const s of _matchSets(_tokens(r.text))) out.add(s);
    return out;
  }

  private _chain(table: string, name: string, create: boolean): FakeChain {
    const t = this._tables.get(table);
    if (t === undefined) throw new Error(`no table ${table}`);
    let c = t.get(name);
    if (c === undefined) {
      if (!create) throw new Error(`no chain ${name} in ${table}`);
      c = { builtin: false, policy: '-', rules: [] };
      t.set(name, c);
    }
    return c;
  }

  // ---- iptables-save ----

  save(table?: string): string {
    const lines: string[] = ['# Generated by fake iptables-save'];
    for (const [name, chains] of this._tables) {
      if (table !== undefined && name !== table) continue;
      lines.push(`*${name}`);
      const builtins = [...chains].filter(([, c]) => c.builtin);
      const user = [...chains].filter(([, c]) => !c.builtin).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [n, c] of [...builtins, ...user]) lines.push(`:${n} ${c.builtin ? c.policy : '-'} [0:0]`);
      for (const [n, c] of [...builtins, ...user]) for (const r of c.rules) lines.push(`-A ${n} ${r.text}`);
      lines.push('COMMIT', '# Completed');
    }
    return `${lines.join('\n')}\n`;
  }

  // ---- CommandRunner ----

  run(cmd: CommandSpec): Promise<CommandResult> {
    const stdin = cmd.stdin ?? '';
    this.commands.push({ argv: [...cmd.argv], stdin });
    const bin = (cmd.argv[0] ?? '').split('/').pop() ?? '';
    const m = /^ip6?tables(?:-nft|-legacy)?(?:-(save|restore))?$/.exec(bin);
    if (m === null) return Promise.resolve({ code: 127, stdout: '', stderr: `${bin}: command not found (FakeIptables)\n` });
    const args = cmd.argv.slice(1);
    if (m[1] === 'save') return Promise.resolve(this._runSave(args));
    if (m[1] === 'restore') {
      this.restores.push({ argv: [...cmd.argv], stdin });
      return Promise.resolve(this._runRestore(args, stdin));
    }
    return Promise.resolve(this._runPlain(args));
  }

  private _runSave(args: readonly string[]): CommandResult {
    if (this._failSaves > 0) {
      this._failSaves--;
      return { code: 1, stdout: '', stderr: 'iptables-save: injected failure\n' };
    }
    this.saveCount++;
    const ti = args.indexOf('-t');
    const table = ti >= 0 ? args[ti + 1] : undefined;
    if (table !== undefined && !this._tables.has(table)) return { code: 1, stdout: '', stderr: `iptables-save: no table ${table}\n` };
    return { code: 0, stdout: this.save(table), stderr: '' };
  }

  private _runRestore(args: readonly string[], stdin: string): CommandResult {
    if (this._failRestores.count > 0) {
      this._failRestores.count--;
      return { code: 1, stdout: '', stderr: `${this._failRestores.stderr}\n` };
    }
    this.beforeRestore?.();
    const noflush = args.includes('--noflush') || args.includes('-n');
    try {
      this._tables = this._applyScript(stdin, noflush, this._tables);
      return { code: 0, stdout: '', stderr: '' };
    } catch (e) {
      if (e instanceof _RestoreError) return { code: e.code, stdout: '', stderr: `iptables-restore: ${e.message}\n` };
      throw e;
    }
  }

  /** `iptables [-t table] <one command>`: applied as a one-line restore. */
  private _runPlain(args: readonly string[]): CommandResult {
    const rest = [...args];
    let table = 'filter';
    const ti = rest.indexOf('-t');
    if (ti >= 0) {
      table = rest[ti + 1] ?? 'filter';
      rest.splice(ti, 2);
    }
    for (const flag of ['-w', '--wait']) {
      const wi = rest.indexOf(flag);
      if (wi >= 0) rest.splice(wi, /^\d+$/.test(rest[wi + 1] ?? '') ? 2 : 1);
    }
    const line = rest.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
    try {
      this._tables = this._applyScript(`*${table}\n${line}\nCOMMIT\n`, true, this._tables);
      return { code: 0, stdout: '', stderr: '' };
    } catch (e) {
      if (e instanceof _RestoreError) return { code: e.code, stdout: '', stderr: `iptables: ${e.message}\n` };
      throw e;
    }
  }

  private _applyScript(script: string, noflush: boolean, current: Tables): Tables {
    let committed = current;
    let work: Tables | undefined;
    let table: string | undefined;
    const lines = script.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] ?? '').trim();
      const where = `line ${i + 1}`;
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        if (table !== undefined) throw new _RestoreError(`${where}: table ${table} not committed`, 2);
        table = line.slice(1);
        if (!BUILTINS[table as FakeTableName]) throw new _RestoreError(`${where}: unknown table ${table}`, 2);
        work = _cloneTables(committed);
        if (!noflush) work.set(table, _freshTable(table));
        continue;
      }
      if (work === undefined || table === undefined) throw new _RestoreError(`${where}: no table given`, 2);
      if (line === 'COMMIT') {
        committed = work;
        work = undefined;
        table = undefined;
        continue;
      }
      this._applyLine(work.get(table) ?? _freshTable(table), line, where);
    }
    if (table !== undefined) throw new _RestoreError(`line ${lines.length}: COMMIT expected`, 2);
    return committed;
  }

  private _applyLine(chains: Map<string, FakeChain>, line: string, where: string): void {
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name === undefined || name === '') throw new _RestoreError(`${where}: bad chain declaration`, 2);
      const c = chains.get(name);
      if (c?.builtin === true) {
        if (policy !== undefined && policy !== '-') c.policy = policy;
        return;
      }
      if (c !== undefined) c.rules = [];
      else chains.set(name, { builtin: false, policy: '-', rules: [] });
      return;
    }
    const toks = _tokens(line);
    const op = toks[0];
    const chainName = toks[1];
    const chainOf = (): FakeChain => {
      const c = chainName === undefined ? undefined : chains.get(chainName);
      if (c === undefined) throw new _RestoreError(`${where}: chain ${chainName ?? '?'} does not exist`, 1);
      return c;
    };
    const checkRule = (spec: readonly string[]): string => {
      if (spec.length === 0) throw new _RestoreError(`${where}: empty rule`, 2);
      const target = _jumpTarget(spec);
      if (target !== undefined && (!chains.has(target) || chains.get(target)?.builtin === true)) {
        throw new _RestoreError(`${where}: Couldn't load target \`${target}'`, 2);
      }
      if (this._ipsetExists !== undefined)
        for (const s of _matchSets(spec)) if (!this._ipsetExists(s)) throw new _RestoreError(`${where}: Set ${s} doesn't exist`, 2);
      return spec.join(' ');
    };
    const num = (s: string | undefined, max: number): number => {
      if (s === undefined || !/^\d+$/.test(s)) throw new _RestoreError(`${where}: bad rule number`, 2);
      const n = Number(s);
      if (n < 1 || n > max) throw new _RestoreError(`${where}: Index of ${s} is out of range`, 1);
      return n;
    };
    switch (op) {
      case '-A': {
        const c = chainOf();
        c.rules = [...c.rules, { id: this._nextId++, text: checkRule(toks.slice(2)) }];
        return;
      }
      case '-I': {
        const c = chainOf();
        let pos = 1;
        let spec = toks.slice(2);
        if (/^\d+$/.test(toks[2] ?? '')) {
          pos = num(toks[2], c.rules.length + 1);
          spec = toks.slice(3);
        }
        const rules = [...c.rules];
        rules.splice(pos - 1, 0, { id: this._nextId++, text: checkRule(spec) });
        c.rules = rules;
        return;
      }
      case '-D': {
        const c = chainOf();
        let idx: number;
        if (toks.length === 3 && /^\d+$/.test(toks[2] ?? '')) idx = num(toks[2], c.rules.length) - 1;
        else {
          const text = toks.slice(2).join(' ');
          idx = c.rules.findIndex((r) => r.text === text);
          if (idx < 0) throw new _RestoreError(`${where}: Bad rule (does a matching rule exist in that chain?)`, 1);
        }
        c.rules = c.rules.filter((_, i) => i !== idx);
        return;
      }
      case '-R': {
        const c = chainOf();
        const idx = num(toks[2], c.rules.length) - 1;
        const rules = [...c.rules];
        rules[idx] = { id: this._nextId++, text: checkRule(toks.slice(3)) };
        c.rules = rules;
        return;
      }
      case '-F':
        if (chainName === undefined) for (const c of chains.values()) c.rules = [];
        else chainOf().rules = [];
        return;
      case '-N':
        if (chainName === undefined || chains.has(chainName)) throw new _RestoreError(`${where}: Chain already exists`, 1);
        chains.set(chainName, { builtin: false, policy: '-', rules: [] });
        return;
      case '-P': {
        const c = chainOf();
        if (!c.builtin) throw new _RestoreError(`${where}: Bad built-in chain name`, 1);
        c.policy = toks[2] ?? c.policy;
        return;
      }
      case '-X': {
        const names = chainName === undefined ? [...chains].filter(([, c]) => !c.builtin).map(([n]) => n) : [chainName];
        for (const name of names) {
          const c = chains.get(name);
          if (c === undefined) throw new _RestoreError(`${where}: chain ${name} does not exist`, 1);
          if (c.builtin) throw new _RestoreError(`${where}: cannot delete built-in chain ${name}`, 1);
          if (c.rules.length > 0) throw new _RestoreError(`${where}: CHAIN_DEL failed (Directory not empty): chain ${name}`, 4);
          for (const [other, oc] of chains)
            for (const r of oc.rules)
              if (_jumpTarget(_tokens(r.text)) === name)
                throw new _RestoreError(`${where}: CHAIN_DEL failed (Device or resource busy): chain ${name} (used by ${other})`, 4);
          chains.delete(name);
        }
        return;
      }
      case undefined:
      default:
        throw new _RestoreError(`${where}: unknown command ${op ?? ''}`, 2);
    }
  }
}
