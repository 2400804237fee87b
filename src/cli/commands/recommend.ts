/**
 * @module `tabby recommend [--namespace N] [--since 1h] [--kind k8s|calico] [-o yaml|json]
 * [--apply] [--flows FILE]`: least-privilege policies from observed allowed flows, proved by the
 * engine before they are proposed.
 *
 * - Flows: `--flows FILE` (FlowRecords as JSON or YAML: an array, or `{items: [...]}`; `-` for
 *   standard input), else the cluster's flows API (flows.ts of the cluster client).
 * - Resources (the snapshot the proof runs on): as every analysis command (`-f`, the datastore of
 *   `--config`/`--data-dir`, or `--kubeconfig`).
 * - The proof (engine/recommend/prove.ts) is printed first: observed flows kept n/n, extra
 *   admitted classes. An observed allowed flow the proposal would cut refuses the proposal: the
 *   reason on stderr, nothing on stdout, exit 1.
 * - `-o yaml`: the proof and each policy's admits as comments, one document per object;
 *   `-o json`: a `v1 List` on stdout and the proof on stderr.
 * - `--apply`: writes the network sets and the staged policies through the cluster's API (the
 *   calicoctl configuration's datastore: the running cluster's API server, as kubectl does); the
 *   policies change nothing until promoted (`tabby promote`).
 * Exit: 0 proposed (or nothing to propose), 1 refused or a write failed, 2 usage or input errors.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { Document } from 'yaml';
import {
  decodeFlowRecords,
  proveRecommendation,
  recommend,
  type Proof,
  type ProvedFlow,
  type Recommendation,
  type RecommendKind,
} from '../../engine/index.js';
import type { FlowRecord } from '../../model/flows.js';
import type { Resource } from '../../model/meta.js';
import { formatLine } from '../../model/field/format.js';
import { jsonNesting, yamlNestingEstimate, MAX_NESTING, checkTree } from '../../lib/json-safety.js';
import { parse as parseYaml } from 'yaml';
import { describeIoError } from '../io.js';
import { addInputOptions, inputOptions, loadEngineInput, yamlLocator } from '../engine-input.js';
import { plural } from '../output/located.js';
import { EXIT, flag, stringOpt, type CommandContext } from './context.js';
import { openWriteDatastore, writeResources } from './write-cluster.js';
import { fetchClusterFlows } from './cluster-flows.js';

/** Largest flows file read (bytes of text). */
export const MAX_FLOWS_FILE = 256 * 1024 * 1024;

