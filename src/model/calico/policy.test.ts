// NetworkPolicy, GlobalNetworkPolicy and the staged kinds, through validateResource and
// decodeResource (the public doors). Cases marked [calico] are replayed from libcalico-go
// validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateResource } from '../validate-resource.js';
import { kindByAlias } from '../kinds.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly input: unknown;
  /** Expected errors as a set of (type, path); [] means valid. */
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const API = 'projectcalico.org/v3';
const np = (spec?: object, name = 'thing', namespace = 'default'): object => ({
  apiVersion: API,
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  ...(spec === undefined ? {} : { spec }),
});
const gnp = (spec?: object, name = 'thing'): object => ({
  apiVersion: API,
  kind: 'GlobalNetworkPolicy',
  metadata: { name },
  ...(spec === undefined ? {} : { spec }),
});
const snp = (spec?: object, name = 'thing'): object => ({
  apiVersion: API,
  kind: 'StagedNetworkPolicy',
  metadata: { name, namespace: 'default' },
  ...(spec === undefined ? {} : { spec }),
});
const sgnp = (spec?: object, name = 'thing'): object => ({
  apiVersion: API,
  kind: 'StagedGlobalNetworkPolicy',
  metadata: { name },
  ...(spec === undefined ? {} : { spec }),
});
const c = (name: string, input: unknown, want: readonly Want[] = []): Case => ({ name, input, want });

const ALLOW = { action: 'Allow' };
const SVC = { name: 'service1', namespace: 'default' };
const X253 = 'x'.repeat(253);

