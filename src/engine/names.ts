/**
 * @module Names shared by everything that builds or reads the dataplane: the host-side
 * interface of a workload (the lab's CNI creates it; the renderer dispatches on it).
 *
 * Calico's CNI names the host side of a pod's veth `cali` + the first 11 hex digits of
 * SHA-1("<namespace>.<pod>"). Tabby's pure core has SHA-256 rather than SHA-1, so Tabby's name is
 * `cali` + 11 hex digits of SHA-256 of the same string: the same shape and length (15, the kernel's
 * limit), a different hash. Nothing outside Tabby depends on the exact digits.
 */
import { hexEncode, sha256 } from '../lib/sha2.js';

export const WORKLOAD_IFACE_PREFIX = 'cali';

export function workloadInterfaceName(namespace: string, pod: string): string {
  return WORKLOAD_IFACE_PREFIX + hexEncode(sha256(`${namespace}.${pod}`)).slice(0, 11);
}
