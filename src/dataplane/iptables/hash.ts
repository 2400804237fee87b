/**
 * @module Rule hashes: the identity of each rule we write (Felix `iptables/table.go`, goal 4).
 *
 * Each rule's hash covers the chain name, every earlier rule of the chain and the rule's own
 * rendered text, so a hash both names a rule and pins its position: if any earlier rule changes,
 * every later hash changes too. Reading the hashes back from `iptables-save` therefore tells us
 * exactly which chains differ from what we want, without parsing rule text (which the nft
 * backend re-canonicalises anyway).
 *
 * `hash[i] = base64url(sha256(seed_i + "\n" + spec_i))[:16]`, where `seed_0` is the chain name
 * and `seed_i` is `hash[i-1]`. 16 base64url characters carry 96 bits.
 *
 * Pure: no `node:` imports (uses our own SHA-256 from lib).
 */
import { base64UrlEncode, sha256 } from '../../lib/sha2.js';

/** Length of a rule hash, in base64url characters. */
export const HASH_LENGTH = 16;

/** Chained hashes for a chain's rules, given each rule's rendered spec (see `formatRuleSpec`). */
export function ruleHashes(chainName: string, specs: readonly string[]): string[] {
  const out: string[] = new Array<string>(specs.length);
  let seed = chainName;
  for (let i = 0; i < specs.length; i++) {
    const h = base64UrlEncode(sha256(`${seed}\n${specs[i] ?? ''}`)).slice(0, HASH_LENGTH);
    out[i] = h;
    seed = h;
  }
  return out;
}
