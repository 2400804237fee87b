/** @module IPv4/IPv6 CIDR containment for host endpoint templates' `interfaceCIDRs`. Pure. */

function _parse(ip: string): { v: 4 | 6; n: bigint } | undefined {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    if (ip.split('::').length > 2) return undefined;
    const h = head === '' ? [] : head.split(':');
    const t = tail === undefined || tail === '' ? [] : tail.split(':');
    const fill = tail === undefined ? 0 : 8 - h.length - t.length;
    if (fill < 0 || (tail === undefined && h.length !== 8)) return undefined;
    const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
    let n = 0n;
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      n = (n << 16n) | BigInt(parseInt(g, 16));
    }
    return { v: 6, n };
  }
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return { v: 4, n };
}

/** Whether `ip` lies in `cidr` (a bare address is a /32 or /128). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net, bits] = cidr.split('/') as [string, string | undefined];
  const a = _parse(net);
  const b = _parse(ip);
  if (a === undefined || b === undefined || a.v !== b.v) return false;
  const width = a.v === 4 ? 32 : 128;
  const len = bits === undefined ? width : Number(bits);
  if (!Number.isInteger(len) || len < 0 || len > width) return false;
  const shift = BigInt(width - len);
  return a.n >> shift === b.n >> shift;
}

/** Whether `text` is an IPv4/IPv6 address or CIDR. */
export function isCidrOrIp(text: string): boolean {
  const [net, bits] = text.split('/') as [string, string | undefined];
  const a = _parse(net);
  if (a === undefined) return false;
  if (bits === undefined) return true;
  const width = a.v === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= width;
}
