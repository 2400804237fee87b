/**
 * Reading deploy/**: systemd units and their EnvironmentFiles, the agent's Containerfile, and
 * the command lines they hold, expanded as systemd and the kubelet would. Used by
 * test/e2e/deploy-files.test.ts and deploy-doc.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from './doc-commands.js';

export const DEPLOY = join(REPO_ROOT, 'deploy');

/** `KEY=value` lines of an EnvironmentFile (comments and blank lines left out; no quoting is used in ours). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `line ${i + 1} is not KEY=value: ${raw}`);
    assert.ok(!/["'\\]/.test(m[2]!), `line ${i + 1}: the examples use no quoting or escapes: ${raw}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The `Key=value` settings of one section of a unit file, in order (keys may repeat). */
export function unitSettings(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      current = s[1]!;
      continue;
    }
    assert.ok(!line.endsWith('\\'), `continued lines are not used in our units: ${raw}`);
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not a Key=value line: ${raw}`);
    if (current === section) out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

/** The one value of KEY in SECTION (fails when it is missing or given twice). */
export function unitValue(text: string, section: string, key: string): string {
  const v = unitSettings(text, section).filter(([k]) => k === key);
  assert.equal(v.length, 1, `[${section}] ${key}= appears ${v.length} times`);
  return v[0]![1];
}

/**
 * An ExecStart= line as systemd runs it (systemd.service "Command lines"): words split on
 * blanks, `${VAR}` replaced by the variable's value as one word, `$VAR` alone as a word split
 * on blanks into several (none when empty). A leading `+`, `-`, `@`, `:` or `!` prefix is dropped.
 */
export function execArgv(line: string, env: Record<string, string>): string[] {
  const words = line.replace(/^[-+@:!]+/, '').split(/\s+/).filter((w) => w !== '');
  const out: string[] = [];
  for (const w of words) {
    const alone = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (alone) {
      assert.ok(Object.hasOwn(env, alone[1]!), `$${alone[1]} is not set by the EnvironmentFile`);
      out.push(...env[alone[1]!]!.split(/\s+/).filter((x) => x !== ''));
      continue;
    }
    out.push(
      w.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => {
        assert.ok(Object.hasOwn(env, n), `\${${n}} is not set by the EnvironmentFile`);
        return env[n]!;
      }),
    );
  }
  return out;
}

/** `$(VAR)` references in a container's args expanded from the given values, as the kubelet does. */
export function kubeletExpand(args: readonly string[], env: Record<string, string>): string[] {
  return args.map((a) =>
    a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, n: string) => {
      assert.ok(Object.hasOwn(env, n), `$(${n}) is not given a value`);
      return env[n]!;
    }),
  );
}

/** The long options (`--name`) a `--help` text lists. */
export function helpOptions(help: string): Set<string> {
  return new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!));
}

/** The long options of an argv (`--flag value` and `--flag=value`). */
export function argvOptions(argv: readonly string[]): string[] {
  return argv.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);
}

export interface ContainerInstruction {
  readonly line: number;
  readonly op: string;
  readonly args: string;
}

/** The instructions of a Containerfile (Dockerfile syntax): comments dropped, `\` continuations joined. */
export function parseContainerfile(text: string): ContainerInstruction[] {
  const out: ContainerInstruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `line ${first}: not an instruction: ${line}`);
    out.push({ line: first, op: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}
