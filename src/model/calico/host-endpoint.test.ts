// HostEndpoint through validateResource and validateFragment (the public doors). Cases marked
// [calico] are replayed from libcalico-go validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFragment, validateResource } from '../validate-resource.js';
import { formatLine } from '../field/format.js';
import { kindByAlias } from '../kinds.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  /** `resource` for validateResource, otherwise a fragment name for validateFragment. */
  readonly via: string;
  readonly value: unknown;
  /** Expected errors as a set of (type, path); [] means valid. */
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const hep = (spec: unknown, metadata: unknown = { name: 'eth0.node01' }): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'HostEndpoint',
  metadata,
  spec,
});
const r = (name: string, spec: unknown, want: readonly Want[] = []): Case => ({ name, via: 'resource', value: hep(spec), want });
const f = (name: string, via: string, value: unknown, want: readonly Want[] = []): Case => ({ name, via, value, want });

const TCP_PORT = { name: 'a-valid-port', protocol: 'TCP', port: 1234 };

const cases: readonly Case[] = [
  // Valid [calico]
  r('accepts interface and node [calico]', { interfaceName: 'eth0', node: 'node01' }),
  r('accepts expected IPs only [calico]', { expectedIPs: ['1.2.3.4', 'aabb:aabb::ffff'], node: 'node01' }),
  r('accepts interface and expected IPs [calico]', { interfaceName: 'eth0', expectedIPs: ['1.2.3.4', 'aabb:aabb::ffff'], node: 'node01' }),
  r('accepts interfaceName * [calico]', { interfaceName: '*', node: 'node01' }),
  r('accepts a named port [calico]', { interfaceName: 'eth0', node: 'node01', ports: [TCP_PORT] }),
  r('accepts name-clashing ports with different protocols [calico]', {
    interfaceName: 'eth0',
    node: 'node01',
    ports: [TCP_PORT, { name: 'a-valid-port', protocol: 'UDP', port: 5456 }],
  }),
  r('accepts prefixed profile names [calico]', { interfaceName: 'eth0', node: 'node01', profiles: ['knp.default.fun', 'knp.default.funner.11234-a'] }),
  r('accepts a profile name without prefix [calico]', { interfaceName: 'eth0', node: 'node01', profiles: ['fun-funner1234'] }),
  r('accepts SCTP and port 65535', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'x1', protocol: 'SCTP', port: 65535 }] }),
  r('accepts protocol number 6 (TCP)', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'x1', protocol: 6, port: 80 }] }),
  r('accepts an IPv4-mapped IPv6 expected IP', { expectedIPs: ['::ffff:1.2.3.4'], node: 'n' }),

  // Required fields [calico]
  r('rejects an empty spec [calico]', {}, [e('Required', 'spec.node'), e('Required', 'spec.interfaceName')]),
  { name: 'rejects a missing spec', via: 'resource', value: { apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint', metadata: { name: 'h' } }, want: [e('Required', 'spec.node'), e('Required', 'spec.interfaceName')] },
  r('rejects a blank interface and no IPs [calico]', { interfaceName: '', expectedIPs: [], node: 'node01' }, [e('Required', 'spec.interfaceName')]),
  r('rejects a missing node [calico]', { interfaceName: 'eth0', ports: [TCP_PORT] }, [e('Required', 'spec.node')]),

  // Field rules
  r('rejects a profile name starting with a dot [calico]', { interfaceName: 'eth0', node: 'node01', profiles: ['.fun'] }, [e('Invalid', 'spec.profiles[0]')]),
  r('rejects an empty profile name', { interfaceName: 'eth0', node: 'n', profiles: ['ok', ''] }, [e('Invalid', 'spec.profiles[1]')]),
  r('rejects an interface name longer than 15', { interfaceName: 'interfaceTooLong', node: 'n' }, [e('Invalid', 'spec.interfaceName')]),
  r('rejects & in an interface name', { interfaceName: 'Invalid&Intface', node: 'n' }, [e('Invalid', 'spec.interfaceName')]),
  r('rejects : in an interface name', { interfaceName: 'eth0:1', node: 'n' }, [e('Invalid', 'spec.interfaceName')]),
  r('rejects a bad node name', { interfaceName: 'eth0', node: 'Node_1' }, [e('Invalid', 'spec.node')]),
  r('rejects an invalid expected IP', { expectedIPs: ['999.999.999.999'], node: 'n' }, [e('Invalid', 'spec.expectedIPs[0]')]),
  r('rejects a CIDR as expected IP', { expectedIPs: ['1.2.3.4', '10.0.0.0/8'], node: 'n' }, [e('Invalid', 'spec.expectedIPs[1]')]),
  r('rejects an unnamed port [calico]', { interfaceName: 'eth0', node: 'node01', ports: [{ protocol: 'TCP', port: 1234 }] }, [e('Required', 'spec.ports[0].name')]),
  r('rejects an upper-case port name', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'HTTP', protocol: 'TCP', port: 80 }] }, [e('Invalid', 'spec.ports[0].name')]),
  r('rejects a numeric port name', { interfaceName: 'eth0', node: 'n', ports: [{ name: '8080', protocol: 'TCP', port: 80 }] }, [e('Invalid', 'spec.ports[0].name')]),
  r('rejects a port name with consecutive hyphens', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'a--b', protocol: 'TCP', port: 80 }] }, [e('Invalid', 'spec.ports[0].name')]),
  r('rejects a port name longer than 15', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'abcdefghijklmnop', protocol: 'TCP', port: 80 }] }, [e('Invalid', 'spec.ports[0].name')]),
  r('rejects a port name ending in a hyphen', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web-', protocol: 'TCP', port: 80 }] }, [e('Invalid', 'spec.ports[0].name')]),
  r('rejects lower-case tcp', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', protocol: 'tcp', port: 80 }] }, [e('Invalid', 'spec.ports[0].protocol')]),
  r('rejects ICMP (no ports)', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', protocol: 'ICMP', port: 80 }] }, [e('Invalid', 'spec.ports[0].protocol')]),
  r('rejects a missing protocol', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', port: 80 }] }, [e('Required', 'spec.ports[0].protocol')]),
  r('rejects port 0', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', protocol: 'TCP', port: 0 }] }, [e('Invalid', 'spec.ports[0].port')]),
  r('rejects port 70000', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', protocol: 'UDP', port: 70000 }] }, [e('Invalid', 'spec.ports[0].port')]),
  r('rejects a missing port', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', protocol: 'UDP' }] }, [e('Required', 'spec.ports[0].port')]),
  r('collects every error', { interfaceName: 'bad&', node: 'Bad', expectedIPs: ['x'], ports: [{ protocol: 'tcp', port: 0 }] }, [
    e('Invalid', 'spec.interfaceName'),
    e('Invalid', 'spec.node'),
    e('Invalid', 'spec.expectedIPs[0]'),
    e('Required', 'spec.ports[0].name'),
    e('Invalid', 'spec.ports[0].protocol'),
    e('Invalid', 'spec.ports[0].port'),
  ]),

  // Strict decoding
  r('rejects an unknown spec field', { interfaceName: 'eth0', node: 'n', interface: 'eth0' }, [e('Unknown', 'spec.interface')]),
  r('rejects an unknown port field', { interfaceName: 'eth0', node: 'n', ports: [{ ...TCP_PORT, hostPort: 80 }] }, [e('Unknown', 'spec.ports[0].hostPort')]),
  r('rejects expectedIPs given as a string', { expectedIPs: '1.2.3.4', node: 'n' }, [e('TypeInvalid', 'spec.expectedIPs')]),
  r('rejects a non-integer port', { interfaceName: 'eth0', node: 'n', ports: [{ name: 'w', protocol: 'TCP', port: 80.5 }] }, [e('TypeInvalid', 'spec.ports[0].port')]),
  { name: 'rejects a namespace on a cluster-scoped kind', via: 'resource', value: hep({ interfaceName: 'eth0', node: 'n' }, { name: 'h', namespace: 'default' }), want: [e('Invalid', 'metadata.namespace')] },
  { name: 'rejects a missing name', via: 'resource', value: hep({ interfaceName: 'eth0', node: 'n' }, {}), want: [e('Required', 'metadata.name')] },

  // Fragments [calico]
  f('HostEndpointSpec: accepts a port [calico]', 'HostEndpointSpec', { interfaceName: 'eth0', node: 'node01', ports: [TCP_PORT] }),
  f('HostEndpointSpec: rejects no config [calico]', 'HostEndpointSpec', {}, [e('Required', 'node'), e('Required', 'interfaceName')]),
  f('HostEndpointSpec: rejects a missing node [calico]', 'HostEndpointSpec', { interfaceName: 'eth0', ports: [TCP_PORT] }, [e('Required', 'node')]),
  f('EndpointPort: accepts TCP', 'EndpointPort', TCP_PORT),
  f('EndpointPort: accepts UDP', 'EndpointPort', { ...TCP_PORT, protocol: 'UDP' }),
  f('EndpointPort: accepts SCTP', 'EndpointPort', { ...TCP_PORT, protocol: 'SCTP' }),
  f('EndpointPort: rejects an empty name', 'EndpointPort', { ...TCP_PORT, name: '' }, [e('Required', 'name')]),
  f('EndpointPort: rejects the Go zero protocol', 'EndpointPort', { ...TCP_PORT, protocol: 0 }, [e('Invalid', 'protocol')]),
  f('EndpointPort: rejects numeric protocol 123', 'EndpointPort', { ...TCP_PORT, protocol: 123 }, [e('Invalid', 'protocol')]),
  f('EndpointPort: rejects protocol 256', 'EndpointPort', { ...TCP_PORT, protocol: '256' }, [e('Invalid', 'protocol')]),
];

for (const c of cases) {
  void test(`HostEndpoint: ${c.name}`, () => {
    const got = c.via === 'resource' ? validateResource(c.value) : validateFragment(c.via, c.value);
    assert.deepEqual(uniq(got), uniq(c.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

void test('HostEndpoint: renders errors in the Kubernetes voice', () => {
  const got = validateResource(hep({ interfaceName: 'eth0', node: 'n', ports: [{ name: 'web', protocol: 'TCP', port: 70000 }] }));
  assert.deepEqual(got.map(formatLine), ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive']);
});

void test('HostEndpoint: calicoctl aliases resolve', () => {
  for (const alias of ['hostendpoint', 'hostendpoints', 'hep', 'heps', 'HostEndpoint']) {
    assert.equal(kindByAlias(alias, 'projectcalico.org')?.kind, 'HostEndpoint', alias);
  }
});
