// Preloaded into every test process by scripts/run-tests.mjs (node --import): each test, and each
// before/after hook, that sets no `timeout` of its own gets a default one (TABBY_TEST_TIMEOUT_MS,
// default 3 minutes), so a hang fails *that test*, by name, instead of stalling the run.
//
// Why a preload: in Node 20's --test mode, --test-timeout bounds each test *file* as a whole
// (the file is one test of the parent runner) and the test processes ignore it; per-test
// defaults came only in Node 22. node:test's named ESM exports are synced from its CommonJS
// exports (module.syncBuiltinESMExports), so `import { test } from 'node:test'` gets the wrapped
// functions. Tests with an explicit `timeout` (the e2e ones) keep it.
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const nodeTest = require('node:test');

const raw = process.env.TABBY_TEST_TIMEOUT_MS;
export const DEFAULT_TEST_TIMEOUT_MS = raw === undefined || raw === '' ? 180_000 : Number(raw);
if (!Number.isInteger(DEFAULT_TEST_TIMEOUT_MS) || DEFAULT_TEST_TIMEOUT_MS < 1) {
  throw new Error(`TABBY_TEST_TIMEOUT_MS must be a positive integer of milliseconds, not ${JSON.stringify(raw)}`);
}

/**
 * The timeouts of the describe() blocks being declared (innermost last): a test inside a suite
 * with its own `timeout` keeps inheriting that one, as node does. (Tests declared after an
 * `await` in an async describe callback get the default instead.)
 */
const suiteTimeouts = [];
const currentDefault = () => suiteTimeouts.at(-1) ?? DEFAULT_TEST_TIMEOUT_MS;

/** Finds the options argument of (fn), (name, fn), (options, fn), (name, options, fn). */
const optionsIndex = (args) => args.findIndex((a) => typeof a === 'object' && a !== null);

/** test/it with `timeout` defaulted. */
function withTimeout(original) {
  const wrapped = function (...args) {
    const timeout = currentDefault();
    const i = optionsIndex(args);
    if (i >= 0) {
      if (args[i].timeout === undefined) args[i] = { ...args[i], timeout };
    } else {
      const f = args.findIndex((a) => typeof a === 'function');
      args.splice(f >= 0 ? f : args.length, 0, { timeout });
    }
    return original.apply(this, args);
  };
  for (const k of ['skip', 'todo', 'only']) if (original[k] !== undefined) wrapped[k] = original[k];
  return wrapped;
}

/** A hook (fn, options) with `timeout` defaulted. */
function hookWithTimeout(original) {
  return function (fn, options) {
    return original.call(this, fn, { timeout: DEFAULT_TEST_TIMEOUT_MS, ...options });
  };
}

/** describe/suite: records its timeout (or the inherited one) while its callback declares tests. */
function tracking(original) {
  const wrapped = function (...args) {
    const i = optionsIndex(args);
    const timeout = i >= 0 && typeof args[i].timeout === 'number' ? args[i].timeout : currentDefault();
    const f = args.findIndex((a) => typeof a === 'function');
    if (f >= 0) {
      const fn = args[f];
      args[f] = function (...a) {
        suiteTimeouts.push(timeout);
        try {
          return fn.apply(this, a);
        } finally {
          suiteTimeouts.pop();
        }
      };
    }
    return original.apply(this, args);
  };
  for (const k of ['skip', 'todo', 'only']) if (original[k] !== undefined) wrapped[k] = original[k];
  return wrapped;
}

nodeTest.describe = tracking(nodeTest.describe);
if (nodeTest.suite !== undefined) nodeTest.suite = tracking(nodeTest.suite);
nodeTest.test = withTimeout(nodeTest.test);
nodeTest.it = withTimeout(nodeTest.it);
for (const h of ['before', 'after', 'beforeEach', 'afterEach']) nodeTest[h] = hookWithTimeout(nodeTest[h]);
syncBuiltinESMExports();
