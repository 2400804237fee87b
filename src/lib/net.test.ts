import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, formatIp, isMasked, networkOf, parseCidr, parseCidrOrIp, parseIp } from './net.js';

const ips: [string, string | undefined][] = [
  ['10.0.0.1', '10.0.0.1'],
  ['255.255.255.255', '255.255.255.255'],
  ['256.0.0.1', undefined],
  ['01.2.3.4', undefined],
  ['1.2.3', undefined],
  ['::', '::'],
  ['::1', '::1'],
  ['fd00::1:0:0:5', 'fd00::1:0:0:5'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['::ffff:1.2.3.4', '::ffff:102:304'],
  ['1::2::3', undefined],
  ['fe80::1%eth0', undefined],
  ['abcde::', undefined],
];
for (const [input, want] of ips) {
  test(`parseIp ${input}`, () => {
    const ip = parseIp(input);
    assert.equal(ip ? formatIp(ip) : undefined, want);
  });
}

const cidrs: [string, string | undefined, boolean | undefined][] = [
  ['10.0.0.0/8', '10.0.0.0/8', true],
  ['10.0.0.1/8', '10.0.0.1/8', false],
  ['0.0.0.0/0', '0.0.0.0/0', true],
  ['1.2.3.4/33', undefined, undefined],
  ['1.2.3.4/', undefined, undefined],
  ['fd00::/8', 'fd00::/8', true],
  ['fd00::1/64', 'fd00::1/64', false],
  ['::/0', '::/0', true],
];
for (const [input, want, masked] of cidrs) {
  test(`parseCidr ${input}`, () => {
    const c = parseCidr(input);
    assert.equal(c ? formatCidr(c) : undefined, want);
    if (c) assert.equal(isMasked(c), masked);
  });
}

test('networkOf clears host bits', () => {
  assert.equal(formatCidr(networkOf(parseCidr('10.0.0.1/24')!)), '10.0.0.0/24');
  assert.equal(formatCidr(networkOf(parseCidr('fd00::ff/120')!)), 'fd00::/120');
});

test('parseCidrOrIp takes a bare IP as a host route', () => {
  assert.equal(formatCidr(parseCidrOrIp('1.2.3.4')!), '1.2.3.4/32');
  assert.equal(formatCidr(parseCidrOrIp('::1')!), '::1/128');
});
