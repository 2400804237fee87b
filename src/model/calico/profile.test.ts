// Profile through validateResource and validateFragment. Cases marked [calico] are replayed from
// libcalico-go validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFragment, validateResource } from '../validate-resource.js';
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

const pro = (spec: unknown, metadata: unknown = { name: 'kns.default' }): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Profile',
  metadata,
  spec,
});
const r = (name: string, spec: unknown, want: readonly Want[] = []): Case => ({ name, via: 'resource', value: pro(spec), want });
const frag = (name: string, value: unknown, want: readonly Want[] = []): Case => ({ name, via: 'ProfileSpec', value, want });

const v63 = 'x'.repeat(63);
const v64 = 'x'.repeat(64);
const ALLOW = { action: 'Allow' };

const cases: readonly Case[] = [
  // labelsToApply [calico]
  frag('accepts a valid labelsToApply [calico]', { labelsToApply: { 'project.calico.org/my-valid-label': v63 } }),
  frag('rejects an excessively long labelsToApply value [calico]', { labelsToApply: { 'project.calico.org/my-valid-label': v64 } }, [e('Invalid', 'labelsToApply[project.calico.org/my-valid-label]')]),
  frag('rejects . at the start of a labelsToApply key [calico]', { labelsToApply: { '.mylabel': 'value' } }, [e('Invalid', 'labelsToApply')]),
  frag('rejects ! in a labelsToApply key [calico]', { labelsToApply: { 'my!nvalid-label': 'value' } }, [e('Invalid', 'labelsToApply')]),
  frag('rejects $ in a labelsToApply key [calico]', { labelsToApply: { 'my-invalid-label$': 'value' } }, [e('Invalid', 'labelsToApply')]),
  frag('accepts an empty spec', {}),
  frag('rejects a non-string label value', { labelsToApply: { a: 1 } }, [e('TypeInvalid', 'labelsToApply[a]')]),

  // Rules
  r('accepts allow-all rules both ways (a kns.* profile)', { ingress: [ALLOW], egress: [ALLOW] }),
  r('accepts a port rule with a protocol', { ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22, '8000:8080', 'http'] } }] }),
  r('accepts an HTTP match on an egress allow rule (no policy direction rules)', { egress: [{ action: 'Allow', http: { methods: ['GET'] } }] }),
  r('accepts a service match in an ingress destination (no policy direction rules)', { ingress: [{ action: 'Allow', destination: { services: { name: 's', namespace: 'ns' } } }] }),
  r('rejects a lower-case action', { ingress: [{ action: 'allow' }] }, [e('NotSupported', 'spec.ingress[0].action')]),
  r('rejects a rule with no action', { egress: [ALLOW, {}] }, [e('Required', 'spec.egress[1].action')]),
  r('rejects ports without a protocol', { ingress: [{ action: 'Allow', destination: { ports: [80] } }] }, [e('Invalid', 'spec.ingress[0].destination.ports')]),
  r('rejects an unmasked rule net', { egress: [{ action: 'Allow', destination: { nets: ['10.0.0.1/8'] } }] }, [e('Invalid', 'spec.egress[0].destination.nets[0]')]),
  r('collects errors across both directions', { ingress: [{ action: 'Nope' }], egress: [{ action: 'Allow', ipVersion: 5 }] }, [
    e('NotSupported', 'spec.ingress[0].action'),
    e('NotSupported', 'spec.egress[0].ipVersion'),
  ]),
  r('rejects more than 1024 ingress rules', { ingress: Array.from({ length: 1025 }, () => ALLOW) }, [e('TooMany', 'spec.ingress')]),

  // Strict decoding: profiles have no policy fields
  r('rejects a selector', { selector: 'all()', ingress: [ALLOW] }, [e('Unknown', 'spec.selector')]),
  r('rejects an order', { order: 10 }, [e('Unknown', 'spec.order')]),
  r('rejects an unknown rule field', { ingress: [{ action: 'Allow', port: 80 }] }, [e('Unknown', 'spec.ingress[0].port')]),

  // Names
  { name: 'accepts a service-account profile name', via: 'resource', value: pro({}, { name: 'ksa.default.my-sa' }), want: [] },
  { name: 'rejects an upper-case name', via: 'resource', value: pro({}, { name: 'Default' }), want: [e('Invalid', 'metadata.name')] },
  { name: 'rejects a namespace (cluster-scoped)', via: 'resource', value: pro({}, { name: 'p', namespace: 'default' }), want: [e('Invalid', 'metadata.namespace')] },
];

for (const c of cases) {
  void test(`Profile: ${c.name}`, () => {
    const got = c.via === 'resource' ? validateResource(c.value) : validateFragment(c.via, c.value);
    assert.deepEqual(uniq(got), uniq(c.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

void test('Profile: calicoctl aliases resolve', () => {
  for (const alias of ['profile', 'profiles', 'pro', 'pros']) assert.equal(kindByAlias(alias, 'projectcalico.org')?.kind, 'Profile', alias);
});
