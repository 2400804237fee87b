/**
 * docs/deploy.md is a test: the lines of its ```sh blocks run in order, each in bash, as the
 * page's "How this page is tested" says. Each block starts with `# on <machine>`; a machine is
 * a temporary root where the page's /etc, /var/lib and /tmp paths go, and a network namespace:
 * `cp` holds 198.18.0.1 on a bridge, `worker-1` and `worker-2` an eth1 with 198.18.0.2 and .3 on
 * that bridge (lab addresses, only inside the namespaces). The addresses are as printed; the
 * package's path is the checkout, `tabby` and `calicoctl` on PATH are the checkout's built
 * binaries, and 6443 is a free port. `systemctl enable --now UNIT` runs the unit installed in
 * that root as systemd would: its ExecStart= expanded from its installed EnvironmentFile, with
 * only the capabilities of its CapabilityBoundingSet= (setpriv), in the machine's namespace —
 * so the agent programs its worker's netfilter with CAP_NET_ADMIN and CAP_NET_RAW alone, and
 * the server serves with no capability. The worker-1 join block runs again for worker-2 with its
 * name and token. Lines the page cannot run here are listed in NOT_RUN with the check made
 * instead. A line ending in `# denied: exit code N` must fail with N. Before the enforcement
 * checks the test waits (bounded) for both agents to program the applied policies. Everything
 * started is stopped; every namespace made is deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { freePorts } from '../support/etcd.js';
import { required, requireTool } from '../support/tools.js';
import { REPO_ROOT, bounded, start, until, type Run } from '../support/doc-commands.js';
import { execArgv, parseEnvFile, unitValue } from '../support/deploy-files.js';

const DOC = join(REPO_ROOT, 'docs', 'deploy.md');
const PKG = '/usr/local/lib/node_modules/tabby';

/** Lines the page prints that cannot run on this machine, and what the test checks instead. */
const NOT_RUN: readonly { readonly pattern: RegExp; readonly why: string; readonly files?: (line: string) => string[] }[] = [
  { pattern: /^npm ci$/, why: 'reinstalls the shared node_modules; CI has run it' },
  { pattern: /^apt-get install /, why: 'installs Debian packages (.ci/run has)' },
  { pattern: /^curl -fsSL https:\/\/nodejs\.org\/dist\/v20\.\d+\.\d+\/node-v20\.\d+\.\d+-linux-x64\.tar\.xz \| tar -xJ -C \/usr\/local --strip-components=1$/, why: 'downloads Node.js 20 (this machine runs it)' },
  { pattern: /^npm install --global --prefix \/usr\/local \S+\.tgz$/, why: 'installs from the npm registry', files: (l) => [l.split(' ').at(-1)!] },
  { pattern: /^systemctl (daemon-reload|status \S+ --no-pager)$/, why: 'no systemd manager here' },
  { pattern: /^docker build -f \S+ --build-arg TABBY_TGZ=\S+ -t \S+ \S+$/, why: 'no container registry or daemon here', files: (l) => { const w = l.split(' '); return [w[3]!, join(w.at(-1)!, w[5]!.split('=')[1]!)]; } },
];

interface Machine {
  readonly name: string;
  readonly root: string;
  /** The network namespace of a worker. */
  readonly ns?: string;
}

