/**
 * The drift scenario on a real lab (root only), shared by the acceptance test
 * (test/e2e/drift.test.ts) and the benchmark (bench/drift.bench.ts): one worker, a server pod
 * (`srv`, tcp 80 and 81) and a client pod (`cli`); a policy lets `cli` reach `srv` on 80 only, so
 * 80 is allowed (through a policy chain and an IP set holding cli's address) and 81 denied. Then,
 * in the worker's namespace, with the backend's own tools: delete the FORWARD hook, flush the
 * policy chain, remove cli from the set, insert an ACCEPT first in FORWARD; after each, the
 * agent must find and repair it by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/controller.js';
import type { ProbeResult } from '../../src/lab/responder.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { inNetns, nodeRunner } from '../../src/sys/index.js';
import type { AgentLoop } from '../../src/agent/loop.js';
import { iptablesTamper, nftTamper, type DriverTamper } from './driver-conformance.js';

export const ALLOWED_PORT = 80;
export const DENIED_PORT = 81;

export interface DriftEvent {
  readonly what: string;
  /** Tamper done → the verify that found it started (ms). */
  readonly detectMs: number;
  /** Tamper done → repaired (ms). */
  readonly repairMs: number;
  /** Connections to the denied port that got through between the tamper and the repair. */
  readonly deniedOpenDuring: number;
  /** Probes sent to the denied port meanwhile. */
  readonly probesDuring: number;
  /** The repair's log line (undefined: not logged). */
  readonly logLine: string | undefined;
  readonly found: readonly string[];
}

export interface DriftLab {
  readonly lab: Lab;
  readonly loop: AgentLoop;
  /** The four tampers, by name. */
  readonly tampers: readonly (readonly [string, () => Promise<void>])[];
  /** Probes from cli to srv on `port`, with a fresh conntrack. */
  probe(port: number, timeoutMs?: number): Promise<ProbeResult>;
  /**
   * Runs one tamper and waits (at most `boundMs`) for the agent to repair it, probing the denied
   * port meanwhile (`probe: false`: only watching the agent, every 5 ms).
   */
  measure(what: string, tamper: () => Promise<void>, opts?: { boundMs?: number; probe?: boolean }): Promise<DriftEvent>;
}

const pod = (name: string, labels: Record<string, string>, ports: number[]): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', ports: ports.map((containerPort) => ({ containerPort })) }] },
});

export async function withDriftLab<T>(dataplane: 'iptables' | 'nft', fn: (d: DriftLab) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-drift-'));
  const logs: string[] = [];
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({ stateDir: dir, workers: 1, dataplane, datastore: await openMemoryDatastore(), log: (m) => logs.push(m), logs: false });
    const l = lab;
    await l.client.apply(pod('srv', { app: 'srv' }, [ALLOWED_PORT, DENIED_PORT]));
    await l.client.apply(pod('cli', { app: 'cli' }, []));
    const np = await l.client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'cli-to-srv-80', namespace: 'default' },
      spec: { selector: "app == 'srv'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'cli'" }, destination: { ports: [ALLOWED_PORT] } }] },
    });
    await l.settle(np.object.metadata.resourceVersion);
    const srv = l.pod('default/srv');
    const cli = l.pod('default/cli');
    if (srv === undefined || cli === undefined) throw new Error('drift lab: pods not placed');
    const agent = l.agents()[0];
    if (agent === undefined) throw new Error('drift lab: no agent');
    const loop = agent.loop;
    const rendered = loop.lastRendered;
    const chain = rendered?.filter.chains.find((c) => c.name.startsWith('cali-pi-'))?.name;
    const set = rendered?.ipSets.find((s) => s.members.some((m) => m.split('/')[0] === cli.ip));
    if (chain === undefined || set === undefined) throw new Error('drift lab: the policy chain or its IP set is not programmed');
    const member = set.members.find((m) => m.split('/')[0] === cli.ip)!;
    const worker = l.plan.workers[0]!;
    const runner = inNetns(nodeRunner, worker.netns);
    const t: DriverTamper = dataplane === 'nft' ? nftTamper(runner) : iptablesTamper(runner);
    const probe = async (port: number, timeoutMs = 300): Promise<ProbeResult> => {
      await l.flushConntrack();
      return l.probe('default/cli', 'tcp', srv.ip, port, timeoutMs);
    };
    const d: DriftLab = {
      lab: l,
      loop,
      tampers: [
        ['delete the FORWARD hook', () => t.deleteForwardHook()],
        ['flush a policy chain', () => t.flushChain(chain)],
        ['remove a set member', () => t.removeSetMember(set, member)],
        ['insert an ACCEPT', () => t.insertForwardAccept()],
      ],
      probe,
      measure: async (what, tamper, o = {}) => {
        const boundMs = o.boundMs ?? 10_000;
        const before = loop.repairs;
        const logsBefore = logs.length;
        await tamper();
        const t0 = performance.now();
        let deniedOpenDuring = 0;
        let probesDuring = 0;
        while (loop.repairs === before && performance.now() - t0 < boundMs) {
          if (o.probe === false) {
            await new Promise((res) => setTimeout(res, 5));
            continue;
          }
          const r = await l.probe('default/cli', 'tcp', srv.ip, DENIED_PORT, 50);
          probesDuring++;
          if (r === 'open') deniedOpenDuring++;
          await new Promise((res) => setTimeout(res, 20)); // leave the agent (same process) its share
        }
        const rep = loop.lastRepair;
        if (loop.repairs === before || rep === undefined) throw new Error(`drift lab (${dataplane}): "${what}" not repaired within ${boundMs} ms\n${logs.slice(logsBefore).join('\n')}`);
        return {
          what,
          detectMs: Math.max(0, rep.startedAt - t0),
          repairMs: Math.max(0, rep.endedAt - t0),
          deniedOpenDuring,
          probesDuring,
          logLine: logs.slice(logsBefore).find((x) => x.includes('drift repaired on node')),
          found: rep.found,
        };
      },
    };
    return await fn(d);
  } finally {
    if (lab !== undefined) await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}
