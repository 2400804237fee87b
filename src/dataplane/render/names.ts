/**
 * @module Names of everything the renderer creates: chain names (Felix `rules/rule_defs.go`),
 * IP set names, and the mark bits carved out of `IptablesMarkMask`.
 *
 * Chain names are at most 28 characters (iptables' limit minus room for the kernel's
 * terminator): `prefix + id`, or, when that is too long, `prefix + '_' + base64url(sha256(id))`
 * cut to fit (Felix `GetLengthLimitedID`). IP set names are `cali40` + the engine's set id (the
 * id is sized so the name is at most 31 characters).
 */
import { base64UrlEncode, sha256 } from '../../lib/sha2.js';

export const MAX_CHAIN_NAME = 28;
export const MAX_IPSET_NAME = 31;

export const CHAIN = {
  filterInput: 'cali-INPUT',
  filterForward: 'cali-FORWARD',
  filterOutput: 'cali-OUTPUT',
  rawPrerouting: 'cali-PREROUTING',
  rawOutput: 'cali-OUTPUT',
  manglePrerouting: 'cali-PREROUTING',
  failsafeIn: 'cali-failsafe-in',
  failsafeOut: 'cali-failsafe-out',
  fromWorkloadDispatch: 'cali-from-wl-dispatch',
  toWorkloadDispatch: 'cali-to-wl-dispatch',
  workloadToHost: 'cali-wl-to-host',
  fromHostEndpoint: 'cali-from-host-endpoint',
  toHostEndpoint: 'cali-to-host-endpoint',
  fromHostEndpointForward: 'cali-from-hep-forward',
  toHostEndpointForward: 'cali-to-hep-forward',
} as const;

/** Per-endpoint and per-policy chain prefixes (Felix's vocabulary). */
export const PREFIX = {
  /** To workload: the workload's ingress. */
  toWorkload: 'cali-tw-',
  /** From workload: the workload's egress. */
  fromWorkload: 'cali-fw-',
  toHostEndpoint: 'cali-th-',
  fromHostEndpoint: 'cali-fh-',
  toHostEndpointForward: 'cali-thfw-',
  fromHostEndpointForward: 'cali-fhfw-',
  policyInbound: 'cali-pi-',
  policyOutbound: 'cali-po-',
  profileInbound: 'cali-pri-',
  profileOutbound: 'cali-pro-',
  /** An endpoint chain's class chain (class dispatch, render/classes.ts). */
  classChain: 'cali-cl-',
  /** A chain of an iptables class dispatch tree (render/class-tree.ts). */
  classTree: 'cali-ct-',
} as const;

/** A host endpoint with `interfaceName: "*"` (Felix's all-interfaces endpoint). */
export const ALL_INTERFACES = 'any-interface-at-all';

/** `prefix + id`, or `prefix + '_' + hash` when longer than 28 characters. */
export function chainName(prefix: string, id: string): string {
  const plain = prefix + id;
  if (plain.length <= MAX_CHAIN_NAME && !/[\s"'\\]/.test(id)) return plain;
  return prefix + '_' + base64UrlEncode(sha256(id)).slice(0, MAX_CHAIN_NAME - prefix.length - 1);
}

/** The kernel name of an engine IP set id (`s:…` → `cali40s:…`). */
export function ipSetName(id: string, family: 4 | 6 = 4): string {
  const name = `cali${family}0${id}`;
  return name.length <= MAX_IPSET_NAME ? name : name.slice(0, MAX_IPSET_NAME);
}

export interface MarkBits {
  /** A policy or profile accepted the packet. */
  readonly accept: number;
  /** A policy passed the packet to the next tier. */
  readonly pass: number;
  readonly scratch0: number;
  readonly scratch1: number;
  /** All four. */
  readonly all: number;
}

/** The lowest four bits of the mask, in Felix's order: accept, pass, scratch0, scratch1. */
export function markBits(mask: number): MarkBits {
  const bits: number[] = [];
  for (let i = 0; i < 32 && bits.length < 4; i++) {
    const b = (1 << i) >>> 0;
    if (((mask >>> 0) & b) !== 0) bits.push(b);
  }
  if (bits.length < 4) throw new Error(`IptablesMarkMask 0x${(mask >>> 0).toString(16)} has fewer than 4 bits`);
  const [accept, pass, scratch0, scratch1] = bits as [number, number, number, number];
  return { accept, pass, scratch0, scratch1, all: (accept | pass | scratch0 | scratch1) >>> 0 };
}
