/**
 * @module `tabby logs --node <worker> [--data-dir D | --state-dir D] [-o json] [--follow]`: the
 * worker's denied-traffic log (R9) as written by the running lab's ulogd (`calico-packet: IN=…
 * SRC=… DPT=…`), each line followed by a JSON object naming the flow and the policy and rule the
 * engine says decided it (from the cluster's datastore, evaluated when the log is read). Without
 * a running lab it fails and says where it looked: the log of a stopped cluster is never read
 * as if it were current. `-o json` prints the entries as one JSON array (JSON lines with
 * `--follow`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { openSqliteDatastore } from '../../datastore/index.js';
import { evaluateFlow, type Snapshot } from '../../engine/index.js';
import { snapshotOf } from '../../lab/controller.js';
import { parseLogLine } from '../../lab/logs.js';
import { labDatastorePath, runningLab } from './lab.js';
import { EXIT, flag, stringOpt, type CommandContext } from './context.js';
import { DATA_DIR_DOC } from '../paths.js';

/** The JSON beside one log line: the packet and the engine's decision for that flow. */
export function explainLogLine(snap: Snapshot | undefined, node: string, line: string): Record<string, unknown> | undefined {
  const p = parseLogLine(line);
  if (p === undefined) return undefined;
  const f = p.fields;
  const out: Record<string, unknown> = { node, prefix: p.prefix, in: f['IN'] ?? '', out: f['OUT'] ?? '', src: f['SRC'], dst: f['DST'], proto: f['PROTO'] };
  if (f['SPT'] !== undefined) out['srcPort'] = Number(f['SPT']);
  if (f['DPT'] !== undefined) out['dstPort'] = Number(f['DPT']);
  if (snap !== undefined && f['SRC'] !== undefined && f['DST'] !== undefined && f['PROTO'] !== undefined) {
    const v = evaluateFlow(snap, { from: f['SRC'], to: f['DST'], protocol: f['PROTO'], ...(f['DPT'] !== undefined ? { port: Number(f['DPT']) } : {}) });
    const decided = v.stages.filter((s) => s.action !== 'Continue').at(-1);
    out['verdict'] = v.action;
    const d = decided?.decidedBy;
    if (d !== undefined) {
      if (d.kind === 'rule') Object.assign(out, { tier: d.tier, policy: d.policy, rule: d.ruleIndex, action: d.action });
      else if (d.kind === 'endOfTier') Object.assign(out, { tier: d.tier, policy: null, rule: 'end of tier', action: d.action });
      else out['decidedBy'] = d;
    }
    if (decided?.endpoint !== undefined) out['endpoint'] = decided.endpoint;
  }
  return out;
}

export function logsCommand(ctx: CommandContext): Command {
  return new Command('logs')
    .description("a lab worker's denied-traffic log (calico-packet lines), with the deciding policy and rule as JSON")
    .requiredOption('--node <name>', 'the lab worker')
    .option('--data-dir <dir>', `the cluster (tabby up's data directory; default ${DATA_DIR_DOC})`)
    .option('--state-dir <dir>', 'a stand-alone lab (tabby lab up) instead')
    .option('-o, --output <format>', 'text (each log line, then its JSON) or json (the JSON objects as one array)', 'text')
    .option('--json', 'print only the JSON objects, one per line')
    .option('-f, --follow', 'keep printing new lines (until SIGINT/SIGTERM)')
    .action(async (opts: unknown) => {
      const output = stringOpt(opts, 'output') ?? 'text';
      if (output !== 'text' && output !== 'json') {
        ctx.io.stderr(`tabby logs: unknown output format ${JSON.stringify(output)} (text or json)\n`);
        return ctx.exit(EXIT.usage);
      }
      const st = runningLab(ctx, opts);
      if (st === undefined) return;
      const dir = st.stateDir;
      const node = stringOpt(opts, 'node') ?? '';
      if (!st.plan.workers.some((w) => w.name === node)) {
        ctx.io.stderr(`tabby logs: no worker ${JSON.stringify(node)} in the lab ${st.prefix} (workers: ${st.plan.workers.map((w) => w.name).join(', ')})\n`);
        return ctx.exit(EXIT.failed);
      }
      const file = st.logFiles[node] ?? join(dir, `${node}.syslog`);
      if (!existsSync(file)) {
        ctx.io.stderr(`tabby logs: no log for node ${node} in ${dir} (the lab runs without ulogd)\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      const dbPath = labDatastorePath(st);
      const ds = existsSync(dbPath) ? await openSqliteDatastore(dbPath) : undefined;
      const snap = async (): Promise<Snapshot | undefined> => (ds ? (await snapshotOf(ds)).snapshot : undefined);
      const asArray = output === 'json' && !flag(opts, 'follow');
      const entries: Record<string, unknown>[] = [];
      const print = async (text: string): Promise<void> => {
        const s = await snap();
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          const j = explainLogLine(s, node, line);
          if (asArray) {
            if (j !== undefined) entries.push({ ...j, line });
            continue;
          }
          if (!flag(opts, 'json') && output !== 'json') ctx.io.stdout(`${line}\n`);
          if (j !== undefined) ctx.io.stdout(`${JSON.stringify(output === 'json' ? { ...j, line } : j)}\n`);
        }
      };
      let offset = 0;
      const readNew = async (): Promise<void> => {
        const size = statSync(file).size;
        if (size < offset) offset = 0;
        if (size === offset) return;
        const buf = readFileSync(file);
        const text = buf.subarray(offset).toString('utf8');
        const cut = text.lastIndexOf('\n') + 1;
        offset += Buffer.byteLength(text.slice(0, cut));
        await print(text.slice(0, cut));
      };
      try {
        await readNew();
        if (flag(opts, 'follow')) {
          let stop = false;
          void ctx.io.waitForShutdown().then(() => (stop = true));
          for (let i = 0; i < 86_400 * 10 && !stop; i++) {
            await new Promise((r) => setTimeout(r, 100));
            await readNew();
          }
        }
      } finally {
        await ds?.close();
      }
      if (asArray) ctx.io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
      ctx.exit(EXIT.ok);
    });
}
