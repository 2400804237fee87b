/**
 * deploy/** checked with the real tools: the systemd units with `systemd-analyze verify` (in a
 * temporary root holding the unit files, the example EnvironmentFiles where the units read them,
 * systemd's own units, and an executable at every path an Exec line names, so the paths the
 * units use are the ones checked), their ExecStart flags against `tabby … --help`; the agent's
 * Containerfile parsed, the package it copies checked with `npm pack --dry-run` (the file name
 * it expects, the `tabby` binary it runs), and its ENTRYPOINT + the DaemonSet's args against
 * `tabby agent --help`. The Kubernetes manifests: tabby validate, and kubectl apply
 * --dry-run=server against a real tabby server (validated, defaulted, returned, stored nowhere);
 * the DaemonSet's args, with its env and Secret volume resolved as the kubelet would, join a real
 * server and program a node in a namespace; and --token-file's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { required, requireTool } from '../support/tools.js';
import { createNetns, deleteNetns, netnsSkipReason } from '../../src/sys/index.js';
import { kubeOptionsFor } from '../../src/cli/datastore-config.js';
import { openKubeDatastore } from '../../src/datastore/kube/index.js';
import { REPO_ROOT, bounded, start, until, type Run } from '../support/doc-commands.js';
import { freePorts } from '../support/etcd.js';
import { DEPLOY, argvOptions, execArgv, helpOptions, kubeletExpand, parseContainerfile, parseEnvFile, unitSettings, unitValue } from '../support/deploy-files.js';

const UNITS = [
  { unit: 'tabby-server.service', env: 'tabby-server.env', installedEnv: '/etc/default/tabby-server', command: 'server' },
  { unit: 'tabby-agent.service', env: 'tabby-agent.env', installedEnv: '/etc/default/tabby-agent', command: 'agent' },
] as const;

const SYSTEM_UNITS = '/usr/lib/systemd/system';

function tabby(args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bin', 'tabby.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A root for systemd-analyze --root: systemd's units, ours, the example EnvironmentFiles installed, and executables at the units' Exec paths. */
async function unitRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tabby-units-'));
  await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
  await cp(SYSTEM_UNITS, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  await mkdir(join(root, 'etc/systemd/system'), { recursive: true });
  await mkdir(join(root, 'etc/default'), { recursive: true });
  for (const u of UNITS) {
    const text = await readFile(join(DEPLOY, 'systemd', u.unit), 'utf8');
    await writeFile(join(root, 'etc/systemd/system', u.unit), text);
    assert.equal(unitValue(text, 'Service', 'EnvironmentFile'), u.installedEnv, `${u.unit} reads the EnvironmentFile docs/deploy.md installs`);
    await writeFile(join(root, u.installedEnv), await readFile(join(DEPLOY, 'systemd', u.env), 'utf8'));
    for (const [k, v] of unitSettings(text, 'Service')) {
      if (!k.startsWith('Exec')) continue;
      const exe = v.replace(/^[-+@:!]+/, '').split(/\s+/)[0]!;
      assert.ok(exe.startsWith('/'), `${u.unit}: ${k}= names an absolute path`);
      await mkdir(join(root, exe, '..'), { recursive: true });
      await writeFile(join(root, exe), '#!/bin/sh\n');
      await chmod(join(root, exe), 0o755);
    }
  }
  return root;
}

