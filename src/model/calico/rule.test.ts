// Rule, EntityRule and their parts, through validateFragment (the public door). Cases marked
// [calico] are replayed from libcalico-go validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFragment } from '../validate-resource.js';
import { FieldPath } from '../field/path.js';
import { parsePort, protocolSupportsPorts, validateRule } from './rule.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly fragment: string;
  readonly value: unknown;
  /** Expected errors as a set of (type, path); [] means valid. */
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const key = (w: Want): string => `${w.type} ${w.path}`;
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map(key))].sort();

const rule = (value: unknown, want: readonly Want[], name: string): Case => ({ name, fragment: 'Rule', value, want });
const V4_1 = '1.2.3.4/32';
const V4_2 = '1.2.0.0/32';
const V4_3 = '1.2.3.0/26';
const V4_4 = '1.0.0.0/10';
const V6_1 = 'aabb:aabb::ffff/128';
const V6_2 = 'aabb:aabb::/128';
const V6_3 = 'aabb:aabb::0000/122';

const cases: readonly Case[] = [
  // Actions [calico]
  rule({ action: 'Allow' }, [], 'accepts allow action'),
  rule({ action: 'Deny' }, [], 'accepts deny action'),
  rule({ action: 'Log' }, [], 'accepts log action'),
  rule({ action: 'Pass' }, [], 'accepts pass action'),
  rule({ action: 'unknown' }, [e('NotSupported', 'action')], 'rejects unknown action'),
  rule({ action: 'allowfoo' }, [e('NotSupported', 'action')], 'rejects allowfoo action'),
  rule({ action: 'allow' }, [e('NotSupported', 'action')], 'rejects lower-case action (case-sensitive)'),
  rule({}, [e('Required', 'action')], 'rejects rule with no action'),

  // IP version [calico]
  rule({ action: 'Allow', ipVersion: 4 }, [], 'accepts IP version 4'),
  rule({ action: 'Allow', ipVersion: 6 }, [], 'accepts IP version 6'),
  rule({ action: 'Allow', ipVersion: 0 }, [e('NotSupported', 'ipVersion')], 'rejects IP version 0'),

  // Ports and protocols [calico]
  rule({ action: 'Allow', protocol: 'SCTP' }, [], 'accepts protocol SCTP and no other config'),
  rule({ action: 'Allow', protocol: 6, source: { ports: [1] } }, [], 'accepts source ports with protocol 6'),
  rule({ action: 'Allow', protocol: 6, source: { ports: ['foo'] } }, [], 'accepts source named ports with protocol 6'),
  rule({ action: 'Allow', protocol: 'TCP', source: { ports: ['foo'] } }, [], 'accepts source named ports with TCP'),
  rule({ action: 'Allow', protocol: 'UDP', source: { ports: ['foo'] } }, [], 'accepts source named ports with UDP'),
  rule({ action: 'Allow', protocol: 7, source: { ports: [] } }, [], 'accepts empty source ports with protocol 7'),
  rule({ action: 'Allow', protocol: 17, source: { notPorts: [1] } }, [], 'accepts source notPorts with protocol 17'),
  rule({ action: 'Allow', protocol: 100, source: { notPorts: [] } }, [], 'accepts empty source notPorts with protocol 100'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: [1] } }, [], 'accepts dest ports with TCP'),
  rule({ action: 'Allow', destination: { ports: [1] } }, [e('Invalid', 'destination.ports')], 'rejects dest ports with no protocol'),
  rule(
    { action: 'Allow', protocol: 'TCP', destination: { notPorts: [0] } },
    [e('Invalid', 'destination.notPorts[0]')],
    'rejects port 0',
  ),
  rule(
    { action: 'Allow', protocol: 'unknown', destination: { notPorts: ['foo'] } },
    [e('Invalid', 'protocol'), e('Invalid', 'destination.notPorts')],
    'rejects named port with an invalid protocol',
  ),
  rule({ action: 'Allow', protocol: 'SCTP', destination: { ports: [] } }, [], 'accepts empty dest ports with SCTP'),
  rule(
    { action: 'Allow', ipVersion: 6, protocol: 'ICMPv6', destination: { notPorts: [] } },
    [],
    'accepts empty dest notPorts with ICMPv6',
  ),
  rule({ action: 'Allow', protocol: 7, source: { ports: [1] } }, [e('Invalid', 'source.ports')], 'rejects source ports with protocol 7'),
  rule(
    { action: 'Allow', protocol: 100, source: { notPorts: [1] } },
    [e('Invalid', 'source.notPorts')],
    'rejects source notPorts with protocol 100',
  ),
  rule({ action: 'Allow', protocol: 'SCTP', destination: { ports: [1] } }, [], 'accepts dest ports with SCTP'),
  rule(
    { action: 'Allow', ipVersion: 4, protocol: 'ICMP', destination: { notPorts: [1] } },
    [e('Invalid', 'destination.notPorts')],
    'rejects dest notPorts with ICMP',
  ),
  rule({ action: 'Allow', protocol: 'TCP', source: { ports: ['200:100'] } }, [e('Invalid', 'source.ports[0]')], 'rejects reversed source range'),
  rule({ action: 'Allow', protocol: 'TCP', source: { notPorts: ['200:100'] } }, [e('Invalid', 'source.notPorts[0]')], 'rejects reversed source notPorts range'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['200:100'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects reversed dest range'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { notPorts: ['200:100'] } }, [e('Invalid', 'destination.notPorts[0]')], 'rejects reversed dest notPorts range'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { notPorts: ['0:100'] } }, [e('Invalid', 'destination.notPorts[0]')], 'rejects a range starting at 0'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['8080:8090', 65535] } }, [], 'accepts a range and 65535'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: [65536] } }, [e('Invalid', 'destination.ports[0]')], 'rejects port 65536'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['1:65536'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects range end 65536'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['80'] } }, [], 'accepts a numeric string port'),
  rule({ action: 'Allow', protocol: '6', destination: { ports: [80] } }, [], 'accepts a numeric string protocol with ports'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['http-alt'] } }, [], 'accepts a named port'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['Http'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects an upper-case named port'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['a_b'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects an underscore in a named port'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['abcdefghijklmnop'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects a 16-character named port'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['a--b'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects consecutive hyphens in a named port'),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['80:'] } }, [e('Invalid', 'destination.ports[0]')], 'rejects a malformed range'),
  rule({ action: 'Allow', destination: { ports: ['http'] } }, [e('Invalid', 'destination.ports')], 'v3.31.7: a named port also needs a protocol'),
  rule(
    { action: 'Allow', protocol: 'TCP', destination: { ports: Array.from({ length: 51 }, (_, i) => i + 1) } },
    [e('TooMany', 'destination.ports')],
    'rejects more than 50 ports',
  ),
  rule({ action: 'Allow', protocol: 'TCP', destination: { ports: [true] } }, [e('TypeInvalid', 'destination.ports[0]')], 'rejects a boolean port'),
  rule({ action: 'Allow', protocol: true }, [e('TypeInvalid', 'protocol')], 'rejects a boolean protocol'),

  // ICMP [calico]
  rule({ action: 'Allow', ipVersion: 4, icmp: { type: 0 } }, [e('Invalid', 'icmp')], 'rejects icmp fields with no protocol'),
  rule({ action: 'Allow', protocol: 'ICMP', icmp: { type: 0 } }, [], 'accepts icmp fields with no ipVersion'),
  rule({ action: 'Allow', protocol: 'ICMPv6', icmp: { type: 0 } }, [], 'accepts icmpv6 fields with no ipVersion'),
  rule({ action: 'Allow', protocol: 'ICMP', ipVersion: 6 }, [e('Invalid', 'ipVersion')], 'rejects ICMP with ipVersion 6'),
  rule({ action: 'Allow', protocol: 'ICMPv6', ipVersion: 4 }, [e('Invalid', 'ipVersion')], 'rejects ICMPv6 with ipVersion 4'),
  rule({ action: 'Allow', ipVersion: 4, protocol: 'ICMP', icmp: { type: 0 } }, [], 'accepts ICMP with ipVersion 4'),
  rule({ action: 'Allow', ipVersion: 6, protocol: 'ICMPv6', icmp: { type: 0 } }, [], 'accepts ICMPv6 with ipVersion 6'),
  rule({ action: 'Allow', notProtocol: 'ICMP', ipVersion: 6 }, [e('Invalid', 'ipVersion')], 'rejects notProtocol ICMP with ipVersion 6'),
  rule({ action: 'Allow', notProtocol: 'ICMPv6', ipVersion: 4 }, [e('Invalid', 'ipVersion')], 'rejects notProtocol ICMPv6 with ipVersion 4'),
  rule({ action: 'Allow', protocol: 'TCP', icmp: { type: 8 } }, [e('Invalid', 'icmp')], 'rejects icmp fields with TCP'),
  rule({ action: 'Allow', protocol: 1, icmp: { type: 8, code: 0 } }, [], 'accepts icmp fields with protocol 1'),
  rule({ action: 'Allow', protocol: 58, ipVersion: 4 }, [e('Invalid', 'ipVersion')], 'rejects protocol 58 with ipVersion 4'),
  rule({ action: 'Allow', protocol: 'ICMP', icmp: { code: 0 } }, [e('Invalid', 'icmp.code')], 'rejects icmp code without type'),
  rule({ action: 'Allow', protocol: 'ICMP', notICMP: { type: 255 } }, [e('Invalid', 'notICMP.type')], 'rejects notICMP type 255'),

  // Nets [calico]
  rule(
    { action: 'Allow', protocol: 'TCP', source: { nets: [V4_3] }, destination: { nets: [V6_3] } },
    [e('Invalid', 'destination.nets')],
    'rejects IPv4 source and IPv6 destination',
  ),
  rule(
    { action: 'Allow', protocol: 'TCP', source: { nets: [V6_2] }, destination: { nets: [V4_2] } },
    [e('Invalid', 'destination.nets')],
    'rejects IPv6 source and IPv4 destination',
  ),
  rule(
    { action: 'Allow', protocol: 'TCP', ipVersion: 6, source: { nets: [V4_4] }, destination: { nets: [V4_2] } },
    [e('Invalid', 'source.nets'), e('Invalid', 'destination.nets')],
    'rejects ipVersion 6 with IPv4 nets',
  ),
  rule(
    { action: 'Allow', protocol: 'TCP', ipVersion: 6, source: { nets: [V4_1] } },
    [e('Invalid', 'source.nets')],
    'rejects ipVersion 6 with an IPv4 source net',
  ),
  rule(
    { action: 'Allow', protocol: 'TCP', ipVersion: 4, destination: { nets: [V6_1] } },
    [e('Invalid', 'destination.nets')],
    'rejects ipVersion 4 with an IPv6 destination net',
  ),
  rule(
    { action: 'Allow', protocol: 'TCP', ipVersion: 6, source: { nets: [V4_4] }, destination: { notNets: [V4_2] } },
    [e('Invalid', 'source.nets'), e('Invalid', 'destination.notNets')],
    'rejects ipVersion 6 with IPv4 nets and notNets',
  ),
  rule({ action: 'Allow', source: { nets: ['10.0.0.0/8', '192.168.0.0/16'] } }, [], 'accepts several IPv4 nets'),
  rule({ action: 'Allow', ipVersion: 6, source: { nets: ['fd00::/8'] } }, [], 'accepts an IPv6 net with ipVersion 6'),
  rule({ action: 'Allow', source: { nets: ['10.0.0.0/8', 'fd00::/8'] } }, [e('Invalid', 'source.nets')], 'rejects mixed families in one list'),
  rule({ action: 'Allow', source: { nets: ['1.2.3.4/24'] } }, [e('Invalid', 'source.nets[0]')], 'rejects a net with host bits set'),
  rule({ action: 'Allow', source: { nets: ['10.0.0.1'] } }, [e('Invalid', 'source.nets[0]')], 'rejects a bare IP in a rule (Calico parses rule nets as CIDRs)'),
  rule({ action: 'Allow', source: { nets: ['garbage'] } }, [e('Invalid', 'source.nets[0]')], 'rejects a garbage net'),
  rule({ action: 'Allow', source: { nets: ['10.0.0.0/33'] } }, [e('Invalid', 'source.nets[0]')], 'rejects prefix 33'),
  rule({ action: 'Allow', destination: { notNets: ['0.0.0.0/0'] } }, [e('Invalid', 'destination.notNets[0]')], 'rejects notNets 0.0.0.0/0'),
  rule({ action: 'Allow', source: { notNets: ['::/0'] } }, [e('Invalid', 'source.notNets[0]')], 'rejects notNets ::/0'),
  rule({ action: 'Allow', source: { nets: ['0.0.0.0/0'] } }, [], 'accepts nets 0.0.0.0/0'),
  rule(
    { action: 'Allow', source: { nets: Array.from({ length: 257 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) } },
    [e('TooMany', 'source.nets')],
    'rejects more than 256 nets',
  ),

  // HTTP [calico]
  rule({ action: 'Allow', http: { methods: ['GET'] } }, [], 'accepts an Allow rule with HTTP'),
  rule({ action: 'Deny', http: { methods: ['GET'] } }, [e('Forbidden', 'http')], 'rejects a Deny rule with HTTP'),
  rule({ action: 'Allow', protocol: 'UDP', http: { methods: ['GET'] } }, [e('Invalid', 'protocol')], 'rejects HTTP with UDP'),
  rule({ action: 'Allow', protocol: 'TCP', http: { methods: ['GET'] } }, [], 'accepts HTTP with TCP'),
  rule({ action: 'Allow', http: { methods: ['GET'] } }, [], 'accepts HTTP with no protocol'),

  // Rule metadata [calico]
  rule({ action: 'Allow', metadata: { annotations: { foo: 'bar' } } }, [], 'accepts valid rule annotations'),
  rule({ action: 'Allow', metadata: { annotations: { '...': 'bar' } } }, [e('Invalid', 'metadata.annotations')], 'rejects invalid rule annotations'),

  // Services in a bare rule
  rule(
    { action: 'Allow', protocol: 'TCP', destination: { services: { name: 's', namespace: 'ns' }, ports: [80] } },
    [e('Forbidden', 'destination.ports')],
    'rejects destination services with ports',
  ),
  rule(
    { action: 'Allow', destination: { services: { name: 's' }, notPorts: [80] } },
    [e('Forbidden', 'destination.notPorts'), e('Invalid', 'destination.notPorts')],
    'rejects destination services with notPorts',
  ),
  rule({ action: 'Allow', source: { services: { namespace: 'ns' } } }, [e('Required', 'source.services.name')], 'rejects a service without a name'),

  // Decoding
  rule({ Action: 'Allow' }, [e('Unknown', 'Action')], 'rejects a mis-cased field name'),
  rule({ action: 'Allow', source: { namespaceSelectorr: 'x' } }, [e('Unknown', 'source.namespaceSelectorr')], 'rejects an unknown entity field'),

  // EntityRule [calico]
  { name: 'accepts a valid selector', fragment: 'EntityRule', value: { selector: 'foo == "bar"' }, want: [] },
  { name: "accepts has() with a '/'", fragment: 'EntityRule', value: { selector: 'has(calico/k8s_ns)' }, want: [] },
  { name: "accepts has() with two '/'", fragment: 'EntityRule', value: { selector: 'has(calico/k8s_ns/role)' }, want: [] },
  { name: "accepts has() with two '/' and '-.'", fragment: 'EntityRule', value: { selector: 'has(calico/k8s_NS-.1/role)' }, want: [] },
  { name: 'rejects an invalid selector', fragment: 'EntityRule', value: { selector: 'thing=hello &' }, want: [e('Invalid', 'selector')] },
  { name: 'rejects global() in selector', fragment: 'EntityRule', value: { selector: '  global()  ' }, want: [e('Invalid', 'selector')] },
  { name: 'rejects global() in notSelector', fragment: 'EntityRule', value: { notSelector: 'global()' }, want: [e('Invalid', 'notSelector')] },
  { name: 'accepts global() as namespaceSelector', fragment: 'EntityRule', value: { namespaceSelector: '  global()  ' }, want: [] },
  {
    name: "rejects global() AND'd in namespaceSelector",
    fragment: 'EntityRule',
    value: { namespaceSelector: ' global() && all()' },
    want: [e('Invalid', 'namespaceSelector')],
  },
  {
    name: "rejects global() OR'd in namespaceSelector",
    fragment: 'EntityRule',
    value: { namespaceSelector: 'global()||all()' },
    want: [e('Invalid', 'namespaceSelector')],
  },
  { name: 'accepts negated global() as namespaceSelector (Calico checks only && and ||)', fragment: 'EntityRule', value: { namespaceSelector: '!global()' }, want: [] },
  { name: 'rejects global() nested under && in namespaceSelector', fragment: 'EntityRule', value: { namespaceSelector: '(a == "x" || b == "y") && !global()' }, want: [e('Invalid', 'namespaceSelector')] },
  { name: 'accepts the text global() inside a quoted value of a namespaceSelector', fragment: 'EntityRule', value: { namespaceSelector: 'a == "global()"' }, want: [] },
  { name: 'rejects global() && bad in selector', fragment: 'EntityRule', value: { selector: 'global() && bad' }, want: [e('Invalid', 'selector')] },
  {
    name: 'rejects a selector longer than 1024 characters',
    fragment: 'EntityRule',
    value: { selector: `a == "${'x'.repeat(1020)}"` },
    want: [e('TooLong', 'selector')],
  },
  { name: 'accepts a bare IP in an EntityRule alone', fragment: 'EntityRule', value: { nets: ['10.0.0.1'] }, want: [] },
  { name: 'rejects an unmasked net in an EntityRule', fragment: 'EntityRule', value: { nets: ['10.0.0.1/8'] }, want: [e('Invalid', 'nets[0]')] },
  {
    name: 'rejects services with namespaceSelector',
    fragment: 'EntityRule',
    value: { services: { name: 's' }, namespaceSelector: "x == 'y'" },
    want: [e('Forbidden', 'services')],
  },
  { name: 'rejects services with selector', fragment: 'EntityRule', value: { services: { name: 's' }, selector: "x == 'y'" }, want: [e('Forbidden', 'services')] },
  { name: 'rejects services with notSelector', fragment: 'EntityRule', value: { services: { name: 's' }, notSelector: "x == 'y'" }, want: [e('Forbidden', 'services')] },
  {
    name: 'rejects services with serviceAccounts',
    fragment: 'EntityRule',
    value: { services: { name: 's' }, serviceAccounts: { names: ['sa'] } },
    want: [e('Forbidden', 'services')],
  },
  { name: 'rejects services with nets', fragment: 'EntityRule', value: { services: { name: 's' }, nets: ['10.0.0.0/8'] }, want: [e('Forbidden', 'services')] },
  { name: 'rejects services with notNets', fragment: 'EntityRule', value: { services: { name: 's' }, notNets: ['10.0.0.0/8'] }, want: [e('Forbidden', 'services')] },
  { name: 'rejects an invalid service name', fragment: 'EntityRule', value: { services: { name: 'Bad_Name' } }, want: [e('Invalid', 'services.name')] },
  { name: 'rejects an invalid serviceAccounts selector', fragment: 'EntityRule', value: { serviceAccounts: { selector: 'a ==' } }, want: [e('Invalid', 'serviceAccounts.selector')] },

  // Protocol [calico]
  ...['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite', 1, 255, '255', '1'].map(
    (p): Case => ({ name: `accepts protocol ${JSON.stringify(p)}`, fragment: 'Protocol', value: p, want: [] }),
  ),
  ...[0, '256', '0', 'tcpfoo', 'footcp', 'tcp', 256, -1].map(
    (p): Case => ({ name: `rejects protocol ${JSON.stringify(p)}`, fragment: 'Protocol', value: p, want: [e('Invalid', '')] }),
  ),
  { name: 'rejects a non-integer protocol', fragment: 'Protocol', value: 6.5, want: [e('TypeInvalid', '')] },

  // ProtoPort [calico]
  { name: 'accepts ProtoPort UDP port 0', fragment: 'ProtoPort', value: { protocol: 'UDP', port: 0 }, want: [] },
  { name: 'accepts ProtoPort TCP', fragment: 'ProtoPort', value: { protocol: 'TCP', port: 20 }, want: [] },
  { name: 'accepts ProtoPort SCTP', fragment: 'ProtoPort', value: { protocol: 'SCTP', port: 20 }, want: [] },
  { name: 'rejects random ProtoPort protocol', fragment: 'ProtoPort', value: { protocol: 'jolly-UDP', port: 0 }, want: [e('NotSupported', 'protocol')] },
  { name: 'rejects lower-case ProtoPort protocol', fragment: 'ProtoPort', value: { protocol: 'tcp', port: 22 }, want: [e('NotSupported', 'protocol')] },
  { name: 'rejects ProtoPort without protocol', fragment: 'ProtoPort', value: { port: 22 }, want: [e('Required', 'protocol')] },
  { name: 'rejects ProtoPort port 65536', fragment: 'ProtoPort', value: { protocol: 'TCP', port: 65536 }, want: [e('Invalid', 'port')] },
  { name: 'accepts ProtoPort with a net', fragment: 'ProtoPort', value: { protocol: 'TCP', port: 22, net: '10.0.0.0/8' }, want: [] },
  { name: 'rejects ProtoPort with a bad net', fragment: 'ProtoPort', value: { protocol: 'TCP', port: 22, net: 'x' }, want: [e('Invalid', 'net')] },
  { name: 'rejects ProtoPort name (not a ProtoPort field)', fragment: 'ProtoPort', value: { protocol: 'TCP', port: 22, name: 'ssh' }, want: [e('Unknown', 'name')] },

  // ICMPFields [calico]
  { name: 'accepts ICMP with no config', fragment: 'ICMPFields', value: {}, want: [] },
  { name: 'accepts ICMP type 0', fragment: 'ICMPFields', value: { type: 0 }, want: [] },
  { name: 'accepts ICMP type 254', fragment: 'ICMPFields', value: { type: 254 }, want: [] },
  { name: 'accepts ICMP type and code 0', fragment: 'ICMPFields', value: { type: 128, code: 0 }, want: [] },
  { name: 'accepts ICMP type and code 255', fragment: 'ICMPFields', value: { type: 128, code: 255 }, want: [] },
  { name: 'rejects ICMP code with no type', fragment: 'ICMPFields', value: { code: 0 }, want: [e('Invalid', 'code')] },
  { name: 'rejects ICMP type 255', fragment: 'ICMPFields', value: { type: 255 }, want: [e('Invalid', 'type')] },
  { name: 'rejects ICMP code 256', fragment: 'ICMPFields', value: { type: 128, code: 256 }, want: [e('Invalid', 'code')] },
  { name: 'rejects negative ICMP type', fragment: 'ICMPFields', value: { type: -1 }, want: [e('Invalid', 'type')] },

  // HTTPMatch [calico]
  { name: 'accepts HTTP paths', fragment: 'HTTPMatch', value: { paths: [{ exact: '/foo' }, { prefix: '/bar' }] }, want: [] },
  {
    name: 'rejects an HTTP path with exact and prefix',
    fragment: 'HTTPMatch',
    value: { paths: [{ exact: '/foo', prefix: '/bar' }, { prefix: '/bar' }] },
    want: [e('Invalid', 'paths[0]')],
  },
  { name: "rejects '?' in an HTTP path", fragment: 'HTTPMatch', value: { paths: [{ exact: '/fo?o' }] }, want: [e('Invalid', 'paths[0].exact')] },
  { name: 'rejects a space in an HTTP path', fragment: 'HTTPMatch', value: { paths: [{ exact: '/fo o' }] }, want: [e('Invalid', 'paths[0].exact')] },
  { name: "rejects '#' in an HTTP path", fragment: 'HTTPMatch', value: { paths: [{ exact: '/f#oo' }] }, want: [e('Invalid', 'paths[0].exact')] },
  { name: "rejects '#!?' in an HTTP path", fragment: 'HTTPMatch', value: { paths: [{ exact: '/fo#!?o' }] }, want: [e('Invalid', 'paths[0].exact')] },
  { name: "rejects a prefix not starting with '/'", fragment: 'HTTPMatch', value: { paths: [{ prefix: 'foo' }] }, want: [e('Invalid', 'paths[0].prefix')] },
  { name: 'rejects an empty HTTP path', fragment: 'HTTPMatch', value: { paths: [{}] }, want: [e('Required', 'paths[0]')] },
  { name: 'rejects duplicate HTTP methods', fragment: 'HTTPMatch', value: { methods: ['GET', 'GET', 'Foo'] }, want: [e('Duplicate', 'methods[1]')] },
  {
    name: 'rejects more than 20 HTTP methods',
    fragment: 'HTTPMatch',
    value: { methods: Array.from({ length: 21 }, (_, i) => `M${i}`) },
    want: [e('TooMany', 'methods')],
  },

  // Port, HTTPPath, ServiceMatch, RuleMetadata
  { name: 'accepts Port 443', fragment: 'Port', value: 443, want: [] },
  { name: 'rejects Port 0', fragment: 'Port', value: 0, want: [e('Invalid', '')] },
  { name: 'accepts HTTPPath prefix', fragment: 'HTTPPath', value: { prefix: '/api' }, want: [] },
  { name: 'rejects ServiceMatch without name', fragment: 'ServiceMatch', value: { namespace: 'ns' }, want: [e('Required', 'name')] },
  { name: 'rejects RuleMetadata with a bad key', fragment: 'RuleMetadata', value: { annotations: { 'a/b/c': 'x' } }, want: [e('Invalid', 'annotations')] },
  { name: 'rejects an unknown fragment name', fragment: 'NoSuchStruct', value: {}, want: [e('NotSupported', '')] },
];

