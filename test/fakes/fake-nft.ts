/**
 * @module FakeNft: a `CommandRunner` that simulates `nft -f -` and `nft -j list table <f> <t>`
 * over in-memory tables. A fake, not a mock: tests assert on the resulting tables and on the
 * scripts it was given.
 *
 * Faithful where our code depends on it:
 * - a script is one transaction: any error leaves every table as it was (exit 1, `Error: …`);
 * - statements: `table <f> <t> {}` / `table <f> <t> { … }` (create, or add to, a table),
 *   `delete table <f> <t>` (fails with "No such file or directory" if missing), and inside a
 *   table body `set <name> { … }` and `chain <name> { … }` blocks, one rule per line; and the
 *   incremental commands `add set|chain|rule|element`, `insert rule` (at the head of the chain),
 *   `delete set|chain|element`, `flush chain`
 *   (a missing object, a duplicate set or element, deleting a missing element, or deleting a
 *   non-empty or still referenced chain fails, as in the kernel);
 * - `nft -j list chain|set <f> <t> <name>` lists one object;
 * - `jump`/`goto` (also inside verdict maps) must name a chain of the same table, `@set` a set
 *   of the same table ("Could not process rule: No such file or directory");
 * - `nft -j list table` prints `{"nftables":[{"metainfo":…},{"table":…},{"set":…},{"chain":…},
 *   {"rule":…}]}` with a fresh `handle` per object and write, like the kernel; a missing table
 *   fails with "No such file or directory".
 * Fault injection: `failNext(stderr)`, `addForeignTable`, `tamper` (edit a table in place).
 */
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/sys/index.js';

export interface FakeNftSet {
  readonly header: string[];
  elements: string[];
}

export interface FakeNftChain {
  readonly header: string[];
  readonly rules: string[];
}

export interface FakeNftTable {
  readonly sets: Map<string, FakeNftSet>;
  readonly chains: Map<string, FakeNftChain>;
}

const _key = (family: string, name: string): string => `${family} ${name}`;

function _clone(t: FakeNftTable): FakeNftTable {
  return {
    sets: new Map([...t.sets].map(([k, v]) => [k, { header: [...v.header], elements: [...v.elements] }])),
    chains: new Map([...t.chains].map(([k, v]) => [k, { header: [...v.header], rules: [...v.rules] }])),
  };
}

class _ScriptError extends Error {}