test('deploy/systemd: both units pass systemd-analyze verify (no warnings) and name real flags', { skip: requireTool('systemd-analyze'), timeout: 180_000 }, async () => {
  const root = await unitRoot();
  try {
    const verify = (units: string[]) =>
      spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', '--generators=no', ...units], { encoding: 'utf8', timeout: 60_000 });
    const ok = verify(UNITS.map((u) => u.unit));
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(`${ok.stdout}${ok.stderr}`.trim(), '', 'no warnings');
    // the same check fails when the unit's binary is missing from the root (so the paths above are checked)
    await rm(join(root, 'usr/local/bin/tabby'));
    const missing = verify(['tabby-server.service']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /Command \/usr\/local\/bin\/tabby is not executable/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  for (const u of UNITS) {
    const text = await readFile(join(DEPLOY, 'systemd', u.unit), 'utf8');
    const env = parseEnvFile(await readFile(join(DEPLOY, 'systemd', u.env), 'utf8'));
    const argv = execArgv(unitValue(text, 'Service', 'ExecStart'), env);
    assert.deepEqual(argv.slice(0, 2), ['/usr/local/bin/tabby', u.command], `${u.unit} runs tabby ${u.command}`);
    const help = tabby([u.command, '--help']);
    assert.equal(help.code, 0, help.out);
    const known = helpOptions(help.out);
    for (const f of argvOptions(argv)) assert.ok(known.has(f), `${u.unit}: ${f} is not a flag of tabby ${u.command}`);
    // the state directory systemd makes is the data directory the command uses
    const state = unitValue(text, 'Service', 'StateDirectory');
    assert.ok(argv.includes(`/var/lib/${state}`), `${u.unit}: ExecStart uses /var/lib/${state}`);
    assert.match(unitValue(text, 'Unit', 'After'), /\bnetwork-online\.target\b/);
    assert.match(unitValue(text, 'Unit', 'Wants'), /\bnetwork-online\.target\b/);
    assert.match(unitValue(text, 'Service', 'Restart'), /^(always|on-failure)$/);
  }
  const server = await readFile(join(DEPLOY, 'systemd', 'tabby-server.service'), 'utf8');
  const agent = await readFile(join(DEPLOY, 'systemd', 'tabby-agent.service'), 'utf8');
  assert.equal(unitValue(server, 'Service', 'CapabilityBoundingSet'), '', 'the server has no capability');
  assert.equal(unitValue(agent, 'Service', 'CapabilityBoundingSet'), 'CAP_NET_ADMIN CAP_NET_RAW', 'the agent has only the two it needs');
  for (const text of [server, agent]) {
    assert.equal(unitValue(text, 'Service', 'NoNewPrivileges'), 'yes');
    assert.equal(unitValue(text, 'Service', 'ProtectSystem'), 'strict');
    assert.ok(!/MemoryDenyWriteExecute/.test(text), "V8's JIT needs writable executable memory");
  }
});

test('deploy/container/Containerfile: parses, copies what npm pack makes, runs tabby agent with flags it has', { skip: requireTool('npm'), timeout: 600_000 }, async () => {
  const text = await readFile(join(DEPLOY, 'container', 'Containerfile'), 'utf8');
  const ins = parseContainerfile(text);
  const known = new Set(['FROM', 'RUN', 'ARG', 'ENV', 'COPY', 'ADD', 'WORKDIR', 'USER', 'ENTRYPOINT', 'CMD', 'LABEL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL', 'ONBUILD']);
  for (const i of ins) assert.ok(known.has(i.op), `line ${i.line}: unknown instruction ${i.op}`);
  assert.equal(ins[0]?.op, 'FROM', 'the first instruction is FROM');
  assert.match(ins[0]!.args, /^node:20[-.\w]*slim$/, 'a slim Node.js 20 base');
  const apt = ins.filter((i) => i.op === 'RUN' && /apt-get install/.test(i.args)).map((i) => i.args).join(' ');
  for (const pkg of ['iptables', 'ipset', 'nftables', 'conntrack']) assert.match(apt, new RegExp(`\\s${pkg}\\s`), `installs ${pkg}`);
  const arg = ins.find((i) => i.op === 'ARG' && i.args.startsWith('TABBY_TGZ='));
  assert.ok(arg, 'ARG TABBY_TGZ=… names the packed file');
  const copy = ins.filter((i) => i.op === 'COPY');
  assert.deepEqual(copy.map((c) => c.args), ['${TABBY_TGZ} /tmp/tabby.tgz'], 'the only file copied in is the packed Tabby');
  const exec = (op: string): string[] => {
    const i = ins.filter((x) => x.op === op);
    assert.equal(i.length, 1, `one ${op}`);
    const v: unknown = JSON.parse(i[0]!.args);
    assert.ok(Array.isArray(v) && v.every((s) => typeof s === 'string'), `${op} is in exec (JSON array) form`);
    return v as string[];
  };
  assert.deepEqual(exec('ENTRYPOINT'), ['tabby', 'agent']);
  // the image's default command runs as printed
  const cmd = exec('CMD');
  const help = tabby(['agent', ...cmd]);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /^Usage: tabby agent/m);

  // what `npm pack` makes: the file name the ARG expects, holding the tabby binary and deploy/
  const built = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'prepare.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 540_000 });
  assert.equal(built.status, 0, `npm prepare (build dist/): ${built.stdout}${built.stderr}`);
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(info);
  assert.equal(arg.args, `TABBY_TGZ=${info.filename}`, 'the default TABBY_TGZ is the file npm pack writes');
  const files = new Set(info.files.map((f) => f.path));
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.ok(files.has(pkg.bin['tabby']!), `the package holds the tabby binary ${pkg.bin['tabby']}`);
  for (const f of ['deploy/systemd/tabby-server.service', 'deploy/systemd/tabby-agent.service', 'deploy/systemd/tabby-server.env', 'deploy/systemd/tabby-agent.env', 'deploy/kubernetes/tabby-agent-daemonset.yaml'])
    assert.ok(files.has(f), `the package holds ${f} (docs/deploy.md installs it from there)`);

  // the DaemonSet runs the image's ENTRYPOINT with its args: every flag is one tabby agent has
  const ds = parseAllDocuments(await readFile(join(DEPLOY, 'kubernetes', 'tabby-agent-daemonset.yaml'), 'utf8'))
    .map((d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: { command?: string[]; args?: string[] }[] } } } })
    .find((d) => d.kind === 'DaemonSet');
  const c = ds?.spec?.template?.spec?.containers?.[0];
  assert.ok(c?.args, 'the DaemonSet container has args');
  assert.equal(c.command, undefined, 'the DaemonSet keeps the image ENTRYPOINT (tabby agent)');
  const known2 = helpOptions(help.out);
  for (const f of argvOptions(kubeletExpand(c.args, { NODE_NAME: 'worker-1', TABBY_SERVER: 'https://127.0.0.1:6443', TABBY_CA_CERT_HASH: `sha256:${'0'.repeat(64)}` })))
    assert.ok(known2.has(f), `DaemonSet arg ${f} is not a flag of tabby agent`);
});