for (const c of cases) {
  void test(`${c.fragment}: ${c.name}`, () => {
    const got = validateFragment(c.fragment, c.value);
    assert.deepEqual(
      uniq(got),
      uniq(c.want),
      `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`,
    );
  });
}

// A few unit tests of the helpers other modules build on.

void test('parsePort reads numbers, ranges and names', () => {
  assert.deepEqual(parsePort(80), { kind: 'range', min: 80, max: 80 });
  assert.deepEqual(parsePort('80'), { kind: 'range', min: 80, max: 80 });
  assert.deepEqual(parsePort('1:2'), { kind: 'range', min: 1, max: 2 });
  assert.deepEqual(parsePort('http'), { kind: 'named', name: 'http' });
});

void test('protocolSupportsPorts: TCP, UDP, SCTP by name or number', () => {
  const table: readonly [string | number | undefined, boolean][] = [
    ['TCP', true],
    ['UDP', true],
    ['SCTP', true],
    [6, true],
    [17, true],
    [132, true],
    ['ICMP', false],
    [1, false],
    [undefined, false],
  ];
  for (const [p, want] of table) assert.equal(protocolSupportsPorts(p), want, String(p));
});

void test('validateRule: policy context adds placement checks, profiles do not', () => {
  const r = { action: 'Allow', source: { services: { name: 's' } }, http: { methods: ['GET'] } };
  const root = FieldPath.root('rule');
  assert.deepEqual(validateRule(r, root), []);
  const paths = validateRule(r, root, { policy: { direction: 'egress', global: true } }).map((x) => `${x.type} ${x.path}`);
  assert.deepEqual(paths.sort(), ['Forbidden rule.http', 'Forbidden rule.source.services']);
});

void test('error detail reuses Calico wording', () => {
  const [err] = validateFragment('Rule', { action: 'Allow', destination: { ports: [80] } });
  assert.equal(err?.detail, 'rules that specify ports must set protocol to TCP or UDP or SCTP');
  const [port] = validateFragment('Port', 0);
  assert.equal(port?.detail, 'port range invalid, port number must be between 1 and 65535');
});
