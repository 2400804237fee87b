/**
 * End to end: the web dashboard in Debian's Chromium (/usr/bin/chromium, driven by
 * playwright-core; never a downloaded browser) against a real Tabby API server this test starts
 * (free port, temporary data directory, embedded SQLite, the ibm-classic profile). It signs in
 * with the admin token, sees the seed's default policies, traces a flow to its deciding policy,
 * previews a change in What-if, sees a `kubectl apply` arrive live, and times the 1,000-pod
 * matrix. Skipped (with the reason) without Chromium or the built bundle.
 *
 * TABBY_SCREENSHOTS=1 also writes one PNG per page to docs/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { browserUnavailable, launchBrowser, loadPods, measureMatrix, startCluster, type Browser, type TestCluster } from '../../bench/dashboard.bench.js';
import { required, requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const SHOTS = process.env['TABBY_SCREENSHOTS'] === '1' ? resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots') : undefined;
const skip = required(browserUnavailable());

const SHOP = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: { nodeName: 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w1.cloud.ibm', containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] },
    status: { phase: 'Running', podIP: '172.30.1.21' },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client', namespace: 'shop', labels: { role: 'client' } },
    spec: { nodeName: 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w2.cloud.ibm', containers: [{ name: 'curl', image: 'curl' }] },
    status: { phase: 'Running', podIP: '172.30.2.21' },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-web', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] },
  },
];

const WHAT_IF = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-web
spec:
  order: 10
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Deny
`;

const LIVE = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: live-from-kubectl
spec:
  order: 500
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8080]
`;

function kubectl(cluster: TestCluster, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(
      KUBECTL,
      ['--cache-dir', join(cluster.dir, 'kcache'), '--request-timeout=20s', ...args],
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cluster.dir, KUBECONFIG: cluster.server.kubeconfigPath }, timeout: 30_000 },
      (err, stdout, stderr) => ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS === undefined) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

describe('web dashboard in Chromium', { skip, timeout: 240_000 }, () => {
  let cluster: TestCluster | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    cluster = await startCluster();
    for (const o of SHOP) await cluster.client.create(o);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  test('the bundle is served at /ui and the dashboard API needs a token', async () => {
    const res = await page.request.get(`${cluster!.server.url}/ui/policies`);
    assert.equal(res.status(), 200);
    assert.match(await res.text(), /<div id="app">/);
    const denied = await page.request.get(`${cluster!.server.url}/ui/api/watch`);
    assert.equal(denied.status(), 401);
  });

  test('a wrong token is refused; the admin token signs in and shows the seed default policies', async () => {
    await page.goto(cluster!.server.dashboardUrl);
    await page.getByTestId('token').fill('not-a-token');
    await page.getByTestId('login').click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /Unauthorized/i);
    await shot(page, 'login');

    await page.getByTestId('token').fill(cluster!.server.adminToken);
    await page.getByTestId('login').click();
    await page.locator('[data-testid="policy-row"][data-policy="allow-all-outbound"]').waitFor();
    const ids = await page.locator('[data-testid="policy-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-policy')));
    assert.ok(ids.includes('allow-all-outbound') && ids.includes('allow-icmp'), `policies shown: ${ids.join(', ')}`);
    assert.ok(ids.includes('shop/knp.default.allow-web'), 'the Kubernetes NetworkPolicy is shown converted');
    await page.getByTestId('connection').getByText('live').waitFor();

    // what one selects, and its YAML
    await page.locator('[data-testid="policy-row"][data-policy="allow-icmp"] a').click();
    const detail = page.getByTestId('policy-detail');
    await detail.waitFor();
    // the six defaults select the workers' public interfaces: one automatic host endpoint per worker
    assert.match(await detail.innerText(), /Selects 0 pod\(s\) and 3 host endpoint\(s\)/);
    assert.match(await page.getByTestId('yaml-view').innerText(), /kind: GlobalNetworkPolicy[\s\S]*name: allow-icmp/);
    await shot(page, 'policies');
  });

  test('the editor validates as you type with located errors', async () => {
    await page.getByTestId('edit').click();
    const editor = page.getByTestId('yaml-editor');
    const text = await editor.inputValue();
    await editor.fill(text.replace(/order: \d+/, 'order: nope'));
    const v = page.getByTestId('validation');
    await v.getByText('editor.yaml:').first().waitFor();
    assert.match(await v.innerText(), /editor\.yaml:\d+:\d+: spec\.order/);
    assert.equal(await page.getByTestId('apply').isDisabled(), true);
    await editor.fill(text);
    await v.getByText('valid').waitFor();
    await page.getByText('Cancel').click();
  });

  test('endpoints list the policies that apply, in order', async () => {
    await page.getByTestId('nav-endpoints').click();
    await page.getByRole('link', { name: 'shop/web' }).click();
    const d = page.getByTestId('endpoint-detail');
    await d.waitFor();
    assert.match(await d.innerText(), /Ingress[\s\S]*tier default[\s\S]*shop\/knp\.default\.allow-web/);
    await shot(page, 'endpoints');
  });

  test('a trace shows every stage and the deciding policy', async () => {
    await page.getByTestId('nav-trace').click();
    await page.getByTestId('trace-from').fill('shop/client');
    await page.getByTestId('trace-to').fill('shop/web');
    await page.getByTestId('trace-port').fill('80');
    await page.getByTestId('trace-run').click();
    await page.getByTestId('trace-result').waitFor();
    assert.equal(await page.getByTestId('trace-verdict').innerText(), 'Allow');
    const deciding = page.locator('[data-testid="trace-result"] > p [data-testid="deciding-policy"]');
    assert.equal(await deciding.getAttribute('data-policy'), 'shop/knp.default.allow-web');
    const stages = await page.locator('[data-testid="trace-stages"] tbody tr').count();
    assert.ok(stages >= 2, `stages: ${stages}`);
    await shot(page, 'trace');

    await page.getByTestId('trace-port').fill('81');
    await page.getByTestId('trace-run').click();
    await page.getByTestId('trace-verdict').getByText('Deny').waitFor();
    assert.match(await page.locator('[data-testid="trace-result"] > p').first().innerText(), /end of tier default/);
  });

  test('what-if previews the flows a change would newly deny, before applying', async () => {
    await page.getByTestId('nav-what-if').click();
    await page.getByTestId('whatif-yaml').fill(WHAT_IF);
    await page.getByTestId('validation').getByText('valid').waitFor();
    await page.getByTestId('whatif-run').click();
    const summary = page.getByTestId('whatif-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /0 newly allowed, 1 newly denied/);
    const row = await page.locator('[data-testid="whatif-deny"] tbody tr').first().innerText();
    assert.match(row, /shop\/client\s+shop\/web\s+80\/TCP/);
    await shot(page, 'what-if');
    // nothing was applied
    const res = await page.request.get(`${cluster!.server.url}/apis/projectcalico.org/v3/globalnetworkpolicies/deny-web`, { headers: { authorization: `Bearer ${cluster!.server.adminToken}` } });
    assert.equal(res.status(), 404);
  });

  test('connectivity, denied traffic (no lab: empty state) and enforcement pages render', async () => {
    await page.getByTestId('nav-connectivity').click();
    await page.getByTestId('matrix').waitFor();
    assert.match(await page.getByTestId('matrix-stats').innerText(), /of \d+ pods/);
    await shot(page, 'connectivity');
    await page.getByTestId('nav-denied').click();
    await page.getByTestId('denied-empty').waitFor();
    await page.getByTestId('nav-status').click();
    const nodes = page.getByTestId('status-nodes');
    await nodes.waitFor();
    assert.match(await nodes.innerText(), /kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w1\.cloud\.ibm/);
  });

  test('denied traffic: a worker log line (as the lab ulogd writes it) appears live, linked to its policy', async () => {
    // DATA_DIR/lab/<worker>.syslog is where `tabby up`'s lab writes each worker's packet log.
    const lab = join(cluster!.dir, 'lab');
    mkdirSync(lab, { recursive: true });
    const log = join(lab, 'worker1.syslog');
    await writeFile(log, '');
    await page.getByTestId('nav-policies').click();
    await page.getByTestId('nav-denied').click();
    await page.getByTestId('denied-none').waitFor();
    await appendFile(
      log,
      'Jan  1 00:00:00 worker1 calico-packet: IN=cali0123456789a OUT=calib0123456789 MAC= SRC=172.30.2.21 DST=172.30.1.21 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=81 WINDOW=64240 RES=0x00 SYN URGP=0 MARK=0\n',
    );
    const row = page.locator('[data-testid="denied-lines"] tbody tr').first();
    await row.waitFor({ timeout: 10_000 });
    const text = await row.innerText();
    assert.match(text, /172\.30\.2\.21 → 172\.30\.1\.21 TCP\/81/);
    assert.match(text, /Deny/);
    assert.match(text, /end of tier default/);
    await shot(page, 'denied');
  });

  test('a kubectl apply shows up live, without a reload', { skip: requireTool('kubectl') }, async () => {
    await page.getByTestId('nav-policies').click();
    await page.locator('[data-testid="policy-row"][data-policy="allow-icmp"]').waitFor();
    assert.equal(await page.locator('[data-testid="policy-row"][data-policy="live-from-kubectl"]').count(), 0);
    const file = join(cluster!.dir, 'live.yaml');
    await writeFile(file, LIVE);
    const r = await kubectl(cluster!, ['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    await page.locator('[data-testid="policy-row"][data-policy="live-from-kubectl"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('nav-status').click();
    await page.getByTestId('recent-changes').getByText('live-from-kubectl').waitFor({ timeout: 5_000 });
    await shot(page, 'status');
  });

  test('the 1,000-pod matrix renders in under a second after the data arrives', async () => {
    await loadPods(cluster!.client, 1000);
    const m = await page.context().newPage();
    try {
      const t = await measureMatrix(m, cluster!.server, 1000);
      console.log(`dashboard: ${t.pods}-pod matrix drawn ${t.ms.toFixed(1)} ms after the data arrived (snapshot ${t.buildMs.toFixed(1)} ms, matrix ${t.matrixMs.toFixed(1)} ms over ${t.classes} classes, draw ${t.drawMs.toFixed(1)} ms)`);
      assert.ok(t.pods >= 1000, `pods: ${t.pods}`);
      assert.ok(Number.isFinite(t.ms) && t.ms > 0, `recorded: ${t.ms}`);
      assert.ok(t.ms < 1000, `the 1,000-pod matrix took ${t.ms.toFixed(1)} ms`);
      const measured = (await m.evaluate(`performance.getEntriesByName('tabby:matrix').length`)) as number;
      assert.ok(measured >= 1, 'the page records the performance measure tabby:matrix');
      await shot(m, 'connectivity-1000');
    } finally {
      await m.close();
    }
  });
});
