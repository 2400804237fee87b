/**
 * @module `tabby down [--data-dir DIR] [--purge]`: stops the `tabby up` running on DIR (another
 * process, found through DIR/tabby-up.json: SIGTERM, then a bounded wait) and removes what up
 * created: the lab (if the up process could not), the pid file, admin.kubeconfig and
 * calicoctl.cfg. The datastore, certificates and tokens stay, so the next `tabby up` resumes
 * the cluster; `--purge` removes them too.
 */
import { Command } from 'commander';
import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DATA_DIR_DOC, resolveDataDir } from '../paths.js';
import { EXIT, flag, stringOpt, type CommandContext } from './context.js';
import { LAB_DIR, LAB_DRIVER, UP_STATE_FILE, readUpState, type LabDriver } from './up.js';
import { isAlive } from '../../sys/index.js';

/** What up and server leave in DIR besides the datastore. */
const CONFIG_FILES = ['admin.kubeconfig', 'calicoctl.cfg'];
/** What --purge removes as well. */
const PURGED = ['tabby.db', 'tabby.db-wal', 'tabby.db-shm', 'pki', 'tokens', LAB_DIR];

export interface DownOptions {
  readonly dataDir: string;
  readonly purge: boolean;
  /** Bound on waiting for the up process to exit after SIGTERM (default 30 s). */
  readonly timeoutMs?: number;
  readonly labDriver?: LabDriver | undefined;
  readonly log: (line: string) => void;
}

const _sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

/** Returns the lines to print; throws when the up process will not stop. */
export async function stopCluster(o: DownOptions): Promise<string[]> {
  const dir = resolve(o.dataDir);
  const out: string[] = [];
  const state = readUpState(dir);
  if (state !== undefined && isAlive(state.pid) && state.pid !== process.pid) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    while (isAlive(state.pid) && Date.now() < deadline) await _sleep(50);
    if (isAlive(state.pid)) throw new Error(`tabby up (pid ${state.pid}) did not stop within ${Math.round((o.timeoutMs ?? 30_000) / 1000)}s; try again, or kill -9 ${state.pid} and run tabby down again`);
    out.push(`stopped tabby up (pid ${state.pid}, ${state.url})`);
  } else if (state !== undefined) out.push(`tabby up (pid ${state.pid}) was not running; cleaning up after it`);
  else out.push(`no tabby up is running on ${dir}`);
  if (!existsSync(dir)) return [`no cluster in ${dir}: nothing to stop or remove`];
  const labDir = join(dir, LAB_DIR);
  if (o.labDriver !== undefined && existsSync(labDir)) {
    const removed = await o.labDriver.cleanup(labDir);
    if (removed.length > 0) out.push(`removed the lab: ${removed.join(', ')}`);
  }
  const removed: string[] = [];
  for (const f of [UP_STATE_FILE, ...CONFIG_FILES, ...(o.purge ? PURGED : [])]) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    rmSync(p, { recursive: true, force: true });
    removed.push(f);
  }
  if (removed.length > 0) out.push(`removed from ${dir}: ${removed.join(', ')}`);
  if (o.purge && existsSync(dir) && readdirSync(dir).length === 0) {
    rmdirSync(dir);
    out.push(`removed the empty ${dir}`);
  }
  out.push(o.purge ? 'the datastore was purged: the next tabby up starts a fresh cluster' : `kept the datastore (${join(dir, 'tabby.db')}); tabby up resumes it, tabby down --purge removes it`);
  return out;
}

export function downCommand(ctx: CommandContext): Command {
  return new Command('down')
    .description('stop the cluster tabby up started and remove what it created (the datastore stays unless --purge)')
    .option('--data-dir <dir>', `the data directory tabby up used (default ${DATA_DIR_DOC})`)
    .option('--purge', 'also remove the datastore, certificates and tokens', false)
    .action(async (opts: unknown) => {
      const dataDir = resolveDataDir(stringOpt(opts, 'dataDir'), ctx.io.env);
      try {
        const lines = await stopCluster({ dataDir, purge: flag(opts, 'purge'), labDriver: LAB_DRIVER, log: (l) => ctx.io.stderr(`${l}\n`) });
        ctx.io.stdout(lines.map((l) => `${l}\n`).join(''));
        ctx.exit(EXIT.ok);
      } catch (e) {
        ctx.io.stderr(`tabby down: ${e instanceof Error ? e.message : String(e)}\n`);
        ctx.exit(EXIT.failed);
      }
    });
}
