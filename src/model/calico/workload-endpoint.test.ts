// WorkloadEndpoint, WorkloadEndpointPort and IPNAT through validateResource and validateFragment.
// Cases marked [calico] are replayed from libcalico-go validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateFragment, validateResource } from '../validate-resource.js';
import { kindByAlias } from '../kinds.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly via: string;
  readonly value: unknown;
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const IPV4_1 = '1.2.3.4';
const IPV4_2 = '100.200.0.0';
const IPV6_1 = 'aabb:aabb::ffff';
const IPV6_2 = 'aabb::abcd';
const NETV4_1 = '1.2.3.4/32';
const NETV4_2 = '1.2.0.0/32';
const NETV4_3 = '1.2.3.0/26';
const NETV6_1 = 'aabb:aabb::ffff/128';
const NETV6_2 = 'aabb:aabb::/128';
const NETV6_3 = 'aabb:aabb::0000/122';
const IFACE = 'cali012371237';
const TCP_PORT = { name: 'a-valid-port', protocol: 'TCP', port: 1234 };
const K8S_IDS = { node: 'node1', orchestrator: 'k8s', pod: 'pod-1', endpoint: 'eth0' };
const K8S_IDS_IFACE = { ...K8S_IDS, interfaceName: IFACE };

const spec = (name: string, value: unknown, want: readonly Want[] = []): Case => ({ name, via: 'WorkloadEndpointSpec', value, want });
const port = (name: string, value: unknown, want: readonly Want[] = []): Case => ({ name, via: 'WorkloadEndpointPort', value, want });
const nat = (name: string, value: unknown, want: readonly Want[] = []): Case => ({ name, via: 'IPNAT', value, want });
const wep = (s: unknown, metadata: unknown = { name: 'node1-k8s-pod--1-eth0', namespace: 'default' }): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'WorkloadEndpoint',
  metadata,
  spec: s,
});