/** `90s`, `30m`, `1h`, `2d` → milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('must be a duration like 90s, 30m, 1h or 2d');
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export function recommendCommand(ctx: CommandContext): Command {
  const cmd = new Command('recommend')
    .description('propose least-privilege policies from observed allowed flows, proved by the engine first (exit 1: the proof failed)')
    .option('-n, --namespace <ns>', 'propose policies for the workloads of this namespace only (peers may be anywhere)')
    .option('--since <duration>', 'flows of the last 90s, 30m, 1h, 2d... (default 1h from the cluster; with --flows, all the file holds unless given)', parseDuration)
    .addOption(new Option('--kind <kind>', 'calico: projectcalico.org StagedNetworkPolicy + NetworkSets; k8s: StagedKubernetesNetworkPolicy (ipBlocks outside the cluster)').choices(['calico', 'k8s']).default('calico'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--flows <file>', 'flow records from this JSON or YAML file (- for standard input) instead of the cluster\'s flows API')
    .option('--apply', 'write the proposals as staged policies (and their network sets) to the cluster; promote them with tabby promote', false)
    .addHelpText(
      'after',
      `
Workloads: a pod's labels minus the ones its controller stamps per revision or instance
(pod-template-hash, controller-revision-hash, statefulset.kubernetes.io/pod-name, ...) name its
workload; a policy selects it by the first of app.kubernetes.io/name, app.kubernetes.io/instance,
app.kubernetes.io/component, app, k8s-app, component, tier, name that no other workload of the
namespace shares (all its labels when none suffices), and is named recommended-<value>.

Examples:
  tabby recommend --flows flows.json -n shop
  tabby recommend -n shop --since 2h --kind k8s --apply`,
    );
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runRecommend(ctx, opts)));
}

async function _readRecords(ctx: CommandContext, path: string): Promise<FlowRecord[] | undefined> {
  const { io } = ctx;
  let text: string;
  try {
    text = path === '-' ? await io.readStdin() : await io.readFile(path);
  } catch (e) {
    io.stderr(`tabby recommend: ${path}: ${describeIoError(e)}\n`);
    return undefined;
  }
  if (text.length > MAX_FLOWS_FILE) {
    io.stderr(`tabby recommend: ${path}: larger than ${MAX_FLOWS_FILE} bytes\n`);
    return undefined;
  }
  const name = path === '-' ? '<stdin>' : path;
  let raw: unknown;
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      if (jsonNesting(text) > MAX_NESTING) throw new Error(`nests deeper than ${MAX_NESTING} levels`);
      raw = JSON.parse(text);
    } else {
      if (yamlNestingEstimate(text) > MAX_NESTING) throw new Error(`nests deeper than ${MAX_NESTING} levels`);
      raw = parseYaml(text, { maxAliasCount: 100 });
    }
  } catch (e) {
    io.stderr(`tabby recommend: ${name}: not valid JSON or YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return undefined;
  }
  const tree = checkTree(raw);
  if (tree !== undefined) {
    io.stderr(`tabby recommend: ${name}: ${tree.message}\n`);
    return undefined;
  }
  const d = decodeFlowRecords(raw);
  if (!d.ok) {
    const at = yamlLocator(text, name);
    for (const e of d.errors) io.stderr(`${at(e.field)}: ${formatLine(e)}\n`);
    return undefined;
  }
  return d.records;
}

const _flowText = (p: ProvedFlow): string => {
  const f = p.flow;
  const ends = f.from !== undefined && f.to !== undefined ? ` (${f.from} → ${f.to})` : '';
  return `${f.fromText} → ${f.toText} ${f.protocol}${f.port > 0 ? ` ${f.port}` : ''}${ends}`;
};

/** The proof as text lines (no trailing newline, no comment marks). */
export function proofLines(rec: Recommendation, proof: Proof): string[] {
  const lines: string[] = [];
  lines.push(`proof (tabby's engine, the proposals enforced):`);
  lines.push(`  observed flows kept: ${proof.kept.length}/${proof.evaluated}`);
  for (const c of proof.cut) lines.push(`  CUT: ${_flowText(c)}: ${c.reason ?? ''}`);
  for (const d of proof.deniedAlready) lines.push(`  denied already (the policy changed since it was seen): ${_flowText(d)}`);
  for (const u of proof.unresolved) lines.push(`  not evaluated: ${_flowText(u)}: ${u.reason ?? ''}`);
  const ports = proof.ports.map((p) => (p.port > 0 ? `${p.protocol}/${p.port}` : p.protocol)).join(', ');
  if (proof.extra.length === 0) lines.push(`  extra admitted classes: none (matrix over ${ports || 'no port'}: ${plural(proof.admittedPairs, 'admitted pod pair')}, all within the observed workload classes)`);
  else {
    lines.push(`  extra admitted classes (${proof.extra.length}; matrix over ${ports}):`);
    for (const e of proof.extra) lines.push(`    ${e.from} → ${e.to} ${e.protocol}${e.port > 0 ? `/${e.port}` : ''}: ${plural(e.pairs, 'pod pair')}${e.newly ? ', denied before' : ', allowed before too'}`);
  }
  for (const n of rec.notes) lines.push(`  note: ${n}`);
  return lines;
}

const _comment = (lines: readonly string[]): string => lines.map((l) => ` ${l}`).join('\n');

