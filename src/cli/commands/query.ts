/**
 * @module `tabby query`: which policies select an endpoint (`query endpoint ns/pod`), which
 * endpoints a policy selects (`query policy ns/name`), which endpoints a selector selects
 * (`query selector "app == 'web'"`). Policies are listed in evaluation order, per direction.
 */
import { Command, Option } from 'commander';
import { planFor, policiesSelecting, type CompiledPolicy, type Snapshot } from '../../engine/index.js';
import { tryParseSelector } from '../../selector/index.js';
import { addInputOptions, inputOptions, loadEngineInput, type EngineInput } from '../engine-input.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

type _Owner = Snapshot['workloads'][number] | Snapshot['hostEndpoints'][number];

function _findEndpoint(snap: Snapshot, text: string): { ep: _Owner; host: boolean } | undefined {
  const t = text.trim();
  const w = snap.workloadByKey.get(t.includes('/') ? t : `default/${t}`) ?? snap.workloadByIp.get(t);
  if (w) return { ep: w, host: false };
  const name = t.startsWith('hep:') ? t.slice(4) : t;
  const h = snap.hostEndpoints.find((x) => x.name === name);
  return h ? { ep: h, host: true } : undefined;
}

function _findPolicy(snap: Snapshot, text: string): CompiledPolicy | undefined {
  const t = text.trim();
  const all = [...snap.enforced.policies, ...(snap.stagedView?.policies ?? [])];
  const slash = t.indexOf('/');
  const knp = slash < 0 ? `default/knp.default.${t}` : `${t.slice(0, slash)}/knp.default.${t.slice(slash + 1)}`;
  return all.find((p) => p.id === t) ?? all.find((p) => p.id === `default/${t}`) ?? all.find((p) => p.id === knp);
}

const _label = (p: CompiledPolicy): string => `${p.tier}/${p.id}${p.order === Infinity ? '' : ` (order ${p.order})`}${p.staged ? ' [staged]' : ''} ${p.kind}`;

function _endpoint(input: EngineInput, text: string, json: boolean): { out: string; ok: boolean } {
  const snap = input.snapshot;
  const found = _findEndpoint(snap, text);
  if (!found) return { out: `tabby query: no endpoint ${JSON.stringify(text)} (namespace/pod, a pod IP, or a host endpoint name)\n`, ok: false };
  const { ep, host } = found;
  const flavours = host ? (['normal', 'forward', 'preDNAT', 'untracked'] as const) : (['normal'] as const);
  const dirs: Record<string, Record<string, string[]>> = {};
  for (const dir of ['ingress', 'egress'] as const)
    for (const f of flavours) {
      const plan = planFor(snap, snap.enforced, ep, dir, f, host);
      if (plan.length > 0) (dirs[dir] ??= {})[f] = plan.flatMap((t) => t.policies.map(_label));
    }
  const profiles = ep.profiles;
  if (json) {
    const all = policiesSelecting(snap, ep, host).map((p) => p.id);
    return { out: `${JSON.stringify({ endpoint: ep.key, labels: ep.labels, policies: all, byDirection: dirs, profiles }, null, 2)}\n`, ok: true };
  }
  let out = `${ep.key}\n  labels: ${Object.entries(ep.labels).map(([k, v]) => `${k}=${v}`).join(', ')}\n`;
  for (const dir of ['ingress', 'egress'] as const) {
    const byF = dirs[dir];
    if (byF === undefined) {
      out += `  ${dir}: no policy (profiles decide: ${profiles.join(', ') || 'none'})\n`;
      continue;
    }
    for (const [f, list] of Object.entries(byF)) {
      out += `  ${dir}${f === 'normal' ? '' : ` (${f})`}, in evaluation order:\n`;
      for (const l of list) out += `    ${l}\n`;
    }
  }
  return { out, ok: true };
}

function _selected(snap: Snapshot, match: (labels: Readonly<Record<string, string>>) => boolean): string[] {
  return [
    ...snap.workloads.filter((w) => match(w.labels)).map((w) => w.key),
    ...snap.hostEndpoints.filter((h) => match(h.labels)).map((h) => h.key),
  ];
}

export function queryCommand(ctx: CommandContext): Command {
  const cmd = new Command('query').description('which policies select an endpoint; which endpoints a policy or selector selects');
  const output = (): Option => new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
  const run = async (opts: unknown, f: (input: EngineInput, json: boolean) => { out: string; ok: boolean }): Promise<void> => {
    const input = await loadEngineInput(ctx.io, inputOptions(opts, 'query'));
    if (input === undefined) return ctx.exit(EXIT.failed);
    const r = f(input, stringOpt(opts, 'output') === 'json');
    if (r.ok) ctx.io.stdout(r.out);
    else ctx.io.stderr(r.out);
    ctx.exit(r.ok && input.errors === 0 ? EXIT.ok : EXIT.failed);
  };
  const endpoint = addInputOptions(new Command('endpoint').argument('<endpoint>', 'namespace/pod, a pod IP, or a host endpoint name').description('the policies that select an endpoint, in evaluation order').addOption(output()));
  endpoint.action(async (arg: string, opts: unknown) => run(opts, (input, json) => _endpoint(input, arg, json)));
  const policy = addInputOptions(new Command('policy').argument('<policy>', 'namespace/name (Kubernetes policies by their own name), or the name of a global policy').description('the endpoints a policy selects').addOption(output()));
  policy.action(async (arg: string, opts: unknown) =>
    run(opts, (input, json) => {
      const p = _findPolicy(input.snapshot, arg);
      if (!p) return { out: `tabby query: no policy ${JSON.stringify(arg)}\n`, ok: false };
      const eps = _selected(input.snapshot, (l) => p.selector.sel.matches(l));
      return json ? { out: `${JSON.stringify({ policy: p.id, selector: p.selector.text, endpoints: eps }, null, 2)}\n`, ok: true } : { out: `${p.id}: ${p.selector.text}\n${eps.map((e) => `  ${e}\n`).join('') || '  (no endpoint)\n'}`, ok: true };
    }),
  );
  const selector = addInputOptions(new Command('selector').argument('<selector>', 'a Calico selector, e.g. "app == \'web\'"').description('the endpoints a selector selects (Calico labels, including projectcalico.org/namespace and pcns.*)').addOption(output()));
  selector.action(async (arg: string, opts: unknown) =>
    run(opts, (input, json) => {
      const s = tryParseSelector(arg);
      if (!s.ok) return { out: `tabby query: invalid selector: ${s.error.message}\n`, ok: false };
      const eps = _selected(input.snapshot, (l) => s.value.matches(l));
      return json ? { out: `${JSON.stringify({ selector: s.value.toString(), endpoints: eps }, null, 2)}\n`, ok: true } : { out: `${eps.map((e) => `${e}\n`).join('') || '(no endpoint)\n'}`, ok: true };
    }),
  );
  return cmd.addCommand(endpoint).addCommand(policy).addCommand(selector);
}
