/**
 * @module Calico's deterministic UID transform for objects derived from another object
 * (conversion.ConvertUID): parse the UUID as Go's uuid.Parse does, then bit-reverse every byte
 * except byte 6 (version) and byte 8 (variant). Pure.
 */
import type { Result } from '../../lib/result.js';

const HEX = /^[0-9a-fA-F]{2}$/;

/** uuid.Parse: the 36-char form, `urn:uuid:` + 36, `{` 36 `}`, or 32 bare hex digits. */
export function parseUUID(s: string): Result<Uint8Array, string> {
  let text = s;
  switch (s.length) {
    case 36:
      break;
    case 45:
      if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return { ok: false, error: `invalid urn prefix: ${JSON.stringify(s.slice(0, 9))}` };
      text = s.slice(9);
      break;
    case 38:
      if (!s.startsWith('{') || !s.endsWith('}')) return { ok: false, error: 'invalid UUID format' };
      text = s.slice(1, 37);
      break;
    case 32: {
      const out = new Uint8Array(16);
      for (let i = 0; i < 16; i++) {
        const pair = s.slice(i * 2, i * 2 + 2);
        if (!HEX.test(pair)) return { ok: false, error: 'invalid UUID format' };
        out[i] = parseInt(pair, 16);
      }
      return { ok: true, value: out };
    }
    default:
      return { ok: false, error: `invalid UUID length: ${s.length}` };
  }
  if (text[8] !== '-' || text[13] !== '-' || text[18] !== '-' || text[23] !== '-') return { ok: false, error: 'invalid UUID format' };
  const hex = text.replaceAll('-', '');
  if (hex.length !== 32) return { ok: false, error: 'invalid UUID format' };
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const pair = hex.slice(i * 2, i * 2 + 2);
    if (!HEX.test(pair)) return { ok: false, error: 'invalid UUID format' };
    out[i] = parseInt(pair, 16);
  }
  return { ok: true, value: out };
}

function _reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 1 << (7 - i);
  return r;
}

function _format(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** ConvertUID: the derived object's UID, or the parse error (`failed to parse UID for resource: …`). */
export function convertUID(uid: string): Result<string, string> {
  const parsed = parseUUID(uid);
  if (!parsed.ok) return { ok: false, error: `failed to parse UID for resource: ${parsed.error}` };
  const out = parsed.value.map((b, i) => (i === 6 || i === 8 ? b : _reverseBits(b)));
  return { ok: true, value: _format(out) };
}
