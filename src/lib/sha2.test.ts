import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { base64UrlEncode, hexEncode, sha224, sha256, utf8Encode } from './sha2.js';

const million = 'a'.repeat(1_000_000);

// FIPS 180-4 / NIST CAVS example vectors.
const vectors: { name: string; input: string; sha224: string; sha256: string }[] = [
  {
    name: 'empty',
    input: '',
    sha224: 'd14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  {
    name: 'abc',
    input: 'abc',
    sha224: '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7',
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  },
  {
    name: 'two blocks (448 bits)',
    input: 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    sha224: '75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525',
    sha256: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
  {
    name: 'one million a',
    input: million,
    sha224: '20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67',
    sha256: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  },
];

for (const v of vectors) {
  void test(`sha224 ${v.name}`, () => assert.equal(hexEncode(sha224(v.input)), v.sha224));
  void test(`sha256 ${v.name}`, () => assert.equal(hexEncode(sha256(v.input)), v.sha256));
}

void test('padding boundaries 0..200 bytes agree with node:crypto', () => {
  for (let n = 0; n <= 200; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    assert.equal(hexEncode(sha256(bytes)), createHash('sha256').update(bytes).digest('hex'), `sha256 len ${n}`);
    assert.equal(hexEncode(sha224(bytes)), createHash('sha224').update(bytes).digest('hex'), `sha224 len ${n}`);
  }
});

void test('random byte arrays agree with node:crypto', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      assert.equal(hexEncode(sha256(bytes)), createHash('sha256').update(bytes).digest('hex'));
      assert.equal(hexEncode(sha224(bytes)), createHash('sha224').update(bytes).digest('hex'));
    }),
  );
});

void test('random strings hash as UTF-8, like node:crypto', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      assert.equal(base64UrlEncode(sha224(s)), createHash('sha224').update(s, 'utf8').digest('base64url'));
    }),
  );
});

const utf8Cases: { name: string; input: string }[] = [
  { name: 'ascii', input: 'all()' },
  { name: 'two-byte', input: 'é' },
  { name: 'three-byte', input: '€' },
  { name: 'astral', input: '😀' },
  { name: 'lone high surrogate', input: 'a\ud800b' },
  { name: 'lone low surrogate', input: '\udc00' },
  { name: 'high surrogate at end', input: 'x\udbff' },
];
for (const c of utf8Cases) {
  void test(`utf8Encode ${c.name}`, () => {
    assert.deepEqual(utf8Encode(c.input), new Uint8Array(Buffer.from(c.input, 'utf8')));
  });
}

void test('base64UrlEncode matches Buffer base64url for lengths 0..70', () => {
  for (let n = 0; n <= 70; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 97 + 251) & 0xff);
    assert.equal(base64UrlEncode(bytes), Buffer.from(bytes).toString('base64url'), `len ${n}`);
  }
});

void test('Calico unique id of all()', () => {
  assert.equal('s:' + base64UrlEncode(sha224('s:all()')), 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug');
});
