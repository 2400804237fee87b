import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSecret } from './secret.js';

test('defaultSecret: stringData becomes base64 of its UTF-8 bytes in data (its keys win) and type defaults to Opaque', () => {
  const s = defaultSecret({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default' },
    data: { token: 'b2xk', keep: 'a2VlcA==' },
    stringData: { token: 'tëst/ü?', empty: '' },
  });
  assert.deepEqual(s.data, { token: Buffer.from('tëst/ü?', 'utf8').toString('base64'), keep: 'a2VlcA==', empty: '' });
  assert.equal(s.type, 'Opaque');
  assert.equal('stringData' in s, false);
});