test('docs/deploy.md: three machines from nothing to enforced policy, run on one', { skip: required(await netnsSkipReason()) || requireTool('kubectl', 'curl', 'ping', 'setpriv'), timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-deploydoc-'));
  const [port] = await freePorts(1);
  const started: Run[] = [];
  const namespaces: string[] = [];
  try {
    // the checkout's built binaries, as `npm install --global` would put them on PATH
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'prepare.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 540_000 });
    assert.equal(built.status, 0, `npm prepare (build dist/): ${built.stdout}${built.stderr}`);
    const bin = join(dir, 'bin');
    await mkdir(bin);
    for (const b of ['tabby', 'calicoctl']) {
      await writeFile(join(bin, b), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'dist', 'bin', `${b}.js`))} "$@"\n`);
      await chmod(join(bin, b), 0o755);
    }
    const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: dir };

    // the lab: worker-1 and worker-2 as namespaces with eth1, bridged to a namespace holding cp's address
    const run = async (argv: string[]) => {
      const r = await nodeRunner.run({ argv, timeoutMs: 10_000 });
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
    };
    const cpNet = await createNetns('tbydd');
    namespaces.push(cpNet);
    await run(['ip', '-n', cpNet, 'link', 'add', 'br0', 'type', 'bridge']);
    await run(['ip', '-n', cpNet, 'addr', 'add', '198.18.0.1/24', 'dev', 'br0']);
    await run(['ip', '-n', cpNet, 'link', 'set', 'br0', 'up']);
    const machines = new Map<string, Machine>();
    machines.set('cp', { name: 'cp', root: join(dir, 'cp'), ns: cpNet });
    for (const [i, name] of ['worker-1', 'worker-2'].entries()) {
      const ns = await createNetns('tbydd');
      namespaces.push(ns);
      await run(['ip', 'link', 'add', `v${i}`, 'netns', cpNet, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', ns]);
      await run(['ip', '-n', cpNet, 'link', 'set', `v${i}`, 'master', 'br0', 'up']);
      await run(['ip', '-n', ns, 'addr', 'add', `198.18.0.${i + 2}/24`, 'dev', 'eth1']);
      await run(['ip', '-n', ns, 'link', 'set', 'eth1', 'up']);
      machines.set(name, { name, root: join(dir, name), ns });
    }
    machines.set('build', { name: 'build', root: join(dir, 'build') });
    for (const m of machines.values()) for (const d of ['etc', 'var/lib', 'tmp']) await mkdir(join(m.root, d), { recursive: true });
    // the package, built on one machine, is copied to /tmp of the others (the page says so)
    const tgzOf = (m: Machine) => join(m.root, 'tmp');

    /** The page's paths and addresses as they are here, for machine M. */
    const place = (m: Machine, text: string): string =>
      text.replace(/\/usr\/local\/lib\/node_modules\/tabby|\/etc\/|\/var\/lib\/|\/tmp\b\/?|\b6443\b/g, (s) => {
        if (s === PKG) return REPO_ROOT;
        if (s === '/etc/') return `${m.root}/etc/`;
        if (s === '/var/lib/') return `${m.root}/var/lib/`;
        if (s.startsWith('/tmp')) return `${join(m.root, 'tmp')}${s.endsWith('/') ? '/' : ''}`;
        return String(port);
      });

    const vars: Record<string, string> = {};
    const tokens: Record<string, string> = {};

    /**
     * `systemctl enable --now UNIT` on M: the installed unit's ExecStart, from its installed
     * EnvironmentFile, in M's namespace with only the capabilities of its CapabilityBoundingSet=
     * (setpriv: bounding set, no inheritable ones, no new privileges), as systemd would start it.
     */
    const enable = async (m: Machine, unit: string) => {
      const text = await readFile(join(m.root, 'etc', 'systemd', 'system', unit), 'utf8');
      const envFile = place(m, unitValue(text, 'Service', 'EnvironmentFile'));
      const unitEnv = parseEnvFile(await readFile(envFile, 'utf8'));
      const argv = execArgv(unitValue(text, 'Service', 'ExecStart'), unitEnv).map((a) => place(m, a));
      assert.equal(argv[0], '/usr/local/bin/tabby', `${unit} runs the tabby npm install --global --prefix /usr/local puts there`);
      const caps = unitValue(text, 'Service', 'CapabilityBoundingSet').split(/\s+/).filter((c) => c !== '').map((c) => `,+${c.replace(/^CAP_/, '').toLowerCase()}`);
      assert.equal(unitValue(text, 'Service', 'NoNewPrivileges'), 'yes');
      const r = start('ip', ['netns', 'exec', m.ns!, 'setpriv', '--bounding-set', `-all${caps.join('')}`, '--inh-caps', '-all', '--no-new-privs', '--', join(bin, 'tabby'), ...argv.slice(1)], env);
      started.push(r);
      if (unit === 'tabby-server.service')
        await until('tabby server to listen', 60_000, () => {
          if (r.proc.exitCode !== null) assert.fail(`tabby server exited: ${r.out}`);
          return r.out.includes('listening on');
        });
      else await waitProgrammed([m.name], 0, r);
    };

    /** kubectl as cp's admin, from cp's namespace (the server listens on 198.18.0.1 there): the parsed JSON of `get KIND -o json`. */
    const adminGet = (kinds: string): { metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } }[] => {
      const kc = join(machines.get('cp')!.root, 'var', 'lib', 'tabby', 'admin.kubeconfig');
      const r = spawnSync('ip', ['netns', 'exec', cpNet, 'kubectl', '--kubeconfig', kc, 'get', kinds, '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) return [];
      return (JSON.parse(r.stdout) as { items: { metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } }[] }).items;
    };
    /** Waits until every node in NODES has programmed at least revision AT (its Node's tabby.dev/programmed-revision). */
    const waitProgrammed = async (nodes: string[], at: number, agent?: Run) => {
      let got = new Map<string | undefined, number>();
      try {
        await until(`${nodes.join(', ')} to program revision ${at}`, 90_000, () => {
          if (agent !== undefined && agent.proc.exitCode !== null) assert.fail(`the agent exited: ${agent.out}`);
          got = new Map(adminGet('caliconodes').map((n) => [n.metadata.name, Number((n.metadata.annotations ?? {})['tabby.dev/programmed-revision'] ?? -1)]));
          return nodes.every((n) => (got.get(n) ?? -1) >= at);
        }, 500);
      } catch (e) {
        const logs = started.filter((r) => r.out.includes('tabby agent for node')).map((r) => r.out.slice(-3000));
        assert.fail(`${e instanceof Error ? e.message : String(e)} (programmed: ${JSON.stringify([...got])}); the agents said:\n${logs.join('\n---\n')}`);
      }
    };

    const shell = (m: Machine, line: string, extraEnv: Record<string, string>, ns?: string) =>
      spawnSync(ns !== undefined ? 'ip' : 'bash', ns !== undefined ? ['netns', 'exec', ns, 'bash', '-c', line] : ['-c', line], {
        cwd: REPO_ROOT,
        env: { ...env, ...extraEnv },
        encoding: 'utf8',
        timeout: 120_000,
      });

    // the page's blocks, each with its machine
    const blocks: { machine: string; lines: string[] }[] = [];
    let inBlock = false;
    for (const raw of (await readFile(DOC, 'utf8')).split('\n')) {
      if (/^```sh\s*$/.test(raw)) {
        inBlock = true;
        blocks.push({ machine: 'build', lines: [] });
      } else if (/^```/.test(raw)) inBlock = false;
      else if (inBlock && raw.trim() !== '') {
        const b = blocks.at(-1)!;
        const on = /^# (?:on (\S+)|every machine|on a machine with the package and kubectl for the Kubernetes cluster)$/.exec(raw.trim());
        if (on) b.machine = on[1] ?? (raw.includes('every') ? 'every' : 'k8s');
        else b.lines.push(raw.trim());
      }
    }
    assert.deepEqual(
      blocks.map((b) => b.machine),
      ['build', 'every', 'cp', 'cp', 'worker-1', 'cp', 'worker-1', 'cp', 'k8s'],
      'the page has the blocks this test knows how to place',
    );
    const ran: string[] = [];
    const skipped: string[] = [];
    let appliedRevision = 0;

    const runLine = async (m: Machine, line: string, extraEnv: Record<string, string>) => {
      for (const nr of NOT_RUN)
        if (nr.pattern.test(line)) {
          for (const f of nr.files?.(line) ?? []) await access(place(m, f)).catch(() => assert.fail(`${line}: ${place(m, f)} does not exist (${nr.why})`));
          skipped.push(`${line} (${nr.why})`);
          return;
        }
      const en = /^systemctl enable --now (\S+)$/.exec(line);
      if (en) {
        await enable(m, `${en[1]}.service`);
        ran.push(line);
        return;
      }
      const denied = /\s+# denied: exit code (\d+)$/.exec(line);
      let cmd = place(m, denied ? line.slice(0, denied.index) : line);
      const bg = cmd.endsWith('&');
      if (bg) cmd = cmd.slice(0, -1).trim();
      // cp's lines run in cp's namespace (its server listens on 198.18.0.1 there); a worker's listener in the worker's
      const ns = m.name === 'cp' || (m.ns !== undefined && bg) ? m.ns : undefined;
      if (bg) {
        const r = start('ip', ['netns', 'exec', ns!, 'bash', '-c', `exec ${cmd}`], { ...env, ...extraEnv });
        started.push(r);
        await until(`${line} to listen`, 30_000, () => {
          if (r.proc.exitCode !== null) assert.fail(`${line} exited: ${r.out}`);
          return shell(m, 'curl -sS -m 1 http://127.0.0.1:52311/ && curl -sS -m 1 http://127.0.0.1:8080/', {}, ns).status === 0;
        });
        ran.push(line);
        return;
      }
      const r = shell(m, cmd, extraEnv, ns);
      const out = `${r.stdout}${r.stderr}`;
      if (denied) assert.equal(r.status, Number(denied[1]), `${line} is denied: ${out}`);
      else assert.equal(r.status, 0, `${line} (as ${cmd}${ns !== undefined ? ` in ${ns}` : ''}): ${out}`);
      ran.push(line);
      // what later lines use
      if (/^tabby token create /.test(line)) {
        const node = /--node (\S+)/.exec(line)![1]!;
        tokens[node] = /^token: (\S+)$/m.exec(r.stdout)?.[1] ?? '';
        vars['HASH'] = /^ca-cert-hash: (\S+)$/m.exec(r.stdout)?.[1] ?? '';
        assert.match(tokens[node]!, /^[a-z0-9]{6}\.[a-z0-9]{16}$/, out);
        assert.match(r.stdout, new RegExp(`^join: tabby agent --node ${node} --server https://198\\.18\\.0\\.1:${port} `, 'm'));
      }
      if (/^tabby --version$/.test(line)) assert.match(r.stdout, /^\d+\.\d+\.\d+/);
      if (/^npm pack /.test(line)) {
        const tgz = r.stdout.trim().split('\n').at(-1)!;
        assert.match(tgz, /^tabby-\d+\.\d+\.\d+\.tgz$/);
        // "copy it to /tmp on each of the three machines"
        for (const o of machines.values()) if (o !== m) await writeFile(join(tgzOf(o), tgz), await readFile(join(tgzOf(m), tgz)));
      }
      if (/get globalnetworkpolicies/.test(line))
        for (const p of ['allow-all-outbound', 'allow-bigfix-port', 'allow-icmp', 'allow-node-port-dnat', 'allow-sys-mgmt', 'allow-vrrp']) assert.match(r.stdout, new RegExp(`^${p}\\b`, 'm'));
      if (/get caliconodes/.test(line)) assert.match(r.stdout, /^worker-1\s+\d+$/m);
    };

    for (const b of blocks) {
      // the join block runs on both workers ("On worker-2 the same"); the listeners only on worker-1
      const both = b.lines.includes('systemctl enable --now tabby-agent');
      const targets = b.machine === 'every' ? ['build', 'cp', 'worker-1', 'worker-2'] : b.machine === 'worker-1' && both ? ['worker-1', 'worker-2'] : [b.machine === 'k8s' ? 'cp' : b.machine];
      for (const t of targets) {
        const m = machines.get(t)!;
        // the worker-2 run of the worker-1 block: its name and token
        const lines = t === 'worker-2' ? b.lines.map((l) => l.replaceAll('worker-1', 'worker-2')) : b.lines;
        if (lines.some((l) => /^ping |^curl -sS -m 3 /.test(l)) && b.machine === 'cp') {
          // the enforcement checks come after both agents programmed what was applied
          for (const o of adminGet('globalnetworkpolicies.projectcalico.org,hostendpoints.projectcalico.org')) appliedRevision = Math.max(appliedRevision, Number(o.metadata.resourceVersion));
          assert.ok(appliedRevision > 0);
          await waitProgrammed(['worker-1', 'worker-2'], appliedRevision);
        }
        for (const line of lines) {
          const k8s = b.machine === 'k8s';
          const l = k8s ? line.replace(/kubectl apply -f/g, 'kubectl apply --dry-run=server -f') : line;
          await runLine(m, l, {
            TOKEN: tokens[t] ?? '',
            HASH: vars['HASH'] ?? '',
            TOKEN1: tokens['worker-1'] ?? '',
            TOKEN2: tokens['worker-2'] ?? '',
            ...(k8s ? { KUBECONFIG: join(machines.get('cp')!.root, 'var', 'lib', 'tabby', 'admin.kubeconfig') } : {}),
          });
        }
      }
    }
    // both workers joined with their own certificate and token, and the token file was only read at the join
    for (const w of ['worker-1', 'worker-2']) {
      const state = join(machines.get(w)!.root, 'var', 'lib', 'tabby-agent');
      await access(join(state, 'kubeconfig')).catch(async () => assert.fail(`${state} holds no kubeconfig: ${spawnSync('ls', ['-la', state], { encoding: 'utf8' }).stdout}`));
    }
    assert.ok(ran.length >= 20, `ran: ${ran.join(' | ')}`);
    assert.equal(skipped.length, 18, `not run: ${skipped.join(' | ')}`);
  } finally {
    for (const r of started.reverse()) {
      r.proc.kill('SIGTERM');
      await bounded(r.done, 20_000, 'stopping').catch(() => r.proc.kill('SIGKILL'));
    }
    for (const ns of namespaces.reverse()) await deleteNetns(ns).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
