// Runs every *.test.ts under src/ and test/ (or those whose path contains one of the arguments)
// with node's built-in runner, bounded at three levels so a hang becomes a named failure:
//   - each test and hook without its own `timeout`: TABBY_TEST_TIMEOUT_MS (default 3 min), by
//     the preload scripts/test-timeout.mjs;
//   - each test file: TABBY_TEST_FILE_TIMEOUT_MS (default 20 min); a file's processes are also
//     ended once its tests are done (forceExit), so a leaked handle cannot keep it alive;
//   - the whole run: TABBY_TEST_RUN_TIMEOUT_MS (default 40 min; the suite takes about 12 min on CI): the runner's process group is
//     killed and the run fails saying so.
// TABBY_TEST_ROOTS (default src:test) lists the folders searched.
// Output: node's spec reporter, then closing summary lines in TAP form for CI — `# tests N`,
// `# pass N`, `# fail N` (tests that failed, timed out or were cut off), `# skipped N`. The exit
// code is 0 only when nothing failed.
//
// Two processes: this script (the bound keeper) starts itself again, with tsx and the preload,
// as the runner (node:test `run()`; with the API, unlike `node --test --test-force-exit`, only
// the test-file processes force-exit, so the runner's own output is never cut short).
// Node 20's --test neither expands ** globs nor finds .ts files, so we list them here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function msFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`${name} must be a positive integer of milliseconds, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return v;
}

const FILE_TIMEOUT_MS = msFromEnv('TABBY_TEST_FILE_TIMEOUT_MS', 20 * 60_000);
const RUN_TIMEOUT_MS = msFromEnv('TABBY_TEST_RUN_TIMEOUT_MS', 40 * 60_000);
msFromEnv('TABBY_TEST_TIMEOUT_MS', 1); // validated here; applied by scripts/test-timeout.mjs

if (process.env.TABBY_TEST_RUNNER === 'child') await runner(process.argv.slice(2));
else keeper(process.argv.slice(2));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Finds the files, starts the runner in its own process group, bounds the whole run. */
function keeper(filter) {
  // TABBY_TEST_ROOTS (colon-separated folders, default src:test) lets the runner's own test use fixtures.
  const roots = (process.env.TABBY_TEST_ROOTS ?? 'src:test').split(':').filter((r) => r !== '');
  let files = roots.flatMap((r) => walk(r, [])).sort();
  if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
  if (files.length === 0) {
    console.error('no test files found');
    process.exit(1);
  }
  const preload = new URL('./test-timeout.mjs', import.meta.url).href;
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, fileURLToPath(import.meta.url), ...files], {
    stdio: 'inherit',
    detached: true, // its own process group: an overrun stops every test process under it
    env: { ...process.env, TABBY_TEST_RUNNER: 'child' },
  });
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  let overran = false;
  const timer = setTimeout(() => {
    overran = true;
    console.log(`\n# the whole test run exceeded ${RUN_TIMEOUT_MS} ms (TABBY_TEST_RUN_TIMEOUT_MS): stopped`);
    killGroup('SIGKILL');
  }, RUN_TIMEOUT_MS);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => killGroup(sig));
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    if (overran) {
      console.log('# fail 1 (the whole run overran its bound)');
      process.exit(1);
    }
    if (code === null) {
      console.log(`# fail 1 (the test runner was ended by ${signal})`);
      process.exit(1);
    }
    process.exit(code);
  });
}

/** Runs the files with node:test's run(), spec output, and the closing summary. */
async function runner(files) {
  const { run } = await import('node:test');
  const { spec } = await import('node:test/reporters');
  const counts = {};
  let failures = 0;
  const stream = run({ files, concurrency: true, timeout: FILE_TIMEOUT_MS, forceExit: true });
  // node counts a skipped describe() block as a suite, not as skipped: count those too.
  let skippedSuites = 0;
  stream.on('test:pass', (d) => {
    if (d.skip !== undefined && d.skip !== false && d.details?.type === 'suite') skippedSuites++;
  });
  stream.on('test:fail', (d) => {
    if (d.todo === undefined || d.todo === false) failures++;
  });
  // The root's closing counters arrive as diagnostics ("tests 12", "pass 11", …) at nesting 0.
  stream.on('test:diagnostic', (d) => {
    const m = d.nesting === 0 ? /^(tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(d.message) : null;
    if (m) counts[m[1]] = Number(m[2]);
  });
  const out = stream.compose(new spec());
  out.pipe(process.stdout);
  await new Promise((resolve) => out.on('end', resolve));
  if (counts.tests === undefined) {
    console.log(`\n# tests 0\n# pass 0\n# fail 1 (the runner ended without a summary)`);
    process.exit(1);
  }
  const cancelled = counts.cancelled ?? 0;
  const failed = (counts.fail ?? 0) + cancelled;
  console.log(`\n# tests ${counts.tests}\n# pass ${counts.pass ?? 0}\n# fail ${failed}${cancelled > 0 ? ` (${cancelled} timed out or cut off)` : ''}\n# skipped ${(counts.skipped ?? 0) + skippedSuites}${skippedSuites > 0 ? ` (${skippedSuites} of them whole suites)` : ''}`);
  process.exit(failed > 0 || failures > 0 ? 1 : 0);
}
