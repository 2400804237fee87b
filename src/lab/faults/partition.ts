/**
 * @module A network partition inside the lab: real packet drops between one worker and the rest
 * of the lab. The worker's links end on the bridges of the lab's fabric namespace; one nftables
 * table of the `bridge` family in that namespace drops every frame the bridges would forward from
 * or to the worker's ports (both directions, every protocol, ARP included), with a counter. The
 * worker's own namespace (and the agent's rules in it) is left untouched, and nothing is added
 * outside the lab's fabric namespace. Healing deletes exactly that table.
 *
 * The table is named after the worker (`tabby_fault_<name>`), so partitioning the same worker
 * twice replaces its table and heal removes only the tables the fault state lists.
 */
import type { CommandRunner } from '../../sys/index.js';

export interface PartitionSpec {
  /** The lab's fabric namespace (where the bridges are). */
  readonly fabricNetns: string;
  /** The worker's ports on the fabric's bridges (its veth peers there). */
  readonly ports: readonly string[];
  /** The nftables table (`partitionTable(worker)`). */
  readonly table: string;
}

const IFACE_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** The table that partitions `worker` (a name nftables accepts, ≤ 64 characters). */
export function partitionTable(worker: string): string {
  return `tabby_fault_${worker.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 64);
}

/** The `nft -f -` script that installs the partition (pure). */
export function partitionScript(p: PartitionSpec): string {
  if (p.ports.length === 0) throw new Error('partition: no ports to cut');
  for (const port of p.ports) if (!IFACE_RE.test(port)) throw new Error(`partition: invalid interface name ${JSON.stringify(port)}`);
  if (!/^[A-Za-z0-9_]{1,64}$/.test(p.table)) throw new Error(`partition: invalid table name ${JSON.stringify(p.table)}`);
  const set = `{ ${p.ports.map((x) => `"${x}"`).join(', ')} }`;
  return [
    // `add` then `delete` then `add`: the same script replaces an existing partition table.
    `add table bridge ${p.table}`,
    `delete table bridge ${p.table}`,
    `table bridge ${p.table} {`,
    '  chain forward {',
    '    type filter hook forward priority -200; policy accept;',
    `    iifname ${set} counter drop`,
    `    oifname ${set} counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

const _nft = (runner: CommandRunner, ns: string, args: readonly string[], stdin?: string): ReturnType<CommandRunner['run']> =>
  runner.run({ argv: ['ip', 'netns', 'exec', ns, 'nft', ...args], ...(stdin === undefined ? {} : { stdin }), timeoutMs: 10_000 });

/** Installs the partition (inside the fabric namespace only). */
export async function applyPartition(runner: CommandRunner, p: PartitionSpec): Promise<void> {
  const r = await _nft(runner, p.fabricNetns, ['-f', '-'], partitionScript(p));
  if (r.code !== 0) throw new Error(`partition: nft in ${p.fabricNetns} failed (${r.code}): ${r.stderr.trim()}`);
}

/** How many frames the partition dropped so far (undefined when its table is gone). */
export async function partitionDrops(runner: CommandRunner, p: Pick<PartitionSpec, 'fabricNetns' | 'table'>): Promise<number | undefined> {
  const r = await _nft(runner, p.fabricNetns, ['list', 'table', 'bridge', p.table]);
  if (r.code !== 0) return undefined;
  return [...r.stdout.matchAll(/counter packets (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
}

/** Removes the partition; true when its table existed. */
export async function removePartition(runner: CommandRunner, p: Pick<PartitionSpec, 'fabricNetns' | 'table'>): Promise<boolean> {
  const r = await _nft(runner, p.fabricNetns, ['delete', 'table', 'bridge', p.table]);
  if (r.code === 0) return true;
  if (/No such file or directory|does not exist/i.test(r.stderr)) return false;
  throw new Error(`heal: nft delete table bridge ${p.table} in ${p.fabricNetns} failed (${r.code}): ${r.stderr.trim()}`);
}
