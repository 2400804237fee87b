/**
 * @module Address → flow endpoint, from the agent's snapshot (Calico's flow-log endpoint types):
 * a pod (`wep`), a host endpoint (`hep`), the most specific network set holding the address
 * (`networkset` before `globalnetworkset` at equal prefix length), or `net`.
 */
import { ipFromText, netContains } from '../../engine/ip.js';
import type { Snapshot } from '../../engine/index.js';
import type { FlowEndpoint } from '../../model/flows.js';

const _own = (labels: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('pcns.') && !k.startsWith('projectcalico.org/')) out[k] = v;
  return out;
};

const _prefixLen = (mask4: number, mask6: bigint, family: 4 | 6): number => {
  if (family === 4) {
    let n = 0;
    for (let m = mask4 >>> 0; m !== 0; m = (m << 1) >>> 0) n++;
    return n;
  }
  let n = 0;
  for (let m = mask6; m !== 0n; m = (m << 1n) & ((1n << 128n) - 1n)) n++;
  return n;
};

export function resolveEndpoint(snapshot: Snapshot, address: string): FlowEndpoint {
  const ip = ipFromText(address);
  if (ip === undefined) return { kind: 'net', namespace: '', name: '', ip: address, labels: {} };
  const w = snapshot.workloadByIp.get(ip.text);
  if (w !== undefined) return { kind: 'wep', namespace: w.namespace, name: w.name, ip: ip.text, labels: { ...w.podLabels }, serviceAccount: w.serviceAccount };
  for (const h of snapshot.hostEndpoints) if (h.ips.some((x) => x.text === ip.text)) return { kind: 'hep', namespace: '', name: h.name, ip: ip.text, labels: _own(h.labels) };
  let best: { len: number; ns: boolean; key: string; labels: Readonly<Record<string, string>> } | undefined;
  for (const s of snapshot.networkSets)
    for (const n of s.nets) {
      if (n.family !== ip.family || !netContains(n, ip)) continue;
      const len = _prefixLen(n.mask4, n.mask6, n.family);
      const ns = s.key.startsWith('networkset:');
      if (best === undefined || len > best.len || (len === best.len && ns && !best.ns) || (len === best.len && ns === best.ns && s.key < best.key)) best = { len, ns, key: s.key, labels: s.labels };
    }
  if (best !== undefined) {
    if (best.ns) {
      const [namespace, name] = best.key.slice('networkset:'.length).split('/') as [string, string];
      return { kind: 'networkset', namespace, name, ip: ip.text, labels: _own(best.labels) };
    }
    return { kind: 'globalnetworkset', namespace: '', name: best.key.slice('globalnetworkset:'.length), ip: ip.text, labels: _own(best.labels) };
  }
  return { kind: 'net', namespace: '', name: '', ip: ip.text, labels: {} };
}
