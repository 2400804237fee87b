/**
 * @module FakeIpset: a `CommandRunner` simulating `ipset save`, `ipset list -name`,
 * `ipset [-exist] restore` and single `ipset add|del|destroy|flush` commands over in-memory sets.
 *
 * Faithful where our code depends on it:
 * - members are stored canonically, as the kernel prints them (host bits cleared, no `/32`,
 *   default `tcp:` on ports), using the same rules as `canonicalMember`;
 * - `restore` is NOT transactional: it stops at the first failing line and keeps earlier lines
 *   (like the real tool), returning exit code 1 and `Error in line N`;
 * - `-exist` tolerates creating an identical set, adding a present member and deleting a
 *   missing one; creating a set of another type still fails;
 * - `swap` requires the same type and family; `destroy` fails on a set in use (see `inUse`).
 *
 * Interactive mode (`start`, what IpsetSession runs: `sh -c 'exec stdbuf -o0 "$0" -exist - 2>&1'
 * ipset`): a prompt `ipset> ` before each line read, each line run at once, errors in the same
 * (merged) output stream, carrying on after an error, `version` answered, exit on EOF. Output is
 * delivered asynchronously, in order, like a pipe. `sessions` records every process.
 *
 * Fault injection: `failNextRestore`, `failNextSave`, `markInUse`; for sessions
 * `sessionStartFails` (exits at once, as without `stdbuf`), `hangSessions` (reads but never
 * answers) and `crashSessions()`.
 */
import { canonicalMember } from '../../src/dataplane/ipset/format.js';
import type { IpSetType } from '../../src/dataplane/model.js';
import type { CommandResult, CommandRunner, CommandSpec, RunningProcess, StartSpec } from '../../src/sys/index.js';

export interface FakeIpsetSession {
  readonly pid: number;
  readonly argv: readonly string[];
  alive: boolean;
  /** Every command line it read, in order. */
  readonly lines: string[];
  exitCode?: number;
}

let _nextPid = 50_000;

export interface FakeSet {
  readonly type: string;
  readonly family: 4 | 6;
  readonly options: string;
  readonly members: Set<string>;
}

export interface FakeIpsetOptions {
  /** Whether a rule references the set (e.g. `() => fakeIptables.referencedSets()`). */
  readonly inUse?: (name: string) => boolean;
}

const TYPES = new Set(['hash:net', 'hash:ip', 'hash:ip,port', 'hash:net,port']);

class _LineError extends Error {}

export class FakeIpset implements CommandRunner {
  readonly sets = new Map<string, FakeSet>();
  readonly restores: { argv: readonly string[]; stdin: string }[] = [];
  saveCount = 0;
  private _failRestores = 0;
  private _failSaves = 0;
  private readonly _inUseMarks = new Set<string>();
  private readonly _inUse: ((name: string) => boolean) | undefined;
  readonly sessions: FakeIpsetSession[] = [];
  /** New sessions exit at once with 127 (`stdbuf: not found`). */
  sessionStartFails = false;
  /** Sessions read their input but never answer (nor exit on EOF: only SIGKILL ends them). */
  hangSessions = false;
  private readonly _kill = new Map<number, (code: number) => void>();

  constructor(opts: FakeIpsetOptions = {}) {
    this._inUse = opts.inUse;
  }

  failNextRestore(count = 1): void {
    this._failRestores = count;
  }

  failNextSave(count = 1): void {
    this._failSaves = count;
  }

  markInUse(name: string, inUse = true): void {
    if (inUse) this._inUseMarks.add(name);
    else this._inUseMarks.delete(name);
  }

  members(name: string): string[] {
    return [...(this.sets.get(name)?.members ?? [])].sort();
  }

