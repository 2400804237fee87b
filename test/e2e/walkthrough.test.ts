/**
 * The docs are tests: every command of docs/walkthrough.md and of the README's quick start
 * (their ```console blocks) runs as written, in order, and its output is compared with the doc.
 * Twice: as the unprivileged user `nobody` (no lab: nothing is enforced) and as root (the lab
 * enforces on real packets). A change that makes the doc wrong fails here.
 *
 * Conventions (the doc's own, see docs/walkthrough.md "How this page is tested"):
 * - ```console blocks: `$ command` lines (a heredoc `<<'END'` continues to its END line), each
 *   followed by the output it prints (standard output and standard error, as a terminal shows).
 *   ```console as-root / ```console as-user blocks run only as root / only as a user.
 * - `export NAME=value ...` sets the environment of the commands after it.
 * - `alias` lines hold for the commands after them; `tabby up ...` runs in the background (the doc says: a second terminal); its block shows
 *   its standard output up to "Stop with Ctrl-C".
 * - Masked on both sides: uids, timestamps, resource versions, pids, revisions, lab prefixes,
 *   ages; `…` in an expected line matches any text.
 * The data dir /tmp/tabby and port 6443 of the doc are replaced by a temporary dir and a free
 * port, so the test runs beside others. It runs a fresh clone of HEAD (built once), and
 * `UPDATE_WALKTHROUGH=1` rewrites the outputs of the blocks of the modes it ran.
 *
 * Root only (it switches to `nobody` with setpriv). Every wait is bounded; whatever a failed
 * run left is stopped with `tabby down --purge`, and the clone is removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { netnsSkipReason } from '../../src/sys/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The walkthrough first; then the README's block, on a cluster `npm start` would start (the default data dir). */
const DOCS = ['docs/walkthrough.md', 'README.md'];
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];
const DOC_DIR = '/tmp/tabby';
const DOC_PORT = '6443';

type Mode = 'as-root' | 'as-user';

function _skip(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (runs the walkthrough as nobody, then as root with the lab)';
  if (!existsSync(join(ROOT, '.git'))) return 'not a git checkout';
  for (const tool of ['git', 'setpriv', 'kubectl', 'npm']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  if (spawnSync('id', ['nobody']).status !== 0) return 'no `nobody` user';
  return undefined;
}
const skip = _skip();

export interface DocCommand {
  readonly file: string;
  readonly line: number;
  readonly command: string;
  readonly expected: string[];
  readonly mode: Mode | undefined;
  /** Index of the expected lines in the file (for UPDATE_WALKTHROUGH). */
  readonly outStart: number;
  readonly outEnd: number;
}

/** The console blocks of a Markdown text, as commands with their expected output. */
export function parseDoc(file: string, text: string): DocCommand[] {
  const lines = text.split('\n');
  const out: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```console(?:\s+(as-root|as-user))?\s*$/.exec(lines[i]!);
    if (m === null) continue;
    const mode = m[1] as Mode | undefined;
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') {
      if (!lines[j]!.startsWith('$ ')) throw new Error(`${file}:${j + 1}: a console block line outside a command's output: ${lines[j]}`);
      const line = j + 1;
      let command = lines[j]!.slice(2);
      const here = /<<'?(\w+)'?\s*$/.exec(command);
      j++;
      if (here !== null) {
        while (j < lines.length && lines[j] !== here[1]) command += `\n${lines[j++]}`;
        command += `\n${here[1]}`;
        j++;
      }
      const outStart = j;
      while (j < lines.length && lines[j] !== '```' && !lines[j]!.startsWith('$ ')) j++;
      out.push({ file, line, command, expected: lines.slice(outStart, j), mode, outStart, outEnd: j });
    }
    i = j;
  }
  return out;
}