/** The proposals as YAML documents: the proof on top, each policy with what it admits. */
export function recommendationYaml(rec: Recommendation, proof: Proof, header: string): string {
  const docs: string[] = [];
  const top = [header, ...proofLines(rec, proof)];
  rec.proposals.forEach((p, i) => {
    for (const s of p.networkSets) {
      const d = new Document(s);
      d.commentBefore = _comment([...(i === 0 && docs.length === 0 ? top : []), `${s.metadata?.name ?? ''}: the addresses outside the cluster ${p.workload.id} was seen with`]);
      docs.push(d.toString({ lineWidth: 0 }));
    }
    const d = new Document(p.policy);
    const pods = p.workload.pods.length;
    d.commentBefore = _comment([
      ...(i === 0 && docs.length === 0 ? top : []),
      `${p.policy.metadata?.name ?? ''}: workload ${p.workload.id} (${plural(pods, 'pod')} now), admits:`,
      ...p.admits.map((a) => `  ${a}`),
    ]);
    docs.push(d.toString({ lineWidth: 0 }));
  });
  return docs.join('---\n');
}

async function runRecommend(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const kind = (stringOpt(opts, 'kind') ?? 'calico') as RecommendKind;
  const namespace = stringOpt(opts, 'namespace');
  const since = (opts as { since?: number }).since;
  const apply = flag(opts, 'apply');
  const input = inputOptions(opts, 'recommend');
  if (apply && input.files.length > 0) {
    io.stderr('tabby recommend: --apply writes to a cluster: leave out -f (the resources are then read from that cluster)\n');
    return EXIT.usage;
  }
  const flowsPath = stringOpt(opts, 'flows');
  let records: FlowRecord[] | undefined;
  if (flowsPath !== undefined) {
    records = await _readRecords(ctx, flowsPath);
    if (records === undefined) return EXIT.usage;
    if (since !== undefined) {
      const from = Date.now() - since;
      records = records.filter((r) => r.endTime >= from);
    }
  } else {
    const got = await fetchClusterFlows(io, input, { since: since ?? 3_600_000, ...(namespace !== undefined ? { namespace } : {}), action: 'allow' });
    if (!got.ok) {
      io.stderr(`tabby recommend: ${got.error}\n`);
      return EXIT.failed;
    }
    records = got.records;
  }
  const engine = await loadEngineInput(io, input);
  if (engine === undefined || engine.errors > 0) return EXIT.usage;

  const rec = recommend(engine.snapshot, records, { kind, ...(namespace !== undefined ? { namespace } : {}) });
  const scope = namespace === undefined ? 'every namespace' : `namespace ${namespace}`;
  if (rec.proposals.length === 0) {
    io.stderr(`tabby recommend: no allowed flow of ${scope} among ${plural(records.length, 'flow record')}: nothing to propose\n`);
    for (const n of rec.notes) io.stderr(`  note: ${n}\n`);
    return EXIT.ok;
  }
  const proof = proveRecommendation(engine.resources, rec, engine.snapshot);
  if (proof.cut.length > 0) {
    io.stderr(`tabby recommend: refused: the proposal would cut ${plural(proof.cut.length, 'observed allowed flow')}:\n`);
    io.stderr(`${proofLines(rec, proof).map((l) => `  ${l}`).join('\n')}\n`);
    return EXIT.failed;
  }
  const kinds = [...new Set(rec.proposals.map((p) => p.policy.kind))].join(', ');
  const header = `tabby recommend: ${plural(rec.proposals.length, 'policy', 'policies')} (${kinds}) for ${scope}, from ${plural(records.length, 'flow record')} (${plural(rec.observed.length, 'distinct allowed flow')})`;
  const objects: Resource[] = rec.proposals.flatMap((p) => [...p.networkSets, p.policy]);
  if (stringOpt(opts, 'output') === 'json') {
    io.stderr(`${[header, ...proofLines(rec, proof)].join('\n')}\n`);
    io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
  } else io.stdout(recommendationYaml(rec, proof, header));

  if (!apply) return EXIT.ok;
  const ds = await openWriteDatastore(io, input);
  if (ds === undefined) return EXIT.failed;
  try {
    const ok = await writeResources(io, ds, objects, 'recommend');
    if (ok) io.stderr(`tabby recommend: applied; nothing is enforced until promoted: ${rec.proposals.map((p) => `tabby promote ${p.policy.metadata?.name ?? ''} -n ${p.workload.namespace}`).join('; ')}\n`);
    return ok ? EXIT.ok : EXIT.failed;
  } finally {
    await ds.close();
  }
}