  save(): string {
    const lines: string[] = [];
    for (const [name, s] of this.sets) {
      lines.push(`create ${name} ${s.type} family ${s.family === 6 ? 'inet6' : 'inet'} ${s.options}`.trimEnd());
      for (const m of s.members) lines.push(`add ${name} ${m}`);
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  /** Sessions still running. */
  liveSessions(): FakeIpsetSession[] {
    return this.sessions.filter((x) => x.alive);
  }

  /** Every live session dies (as if killed by someone else). */
  crashSessions(): void {
    for (const x of this.liveSessions()) this._kill.get(x.pid)?.(137);
  }

  start(spec: StartSpec): RunningProcess {
    const argv = spec.argv;
    const bin = (argv.at(-1) ?? '').split('/').pop();
    const rec: FakeIpsetSession = { pid: _nextPid++, argv: [...argv], alive: true, lines: [] };
    this.sessions.push(rec);
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    const out: string[] = [];
    let flushing = false;
    const emit = (text: string): void => {
      out.push(text);
      if (flushing) return;
      flushing = true;
      setImmediate(() => {
        flushing = false;
        const t = out.splice(0).join('');
        if (rec.alive && t !== '') spec.onOutput(t, 'stdout');
      });
    };
    const exit = (code: number): void => {
      if (!rec.alive) return;
      rec.alive = false;
      rec.exitCode = code;
      this._kill.delete(rec.pid);
      setImmediate(() => resolveExit(code));
    };
    this._kill.set(rec.pid, exit);
    const known = argv[0] === 'sh' && argv[1] === '-c' && /stdbuf -o0 "\$0" -exist - 2>&1/.test(argv[2] ?? '') && bin === 'ipset' && argv.length === 4;
    if (!known || this.sessionStartFails) {
      setImmediate(() => {
        spec.onOutput(known ? 'sh: 1: exec: stdbuf: not found\n' : `FakeIpset: unknown session command ${JSON.stringify(argv)}\n`, 'stdout');
        exit(127);
      });
    } else emit('ipset> ');
    let partial = '';
    let eof = false;
    return {
      pid: rec.pid,
      write: (text) => {
        if (!rec.alive || eof) return false;
        partial += text;
        for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
          const line = partial.slice(0, nl).trim();
          partial = partial.slice(nl + 1);
          rec.lines.push(line);
          if (this.hangSessions) continue;
          if (line === 'version') emit('ipset v7.17, protocol version: 7\n');
          else if (line !== '') {
            try {
              this._apply(line.split(/\s+/), true);
            } catch (e) {
              if (!(e instanceof _LineError)) throw e;
              emit(`ipset v7.17: ${e.message}\n`);
            }
          }
          emit('ipset> ');
        }
        return true;
      },
      exited,
      stop: async (graceMs = 1000) => {
        eof = true;
        if (!this.hangSessions) setImmediate(() => exit(0));
        const timer = setTimeout(() => exit(137), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }

  run(cmd: CommandSpec): Promise<CommandResult> {
    const bin = (cmd.argv[0] ?? '').split('/').pop();
    if (bin !== 'ipset') return Promise.resolve({ code: 127, stdout: '', stderr: `${bin ?? ''}: command not found (FakeIpset)\n` });
    const args = cmd.argv.slice(1);
    const exist = args.includes('-exist') || args.includes('-!');
    const rest = args.filter((a) => a !== '-exist' && a !== '-!');
    const op = rest[0];
    if (op === 'save' || op === 'list') {
      if (this._failSaves > 0) {
        this._failSaves--;
        return Promise.resolve({ code: 1, stdout: '', stderr: 'ipset: injected failure\n' });
      }
      this.saveCount++;
      if (op === 'list' && (rest.includes('-name') || rest.includes('-n')))
        return Promise.resolve({ code: 0, stdout: [...this.sets.keys()].map((n) => `${n}\n`).join(''), stderr: '' });
      return Promise.resolve({ code: 0, stdout: this.save(), stderr: '' });
    }
    if (op === 'restore') {
      const stdin = cmd.stdin ?? '';
      this.restores.push({ argv: [...cmd.argv], stdin });
      if (this._failRestores > 0) {
        this._failRestores--;
        return Promise.resolve({ code: 1, stdout: '', stderr: 'ipset v7.17: Error in line 1: injected failure\n' });
      }
      const lines = stdin.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = (lines[i] ?? '').trim();
        if (line === '' || line === 'COMMIT' || line.startsWith('#')) continue;
        try {
          this._apply(line.split(/\s+/), exist);
        } catch (e) {
          if (e instanceof _LineError) return Promise.resolve({ code: 1, stdout: '', stderr: `ipset v7.17: Error in line ${i + 1}: ${e.message}\n` });
          throw e;
        }
      }
      return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    }
    try {
      this._apply(rest, exist);
      return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    } catch (e) {
      if (e instanceof _LineError) return Promise.resolve({ code: 1, stdout: '', stderr: `ipset v7.17: ${e.message}\n` });
      throw e;
    }
  }

  private _isInUse(name: string): boolean {
    return this._inUseMarks.has(name) || (this._inUse?.(name) ?? false);
  }

  private _get(name: string | undefined): FakeSet {
    const s = name === undefined ? undefined : this.sets.get(name);
    if (s === undefined) throw new _LineError('The set with the given name does not exist');
    return s;
  }

  private _apply(f: readonly string[], exist: boolean): void {
    const [op, name] = f;
    switch (op) {
      case 'create': {
        const type = f[2] ?? '';
        if (name === undefined || !TYPES.has(type)) throw new _LineError(`Syntax error: bad create`);
        const fi = f.indexOf('family');
        const family = fi >= 0 && f[fi + 1] === 'inet6' ? 6 : 4;
        const cur = this.sets.get(name);
        if (cur !== undefined) {
          if (exist && cur.type === type && cur.family === family) return;
          throw new _LineError('Set cannot be created: set with the same name already exists');
        }
        const mi = f.indexOf('maxelem');
        const maxelem = mi >= 0 ? (f[mi + 1] ?? '65536') : '65536';
        this.sets.set(name, { type, family, options: `hashsize 1024 maxelem ${maxelem} bucketsize 12 initval 0x0`, members: new Set() });
        return;
      }
      case 'add':
      case 'del': {
        const s = this._get(name);
        const m = canonicalMember(s.type as IpSetType, s.family, f[2] ?? '');
        if (op === 'add') {
          if (s.members.has(m) && !exist) throw new _LineError("Element cannot be added to the set: it's already added");
          s.members.add(m);
        } else {
          if (!s.members.has(m) && !exist) throw new _LineError("Element cannot be deleted from the set: it's not added");
          s.members.delete(m);
        }
        return;
      }
      case 'flush':
        this._get(name).members.clear();
        return;
      case 'swap': {
        const a = this._get(name);
        const b = this._get(f[2]);
        if (a.type !== b.type || a.family !== b.family) throw new _LineError('The sets cannot be swapped: their type does not match');
        this.sets.set(name ?? '', b);
        this.sets.set(f[2] ?? '', a);
        return;
      }
      case 'destroy': {
        this._get(name);
        if (this._isInUse(name ?? '')) throw new _LineError('Set cannot be destroyed: it is in use by a kernel component');
        this.sets.delete(name ?? '');
        return;
      }
      case undefined:
      default:
        throw new _LineError(`Syntax error: unknown command ${op ?? ''}`);
    }
  }
}
