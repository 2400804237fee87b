/**
 * @module When a node's agent changes dataplane, the other backend's rules must go: left in
 * place, the old `cali-` chains (or `table ip tabby`) would go on judging every packet beside the
 * new ones. Runs once, before the agent's first apply; removes only what Tabby owns (the `cali-`
 * chains and hooks and the `cali4`/`cali6` IP sets the iptables backend programs, or our one nft
 * table), and never fails the agent: a missing tool means that backend was never used.
 */
import type { Clock, CommandRunner } from '../sys/index.js';
import { IptablesTable, type IptablesBackend } from './iptables/table.js';
import { IpsetApplier } from './ipset/ipset-applier.js';

export interface CleanupOptions {
  readonly runner: CommandRunner;
  readonly clock: Clock;
  /** The backend the agent now uses; the other one is removed. */
  readonly dataplane: 'iptables' | 'nft';
  readonly iptablesBackend?: IptablesBackend;
  /** The nft table of the nft backend (default `tabby`). */
  readonly nftTable?: string;
  readonly log: (msg: string) => void;
}

/** Removes the other backend's rules; resolves to what it removed (for the log and tests). */
export async function removeOtherBackend(o: CleanupOptions): Promise<string[]> {
  return o.dataplane === 'nft' ? _removeIptables(o) : _removeNft(o);
}

async function _removeNft(o: CleanupOptions): Promise<string[]> {
  const table = o.nftTable ?? 'tabby';
  let listed;
  try {
    listed = await o.runner.run({ argv: ['nft', 'list', 'tables', 'ip'], timeoutMs: 10_000 });
  } catch {
    return []; // no nft here: the nft backend never ran
  }
  if (listed.code !== 0 || !listed.stdout.split('\n').some((l) => l.trim() === `table ip ${table}`)) return [];
  const del = await o.runner.run({ argv: ['nft', 'delete', 'table', 'ip', table], timeoutMs: 30_000 });
  if (del.code !== 0) {
    o.log(`dataplane switch: could not delete the nft table ip ${table}: ${del.stderr.trim()}`);
    return [];
  }
  o.log(`dataplane switch: deleted the nft table ip ${table} (the nft backend's rules)`);
  return [`nft table ip ${table}`];
}

async function _removeIptables(o: CleanupOptions): Promise<string[]> {
  const removed: string[] = [];
  // Filter first: it references the sets, which can only be destroyed once no rule uses them.
  for (const t of ['filter', 'mangle', 'raw'] as const) {
    // One attempt each: a table that cannot be read (no iptables here) holds nothing of ours.
    const table = new IptablesTable({ table: t, runner: o.runner, clock: o.clock, maxAttempts: 1, ...(o.iptablesBackend === undefined ? {} : { backend: o.iptablesBackend }) });
    try {
      table.setChains([]);
      table.setHooks([]);
      const r = await table.apply();
      if (r.deleted.length > 0 || r.hooksRewritten.length > 0) removed.push(`iptables ${t}: ${r.deleted.length} chains`);
    } catch (e) {
      // No iptables, or a table this kernel lacks: nothing of ours can be there.
      o.log(`dataplane switch: iptables ${t} not cleaned: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const sets = new IpsetApplier({ runner: o.runner, clock: o.clock, interactive: false, maxAttempts: 1 });
  try {
    sets.setIpSets([]);
    const r = await sets.applyRemovals();
    if (r.destroyed.length > 0) removed.push(`ipset: ${r.destroyed.length} sets`);
  } catch (e) {
    o.log(`dataplane switch: IP sets not cleaned: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await sets.close();
  }
  if (removed.length > 0) o.log(`dataplane switch: removed the iptables backend's rules (${removed.join(', ')})`);
  return removed;
}
