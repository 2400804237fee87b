/**
 * @module `tabby logs --node <worker> [--state-dir D] [--json] [--follow]`: the worker's
 * denied-traffic log (R9) as written by the lab's ulogd (`calico-packet: IN=… SRC=… DPT=…`),
 * each line followed by a JSON object naming the flow and the policy and rule the engine says
 * decided it (from the lab's datastore, evaluated when the log is read).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { openSqliteDatastore } from '../../datastore/index.js';
import { evaluateFlow, type Snapshot } from '../../engine/index.js';
import { snapshotOf } from '../../lab/controller.js';
import { parseLogLine } from '../../lab/logs.js';
import { labStateDir, readLabState } from './lab.js';
import { EXIT, flag, stringOpt, type CommandContext } from './context.js';

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
    .option('--state-dir <dir>', 'the lab state directory (default $XDG_DATA_HOME/tabby/lab)')
    .option('--json', 'print only the JSON objects')
    .option('-f, --follow', 'keep printing new lines (until SIGINT/SIGTERM)')
    .action(async (opts: unknown) => {
      const dir = labStateDir(ctx, opts);
      const node = stringOpt(opts, 'node') ?? '';
      const st = readLabState(dir);
      const file = st?.logFiles[node] ?? join(dir, `${node}.syslog`);
      if (!existsSync(file)) {
        ctx.io.stderr(`no log for node ${node} in ${dir}${st === undefined ? ' (no lab there)' : ''}\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      const ds = existsSync(join(dir, 'tabby.db')) ? await openSqliteDatastore(join(dir, 'tabby.db')) : undefined;
      const snap = async (): Promise<Snapshot | undefined> => (ds ? (await snapshotOf(ds)).snapshot : undefined);
      const print = async (text: string): Promise<void> => {
        const s = await snap();
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          const j = explainLogLine(s, node, line);
          if (!flag(opts, 'json')) ctx.io.stdout(`${line}\n`);
          if (j !== undefined) ctx.io.stdout(`${JSON.stringify(j)}\n`);
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
      ctx.exit(EXIT.ok);
    });
}