const cases: readonly Case[] = [
  // WorkloadEndpointPort [calico]
  port('accepts tcp [calico]', TCP_PORT),
  port('accepts udp [calico]', { ...TCP_PORT, protocol: 'UDP' }),
  port('accepts sctp [calico]', { ...TCP_PORT, protocol: 'SCTP' }),
  port('rejects an empty name [calico]', { ...TCP_PORT, name: '', protocol: 'UDP' }, [e('Required', 'name')]),
  port('accepts an empty name with a hostPort [calico]', { name: '', protocol: 'UDP', port: 1234, hostPort: 2345 }),
  port('rejects the Go zero protocol [calico]', { name: 'a-valid-port', protocol: 0, port: 1234 }, [e('Invalid', 'protocol')]),
  port('rejects a missing protocol', { name: 'a-valid-port', port: 1234 }, [e('Required', 'protocol')]),
  port('rejects numeric protocol 123 [calico]', { ...TCP_PORT, protocol: 123 }, [e('Invalid', 'protocol')]),
  port('rejects the Go zero port [calico]', { name: 'a-valid-port', protocol: 'TCP', port: 0 }, [e('Invalid', 'port')]),
  port('accepts Go zero values of the optional fields', { ...TCP_PORT, hostPort: 0, hostIP: '' }),
  port('rejects a hostPort above 65535', { ...TCP_PORT, hostPort: 65536 }, [e('Invalid', 'hostPort')]),
  port('rejects an invalid port name', { ...TCP_PORT, name: 'Web_Port' }, [e('Invalid', 'name')]),

  // WorkloadEndpointSpec ports [calico]
  spec('accepts a named port (m) [calico]', { interfaceName: 'eth0', ports: [TCP_PORT] }),
  spec('rejects an unnamed port without host mapping (m) [calico]', { interfaceName: 'eth0', ports: [{ protocol: 'TCP', port: 1234 }] }, [e('Required', 'ports[0].name')]),
  spec('accepts name-clashing ports (m) [calico]', { interfaceName: 'eth0', ports: [TCP_PORT, { name: 'a-valid-port', protocol: 'UDP', port: 5456 }] }),
  spec('accepts an unnamed port with a host port (m) [calico]', { interfaceName: 'eth0', ports: [{ protocol: 'TCP', port: 1234, hostPort: 2345 }] }),
  spec(
    'rejects a port with an invalid host IP (m) [calico]',
    { interfaceName: 'eth0', ports: [{ protocol: 'TCP', port: 1234, hostPort: 2345, hostIP: '999.999.999.999' }] },
    [e('Invalid', 'ports[0].hostIP')],
  ),
  spec('rejects an unmasked host IP network', { interfaceName: 'eth0', ports: [{ protocol: 'TCP', port: 1, hostPort: 2, hostIP: '10.0.0.1/8' }] }, [e('Invalid', 'ports[0].hostIP')]),
  spec('rejects an invalid source spoofing prefix (m) [calico]', { interfaceName: 'eth0', allowSpoofedSourcePrefixes: ['10.abcd'] }, [e('Invalid', 'allowSpoofedSourcePrefixes[0]')]),
  spec('accepts an IP or prefix for source spoofing (m) [calico]', { interfaceName: 'eth0', allowSpoofedSourcePrefixes: ['10.0.0.1', '192.168.0.0/16'] }),

  // Interface names [calico]
  spec('accepts a valid interface [calico]', { interfaceName: 'Valid_Iface.0-9' }),
  spec('rejects an interface that is too long [calico]', { interfaceName: 'interfaceTooLong' }, [e('Invalid', 'interfaceName')]),
  spec('rejects & in an interface [calico]', { interfaceName: 'Invalid&Intface' }, [e('Invalid', 'interfaceName')]),
  spec('rejects # in an interface [calico]', { interfaceName: 'Invalid#Intface' }, [e('Invalid', 'interfaceName')]),
  spec('rejects : in an interface [calico]', { interfaceName: 'Invalid:Intface' }, [e('Invalid', 'interfaceName')]),

  // IPNAT [calico]
  nat('accepts IPv4 [calico]', { internalIP: IPV4_1, externalIP: IPV4_2 }),
  nat('accepts IPv6 [calico]', { internalIP: IPV6_1, externalIP: IPV6_2 }),
  nat('rejects IPv4 internal with IPv6 external [calico]', { internalIP: IPV4_1, externalIP: IPV6_1 }, [e('Invalid', 'externalIP')]),
  nat('rejects IPv6 internal with IPv4 external [calico]', { internalIP: IPV6_1, externalIP: IPV4_1 }, [e('Invalid', 'externalIP')]),
  nat('rejects a CIDR internal IP', { internalIP: NETV4_1, externalIP: IPV4_2 }, [e('Invalid', 'internalIP')]),
  nat('rejects a missing external IP', { internalIP: IPV4_1 }, [e('Required', 'externalIP')]),
  nat('rejects an empty mapping', {}, [e('Required', 'internalIP'), e('Required', 'externalIP')]),
  nat('accepts an OpenStack source', { internalIP: IPV4_1, externalIP: IPV4_2, source: 'openstack' }),

  // WorkloadEndpointSpec networks and NATs [calico]
  spec('accepts an interface only [calico]', { interfaceName: IFACE }),
  spec('accepts networks and no NATs [calico]', { interfaceName: IFACE, ipNetworks: [NETV4_1, NETV4_2, NETV6_1, NETV6_2] }),
  spec('accepts an IPv4 NAT covered by a network [calico]', { interfaceName: IFACE, ipNetworks: [NETV4_1], ipNATs: [{ internalIP: IPV4_1, externalIP: IPV4_2 }] }),
  spec('accepts an IPv6 NAT covered by a network [calico]', { interfaceName: IFACE, ipNetworks: [NETV6_1], ipNATs: [{ internalIP: IPV6_1, externalIP: IPV6_2 }] }),
  spec('accepts IPv4 and IPv6 NATs covered by networks [calico]', {
    interfaceName: IFACE,
    ipNetworks: [NETV4_1, NETV6_1],
    ipNATs: [
      { internalIP: IPV4_1, externalIP: IPV4_2 },
      { internalIP: IPV6_1, externalIP: IPV6_2 },
    ],
  }),
  spec('accepts a mixed-case container ID [calico]', { interfaceName: IFACE, containerID: 'Cath01234-G' }),
  spec('accepts bare IPs as networks', { interfaceName: IFACE, ipNetworks: ['10.0.0.1', 'fd00::1'] }),
  spec('rejects no config [calico]', {}, [e('Required', 'interfaceName')]),
  spec('rejects an IPv4 network with more than one address [calico]', { interfaceName: IFACE, ipNetworks: [NETV4_3] }, [e('Invalid', 'ipNetworks[0]')]),
  spec('rejects an IPv6 network with more than one address [calico]', { interfaceName: IFACE, ipNetworks: [NETV6_3] }, [e('Invalid', 'ipNetworks[0]')]),
  spec('rejects a malformed network', { interfaceName: IFACE, ipNetworks: ['10.0.0.300'] }, [e('Invalid', 'ipNetworks[0]')]),
  spec('rejects NATs and no networks [calico]', { interfaceName: IFACE, ipNATs: [{ internalIP: IPV4_2, externalIP: IPV4_1 }] }, [e('Invalid', 'ipNATs[0].internalIP')]),
  spec('rejects an IPv4 NAT not covered by a network [calico]', { interfaceName: IFACE, ipNetworks: [NETV4_1], ipNATs: [{ internalIP: IPV4_2, externalIP: IPV4_1 }] }, [e('Invalid', 'ipNATs[0].internalIP')]),
  spec('rejects an IPv6 NAT not covered by a network [calico]', { interfaceName: IFACE, ipNetworks: [NETV6_1], ipNATs: [{ internalIP: IPV6_2, externalIP: IPV6_1 }] }, [e('Invalid', 'ipNATs[0].internalIP')]),
  spec('rejects a NAT of mixed families inside a spec', { interfaceName: IFACE, ipNetworks: [NETV4_1], ipNATs: [{ internalIP: IPV4_1, externalIP: IPV6_1 }] }, [e('Invalid', 'ipNATs[0].externalIP')]),
  spec('rejects a container ID starting with a dash [calico]', { interfaceName: 'cali0134', containerID: '-abcdefg' }, [e('Invalid', 'containerID')]),
  spec('rejects a container ID ending with a dash [calico]', { interfaceName: 'cali0134', containerID: 'abcdeSg-' }, [e('Invalid', 'containerID')]),
  spec('rejects a container ID with a period [calico]', { interfaceName: 'cali0134', containerID: 'abcde-j.g' }, [e('Invalid', 'containerID')]),

  // Gateways, names, MAC, QoS
  spec('accepts gateways of the right family', { interfaceName: IFACE, ipv4Gateway: '169.254.1.1', ipv6Gateway: 'fe80::1' }),
  spec('rejects an IPv6 ipv4Gateway', { interfaceName: IFACE, ipv4Gateway: 'fe80::1' }, [e('Invalid', 'ipv4Gateway')]),
  spec('rejects an IPv4 ipv6Gateway', { interfaceName: IFACE, ipv6Gateway: '169.254.1.1' }, [e('Invalid', 'ipv6Gateway')]),
  spec('rejects a malformed gateway', { interfaceName: IFACE, ipv4Gateway: '169.254.1' }, [e('Invalid', 'ipv4Gateway')]),
  spec('accepts names, profiles and a MAC', {
    interfaceName: IFACE,
    orchestrator: 'k8s',
    workload: 'default.pod-1',
    node: 'node1',
    pod: 'pod-1',
    endpoint: 'eth0',
    serviceAccountName: 'default',
    profiles: ['kns.default', 'ksa.default.default'],
    mac: 'ee:ee:ee:ee:ee:ee',
  }),
  spec('rejects a bad node name', { interfaceName: IFACE, node: 'Node_1' }, [e('Invalid', 'node')]),
  spec('rejects a bad profile name', { interfaceName: IFACE, profiles: ['kns.default', 'Bad Profile'] }, [e('Invalid', 'profiles[1]')]),
  spec('rejects a bad MAC', { interfaceName: IFACE, mac: 'ee:ee:ee' }, [e('Invalid', 'mac')]),
  spec('accepts QoS controls in range', { interfaceName: IFACE, qosControls: { ingressBandwidth: 1000000, ingressBurst: 0, egressPacketRate: 100, dscp: 'AF11' } }),
  spec('rejects a bandwidth below 1k', { interfaceName: IFACE, qosControls: { ingressBandwidth: 500 } }, [e('Invalid', 'qosControls.ingressBandwidth')]),
  spec('rejects a DSCP above 63', { interfaceName: IFACE, qosControls: { dscp: 64 } }, [e('Invalid', 'qosControls.dscp')]),
  spec('rejects a minburst without a peakrate', { interfaceName: IFACE, qosControls: { egressMinburst: 1500 } }, [e('Invalid', 'qosControls.egressMinburst')]),
  spec('rejects an unknown spec field', { interfaceName: IFACE, ipNetwork: [NETV4_1] }, [e('Unknown', 'ipNetwork')]),

  // Resources: the name is built from the identifiers (clientv3 assignOrValidateName)
  { name: 'accepts a k8s endpoint named from its identifiers', via: 'resource', value: wep({ ...K8S_IDS, interfaceName: IFACE, ipNetworks: [NETV4_1] }), want: [] },
  { name: 'accepts a missing name (computed)', via: 'resource', value: wep(K8S_IDS_IFACE, { namespace: 'default' }), want: [] },
  { name: 'rejects a name that does not match the identifiers', via: 'resource', value: wep(K8S_IDS_IFACE, { name: 'node1-k8s-pod-1-eth0', namespace: 'default' }), want: [e('Invalid', 'metadata.name')] },
  {
    name: 'rejects missing identifiers',
    via: 'resource',
    value: wep({ node: 'node1', orchestrator: 'k8s', interfaceName: IFACE }, { name: 'x', namespace: 'default' }),
    want: [e('Required', 'spec.pod'), e('Required', 'spec.endpoint')],
  },
  { name: 'rejects a missing node and name', via: 'resource', value: wep({ interfaceName: IFACE }, { namespace: 'default' }), want: [e('Required', 'spec.node'), e('Required', 'metadata.name')] },
  {
    name: 'names cni endpoints by container ID',
    via: 'resource',
    value: wep({ node: 'n1', orchestrator: 'cni', containerID: 'abc-123', endpoint: 'eth0', interfaceName: IFACE }, { name: 'n1-cni-abc--123-eth0', namespace: 'default' }),
    want: [],
  },
  {
    name: 'names libnetwork endpoints',
    via: 'resource',
    value: wep({ node: 'n1', orchestrator: 'libnetwork', endpoint: 'ep1', interfaceName: IFACE }, { name: 'n1-libnetwork-libnetwork-ep1', namespace: 'default' }),
    want: [],
  },
  {
    name: 'names other orchestrators by workload',
    via: 'resource',
    value: wep({ node: 'n1', orchestrator: 'openstack', workload: 'vm-1', endpoint: 'tap1', interfaceName: 'tap1' }, { name: 'n1-openstack-vm--1-tap1', namespace: 'default' }),
    want: [],
  },
  { name: 'reports resource paths', via: 'resource', value: wep({ ...K8S_IDS_IFACE, ipNetworks: [NETV4_3] }), want: [e('Invalid', 'spec.ipNetworks[0]')] },
  { name: 'rejects a missing interface on the resource', via: 'resource', value: wep(K8S_IDS), want: [e('Required', 'spec.interfaceName')] },
];

