/**
 * @module SHA-224 and SHA-256 (FIPS 180-4) in pure TypeScript, plus the two encodings their
 * callers need: UTF-8 (to hash strings exactly as Go hashes `[]byte(s)`) and unpadded
 * base64url (Go's `base64.RawURLEncoding`).
 *
 * Pure: no `node:` imports and no I/O, so the selector module (and the browser bundle) can
 * compute Calico unique IDs without `node:crypto`. Deterministic and allocation-light: one
 * padded copy of the input per digest.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const IV256 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const IV224 = [0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4];

/** Message schedule scratch space; safe to share because digests never interleave. */
const W = new Uint32Array(64);

function _k(i: number): number {
  return K[i] ?? 0;
}

function _digest(message: Uint8Array, iv: readonly number[], outWords: number): Uint8Array {
  // Pad: message || 0x80 || zeros || 64-bit big-endian bit length, to a multiple of 64 bytes.
  const len = message.length;
  const blocks = Math.ceil((len + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(message);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  const bitLenHigh = Math.floor(len / 0x20000000); // (len * 8) / 2^32 without overflow
  const bitLenLow = (len * 8) >>> 0;
  view.setUint32(padded.length - 8, bitLenHigh);
  view.setUint32(padded.length - 4, bitLenLow);

  let h0 = iv[0] ?? 0;
  let h1 = iv[1] ?? 0;
  let h2 = iv[2] ?? 0;
  let h3 = iv[3] ?? 0;
  let h4 = iv[4] ?? 0;
  let h5 = iv[5] ?? 0;
  let h6 = iv[6] ?? 0;
  let h7 = iv[7] ?? 0;

  for (let off = 0; off < padded.length; off += 64) {
    for (let t = 0; t < 16; t++) W[t] = view.getUint32(off + t * 4);
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15] ?? 0;
      const w2 = W[t - 2] ?? 0;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[t] = (W[t - 16] ?? 0) + s0 + (W[t - 7] ?? 0) + s1;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + _k(t) + (W[t] ?? 0)) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }

  const out = new Uint8Array(outWords * 4);
  const outView = new DataView(out.buffer);
  const hs = [h0, h1, h2, h3, h4, h5, h6, h7];
  for (let i = 0; i < outWords; i++) outView.setUint32(i * 4, (hs[i] ?? 0) >>> 0);
  return out;
}

function _bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? utf8Encode(data) : data;
}

/** SHA-256 digest (32 bytes). Strings are hashed as their UTF-8 bytes. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return _digest(_bytes(data), IV256, 8);
}

/** SHA-224 digest (28 bytes). Strings are hashed as their UTF-8 bytes. */
export function sha224(data: Uint8Array | string): Uint8Array {
  return _digest(_bytes(data), IV224, 7);
}

/**
 * UTF-8 bytes of a string. A lone surrogate becomes U+FFFD, as `TextEncoder` does (a Go string
 * could hold the raw bytes, but no JavaScript string can, so nothing is lost in practice).
 */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 0x3f);
        out[n++] = 0x80 | ((cp >> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return out.subarray(0, n);
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
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}
