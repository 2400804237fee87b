import { test } from 'node:test';
import assert from 'node:assert/strict';
import { junitXml, xmlText } from './junit.js';

test('xmlText escapes markup and replaces the characters XML 1.0 forbids', () => {
  assert.equal(xmlText('a<b & "c">'), 'a&lt;b &amp; &quot;c&quot;&gt;');
  assert.equal(xmlText('bell\u0007 nul\u0000 tab\t ok'), 'bell\uFFFD nul\uFFFD tab\t ok');
  assert.equal(xmlText('lone \uD800 surrogate, pair \u{1F600}'), 'lone \uFFFD surrogate, pair \u{1F600}');
});

test('junitXml: counts, failure and error elements', () => {
  const x = junitXml('s<1>', [
    { classname: 'f.yaml:1:1', name: 'ok' },
    { classname: 'f.yaml:2:1', name: 'bad', failure: { message: 'expected Allow, got Deny', text: '1. x: Deny\n' } },
    { classname: 'f.yaml:3:1', name: 'broken', error: { message: 'port: Invalid value', text: '' } },
  ]);
  assert.equal(
    x,
    '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="s&lt;1&gt;" tests="3" failures="1" errors="1" skipped="0">\n<testsuite name="s&lt;1&gt;" tests="3" failures="1" errors="1" skipped="0">\n' +
      '  <testcase classname="f.yaml:1:1" name="ok"/>\n' +
      '  <testcase classname="f.yaml:2:1" name="bad">\n    <failure message="expected Allow, got Deny">1. x: Deny\n</failure>\n  </testcase>\n' +
      '  <testcase classname="f.yaml:3:1" name="broken">\n    <error message="port: Invalid value"></error>\n  </testcase>\n' +
      '</testsuite>\n</testsuites>\n',
  );
});
