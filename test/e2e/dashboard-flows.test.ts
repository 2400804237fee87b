/**
 * End to end: the dashboard's Flows page in Debian's Chromium (playwright-core, never a
 * downloaded browser) against a real Tabby API server (free port, temporary data dir, short
 * windows: 1 s + 1.5 s grace) whose collector reads flow-log files written by the agents' own
 * writer (FlowEventLog) into the server's lab dir. Checks: rows appear live as their window
 * closes (no reload), the filters (action, namespace) narrow the rows, a staged policy shows the
 * next window's flow as pending deny, and a row's links lead to its policy and to Trace with the
 * flow filled in. Skipped (with the reason) without Chromium or the built bundle, except under
 * CI=true, where that is a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserUnavailable, launchBrowser, type Browser } from '../../bench/dashboard.bench.js';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { ResourceClient } from '../../src/client/index.js';
import { FlowEventLog } from '../../src/agent/flows/index.js';
import type { FlowEvent, FlowPolicyHit } from '../../src/model/flows.js';
import { required } from '../support/tools.js';

const skip = required(browserUnavailable());

const SHOP = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'back' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'w1', containers: [{ name: 'nginx', image: 'nginx' }] }, status: { phase: 'Running', podIP: '198.18.1.3' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'shop', labels: { role: 'client' } }, spec: { nodeName: 'w1', containers: [{ name: 'c', image: 'c' }] }, status: { phase: 'Running', podIP: '198.18.1.2' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db', namespace: 'back', labels: { app: 'db' } }, spec: { nodeName: 'w2', containers: [{ name: 'db', image: 'db' }] }, status: { phase: 'Running', podIP: '198.18.2.4' } },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-web', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] },
  },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: 'back' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
];

const allowWeb: FlowPolicyHit = { tier: 'default', kind: 'KubernetesNetworkPolicy', namespace: 'shop', name: 'allow-web', ruleIndex: 0, direction: 'ingress', action: 'allow' };
const endOfTier: FlowPolicyHit = { tier: 'default', kind: 'Tier', namespace: '', name: 'default', ruleIndex: -1, direction: 'ingress', action: 'end-of-tier-deny' };

const web = (time: number, port = 80): FlowEvent => ({
  time,
  node: 'w1',
  reporter: 'dst',
  source: { kind: 'wep', namespace: 'shop', name: 'client', ip: '198.18.1.2', labels: { role: 'client' } },
  dest: { kind: 'wep', namespace: 'shop', name: 'web', ip: '198.18.1.3', labels: { app: 'web' } },
  protocol: 'tcp',
  sourcePort: 41000,
  destPort: port,
  action: 'allow',
  enforced: [allowWeb],
  pending: [],
  packetsOut: 5,
  bytesOut: 320,
  packetsIn: 4,
  bytesIn: 800,
});
const db = (time: number): FlowEvent => ({
  ...web(time, 5432),
  node: 'w2',
  dest: { kind: 'wep', namespace: 'back', name: 'db', ip: '198.18.2.4', labels: { app: 'db' } },
  action: 'deny',
  enforced: [endOfTier],
  packetsOut: 1,
  bytesOut: 60,
  packetsIn: 0,
  bytesIn: 0,
});

const js = <T>(page: Page, expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;
const rows = (page: Page): Promise<{ action: string; pending: string; text: string }[]> =>
  js(page, `[...document.querySelectorAll('[data-testid="flow-row"]')].map((r) => ({ action: r.getAttribute('data-action'), pending: r.getAttribute('data-pending'), text: r.innerText }))`);

/** Waits (bounded, 15 s) until the rows pass `ok` (page scripts as text: CSP forbids waitForFunction's eval). */
async function waitRows(page: Page, ok: (r: Awaited<ReturnType<typeof rows>>) => boolean, what: string): Promise<Awaited<ReturnType<typeof rows>>> {
  let r = await rows(page);
  for (let i = 0; i < 150 && !ok(r); i++) {
    await new Promise((done) => setTimeout(done, 100));
    r = await rows(page);
  }
  assert.ok(ok(r), `${what}: rows ${JSON.stringify(r)}`);
  return r;
}