/** `{ a, b . c }` → ['a', 'b . c']. */
function _elements(text: string): string[] {
  const inner = /^\{ (.*) \}$/.exec(text.trim())?.[1];
  if (inner === undefined) throw new _ScriptError(`syntax error: elements ${text}`);
  return inner.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

export class FakeNft implements CommandRunner {
  readonly tables = new Map<string, FakeNftTable>();
  readonly commands: { readonly argv: readonly string[]; readonly stdin?: string }[] = [];
  private _failNext: string | undefined;
  private _handle = 1;

  /** The next `nft -f` fails with this text and changes nothing. */
  failNext(stderr = 'Error: Could not process rule: Operation not permitted'): void {
    this._failNext = stderr;
  }

  addForeignTable(family: string, name: string, chains: Record<string, string[]>): void {
    this.tables.set(_key(family, name), { sets: new Map(), chains: new Map(Object.entries(chains).map(([k, rules]) => [k, { header: [], rules: [...rules] }])) });
  }

  /** Edits a table behind the applier's back. */
  tamper(family: string, name: string, fn: (t: FakeNftTable) => void): void {
    const t = this.tables.get(_key(family, name));
    if (t === undefined) throw new Error(`no table ${family} ${name}`);
    fn(t);
  }

  run(cmd: CommandSpec): Promise<CommandResult> {
    this.commands.push({ argv: cmd.argv, ...(cmd.stdin !== undefined ? { stdin: cmd.stdin } : {}) });
    const a = cmd.argv;
    if (a[0] !== 'nft') return Promise.resolve({ code: 127, stdout: '', stderr: `fake nft: unknown binary ${a[0] ?? ''}` });
    if (a[1] === '-f' && a[2] === '-') return Promise.resolve(this._script(cmd.stdin ?? ''));
    if (a[1] === '-j' && a[2] === 'list' && a[3] === 'table' && a.length === 6) return Promise.resolve(this._list(a[4]!, a[5]!));
    if (a[1] === '-j' && a[2] === 'list' && (a[3] === 'chain' || a[3] === 'set') && a.length === 7) return Promise.resolve(this._listOne(a[3], a[4]!, a[5]!, a[6]!));
    return Promise.resolve({ code: 1, stdout: '', stderr: `fake nft: unsupported command ${a.join(' ')}` });
  }

  private _objects(family: string, name: string, t: FakeNftTable, only?: { kind: 'chain' | 'set'; name: string }): unknown[] {
    const out: unknown[] = [];
    for (const [n, s] of t.sets)
      if (only === undefined || (only.kind === 'set' && only.name === n)) out.push({ set: { family, name: n, table: name, header: s.header, elem: s.elements, handle: this._handle++ } });
    for (const [n, c] of t.chains) {
      if (only !== undefined && !(only.kind === 'chain' && only.name === n)) continue;
      out.push({ chain: { family, table: name, name: n, header: c.header, handle: this._handle++ } });
      for (const r of c.rules) out.push({ rule: { family, table: name, chain: n, expr: r, handle: this._handle++ } });
    }
    return out;
  }

  private _list(family: string, name: string): CommandResult {
    const t = this.tables.get(_key(family, name));
    if (t === undefined) return { code: 1, stdout: '', stderr: `Error: No such file or directory\nlist table ${family} ${name}\n` };
    const out: unknown[] = [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, { table: { family, name, handle: this._handle++ } }, ...this._objects(family, name, t)];
    return { code: 0, stdout: JSON.stringify({ nftables: out }) + '\n', stderr: '' };
  }

  private _listOne(kind: 'chain' | 'set', family: string, name: string, obj: string): CommandResult {
    const t = this.tables.get(_key(family, name));
    const objs = t === undefined ? [] : this._objects(family, name, t, { kind, name: obj });
    if (objs.length === 0) return { code: 1, stdout: '', stderr: `Error: No such file or directory\nlist ${kind} ${family} ${name} ${obj}\n` };
    return { code: 0, stdout: JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, ...objs] }) + '\n', stderr: '' };
  }

  private _script(text: string): CommandResult {
    if (this._failNext !== undefined) {
      const e = this._failNext;
      this._failNext = undefined;
      return { code: 1, stdout: '', stderr: e };
    }
    const work = new Map([...this.tables].map(([k, v]) => [k, _clone(v)]));
    try {
      this._exec(text, work);
      for (const [k, t] of work) this._check(k, t);
    } catch (e) {
      if (e instanceof _ScriptError) return { code: 1, stdout: '', stderr: `Error: ${e.message}` };
      throw e;
    }
    this.tables.clear();
    for (const [k, v] of work) this.tables.set(k, v);
    return { code: 0, stdout: '', stderr: '' };
  }

  private _exec(text: string, work: Map<string, FakeNftTable>): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      let m = /^delete table (\w+) (\S+)$/.exec(line);
      if (m) {
        if (!work.delete(_key(m[1]!, m[2]!))) throw new _ScriptError(`No such file or directory (line ${i + 1})`);
        continue;
      }
      if (this._incremental(line, i + 1, work)) continue;
      m = /^table (\w+) (\S+) \{(\})?$/.exec(line);
      if (!m) throw new _ScriptError(`syntax error at line ${i + 1}: ${line}`);
      const k = _key(m[1]!, m[2]!);
      const t = work.get(k) ?? { sets: new Map(), chains: new Map() };
      work.set(k, t);
      if (m[3] === '}') continue;
      for (i++; i < lines.length; i++) {
        const l = lines[i]!.trim();
        if (l === '}') break;
        const b = /^(set|chain) (\S+) \{$/.exec(l);
        if (!b) throw new _ScriptError(`syntax error at line ${i + 1}: ${l}`);
        const body: string[] = [];
        for (i++; i < lines.length && lines[i]!.trim() !== '}'; i++) body.push(lines[i]!.trim());
        if (i >= lines.length) throw new _ScriptError('unexpected end of file');
        if (b[1] === 'set') {
          if (t.sets.has(b[2]!)) throw new _ScriptError(`set ${b[2]!} exists`);
          const elems = body.find((x) => x.startsWith('elements = { '));
          t.sets.set(b[2]!, { header: body.filter((x) => x !== elems), elements: elems === undefined ? [] : _elements(elems.slice('elements = '.length)) });
        } else {
          const chain = t.chains.get(b[2]!) ?? { header: [], rules: [] };
          for (const r of body) (r.startsWith('type ') ? chain.header : chain.rules).push(r);
          t.chains.set(b[2]!, chain);
        }
      }
    }
  }

  /** The incremental commands; false when `line` is not one. */
  private _incremental(line: string, n: number, work: Map<string, FakeNftTable>): boolean {
    const m = /^(add|insert|delete|flush) (set|chain|rule|element) (\w+) (\S+) (\S+)(?: (.*))?$/.exec(line);
    if (!m) return false;
    const [, verb, what, family, name, obj, rest] = m as unknown as [string, string, string, string, string, string, string | undefined];
    const t = work.get(_key(family, name));
    if (t === undefined) throw new _ScriptError(`No such file or directory (line ${n}: table ${family} ${name})`);
    const missing = (): never => {
      throw new _ScriptError(`No such file or directory (line ${n}: ${what} ${obj})`);
    };
    if (what === 'set') {
      if (verb === 'add') {
        if (t.sets.has(obj)) throw new _ScriptError(`File exists (line ${n}: set ${obj})`);
        const inner = /^\{ (.*) \}$/.exec(rest ?? '')?.[1] ?? '';
        t.sets.set(obj, { header: inner.split(';').map((x) => x.trim()).filter((x) => x !== ''), elements: [] });
      } else if (verb === 'delete') {
        if (!t.sets.delete(obj)) missing();
      } else throw new _ScriptError(`syntax error at line ${n}`);
      return true;
    }
    if (what === 'element') {
      const s = t.sets.get(obj) ?? missing();
      const elems = _elements(rest ?? '');
      if (verb === 'add') {
        for (const e of elems) if (s.elements.includes(e)) throw new _ScriptError(`File exists (line ${n}: element ${e})`);
        s.elements.push(...elems);
      } else if (verb === 'delete') {
        for (const e of elems) if (!s.elements.includes(e)) throw new _ScriptError(`No such file or directory (line ${n}: element ${e})`);
        s.elements = s.elements.filter((e) => !elems.includes(e));
      } else throw new _ScriptError(`syntax error at line ${n}`);
      return true;
    }
    if (what === 'chain') {
      if (verb === 'add') {
        if (t.chains.has(obj)) throw new _ScriptError(`File exists (line ${n}: chain ${obj})`);
        const inner = /^\{ (.*) \}$/.exec(rest ?? '')?.[1];
        t.chains.set(obj, { header: inner === undefined ? [] : [inner.trim()], rules: [] });
      } else if (verb === 'flush') {
        (t.chains.get(obj) ?? missing()).rules.length = 0;
      } else {
        const c = t.chains.get(obj) ?? missing();
        if (c.rules.length > 0) throw new _ScriptError(`Device or resource busy (line ${n}: chain ${obj} not empty)`);
        for (const [other, oc] of t.chains)
          if (oc.rules.some((r) => new RegExp(`\\b(?:jump|goto) ${obj.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?=[,\\s}]|$)`).test(r)))
            throw new _ScriptError(`Device or resource busy (line ${n}: chain ${obj} used by ${other})`);
        t.chains.delete(obj);
      }
      return true;
    }
    if ((verb !== 'add' && verb !== 'insert') || rest === undefined) throw new _ScriptError(`syntax error at line ${n}`);
    const rules = (t.chains.get(obj) ?? missing()).rules;
    if (verb === 'insert') rules.unshift(rest);
    else rules.push(rest);
    return true;
  }

  private _check(k: string, t: FakeNftTable): void {
    for (const [name, c] of t.chains)
      for (const r of c.rules) {
        for (const m of r.matchAll(/\b(?:jump|goto) ([A-Za-z][\w./-]*)/g))
          if (!t.chains.has(m[1]!)) throw new _ScriptError(`Could not process rule: No such file or directory (${k} ${name}: chain ${m[1]!})`);
        for (const m of r.matchAll(/@([A-Za-z][\w./-]*)/g))
          if (!t.sets.has(m[1]!)) throw new _ScriptError(`Could not process rule: No such file or directory (${k} ${name}: set ${m[1]!})`);
      }
  }
}
