/**
 * The shared JSON patch / merge patch and the untrusted-document limits: forbidden keys are
 * refused everywhere, nothing reaches Object.prototype, deep documents cost no stack.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, mergePatch, PatchError, type Json } from './json-patch.js';
import { checkTree, jsonNesting, yamlNestingEstimate } from './json-safety.js';

const clean = (): void => {
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype was polluted');
  assert.equal(Object.getOwnPropertyNames(Object.prototype).includes('polluted'), false);
};

describe('json patch', () => {
  for (const path of ['/__proto__/polluted', '/constructor/prototype/polluted', '/a/__proto__', '/prototype']) {
    test(`add at ${path} is refused (Forbidden) and pollutes nothing`, () => {
      assert.throws(() => jsonPatch({ a: {} }, [{ op: 'add', path, value: 1 }]), (e: unknown) => e instanceof PatchError && e.reason === 'Forbidden');
      clean();
    });
  }
  test('copy/move from a forbidden pointer is refused', () => {
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'copy', from: '/__proto__', path: '/b' }]), (e: unknown) => e instanceof PatchError && e.reason === 'Forbidden');
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'move', from: '/constructor', path: '/b' }]), (e: unknown) => e instanceof PatchError && e.reason === 'Forbidden');
  });
  test('inherited properties are not there: /toString is missing, not a function', () => {
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/toString', value: 1 }]), /missing key/);
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/hasOwnProperty', value: null }]), (e: unknown) => e instanceof PatchError && e.reason === 'TestFailed');
  });
  test('a failed test is TestFailed; a missing path is Invalid', () => {
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), (e: unknown) => e instanceof PatchError && e.reason === 'TestFailed');
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), (e: unknown) => e instanceof PatchError && e.reason === 'Invalid');
  });
  test('RFC 6902 operations', () => {
    const out = jsonPatch({ l: [1, 3], m: { x: 1 } }, [
      { op: 'add', path: '/l/1', value: 2 },
      { op: 'copy', from: '/m', path: '/n' },
      { op: 'move', from: '/m/x', path: '/m/y' },
      { op: 'test', path: '/n', value: { x: 1 } },
      { op: 'add', path: '/l/-', value: 4 },
    ]);
    assert.deepEqual(out, { l: [1, 2, 3, 4], m: { y: 1 }, n: { x: 1 } });
  });
  test('the input document is not changed', () => {
    const doc: Json = { a: { b: 1 } };
    jsonPatch(doc, [{ op: 'replace', path: '/a/b', value: 2 }]);
    assert.deepEqual(doc, { a: { b: 1 } });
  });
});

describe('merge patch', () => {
  test('maps merge, null deletes, lists replace', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 9 }, l: [3] }), { b: { c: 9, d: 3 }, l: [3] });
  });
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    test(`a ${key} key is refused at any depth`, () => {
      const patch = JSON.parse(`{"spec":{"${key}":{"polluted":1}}}`) as Json;
      assert.throws(() => mergePatch({ spec: {} }, patch), (e: unknown) => e instanceof PatchError && e.reason === 'Forbidden');
      clean();
    });
  }
});

describe('document limits', () => {
  test('checkTree finds forbidden keys and excess depth, iteratively', () => {
    assert.equal(checkTree(JSON.parse('{"a":{"__proto__":{"x":1}}}'))?.kind, 'forbidden-key');
    assert.equal(checkTree(JSON.parse('{"a":[{"constructor":1}]}'))?.path, 'a[0].constructor');
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    assert.equal(checkTree(deep)?.kind, 'depth');
    assert.equal(checkTree({ metadata: { labels: { a: 'b' } } }), undefined);
  });
  test('jsonNesting ignores brackets inside strings', () => {
    assert.equal(jsonNesting('{"a":"[[[[","b":[1,[2]]}'), 3);
  });
  test('yamlNestingEstimate counts block indentation, dashes and flow brackets, not block scalars', () => {
    let block = '';
    for (let i = 0; i < 300; i++) block += `${' '.repeat(i)}a:\n`;
    assert.ok(yamlNestingEstimate(block) >= 300);
    assert.ok(yamlNestingEstimate('a: ' + '['.repeat(500) + ']'.repeat(500)) >= 500);
    assert.ok(yamlNestingEstimate('- - - - - - a\n') >= 6);
    assert.ok(yamlNestingEstimate('spec:\n  script: |\n    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n    {{{{{{{{{{{\n') < 10);
    assert.ok(yamlNestingEstimate('metadata:\n  name: x\n  labels:\n    a: "[[[["\n') < 10);
  });
});
