/**
 * Fixture for tools.test.ts (not a test file itself): one test needing a tool, a suite needing
 * another, a test needing nothing, and a check inside a test needing ulogd — run in a child
 * process with PATH and CI set by the test.
 */
import { describe, test } from 'node:test';
import { requireTool, toolInTest } from '../tools.js';

test('needs kubectl', { skip: requireTool('kubectl') }, () => {});
describe('needs chromium', { skip: requireTool('chromium') }, () => {
  test('inside', () => {});
});
test('needs nothing', () => {});
test('a check that needs ulogd', (t) => {
  if (toolInTest(t, 'ulogd', 'the log check') !== undefined) throw new Error('ulogd was found');
});
