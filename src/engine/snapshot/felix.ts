/**
 * @module The snapshot builder's Felix settings (buildSnapshot, step 10): each node's effective
 * FelixConfiguration (`default` overlaid by `node.<name>`, over Felix's defaults; model's
 * felixConfigForNode, the one the agent programs) and the engine's view of it (FelixSettings).
 */
import type { FelixConfiguration } from '../../model/calico/other-types.js';
import { endpointToHostAction, failsafeHostPorts, felixConfigForNode, type EffectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { netFromText } from '../ip.js';
import { PROTO } from '../match.js';
import type { FailsafePort, FelixSettings } from '../snapshot.js';
import { nameOf, protoOr, type SnapshotInput } from './input.js';

/** The engine's view of an effective FelixConfiguration (protocol numbers, parsed nets). */
export function felixSettings(cfg: EffectiveFelixConfig): FelixSettings {
  const ports = (dir: 'inbound' | 'outbound'): FailsafePort[] =>
    failsafeHostPorts(cfg, dir).map((p) => ({
      proto: protoOr(p.protocol, PROTO.TCP),
      port: p.port,
      net: p.net !== undefined ? (netFromText(p.net) ?? null) : null,
    }));
  return { failsafeInbound: ports('inbound'), failsafeOutbound: ports('outbound'), defaultEndpointToHostAction: endpointToHostAction(cfg) };
}

export interface FelixBySnapshot {
  /** The cluster-wide settings: those of a node with no `node.<name>`. */
  readonly felix: FelixSettings;
  /** A node's settings, memoised (nodes without their own resource share `felix`). */
  felixFor(node: string): FelixSettings;
  felixConfig(node: string): EffectiveFelixConfig;
}

export function buildFelix(inp: SnapshotInput): FelixBySnapshot {
  const fcs = inp.byKind('FelixConfiguration') as FelixConfiguration[];
  const felixConfig = (node: string): EffectiveFelixConfig => felixConfigForNode(fcs, node);
  const felix = felixSettings(felixConfig(''));
  const byNode = new Map<string, FelixSettings>();
  const felixFor = (node: string): FelixSettings => {
    let f = byNode.get(node);
    if (f === undefined) {
      f = fcs.some((c) => nameOf(c) === `node.${node}`) ? felixSettings(felixConfig(node)) : felix;
      byNode.set(node, f);
    }
    return f;
  };
  return { felix, felixFor, felixConfig };
}
