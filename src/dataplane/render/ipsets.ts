/** @module DesiredState IP sets → dataplane IpSet values (`cali40<id>` for IPv4, `cali60<id>` for IPv6). Pure. */
import type { DesiredState } from '../../engine/index.js';
import type { IpSet } from '../model.js';
import { ipSetName } from './names.js';

export function renderIpSets(d: DesiredState): IpSet[] {
  return [...d.ipSets.values()].map((s) => ({ name: ipSetName(s.id, d.family), type: s.type, family: d.family, members: s.members }));
}
