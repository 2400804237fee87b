/**
 * @module SHA-224 and SHA-256 for Calico's hashed names, from `@noble/hashes` (audited,
 * synchronous, no `node:` imports, so the selector module and the browser bundle compute the same
 * unique IDs as the agent), plus the two encodings their callers need: UTF-8 (strings are hashed
 * as their UTF-8 bytes, as Go hashes `[]byte(s)`) and unpadded base64url (Go's
 * `base64.RawURLEncoding`).
 */
import { sha224 as _sha224, sha256 as _sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** SHA-256 digest (32 bytes). Strings are hashed as their UTF-8 bytes. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return _sha256(typeof data === 'string' ? utf8ToBytes(data) : data);
}

/** SHA-224 digest (28 bytes). Strings are hashed as their UTF-8 bytes. */
export function sha224(data: Uint8Array | string): Uint8Array {
  return _sha224(typeof data === 'string' ? utf8ToBytes(data) : data);
}

/**
 * UTF-8 bytes of a string. A lone surrogate becomes U+FFFD, as `TextEncoder` does (a Go string
 * could hold the raw bytes, but no JavaScript string can, so nothing is lost in practice).
 */
export function utf8Encode(s: string): Uint8Array {
  return utf8ToBytes(s);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (Go's `base64.RawURLEncoding`). */
export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64URL.charAt(v >> 18) + B64URL.charAt((v >> 12) & 63) + B64URL.charAt((v >> 6) & 63) + B64URL.charAt(v & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = (bytes[i] ?? 0) << 16;
    out += B64URL.charAt(v >> 18) + B64URL.charAt((v >> 12) & 63);
  } else if (rest === 2) {
    const v = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64URL.charAt(v >> 18) + B64URL.charAt((v >> 12) & 63) + B64URL.charAt((v >> 6) & 63);
  }
  return out;
}

/** Lowercase hex, for test vectors and debugging. */
export function hexEncode(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}