test('deploy/kubernetes: tabby validate accepts every manifest; kubectl apply --dry-run=server against tabby server succeeds and stores nothing', { skip: requireTool('kubectl'), timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-deploy-k8s-'));
  const [port] = await freePorts(1);
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir };
  const server = start('tabby', ['server', '--data-dir', join(dir, 'cp'), '--port', String(port)], env);
  try {
    const manifests = join(DEPLOY, 'kubernetes');
    const valid = tabby(['validate', '-f', manifests]);
    assert.equal(valid.code, 0, valid.out);
    assert.match(valid.out, /^Valid: 3 resources in 2 files$/m);
    await until('tabby server to listen', 60_000, () => {
      if (server.proc.exitCode !== null) assert.fail(`tabby server exited: ${server.out}`);
      return server.out.includes('listening on');
    });
    const kenv = { ...env, KUBECONFIG: join(dir, 'cp', 'admin.kubeconfig') };
    const kubectl = (args: string[]) => spawnSync('kubectl', args, { env: kenv, encoding: 'utf8', timeout: 60_000 });
    const dry = kubectl(['apply', '--dry-run=server', '-f', manifests]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal(
      dry.stdout,
      'serviceaccount/tabby-agent created (server dry run)\ndaemonset.apps/tabby-agent created (server dry run)\nsecret/tabby-agent-join created (server dry run)\n',
    );
    // the server decoded, defaulted and returned them: the Secret's stringData became data
    const secret = kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', join(manifests, 'tabby-agent-join-secret.yaml')]);
    assert.equal(secret.status, 0, secret.stderr);
    const s = JSON.parse(secret.stdout) as { data?: Record<string, string>; stringData?: unknown };
    assert.equal(Buffer.from(s.data?.['server'] ?? '', 'base64').toString(), 'https://198.18.0.1:6443');
    assert.equal(s.stringData, undefined);
    const ds = kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', join(manifests, 'tabby-agent-daemonset.yaml')]);
    assert.equal(ds.status, 0, ds.stderr);
    const dsObj = (JSON.parse(ds.stdout) as { items: { kind: string; spec?: { updateStrategy?: unknown; revisionHistoryLimit?: number } }[] }).items.find((i) => i.kind === 'DaemonSet');
    assert.deepEqual(dsObj?.spec?.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(dsObj?.spec?.revisionHistoryLimit, 10);
    // dry-run validates: a template whose labels the selector does not match is refused, 422
    const bad = join(dir, 'bad.yaml');
    const text = await readFile(join(manifests, 'tabby-agent-daemonset.yaml'), 'utf8');
    await writeFile(bad, text.replace('    metadata:\n      labels:\n        k8s-app: tabby-agent', '    metadata:\n      labels:\n        k8s-app: other'));
    const refused = kubectl(['apply', '--dry-run=server', '-f', bad]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /The DaemonSet "tabby-agent" is invalid: spec\.template\.metadata\.labels: Invalid value: \{"k8s-app":"other"\}: `selector` does not match template `labels`/);
    // nothing was stored, and a real write says why it cannot be
    const real = kubectl(['apply', '-f', join(manifests, 'tabby-agent-join-secret.yaml')]);
    assert.notEqual(real.status, 0);
    assert.match(real.stderr, /Error from server \(MethodNotAllowed\): .*Tabby checks v1 Secrets for --dry-run=server only and never stores or runs them/);
    const none = kubectl(['get', 'daemonsets,secrets', '-n', 'kube-system', '-o', 'name']);
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, '');
  } finally {
    server.proc.kill('SIGTERM');
    await bounded(server.done, 20_000, 'stopping tabby server').catch(() => server.proc.kill('SIGKILL'));
    await rm(dir, { recursive: true, force: true });
  }
});

