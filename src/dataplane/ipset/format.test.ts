import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IpFamily, IpSetType } from '../model.js';
import { canonicalMember, createLine, tempSetName } from './format.js';

// Each `want` is what `ipset save` printed for the input on ipset 7.17 (see the real-kernel test).
const cases: { type: IpSetType; family: IpFamily; in: string; want: string }[] = [
  { type: 'hash:net', family: 4, in: '10.0.0.1/32', want: '10.0.0.1' },
  { type: 'hash:net', family: 4, in: '10.0.0.1', want: '10.0.0.1' },
  { type: 'hash:net', family: 4, in: '10.1.2.3/16', want: '10.1.0.0/16' },
  { type: 'hash:net', family: 4, in: '10.2.0.0/24', want: '10.2.0.0/24' },
  { type: 'hash:net', family: 6, in: '2001:DB8:0:0::1/128', want: '2001:db8::1' },
  { type: 'hash:net', family: 6, in: '2001:db8::ff/64', want: '2001:db8::/64' },
  { type: 'hash:ip', family: 4, in: '10.9.9.9/32', want: '10.9.9.9' },
  { type: 'hash:ip', family: 6, in: 'fd00:0::1', want: 'fd00::1' },
  { type: 'hash:ip,port', family: 4, in: '10.0.0.1,80', want: '10.0.0.1,tcp:80' },
  { type: 'hash:ip,port', family: 4, in: '10.0.0.2,udp:53', want: '10.0.0.2,udp:53' },
  { type: 'hash:ip,port', family: 6, in: '2001:db8:0::1,tcp:8080', want: '2001:db8::1,tcp:8080' },
  { type: 'hash:net,port', family: 4, in: '10.0.0.0/24,80', want: '10.0.0.0/24,tcp:80' },
  { type: 'hash:net,port', family: 4, in: '10.0.0.1/32,udp:53', want: '10.0.0.1,udp:53' },
  { type: 'hash:net', family: 4, in: 'garbage', want: 'garbage' },
  { type: 'hash:net', family: 4, in: 'fd00::1', want: 'fd00::1' },
];
for (const c of cases) test(`canonicalMember ${c.type} v${c.family} ${c.in}`, () => assert.equal(canonicalMember(c.type, c.family, c.in), c.want));

test('create lines and temp names', () => {
  assert.equal(createLine({ name: 'cali40s:abc', type: 'hash:net', family: 4 }), 'create cali40s:abc hash:net family inet maxelem 1048576');
  assert.equal(createLine({ name: 'cali60x', type: 'hash:ip,port', family: 6 }, 10), 'create cali60x hash:ip,port family inet6 maxelem 10');
  assert.equal(tempSetName(4, 0), 'cali4t0');
  assert.equal(tempSetName(6, 3), 'cali6t3');
  assert.throws(() => createLine({ name: 'a b', type: 'hash:net', family: 4 }), /invalid .* for ipset: "a b"/);
});