describe('dashboard Flows page in Chromium', { skip, timeout: 180_000 }, () => {
  let dir = '';
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let log: FlowEventLog;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-flows-ui-'));
    server = await runServer({ dataDir: dir, port: 0, flows: { windowMs: 1000, graceMs: 1500, tickMs: 100 } });
    const client = new ResourceClient(server.datastore);
    for (const o of SHOP) await client.create(o);
    log = new FlowEventLog({ dir: join(dir, 'lab'), node: 'w1' });
    browser = await launchBrowser({ width: 1440, height: 900 });
    page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('rows arrive live, filter, show pending deny from a staged policy, and link to policies and Trace', async () => {
    await page.goto(`${server!.dashboardUrl}flows`);
    await page.getByTestId('token').fill(server!.adminToken);
    await page.getByTestId('login').click();
    await page.getByTestId('flows-empty').waitFor();
    assert.equal(await page.getByTestId('nav-flows').getAttribute('class'), 'active');

    // live: written after the page loaded, shown when the window closes (no reload)
    const t0 = Date.now();
    log.append([web(t0), web(t0 + 5), db(t0 + 7)]);
    await page.locator('[data-testid="flow-row"][data-action="deny"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="flow-row"][data-action="allow"]').waitFor({ timeout: 15_000 });
    let r = await rows(page);
    assert.equal(r.length, 2, JSON.stringify(r));
    const allowed = r.find((x) => x.action === 'allow')!;
    assert.match(allowed.text, /shop\/client\s+shop\/web\s+tcp\/80\s+allow\s+2\s+10\/8\s+640\/1600/);

    // fits a 1280×800 window (header with one more page, the table) without sideways scrolling
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.equal(await js<number>(page, 'document.documentElement.scrollWidth - window.innerWidth'), 0, 'the Flows page scrolls sideways at 1280×800');

    // filters
    await page.getByTestId('flows-action').selectOption('deny');
    r = await waitRows(page, (x) => x.every((y) => y.action === 'deny'), 'action=deny');
    assert.deepEqual(r.map((x) => x.action), ['deny']);
    assert.match(page.url(), /\/ui\/flows\?action=deny$/);
    await page.getByTestId('flows-action').selectOption('');
    await page.getByTestId('flows-namespace').selectOption('back');
    assert.deepEqual((await waitRows(page, (x) => x.length === 1, 'namespace=back')).map((x) => x.action), ['deny']);
    await page.getByTestId('flows-namespace').selectOption('');
    await waitRows(page, (x) => x.length === 2, 'all namespaces');

    // a staged policy that would cut client → web: the next window's flow is pending deny
    const client = new ResourceClient(server!.datastore);
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedGlobalNetworkPolicy',
      metadata: { name: 'lockdown-web' },
      spec: { order: 1, selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Deny' }] },
    });
    await new Promise((ok) => setTimeout(ok, 1200)); // the collector's snapshot is at most 1 s old
    log.append([web(Date.now())]);
    await page.locator('[data-testid="flow-row"][data-pending="deny"]').waitFor({ timeout: 15_000 });
    const pendingRow = page.locator('[data-testid="flow-row"][data-pending="deny"]').first();
    assert.match(await pendingRow.innerText(), /would deny[\s\S]*lockdown-web rule 0: deny/);
    assert.equal(await pendingRow.getByText('allow', { exact: true }).count(), 1, 'still enforced as allow');

    // links: the enforced policy, then Trace for the same flow
    await pendingRow.locator('[data-testid="flow-policy-link"]').first().click();
    await page.waitForURL(/\/ui\/policies\?policy=/);
    assert.match(decodeURIComponent(page.url()), /policy=KubernetesNetworkPolicy:shop\/knp\.default\.allow-web/);
    await page.getByTestId('nav-flows').click();
    await page.locator('[data-testid="flow-row"][data-action="deny"]').waitFor();
    await page.locator('[data-testid="flow-row"][data-action="deny"] [data-testid="flow-trace-link"]').click();
    await page.waitForURL(/\/ui\/trace\?/);
    await page.getByTestId('trace-verdict').waitFor();
    assert.equal(await page.getByTestId('trace-from').inputValue(), 'shop/client');
    assert.equal(await page.getByTestId('trace-to').inputValue(), 'back/db');
    assert.equal(await page.getByTestId('trace-port').inputValue(), '5432');
    assert.equal(await page.getByTestId('trace-verdict').innerText(), 'Deny', 'the engine agrees with what the kernel reported');
  });
});