test('tabby agent --token-file: read only to join; a missing or empty file, or both --token and --token-file, is refused before any connection', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-tokenfile-'));
  try {
    const hash = `sha256:${'0'.repeat(64)}`;
    const base = ['agent', '--node', 'worker-1', '--server', 'https://127.0.0.1:1', '--ca-cert-hash', hash, '--state-dir', join(dir, 'state')];
    const missing = tabby([...base, '--token-file', join(dir, 'nope')]);
    assert.equal(missing.code, 1, missing.out);
    assert.match(missing.out, new RegExp(`^tabby agent: --token-file ${join(dir, 'nope')}: no such file$`, 'm'));
    await writeFile(join(dir, 'empty'), '\n');
    const empty = tabby([...base, '--token-file', join(dir, 'empty')]);
    assert.equal(empty.code, 1, empty.out);
    assert.match(empty.out, /--token-file \S+ is empty$/m);
    const both = tabby([...base, '--token', 'abcdef.0123456789abcdef', '--token-file', join(dir, 'empty')]);
    assert.equal(both.code, 2, both.out);
    assert.match(both.out, /^tabby agent: give --token or --token-file, not both$/m);
    // a readable token goes on to the join, which fails here only because nothing listens on port 1
    await writeFile(join(dir, 'token'), 'abcdef.0123456789abcdef\n');
    const join1 = tabby([...base, '--token-file', join(dir, 'token')]);
    assert.equal(join1.code, 1, join1.out);
    assert.doesNotMatch(join1.out, /token-file/);
    assert.match(join1.out, /127\.0\.0\.1:1/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the DaemonSet's container args, expanded as the kubelet would, join a real tabby server and program the node", { skip: required(await netnsSkipReason()), timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-deploy-ds-'));
  const [port] = await freePorts(1);
  const ns = await createNetns('tbyds');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir };
  const started: Run[] = [];
  try {
    const server = start('tabby', ['server', '--data-dir', join(dir, 'cp'), '--port', String(port)], env);
    started.push(server);
    await until('tabby server to listen', 60_000, () => {
      if (server.proc.exitCode !== null) assert.fail(`tabby server exited: ${server.out}`);
      return server.out.includes('listening on');
    });
    const tok = tabby(['token', 'create', '--data-dir', join(dir, 'cp'), '--node', 'worker-1']);
    assert.equal(tok.code, 0, tok.out);
    const token = /^token: (\S+)$/m.exec(tok.out)?.[1] ?? '';
    const hash = /^ca-cert-hash: (\S+)$/m.exec(tok.out)?.[1] ?? '';
    const docs = parseAllDocuments(await readFile(join(DEPLOY, 'kubernetes', 'tabby-agent-daemonset.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    type Container = { args: string[]; env: { name: string; valueFrom: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }[]; volumeMounts: { name: string; mountPath: string }[] };
    const spec = (docs.find((d) => d['kind'] === 'DaemonSet') as { spec: { template: { spec: { containers: Container[]; volumes: { name: string; secret?: { secretName: string } }[] } } } }).spec.template.spec;
    const c = spec.containers[0]!;
    // the Secret as the kubelet mounts it: one file per key; its env values from the same keys
    const secret: Record<string, string> = { server: `https://127.0.0.1:${port}`, 'ca-cert-hash': hash, 'token.worker-1': token };
    const values: Record<string, string> = {};
    for (const e of c.env) {
      if (e.valueFrom.fieldRef) {
        assert.equal(e.valueFrom.fieldRef.fieldPath, 'spec.nodeName');
        values[e.name] = 'worker-1';
      } else {
        assert.equal(e.valueFrom.secretKeyRef?.name, 'tabby-agent-join');
        values[e.name] = secret[e.valueFrom.secretKeyRef.key] ?? assert.fail(`no key ${e.valueFrom.secretKeyRef.key}`);
      }
    }
    const mounts = new Map<string, string>();
    for (const m of c.volumeMounts) {
      const host = join(dir, 'mounts', m.name);
      await mkdir(host, { recursive: true });
      const vol = spec.volumes.find((v) => v.name === m.name);
      if (vol?.secret) for (const [k, v] of Object.entries(secret)) await writeFile(join(host, k), v);
      mounts.set(m.mountPath, host);
    }
    const args = kubeletExpand(c.args, values).map((a) => {
      for (const [mp, host] of mounts) if (a.includes(`=${mp}`)) return a.replace(`=${mp}`, `=${host}`);
      return a;
    });
    const agent = start('tabby', ['agent', ...args, '--netns', ns], env);
    started.push(agent);
    const ds = await openKubeDatastore(kubeOptionsFor({ kubeconfig: join(dir, 'cp', 'admin.kubeconfig') }));
    try {
      await until('worker-1 to publish its programmed revision', 90_000, async () => {
        if (agent.proc.exitCode !== null) assert.fail(`the agent exited: ${agent.out}`);
        try {
          const n = await ds.get({ group: 'projectcalico.org', plural: 'nodes', namespace: '', name: 'worker-1' });
          return (n.metadata.annotations ?? {})['tabby.dev/programmed-revision'] !== undefined;
        } catch {
          return false;
        }
      });
    } finally {
      await ds.close();
    }
    // its credential is in the state volume (a host path): a restarted pod needs no token
    await readFile(join(mounts.get('/var/lib/tabby-agent')!, 'kubeconfig'), 'utf8');
  } finally {
    for (const r of started.reverse()) {
      r.proc.kill('SIGTERM');
      await bounded(r.done, 20_000, 'stopping').catch(() => r.proc.kill('SIGKILL'));
    }
    await deleteNetns(ns);
    await rm(dir, { recursive: true, force: true });
  }
});