for (const c of cases) {
  void test(`WorkloadEndpoint: ${c.via === 'resource' ? '' : `${c.via}: `}${c.name}`, () => {
    const got = c.via === 'resource' ? validateResource(c.value) : validateFragment(c.via, c.value);
    assert.deepEqual(uniq(got), uniq(c.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

void test('WorkloadEndpoint: calicoctl aliases resolve', () => {
  for (const alias of ['workloadendpoint', 'workloadendpoints', 'wep', 'weps']) {
    const k = kindByAlias(alias, 'projectcalico.org');
    assert.equal(k?.kind, 'WorkloadEndpoint', alias);
    assert.equal(k?.namespaced, true);
  }
});

void test('WorkloadEndpoint: defaulting names the endpoint and sets the namespace and orchestrator labels', () => {
  const raw = wep(K8S_IDS_IFACE, { namespace: 'prod', labels: { app: 'web', [`projectcalico.org/namespace`]: 'spoofed' } });
  const r = decodeResource(raw);
  assert.ok(r.ok, r.ok ? '' : r.error.map((x) => x.message).join('\n'));
  assert.deepEqual(r.value.resource.metadata, {
    name: 'node1-k8s-pod--1-eth0',
    namespace: 'prod',
    labels: { app: 'web', 'projectcalico.org/namespace': 'prod', 'projectcalico.org/orchestrator': 'k8s' },
  });
  assert.equal((raw as { metadata: { name?: string } }).metadata.name, undefined, 'input unchanged');
});
