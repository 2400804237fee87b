/** Trace: source, destination, port, protocol → the engine's verdict with every stage. */
import { useMemo, useState } from 'preact/hooks';
import { evaluateFlow, type FlowInput, type Stage, type Verdict } from '../../../src/engine/index.js';
import { policyById, policyParam } from '../policy-ref.js';
import { Link, navigate } from '../router.js';
import { world } from '../store.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6', 'UDPLite'];

/** The stage that made the final decision (the last one that did not just continue). */
export function decidingStage(stages: readonly Stage[]): Stage | undefined {
  return stages.filter((s) => s.action !== 'Continue').at(-1);
}

function PolicyLink(props: { id: string }) {
  const snap = world.value!.snapshot;
  const p = policyById(snap, props.id);
  return p === undefined ? <b>{props.id}</b> : <Link to={`/policies?policy=${encodeURIComponent(policyParam(p))}`}>{props.id}</Link>;
}

export function DecidedBy(props: { stage: Stage | undefined }) {
  const d = props.stage?.decidedBy;
  if (d === undefined) return <span>{props.stage?.summary ?? '—'}</span>;
  switch (d.kind) {
    case 'rule':
      return (
        <span data-testid="deciding-policy" data-policy={d.policy}>
          tier <b>{d.tier}</b>, policy <PolicyLink id={d.policy} />, {d.policyKind}, rule {d.ruleIndex}: <b>{d.action}</b>
        </span>
      );
    case 'endOfTier':
      return (
        <span data-testid="deciding-policy" data-policy="">
          end of tier <b>{d.tier}</b>: {d.action} (a policy selected the endpoint and no rule matched)
        </span>
      );
    case 'profile':
      return (
        <span>
          profile <b>{d.profile}</b>, rule {d.ruleIndex}: {d.action}
        </span>
      );
    case 'noProfileMatch':
    case 'failsafe':
    case 'default':
      return <span>{props.stage!.summary}</span>;
    default: {
      const never: never = d;
      return never;
    }
  }
}

function Stages(props: { stages: readonly Stage[] }) {
  const decisive = decidingStage(props.stages);
  return (
    <table class="grid" data-testid="trace-stages">
      <thead>
        <tr>
          <th>#</th>
          <th>stage</th>
          <th>endpoint</th>
          <th>action</th>
          <th>decided by</th>
          <th>notes</th>
        </tr>
      </thead>
      <tbody>
        {props.stages.map((s, i) => (
          <tr class={s === decisive ? 'sel' : ''}>
            <td>{i + 1}</td>
            <td>{s.stage}</td>
            <td>{s.endpoint ?? ''}</td>
            <td class={s.action === 'Allow' ? 'allow' : s.action === 'Deny' ? 'deny' : 'muted'}>{s.action}</td>
            <td>
              <DecidedBy stage={s} />
            </td>
            <td class="muted">
              {s.detail ?? ''}
              {s.logged !== undefined && s.logged.length > 0 && ` logged by ${s.logged.map((l) => `${l.policy} rule ${l.ruleIndex}`).join(', ')}`}
              {s.nearMiss !== undefined && ` nearest rule: ${s.nearMiss.policy} rule ${s.nearMiss.ruleIndex} (${s.nearMiss.action}) failed on ${s.nearMiss.failed.join(', ')}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TracePage(props: { query: URLSearchParams }) {
  const w = world.value!;
  const snap = w.snapshot;
  const q = props.query;
  const [from, setFrom] = useState(q.get('from') ?? snap.workloads[0]?.key ?? '');
  const [to, setTo] = useState(q.get('to') ?? snap.workloads[1]?.key ?? snap.workloads[0]?.key ?? '');
  const [port, setPort] = useState(q.get('port') ?? (w.ports[0] !== undefined ? String(w.ports[0].port) : '80'));
  const [protocol, setProtocol] = useState(q.get('protocol') ?? 'TCP');
  const [asked, setAsked] = useState<FlowInput | undefined>(q.get('from') !== null && q.get('to') !== null ? flowOf(q.get('from')!, q.get('to')!, q.get('port') ?? '', q.get('protocol') ?? 'TCP') : undefined);
  const verdict: Verdict | undefined = useMemo(() => (asked === undefined ? undefined : evaluateFlow(snap, asked)), [snap, asked]);
  const endpoints = useMemo(
    () => [...snap.workloads.map((x) => x.key), ...[...snap.nodes.keys()].map((n) => `node:${n}`)],
    [snap],
  );
  const decisive = verdict === undefined ? undefined : decidingStage(verdict.stages);
  return (
    <div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const f = flowOf(from, to, port, protocol);
          setAsked(f);
          window.history.replaceState(null, '', `/ui/trace?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&port=${encodeURIComponent(port)}&protocol=${encodeURIComponent(protocol)}`);
        }}
      >
        <datalist id="endpoints">
          {endpoints.slice(0, 2000).map((e) => (
            <option value={e} />
          ))}
        </datalist>
        <label>
          Source <input list="endpoints" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} data-testid="trace-from" placeholder="ns/pod, node:name or IP" />
        </label>
        <label>
          Destination <input list="endpoints" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} data-testid="trace-to" placeholder="ns/pod, node:name, service or IP" />
        </label>
        <label>
          Port <input value={port} size={6} onInput={(e) => setPort((e.target as HTMLInputElement).value)} data-testid="trace-port" />
        </label>
        <label>
          Protocol{' '}
          <select value={protocol} onChange={(e) => setProtocol((e.target as HTMLSelectElement).value)} data-testid="trace-protocol">
            {PROTOCOLS.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="trace-run">
          Trace
        </button>
      </form>
      {verdict === undefined ? (
        <p class="muted">Pick a flow. Sources and destinations: a pod (namespace/name), a node (node:name), or any IP address (a Service IP is load-balanced to its backends).</p>
      ) : (
        <div data-testid="trace-result">
          <h2 class={verdict.action === 'Allow' ? 'allow' : 'deny'} data-testid="trace-verdict">
            {verdict.action}
          </h2>
          {verdict.error !== undefined && <p class="error">{verdict.error}</p>}
          <p>
            Decided by: <DecidedBy stage={decisive} />
          </p>
          <Stages stages={verdict.stages} />
          {verdict.staged !== undefined && (
            <div class="staged">
              <h3>With the staged policies enforced: {verdict.staged.action}</h3>
              <Stages stages={verdict.staged.stages} />
            </div>
          )}
          {verdict.backends !== undefined &&
            verdict.backends.map((b) => (
              <div>
                <h3>
                  Backend {b.backend}: <span class={b.action === 'Allow' ? 'allow' : 'deny'}>{b.action}</span>
                </h3>
                <Stages stages={b.stages} />
              </div>
            ))}
          <p>
            <button class="link" onClick={() => navigate(`/trace?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}&port=${encodeURIComponent(port)}&protocol=${protocol}`)}>
              Trace the reverse direction
            </button>
          </p>
        </div>
      )}
    </div>
  );
}

function flowOf(from: string, to: string, port: string, protocol: string): FlowInput {
  const n = Number(port);
  return { from: from.trim(), to: to.trim(), protocol, ...(port.trim() !== '' && Number.isInteger(n) ? { port: n } : {}) };
}
