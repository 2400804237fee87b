/** @module DesiredState IP sets → dataplane IpSet values (`cali40<id>`, IPv4). Pure. */
import type { DesiredState } from '../../engine/index.js';
import type { IpSet } from '../model.js';
import { ipSetName } from './names.js';

export function renderIpSets(d: DesiredState): IpSet[] {
  return [...d.ipSets.values()].map((s) => ({ name: ipSetName(s.id, 4), type: s.type, family: 4, members: s.members }));
}