/** What differs from run to run, masked on both sides. */
export function mask(s: string): string {
  return s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UID')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
    .replace(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d/gm, 'TIME')
    .replace(/(resourceVersion: )"\d+"/g, '$1"RV"')
    .replace(/(resourceVersion":\s*)"\d+"/g, '$1"RV"')
    .replace(/\bpid \d+/g, 'pid N')
    .replace(/\brevision \d+/g, 'revision N')
    .replace(/\btby[a-z0-9]{3,6}\b/g, 'tbyLAB')
    .replace(/ +\d+(s|m|h|d)(\d+(s|m|h))?$/gm, ' AGE')
    .replace(/\b\d+(\.\d+)? s\b/g, 'N s')
    .replace(/[ \t]+$/gm, '');
}

function _matches(expected: readonly string[], actual: string): boolean {
  const want = mask(expected.join('\n')).replace(/\n+$/, '').split('\n');
  const got = mask(actual).replace(/\n+$/, '').split('\n');
  if (want.length === 1 && want[0] === '' && got.length === 1 && got[0] === '') return true;
  if (want.length !== got.length) return false;
  return want.every((w, i) => {
    if (!w.includes('…')) return w === got[i];
    const re = new RegExp(`^${w.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(got[i]!);
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

interface Session {
  readonly mode: Mode;
  readonly repo: string;
  readonly home: string;
  readonly dataDir: string;
  readonly port: number;
  env: Record<string, string>;
  /** `alias` lines of the doc, in effect for the commands after them. */
  aliases: string[];
  up?: ChildProcess;
  /** The running tabby up's log (standard error), for a failure's message. */
  upLog?: () => string;
  /** Where tabby up's output files go. */
  readonly logDir: string;
}

/** DOC_DIR as a whole path (not the start of a longer name such as the test's own /tmp/tabby-… dirs). */
const DOC_DIR_RE = new RegExp(`${DOC_DIR.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\w.-])`, 'g');
const _subst = (s: Session, text: string): string => text.replace(DOC_DIR_RE, s.dataDir).replaceAll(DOC_PORT, String(s.port));
const _unsubst = (s: Session, text: string): string => text.replaceAll(s.dataDir, DOC_DIR).replaceAll(String(s.port), DOC_PORT).replaceAll(s.home, '~');

function _argv(s: Session, script: string, merge = true): string[] {
  const env = Object.entries({ PATH, HOME: s.home, ...s.env }).map(([k, v]) => `${k}=${v}`);
  const prelude = s.aliases.length === 0 ? '' : `shopt -s expand_aliases\n${s.aliases.join('\n')}\n`;
  return [...(s.mode === 'as-user' ? NOBODY : []), 'env', '-i', ...env, 'bash', '-c', `${merge ? 'exec 2>&1\n' : ''}${prelude}${script}`];
}

/** Runs one command (bounded); its combined output. */
function runCommand(s: Session, command: string): string {
  const argv = _argv(s, _subst(s, command));
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: s.repo, encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 });
  if (r.error) return `(failed to run: ${r.error.message})`;
  return _unsubst(s, r.stdout ?? '');
}

/**
 * `tabby up …` in the background; resolves with what it printed once it says how to stop it.
 * Its output goes to files, not pipes: the commands after it run synchronously, and a full pipe
 * would block it (Node writes to pipes synchronously) until they end.
 */
function startUp(s: Session, command: string): Promise<string> {
  // `exit` after it keeps bash its parent (no exec of the last command), so it is reaped when
  // it exits while this process is blocked in a synchronous command (tabby down).
  const argv = _argv(s, `${_subst(s, command)}\nexit $?`, false);
  const outFile = join(s.logDir, `up-${s.mode}-${Date.now()}.out`);
  const errFile = `${outFile.slice(0, -4)}.err`;
  const outFd = openSync(outFile, 'w');
  const errFd = openSync(errFile, 'w');
  const child = spawn(argv[0]!, argv.slice(1), { cwd: s.repo, stdio: ['ignore', outFd, errFd] });
  closeSync(outFd);
  closeSync(errFd);
  s.up = child;
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  // Its log (standard error) interleaves at random with what it prints; the doc shows the latter.
  s.upLog = () => read(errFile).slice(-20_000);
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`tabby up did not come up within 240 s:\n${read(outFile)}\n${s.upLog?.() ?? ''}`)), 240_000);
    const poll = setInterval(() => {
      const out = read(outFile);
      const i = out.indexOf('Stop with Ctrl-C');
      if (i >= 0 && out.indexOf('\n', i) > 0) {
        clearTimeout(timer);
        clearInterval(poll);
        ok(_unsubst(s, out.slice(0, out.indexOf('\n', i) + 1)));
      }
    }, 100);
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      if (!read(outFile).includes('Stop with Ctrl-C')) fail(new Error(`tabby up exited (${code}) before it was up:\n${read(outFile)}\n${s.upLog?.() ?? ''}`));
    });
  });
}

function _export(s: Session, command: string): boolean {
  const m = /^export\s+(.*)$/.exec(command);
  if (m === null) return false;
  for (const pair of m[1]!.split(/\s+/)) {
    const [k, v] = pair.split('=') as [string, string | undefined];
    if (v === undefined) continue;
    s.env[k] = _subst(s, v.replace(/^~\//, `${s.home}/`).replace(/\$(\w+)/g, (_x, n: string) => s.env[n] ?? ''));
  }
  return true;
}

async function runDocs(s: Session, update: Map<string, string[]>): Promise<string[]> {
  const failures: string[] = [];
  for (const file of DOCS) {
    // A second mode reads what the first rewrote, so its line numbers match what it splices.
    const lines = update.get(file) ?? readFileSync(join(ROOT, file), 'utf8').split('\n');
    update.set(file, lines);
    const text = lines.join('\n');
    const readme = file === 'README.md';
    if (readme) {
      s.env = {};
      s.aliases = [];
      await startUp(s, `node dist/bin/tabby.js up --port ${DOC_PORT}`);
    }
    // Later blocks first when rewriting, so earlier line numbers stay valid.
    const rewrites: { c: DocCommand; out: string }[] = [];
    for (const c of parseDoc(file, text)) {
      if (c.mode !== undefined && c.mode !== s.mode) continue;
      let got: string;
      if (_export(s, c.command)) got = '';
      else if (/^alias\s/.test(c.command)) {
        s.aliases.push(c.command);
        got = '';
      } else if (/^tabby up\b/.test(c.command)) got = await startUp(s, c.command);
      else got = runCommand(s, c.command);
      if (!_matches(c.expected, got))
        failures.push(`${file}:${c.line} (${s.mode}): $ ${c.command}\n--- the doc says:\n${c.expected.join('\n')}\n--- it printed:\n${got}${/^tabby down/.test(c.command) ? `\n--- tabby up's log ends:\n${(s.upLog?.() ?? '').slice(-3000)}` : ''}`);
      rewrites.push({ c, out: got });
    }
    if (readme) {
      const down = runCommand(s, 'node dist/bin/tabby.js down --purge');
      if (!/the datastore was purged/.test(down)) failures.push(`README.md (${s.mode}): npx tabby down --purge after the quick start:\n${down}`);
    }
    if (process.env['UPDATE_WALKTHROUGH'] === '1')
      for (const { c, out } of rewrites.reverse()) if (!_matches(c.expected, out)) lines.splice(c.outStart, c.outEnd - c.outStart, ...out.replace(/\n+$/, '').split('\n').filter((l, i, a) => !(a.length === 1 && l === '')));
  }
  return failures;
}

/** clone/node_modules: a link to each installed package, and .bin with the project's own bins. */
export function linkModules(repo: string): void {
  const nm = join(repo, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  for (const e of readdirSync(join(ROOT, 'node_modules'))) if (e !== '.bin') symlinkSync(join(ROOT, 'node_modules', e), join(nm, e));
  for (const b of readdirSync(join(ROOT, 'node_modules', '.bin'))) symlinkSync(join(ROOT, 'node_modules', '.bin', b), join(nm, '.bin', b));
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  for (const [name, target] of Object.entries(pkg.bin ?? {})) symlinkSync(join('..', '..', target), join(nm, '.bin', name));
}

async function cleanup(s: Session): Promise<void> {
  for (const dir of [s.dataDir, join(s.home, '.local', 'share', 'tabby')]) {
    if (!existsSync(dir)) continue;
    const down = spawnSync(process.execPath, [join(s.repo, 'dist', 'bin', 'tabby.js'), 'down', '--purge', '--data-dir', dir], { cwd: s.repo, encoding: 'utf8', timeout: 120_000 });
    if (down.status !== 0) console.log(`# cleanup: ${down.stdout}${down.stderr}`);
  }
  if (s.up && s.up.exitCode === null && s.up.signalCode === null) s.up.kill('SIGKILL');
}

test('the walkthrough and the README run as written, as a user without the lab and as root with it', { skip, timeout: 1_800_000 }, async () => {
  // Not under a /tmp/tabby… name: the doc's data dir /tmp/tabby is substituted in commands.
  const base = mkdtempSync('/tmp/walkthrough-');
  chmodSync(base, 0o755);
  const repo = process.env['WALKTHROUGH_REPO'] ?? join(base, 'tabby');
  const update = new Map<string, string[]>();
  const sessions: Session[] = [];
  try {
    if (process.env['WALKTHROUGH_REPO'] === undefined) {
      const cloned = spawnSync('git', ['clone', '--quiet', ROOT, repo], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(cloned.status, 0, `git clone failed: ${cloned.stderr}`);
      // quickstart.test.ts runs `npm ci` on a fresh clone; here the installed modules are reused,
      // laid out as npm ci lays them out (the project's own bins linked in node_modules/.bin).
      linkModules(repo);
      const built = spawnSync('npm', ['run', 'build'], { cwd: repo, encoding: 'utf8', timeout: 600_000 });
      assert.equal(built.status, 0, `npm run build failed: ${built.stdout}${built.stderr}`);
      // As npm's bin links make them: executable.
      for (const target of ['dist/bin/tabby.js', 'dist/bin/calicoctl.js']) chmodSync(join(repo, target), 0o755);
    }
    const modes = (process.env['WALKTHROUGH_MODES'] ?? 'as-user,as-root').split(',') as Mode[];
    const failures: string[] = [];
    for (const mode of modes) {
      if (mode === 'as-root') assert.equal(await netnsSkipReason(), undefined, 'as root the walkthrough runs the lab');
      const home = join(base, `${mode}-home`);
      mkdirSync(home);
      const dataDir = join(home, 'tabby-data');
      if (mode === 'as-user') assert.equal(spawnSync('chown', ['-R', 'nobody:nogroup', home]).status, 0);
      const s: Session = { mode, repo, home, dataDir, port: await freePort(), env: {}, aliases: [], logDir: base };
      sessions.push(s);
      try {
        failures.push(...(await runDocs(s, update)));
      } finally {
        await cleanup(s);
      }
      assert.equal(existsSync(dataDir), false, `the walkthrough ends with tabby down --purge, which removes ${dataDir}`);
    }
    if (process.env['UPDATE_WALKTHROUGH'] === '1') for (const [file, lines] of update) writeFileSync(join(ROOT, file), lines.join('\n'));
    assert.deepEqual(failures, [], `${failures.length} commands print something else than the doc says:\n\n${failures.join('\n\n')}`);
  } finally {
    for (const s of sessions) await cleanup(s);
    rmSync(base, { recursive: true, force: true });
  }
});

test('the doc parser: commands, heredocs, modes, expected output; masks', () => {
  const doc = ['text', '```console', '$ a', 'out 1', '$ b <<\'Y\'', 'x: 1', 'Y', '```', '```console as-root', '$ c', '```'].join('\n');
  const cs = parseDoc('d.md', doc);
  assert.deepEqual(cs.map((c) => [c.line, c.command, c.expected, c.mode]), [[3, 'a', ['out 1'], undefined], [5, "b <<'Y'\nx: 1\nY", [], undefined], [10, 'c', [], 'as-root']]);
  assert.ok(_matches(['uid: 11111111-2222-3333-4444-555555555555 at 2026-01-01T00:00:00Z'], 'uid: 99999999-2222-3333-4444-555555555555 at 2027-02-02T01:02:03Z'));
  assert.ok(_matches(['a … c'], 'a anything c'));
  assert.ok(!_matches(['a … c'], 'a anything d'));
  assert.ok(!_matches(['one'], 'one\ntwo'));
  assert.throws(() => parseDoc('d.md', '```console\nno dollar\n```'), /d\.md:2: a console block line outside/);
});