const cases: readonly Case[] = [
  // GlobalNetworkPolicy names [calico]
  c('GNP: disallow name with invalid character', gnp(undefined, 't~!s.h.i.ng'), [e('Invalid', 'metadata.name')]),
  c('GNP: disallow name with mixed case characters', gnp(undefined, 'tHiNg'), [e('Invalid', 'metadata.name')]),
  c('GNP: allow valid name', gnp(undefined, 'thing')),
  c('GNP: disallow k8s policy name', gnp(undefined, 'knp.default.thing'), [e('Invalid', 'metadata.name')]),
  c('GNP: disallow name with three dots', gnp(undefined, 't.h.i.ng'), [e('Invalid', 'metadata.name')]),
  c('GNP: allow a tier-style name with one dot', gnp(undefined, 'th.ing')),
  c('GNP: disallow a name of 254 chars', gnp(undefined, 'x'.repeat(254)), [e('Invalid', 'metadata.name')]),
  c('GNP: disallow a namespace', { ...gnp(), metadata: { name: 'thing', namespace: 'ns' } }, [e('Invalid', 'metadata.namespace')]),
  c('GNP: require a name', { apiVersion: API, kind: 'GlobalNetworkPolicy', metadata: {} }, [e('Required', 'metadata.name')]),

  // GlobalNetworkPolicy flags [calico]
  c('GNP: reject preDNAT and doNotTrack', gnp({ preDNAT: true, doNotTrack: true, applyOnForward: true }), [e('Forbidden', 'spec.preDNAT')]),
  c('GNP: accept preDNAT without doNotTrack', gnp({ preDNAT: true, applyOnForward: true })),
  c('GNP: accept doNotTrack without preDNAT', gnp({ preDNAT: false, doNotTrack: true, applyOnForward: true })),
  c('GNP: reject pre-DNAT egress rules', gnp({ preDNAT: true, applyOnForward: true, egress: [ALLOW] }), [e('Forbidden', 'spec.egress')]),
  c('GNP: accept pre-DNAT ingress rules', gnp({ preDNAT: true, applyOnForward: true, ingress: [ALLOW] })),
  c('GNP: accept applyOnForward without preDNAT', gnp({ preDNAT: false, applyOnForward: true })),
  c('GNP: accept applyOnForward without doNotTrack', gnp({ doNotTrack: false, applyOnForward: true })),
  c('GNP: accept applyOnForward and preDNAT', gnp({ preDNAT: true, applyOnForward: true })),
  c('GNP: accept applyOnForward and doNotTrack', gnp({ doNotTrack: true, applyOnForward: true })),
  c('GNP: accept no applyOnForward, doNotTrack, preDNAT', gnp({ preDNAT: false, doNotTrack: false, applyOnForward: false })),
  c('GNP: reject preDNAT without applyOnForward', gnp({ preDNAT: true, applyOnForward: false }), [e('Invalid', 'spec.applyOnForward')]),
  c('GNP: reject doNotTrack without applyOnForward', gnp({ doNotTrack: true }), [e('Invalid', 'spec.applyOnForward')]),

  // Types [calico]
  c('GNP: allow missing types', gnp({})),
  c('GNP: allow empty types', gnp({ types: [] })),
  c('GNP: allow ingress types', gnp({ types: ['Ingress'] })),
  c('GNP: allow egress types', gnp({ types: ['Egress'] })),
  c('GNP: allow ingress+egress types', gnp({ types: ['Ingress', 'Egress'] })),
  c('GNP: disallow repeated egress types', gnp({ types: ['Egress', 'Egress'] }), [e('Duplicate', 'spec.types[1]')]),
  c('GNP: disallow unexpected type value', gnp({ types: ['unexpected'] }), [e('NotSupported', 'spec.types[0]')]),
  c('GNP: disallow lower-case type', gnp({ types: ['ingress'] }), [e('NotSupported', 'spec.types[0]')]),
  c(
    'GNP: disallow three types',
    gnp({ types: ['Ingress', 'Egress', 'Ingress'] }),
    [e('TooMany', 'spec.types'), e('Duplicate', 'spec.types[2]')],
  ),
  c('GNP: allow types without ingress when ingress present', gnp({ ingress: [ALLOW], types: ['Egress'] })),
  c('GNP: allow types without egress when egress present', gnp({ egress: [ALLOW], types: ['Ingress'] })),
  c('GNP: allow ingress types with ingress rules', gnp({ ingress: [ALLOW], types: ['Ingress'] })),
  c('GNP: allow both types with ingress rules', gnp({ ingress: [ALLOW], types: ['Ingress', 'Egress'] })),
  c('GNP: allow egress types with egress rules', gnp({ egress: [ALLOW], types: ['Egress'] })),
  c('GNP: allow both types with egress rules', gnp({ egress: [ALLOW], types: ['Ingress', 'Egress'] })),
  c('GNP: allow ingress types with pre-DNAT', gnp({ preDNAT: true, applyOnForward: true, types: ['Ingress'] })),
  c('GNP: disallow egress types with pre-DNAT', gnp({ preDNAT: true, applyOnForward: true, types: ['Egress'] }), [e('Forbidden', 'spec.types')]),
  c(
    'GNP: disallow ingress+egress types with pre-DNAT',
    gnp({ preDNAT: true, applyOnForward: true, types: ['Ingress', 'Egress'] }),
    [e('Forbidden', 'spec.types')],
  ),
  c(
    'GNP: disallow HTTP in egress rule',
    gnp({ egress: [{ action: 'Allow', http: { methods: ['GET'] } }], types: ['Ingress', 'Egress'] }),
    [e('Forbidden', 'spec.egress[0].http')],
  ),

  // global() [calico]
  c('GNP: disallow global() in namespaceSelector', gnp({ namespaceSelector: 'global()' }), [e('Invalid', 'spec.namespaceSelector')]),
  c('GNP: disallow global() in selector', gnp({ selector: 'global()' }), [e('Invalid', 'spec.selector')]),
  c('GNP: disallow global() in serviceAccountSelector', gnp({ serviceAccountSelector: 'global()' }), [e('Invalid', 'spec.serviceAccountSelector')]),
  c(
    'GNP: disallow global() in EntityRule selector',
    gnp({ ingress: [{ action: 'Allow', source: { selector: 'global()' } }] }),
    [e('Invalid', 'spec.ingress[0].source.selector')],
  ),
  c(
    'GNP: allow global() and projectcalico.org/name in EntityRule namespaceSelector',
    gnp({
      ingress: [
        { action: 'Allow', source: { namespaceSelector: 'global()' }, destination: { namespaceSelector: "projectcalico.org/name == 'test'" } },
      ],
    }),
  ),
  c('GNP: accept a valid namespaceSelector', gnp({ namespaceSelector: "team in {'a', 'b'}" })),
  c('GNP: reject an invalid namespaceSelector', gnp({ namespaceSelector: 'team in' }), [e('Invalid', 'spec.namespaceSelector')]),

  // Services in GNPs [calico]
  c(
    'GNP: disallow a service match in an ingress destination',
    gnp({ ingress: [{ action: 'Allow', destination: { services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].destination.services')],
  ),
  c(
    'GNP: disallow a service match without a namespace (egress)',
    gnp({ egress: [{ action: 'Allow', destination: { services: { name: 'service1' } } }] }),
    [e('Required', 'spec.egress[0].destination.services.namespace')],
  ),
  c(
    'GNP: disallow a service match without a namespace (ingress)',
    gnp({ ingress: [{ action: 'Allow', source: { services: { name: 'service1' } } }] }),
    [e('Required', 'spec.ingress[0].source.services.namespace')],
  ),
  c(
    'GNP: disallow a service match and a namespaceSelector',
    gnp({ ingress: [{ action: 'Allow', destination: { namespaceSelector: "x == 'y'", services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].destination.services')],
  ),
  c('GNP: allow an egress destination service with namespace', gnp({ egress: [{ action: 'Allow', destination: { services: SVC } }] })),

  // NetworkPolicy names [calico]
  c('NP: allow valid name', np(undefined, 'thing')),
  c('NP: disallow name with three dots', np(undefined, 't.h.i.ng'), [e('Invalid', 'metadata.name')]),
  c('NP: disallow name with mixed case', np(undefined, 'tHiNg'), [e('Invalid', 'metadata.name')]),
  c('NP: allow valid name of 253 chars', np(undefined, X253)),
  c('NP: disallow a name of 254 chars', np(undefined, 'x'.repeat(254)), [e('Invalid', 'metadata.name')]),
  c('NP: allow k8s policy name', np(undefined, 'knp.default.thing')),
  c('NP: allow openstack policy name', np(undefined, 'ossg.default.a.b.c')),
  c('NP: allow a tier-style name', np(undefined, 'tier1.thing')),
  c('NP: disallow knp prefix with nothing after it', np(undefined, 'knp.default.'), [e('Invalid', 'metadata.name')]),
  c('NP: disallow a bad namespace', np(undefined, 'thing', 'Bad_NS'), [e('Invalid', 'metadata.namespace')]),
  c('NP: allow missing namespace', { apiVersion: API, kind: 'NetworkPolicy', metadata: { name: 'thing' } }),

  // NetworkPolicy types [calico]
  c('NP: allow missing types', np({})),
  c('NP: allow empty types', np({ types: [] })),
  c('NP: allow ingress types', np({ types: ['Ingress'] })),
  c('NP: allow egress types', np({ types: ['Egress'] })),
  c('NP: allow ingress+egress types', np({ types: ['Ingress', 'Egress'] })),
  c('NP: disallow repeated egress types', np({ types: ['Egress', 'Egress'] }), [e('Duplicate', 'spec.types[1]')]),
  c('NP: disallow unexpected value', np({ types: ['unexpected'] }), [e('NotSupported', 'spec.types[0]')]),
  c('NP: allow types without ingress when ingress present', np({ ingress: [ALLOW], types: ['Egress'] })),
  c('NP: allow types without egress when egress present', np({ egress: [ALLOW], types: ['Ingress'] })),
  c('NP: allow types with ingress when ingress present', np({ ingress: [ALLOW], types: ['Ingress'] })),
  c('NP: allow both types when ingress present', np({ ingress: [ALLOW], types: ['Ingress', 'Egress'] })),
  c('NP: allow types with egress when egress present', np({ egress: [ALLOW], types: ['Egress'] })),
  c('NP: allow both types when egress present', np({ egress: [ALLOW], types: ['Ingress', 'Egress'] })),
  c(
    'NP: disallow HTTP in egress rule',
    np({ egress: [{ action: 'Allow', http: { methods: ['GET'] } }], types: ['Ingress', 'Egress'] }),
    [e('Forbidden', 'spec.egress[0].http')],
  ),
  c('NP: allow HTTP in ingress rule', np({ ingress: [{ action: 'Allow', http: { paths: [{ prefix: '/api' }] } }] })),
  c('NP: disallow global() in selector', np({ selector: 'global()' }), [e('Invalid', 'spec.selector')]),
  c('NP: disallow global() in serviceAccountSelector', np({ serviceAccountSelector: 'global()' }), [e('Invalid', 'spec.serviceAccountSelector')]),
  c(
    'NP: allow global() and projectcalico.org/name in EntityRule namespaceSelector',
    np({
      ingress: [
        { action: 'Allow', source: { namespaceSelector: 'global()' }, destination: { namespaceSelector: "projectcalico.org/name == 'test'" } },
      ],
    }),
  ),

  // NetworkPolicy services [calico]
  c('NP: allow a service match in an egress destination', np({ egress: [{ action: 'Allow', destination: { services: SVC } }] })),
  c(
    'NP: disallow a service match in an egress source',
    np({ egress: [{ action: 'Allow', source: { services: SVC } }] }),
    [e('Forbidden', 'spec.egress[0].source.services')],
  ),
  c('NP: allow a service match in an ingress source', np({ ingress: [{ action: 'Allow', source: { services: SVC } }] })),
  c('NP: allow a service without namespace in an ingress source', np({ ingress: [{ action: 'Allow', source: { services: { name: 's' } } }] })),
  c(
    'NP: disallow a service match in an ingress destination',
    np({ ingress: [{ action: 'Allow', destination: { services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].destination.services')],
  ),
  c(
    'NP: disallow a service match and a service account match',
    np({ ingress: [{ action: 'Allow', destination: { serviceAccounts: { names: ['serviceaccount'] }, services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].destination.services')],
  ),
  c(
    'NP: disallow a service match and ports on an egress destination',
    np({ egress: [{ action: 'Allow', destination: { ports: [80], services: SVC } }] }),
    [e('Forbidden', 'spec.egress[0].destination.ports'), e('Invalid', 'spec.egress[0].destination.ports')],
  ),
  c(
    'NP: disallow a service match and notPorts on an egress destination',
    np({ egress: [{ action: 'Allow', protocol: 'TCP', destination: { notPorts: [80], services: SVC } }] }),
    [e('Forbidden', 'spec.egress[0].destination.notPorts')],
  ),
  c(
    'NP: allow a service match and ports on an ingress source',
    np({ ingress: [{ action: 'Allow', protocol: 'TCP', source: { ports: [80], services: SVC } }] }),
  ),
  c(
    'NP: allow a service match and notPorts on an ingress source',
    np({ ingress: [{ action: 'Allow', protocol: 'TCP', source: { notPorts: [80], services: SVC } }] }),
  ),
  c(
    'NP: disallow a service match and nets',
    np({ ingress: [{ action: 'Allow', source: { nets: ['10.0.0.0/8'], services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].source.services')],
  ),
  c(
    'NP: disallow a service match and notNets',
    np({ ingress: [{ action: 'Allow', source: { notNets: ['10.0.0.0/8'], services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].source.services')],
  ),
  c(
    'NP: disallow a service match and a selector',
    np({ ingress: [{ action: 'Allow', source: { selector: "x == 'y'", services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].source.services')],
  ),
  c(
    'NP: disallow a service match and a notSelector',
    np({ ingress: [{ action: 'Allow', source: { notSelector: "x == 'y'", services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].source.services')],
  ),
  c(
    'NP: disallow a service match and a namespaceSelector',
    np({ ingress: [{ action: 'Allow', source: { namespaceSelector: "x == 'y'", services: SVC } }] }),
    [e('Forbidden', 'spec.ingress[0].source.services')],
  ),

  // NetworkPolicy spec: GNP-only fields are unknown
  c('NP: reject namespaceSelector', np({ namespaceSelector: 'all()' }), [e('Unknown', 'spec.namespaceSelector')]),
  c('NP: reject doNotTrack', np({ doNotTrack: true }), [e('Unknown', 'spec.doNotTrack')]),
  c('NP: reject preDNAT', np({ preDNAT: true }), [e('Unknown', 'spec.preDNAT')]),
  c('NP: reject applyOnForward', np({ applyOnForward: true }), [e('Unknown', 'spec.applyOnForward')]),
  c('NP: reject a mis-cased field', np({ Selector: 'all()' }), [e('Unknown', 'spec.Selector')]),

  // Other spec fields
  c('NP: accept a full policy', np({
    tier: 'default',
    order: 100.5,
    selector: "app == 'web'",
    serviceAccountSelector: "role == 'x'",
    types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'lb'", namespaceSelector: 'all()' }, destination: { ports: [80, '8000:8080'] } }],
    egress: [{ action: 'Deny', protocol: 'UDP', destination: { nets: ['10.0.0.0/8'], notPorts: [53] } }, { action: 'Pass' }, { action: 'Log' }],
    performanceHints: ['AssumeNeededOnEveryNode'],
  })),
  c('NP: reject an invalid selector', np({ selector: "app == 'web" }), [e('Invalid', 'spec.selector')]),
  c('NP: reject an invalid serviceAccountSelector', np({ serviceAccountSelector: 'a = b' }), [e('Invalid', 'spec.serviceAccountSelector')]),
  c('NP: reject a selector over 1024 chars', np({ selector: `a == '${'x'.repeat(1020)}'` }), [e('TooLong', 'spec.selector')]),
  c('NP: reject a string order', np({ order: '10' }), [e('TypeInvalid', 'spec.order')]),
  c('NP: accept a negative fractional order', np({ order: -1.25 })),
  c('NP: reject an unknown performance hint', np({ performanceHints: ['Foo'] }), [e('NotSupported', 'spec.performanceHints[0]')]),
  c(
    'NP: reject a repeated performance hint',
    np({ performanceHints: ['AssumeNeededOnEveryNode', 'AssumeNeededOnEveryNode'] }),
    [e('Duplicate', 'spec.performanceHints[1]')],
  ),
  c('NP: accept a named tier', np({ tier: 'security' })),
  c('NP: reject an invalid tier name', np({ tier: 'Bad_Tier' }), [e('Invalid', 'spec.tier')]),
  c('NP: reject more than 1024 ingress rules', np({ ingress: Array.from({ length: 1025 }, () => ALLOW) }), [e('TooMany', 'spec.ingress')]),
  c('NP: reject a rule without action', np({ ingress: [{}] }), [e('Required', 'spec.ingress[0].action')]),
  c(
    'NP: collect every error across rules',
    np({ ingress: [{ action: 'allow' }, { action: 'Allow', destination: { ports: [0] } }], egress: [{ action: 'Deny', ipVersion: 5 }] }),
    [
      e('NotSupported', 'spec.ingress[0].action'),
      e('Invalid', 'spec.ingress[1].destination.ports'),
      e('Invalid', 'spec.ingress[1].destination.ports[0]'),
      e('NotSupported', 'spec.egress[0].ipVersion'),
    ],
  ),
  c('NP: reject bad labels', { ...np(), metadata: { name: 'thing', namespace: 'default', labels: { 'a b': 'c' } } }, [e('Invalid', 'metadata.labels')]),
  c('NP: reject an unknown top-level field', { ...np(), status: {} }, [e('Unknown', 'status')]),
  c('NP: reject a wrong apiVersion', { ...np(), apiVersion: 'projectcalico.org/v1' }, [e('NotSupported', 'apiVersion')]),

  // Staged policies
  c('SNP: accept stagedAction Set', snp({ stagedAction: 'Set', selector: 'all()', ingress: [ALLOW] })),
  c('SNP: accept stagedAction Learn', snp({ stagedAction: 'Learn' })),
  c('SNP: accept stagedAction Ignore', snp({ stagedAction: 'Ignore' })),
  c('SNP: reject an unknown stagedAction', snp({ stagedAction: 'Bogus' }), [e('NotSupported', 'spec.stagedAction')]),
  c('SNP: accept Delete with only a tier', snp({ stagedAction: 'Delete', tier: 'security' })),
  c('SNP: accept Delete with types (cleared by defaulting)', snp({ stagedAction: 'Delete', types: ['Ingress'] })),
  c('SNP: reject Delete with a selector', snp({ stagedAction: 'Delete', selector: 'all()' }), [e('Forbidden', 'spec.selector')]),
  c('SNP: reject Delete with rules', snp({ stagedAction: 'Delete', ingress: [ALLOW], order: 1 }), [e('Forbidden', 'spec.ingress'), e('Forbidden', 'spec.order')]),
  c('SNP: reject namespaceSelector', snp({ namespaceSelector: 'all()' }), [e('Unknown', 'spec.namespaceSelector')]),
  c('SNP: validate rules like a NetworkPolicy', snp({ egress: [{ action: 'Allow', source: { services: SVC } }] }), [e('Forbidden', 'spec.egress[0].source.services')]),
  c('SNP: name rules are NetworkPolicy rules', snp(undefined, 't.h.i.ng'), [e('Invalid', 'metadata.name')]),
  c('SNP: allow a knp.default name (validator)', snp(undefined, 'knp.default.x')),
  c('SGNP: accept preDNAT with applyOnForward', sgnp({ preDNAT: true, applyOnForward: true })),
  c('SGNP: reject preDNAT without applyOnForward', sgnp({ stagedAction: 'Learn', preDNAT: true }), [e('Invalid', 'spec.applyOnForward')]),
  c('SGNP: reject Delete with preDNAT', sgnp({ stagedAction: 'Delete', preDNAT: true }), [e('Forbidden', 'spec.preDNAT')]),
  c('SGNP: reject Delete with a namespaceSelector', sgnp({ stagedAction: 'Delete', namespaceSelector: 'all()' }), [e('Forbidden', 'spec.namespaceSelector')]),
  c('SGNP: reject a k8s name', sgnp(undefined, 'knp.default.x'), [e('Invalid', 'metadata.name')]),
  c('SGNP: reject global() namespaceSelector', sgnp({ namespaceSelector: 'global()' }), [e('Invalid', 'spec.namespaceSelector')]),

  // Lists
  c('List: errors are reported per item', { apiVersion: 'v1', kind: 'List', items: [np(), gnp({ types: ['x'] }, 'Bad')] }, [
    e('NotSupported', 'items[1].spec.types[0]'),
    e('Invalid', 'items[1].metadata.name'),
  ]),
];

for (const tc of cases) {
  void test(tc.name, () => {
    const got = validateResource(tc.input);
    assert.deepEqual(uniq(got), uniq(tc.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

// Types defaulting (applyDefaults), through decodeResource.
interface DefaultCase {
  readonly name: string;
  readonly input: object;
  readonly wantTypes: readonly string[] | undefined;
  readonly wantTier?: string;
}
const defaultCases: readonly DefaultCase[] = [
  { name: 'no rules → Ingress', input: np({}), wantTypes: ['Ingress'] },
  { name: 'no spec → Ingress', input: np(), wantTypes: ['Ingress'] },
  { name: 'ingress only → Ingress', input: np({ ingress: [ALLOW] }), wantTypes: ['Ingress'] },
  { name: 'egress only → Egress', input: np({ egress: [ALLOW] }), wantTypes: ['Egress'] },
  { name: 'both → Ingress, Egress', input: gnp({ ingress: [ALLOW], egress: [ALLOW] }), wantTypes: ['Ingress', 'Egress'] },
  { name: 'empty types are defaulted', input: gnp({ egress: [ALLOW], types: [] }), wantTypes: ['Egress'] },
  { name: 'explicit types are kept', input: np({ ingress: [ALLOW], types: ['Egress'] }), wantTypes: ['Egress'] },
  { name: 'explicit both kept with no rules', input: np({ types: ['Egress', 'Ingress'] }), wantTypes: ['Egress', 'Ingress'] },
  { name: 'preDNAT → Ingress', input: gnp({ preDNAT: true, applyOnForward: true, ingress: [ALLOW] }), wantTypes: ['Ingress'] },
  { name: 'staged Set defaults like a policy', input: snp({ stagedAction: 'Set', egress: [ALLOW] }), wantTypes: ['Egress'] },
  { name: 'staged Delete has no types', input: sgnp({ stagedAction: 'Delete', types: ['Egress'] }), wantTypes: undefined },
  { name: 'tier defaults to "default"', input: np({}), wantTypes: ['Ingress'], wantTier: 'default' },
  { name: 'explicit tier kept', input: gnp({ tier: 'security' }), wantTypes: ['Ingress'], wantTier: 'security' },
];

for (const dc of defaultCases) {
  void test(`defaulting: ${dc.name}`, () => {
    const before = JSON.stringify(dc.input);
    const r = decodeResource(dc.input);
    assert.ok(r.ok, r.ok ? '' : r.error.map((x) => `${x.path}: ${x.message}`).join('\n'));
    const spec = (r.value.resource as { spec?: { types?: string[]; tier?: string } }).spec;
    assert.deepEqual(spec?.types, dc.wantTypes);
    if (dc.wantTier !== undefined) assert.equal(spec?.tier, dc.wantTier);
    assert.equal(JSON.stringify(dc.input), before, 'input must not be mutated');
  });
}

void test('registry: calicoctl aliases resolve within projectcalico.org', () => {
  const table: readonly [string, string][] = [
    ['networkpolicy', 'NetworkPolicy'],
    ['NetworkPolicies', 'NetworkPolicy'],
    ['policy', 'NetworkPolicy'],
    ['pols', 'NetworkPolicy'],
    ['np', 'NetworkPolicy'],
    ['gnp', 'GlobalNetworkPolicy'],
    ['globalnetworkpolicies', 'GlobalNetworkPolicy'],
    ['snp', 'StagedNetworkPolicy'],
    ['spol', 'StagedNetworkPolicy'],
    ['sgnp', 'StagedGlobalNetworkPolicy'],
    ['tiers', 'Tier'],
  ];
  for (const [alias, kind] of table) assert.equal(kindByAlias(alias, 'projectcalico.org')?.kind, kind, alias);
  assert.equal(kindByAlias('np', 'projectcalico.org')?.namespaced, true);
  assert.equal(kindByAlias('gnp', 'projectcalico.org')?.namespaced, false);
});
