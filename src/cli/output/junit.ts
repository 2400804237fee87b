/**
 * @module JUnit XML for CI systems (`tabby test -o junit`, `tabby diff -o junit`): one
 * `<testsuites>` with one `<testsuite>`, a `<testcase>` per check, `<failure>` for a check that
 * failed and `<error>` for input that could not be checked. The shape Jenkins, GitLab and
 * GitHub's test reporters read (the Ant JUnit schema's elements and attributes).
 *
 * Invariant: every text passes through `xmlText`, which escapes markup and drops the characters
 * XML 1.0 forbids (control characters, lone surrogates), so any input gives well-formed XML.
 */

export interface JunitCase {
  readonly classname: string;
  readonly name: string;
  /** Set when the check failed. */
  readonly failure?: { readonly message: string; readonly text: string };
  /** Set when the check could not run (bad input). */
  readonly error?: { readonly message: string; readonly text: string };
}

/** Text safe inside an XML attribute or element. */
export function xmlText(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const errors = cases.filter((c) => c.error !== undefined).length;
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0"`;
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlText(suite)}" ${counts}>\n<testsuite name="${xmlText(suite)}" ${counts}>\n`;
  for (const c of cases) {
    out += `  <testcase classname="${xmlText(c.classname)}" name="${xmlText(c.name)}"`;
    const bad = c.failure ?? c.error;
    if (bad === undefined) {
      out += '/>\n';
      continue;
    }
    const tag = c.failure !== undefined ? 'failure' : 'error';
    out += `>\n    <${tag} message="${xmlText(bad.message)}">${xmlText(bad.text)}</${tag}>\n  </testcase>\n`;
  }
  return `${out}</testsuite>\n</testsuites>\n`;
}
