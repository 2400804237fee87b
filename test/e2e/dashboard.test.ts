/**
 * End to end: the web dashboard in Debian's Chromium (/usr/bin/chromium, driven by
 * playwright-core; never a downloaded browser) against a real Tabby API server this test starts
 * (free port, temporary data directory, embedded SQLite, the ibm-classic profile). It signs in
 * with the admin token, sees the seed's default policies, traces a flow to its deciding policy,
 * previews a change in What-if, sees a `kubectl apply` arrive live, and draws the 1,000-pod
 * matrix (its timing is bench/dashboard.bench.ts's). Layout checks: the matrix's row and column
 * labels line up with its cells, graph labels are whole and inside the drawing, selectors do not
 * wrap to ten lines, a policy picked low in a long list shows its detail in view, and every page
 * fits 1280×800 and 1920×1080 without sideways scrolling. Skipped (with the reason) without
 * Chromium or the built bundle, except under CI=true, where that is a failure.
 *
 * TABBY_SCREENSHOTS=1 also writes PNGs to docs/screenshots/: `<page>.png` at 1280×800 and
 * `<page>-1920x1080.png`.
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
const SMALL = { width: 1280, height: 800 };
const LARGE = { width: 1920, height: 1080 };
/** Policies that select nothing, so the list is longer than a screen. */
const FILLERS = 40;

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
  const v = page.viewportSize();
  const suffix = v === null || (v.width === SMALL.width && v.height === SMALL.height) ? '' : `-${v.width}x${v.height}`;
  await page.screenshot({ path: join(SHOTS, `${name}${suffix}.png`), fullPage: false });
}

/** Page scripts as text: this file is compiled without the DOM library. */
const js = <T>(page: Page, expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;

/** How far the page is wider than the window (px): 0 when nothing needs sideways scrolling. */
const overflowX = (page: Page): Promise<number> => js<number>(page, 'document.documentElement.scrollWidth - window.innerWidth');

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Graph labels: each one's box inside the SVG's box, and its text whole (no ellipsis). */
async function graphLabelProblems(page: Page): Promise<string[]> {
  return js<string[]>(
    page,
    `(() => {
      const svg = document.querySelector('[data-testid="graph"]');
      if (!svg) return ['no graph'];
      const s = svg.getBoundingClientRect();
      const out = [];
      for (const t of svg.querySelectorAll('[data-testid="graph-label"]')) {
        const r = t.getBoundingClientRect();
        const name = t.querySelector('title').textContent;
        if (r.left < s.left - 0.5 || r.right > s.right + 0.5 || r.top < s.top - 0.5 || r.bottom > s.bottom + 0.5) out.push(name + ' is clipped: ' + JSON.stringify([r.left, r.right, r.top, r.bottom]) + ' outside ' + JSON.stringify([s.left, s.right, s.top, s.bottom]));
        if (name.length <= 40 && !t.textContent.endsWith(name)) out.push(name + ' is shortened to ' + t.textContent);
      }
      return out;
    })()`,
  );
}

/**
 * The matrix's row and column labels: `pods` — one per row, centred on its row, and hovering the
 * cell where row i meets column j names those two pods; `namespaces` — one per namespace band,
 * inside the matrix, and the band's first row belongs to that namespace.
 */
async function checkMatrixLabels(page: Page, mode: 'pods' | 'namespaces'): Promise<void> {
  const stats = await page.getByTestId('matrix-stats').innerText();
  const k = Number(/^(\d+) of/.exec(stats)?.[1]);
  // The mouse reaches only what is on screen (the matrix may sit below the graph).
  await page.getByTestId('matrix').scrollIntoViewIfNeeded();
  const canvas = (await page.getByTestId('matrix').boundingBox()) as Box;
  const read = (which: 'row' | 'col'): Promise<{ text: string; title: string; box: Box }[]> =>
    js(
      page,
      `[...document.querySelectorAll('[data-testid="matrix-${which}-label"]')].map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent.replace(t.querySelector('title').textContent, ''), title: t.querySelector('title').textContent, box: { x: r.x, y: r.y, width: r.width, height: r.height } };
      })`,
    );
  const rows = await read('row');
  const cols = await read('col');
  assert.equal(cols.length, rows.length, 'as many column labels as row labels');
  const hoverAt = async (row: number, col: number): Promise<string> => {
    // Bring that cell to the middle of the window first: the mouse reaches only what is on screen.
    const before = (await page.getByTestId('matrix').boundingBox()) as Box;
    const cell = before.height / k;
    await js(page, `window.scrollBy(${before.x + (col + 0.5) * cell - SMALL.width / 2}, ${before.y + (row + 0.5) * cell - 300})`);
    const now = (await page.getByTestId('matrix').boundingBox()) as Box;
    await page.mouse.move(now.x + (col + 0.5) * cell, now.y + (row + 0.5) * cell);
    const hover = page.getByTestId('matrix-hover');
    await hover.filter({ hasText: '→' }).waitFor({ timeout: 5_000 });
    return hover.innerText();
  };
  if (mode === 'pods') {
    assert.equal(rows.length, k, `one row label per pod (${stats})`);
    const cell = canvas.height / k;
    rows.forEach((r, i) => {
      const mid = r.box.y + r.box.height / 2;
      assert.ok(Math.abs(mid - (canvas.y + (i + 0.5) * cell)) <= 2, `row label ${r.title} is centred on row ${i} (${mid} vs ${canvas.y + (i + 0.5) * cell})`);
      assert.ok(r.box.x + r.box.width <= canvas.x + 1, `row label ${r.title} is left of the matrix`);
    });
    cols.forEach((c, j) => {
      assert.ok(c.box.y + c.box.height <= canvas.y + 1, `column label ${c.title} is above the matrix`);
      assert.ok(c.box.x >= canvas.x + j * cell - 2, `column label ${c.title} starts over column ${j}`);
    });
    const hover = await hoverAt(0, k - 1);
    assert.ok(hover.startsWith(`${rows[0]!.title} → ${cols[k - 1]!.title}: `), `hovering row 0, column ${k - 1}: ${hover}`);
    await js(page, 'window.scrollTo(0, 0)');
    return;
  }
  assert.ok(rows.length >= 10, `a label per namespace band: ${rows.map((r) => r.text).join(', ')}`);
  const cell = canvas.height / k;
  for (const r of rows) {
    assert.match(r.text, /^[a-z0-9-]+\/ \(\d+ pods?\)$/);
    const mid = r.box.y + r.box.height / 2;
    assert.ok(mid >= canvas.y && mid <= canvas.y + canvas.height, `band label ${r.text} is beside the matrix`);
  }
  const first = rows.find((r) => r.text.startsWith('load-'))!;
  const firstRow = Math.floor((first.box.y + first.box.height / 2 - canvas.y) / cell);
  const ns = first.text.split('/')[0]!;
  const hover = await hoverAt(firstRow, 0);
  assert.ok(hover.startsWith(`${ns}/`), `hovering the middle of band ${first.text} (row ${firstRow}): ${hover}`);
  await js(page, 'window.scrollTo(0, 0)');
}

describe('web dashboard in Chromium', { skip, timeout: 240_000 }, () => {
  let cluster: TestCluster | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    cluster = await startCluster();
    for (const o of SHOP) await cluster.client.create(o);
    const why = browserUnavailable();
    if (why !== undefined) throw new Error(why);
    for (let i = 0; i < FILLERS; i++)
      await cluster.client.create({
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name: `zz-filler-${String(i).padStart(2, '0')}` },
        spec: { order: 3000 + i, selector: `filler == '${i}'`, types: ['Ingress'], ingress: [{ action: 'Allow' }] },
      });
    browser = await launchBrowser(SMALL);
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

  test('/favicon.ico is served without a token, and no navigation meets a 401', async () => {
    const ico = await page.request.get(`${cluster!.server.url}/favicon.ico`);
    assert.equal(ico.status(), 200);
    assert.equal(ico.headers()['content-type'], 'image/svg+xml');
    assert.match(await ico.text(), /^<svg /);
    const refused: string[] = [];
    const p = await page.context().newPage();
    p.on('response', (r) => {
      if (r.status() === 401) refused.push(r.url());
    });
    try {
      await p.goto(`${cluster!.server.dashboardUrl}policies`);
      await p.getByTestId('token').waitFor();
      await p.goto(`${cluster!.server.dashboardUrl}trace`);
      await p.getByTestId('token').waitFor();
      const icon = (await js<string | null>(p, `document.querySelector('link[rel=icon]')?.href ?? null`)) ?? '';
      assert.equal((await p.request.get(icon)).status(), 200, `the page's icon ${icon}`);
      assert.deepEqual(refused, []);
    } finally {
      await p.close();
    }
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

  test('policies: selectors wrap to a few lines, not ten', async () => {
    const lines = await js<{ id: string; lines: number }[]>(
      page,
      `[...document.querySelectorAll('[data-testid="policy-row"] td.selector code')].map((c) => {
        const lh = parseFloat(getComputedStyle(c).lineHeight) || 1.2 * parseFloat(getComputedStyle(c).fontSize);
        return { id: c.closest('tr').dataset.policy, lines: Math.round(c.getBoundingClientRect().height / lh) };
      })`,
    );
    const dashboard = lines.find((l) => l.id === 'kube-system/knp.default.kubernetes-dashboard');
    assert.ok(dashboard !== undefined, `rows: ${lines.map((l) => l.id).join(', ')}`);
    // 108 characters: (projectcalico.org/namespace == "kube-system" && (… && k8s-app == "kubernetes-dashboard"))
    const worst = lines.reduce((a, b) => (b.lines > a.lines ? b : a));
    assert.ok(worst.lines <= 4, `the selector of ${worst.id} wraps to ${worst.lines} lines at 1280×800`);
    const simple = lines.find((l) => l.id === 'allow-icmp')!;
    assert.equal(simple.lines, 1, 'ibm.role == "worker_public" fits one line');
  });

  test('policies: a policy picked low in a long list shows its detail in view', async () => {
    const last = `zz-filler-${String(FILLERS - 1).padStart(2, '0')}`;
    const link = page.locator(`[data-testid="policy-row"][data-policy="${last}"] a`);
    await link.scrollIntoViewIfNeeded();
    const scrolled = await js<number>(page, 'window.scrollY');
    assert.ok(scrolled > 300, `the list is longer than the window (scrolled ${scrolled} px)`);
    await link.click();
    const detail = page.getByTestId('policy-detail');
    await detail.getByText(`GlobalNetworkPolicy ${last}`).waitFor();
    const box = (await detail.boundingBox()) as Box;
    const vh = SMALL.height;
    assert.ok(box.y >= 0 && box.y < vh / 2, `the detail starts at y=${box.y} (window 0..${vh})`);
    const heading = (await detail.locator('h2').boundingBox()) as Box;
    assert.ok(heading.y >= 0 && heading.y + heading.height <= vh, `the detail's heading is in view (y=${heading.y})`);
    const row = (await page.locator(`[data-testid="policy-row"][data-policy="${last}"]`).boundingBox()) as Box;
    assert.ok(row.y >= 0 && row.y < vh, `the clicked row stays in view (y=${row.y})`);
    await shot(page, 'policies-low');
    await js(page, 'window.scrollTo(0, 0)');
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
    // a new validation error clears the preview; a valid edit marks it stale
    const editor = page.getByTestId('whatif-yaml');
    await editor.fill(WHAT_IF.replace('order: 10', 'order: ten'));
    await page.getByTestId('validation').getByText('editor.yaml:').first().waitFor();
    await page.getByTestId('whatif-summary').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('whatif-deny').count(), 0, 'no flows from the previous preview stay on screen');
    await editor.fill(WHAT_IF);
    await page.getByTestId('whatif-run').click();
    await summary.waitFor();
    await editor.fill(WHAT_IF.replace('order: 10', 'order: 11'));
    await page.getByTestId('whatif-stale').waitFor();
    await page.getByTestId('whatif-run').click();
    await page.getByTestId('whatif-stale').waitFor({ state: 'detached' });
    // nothing was applied
    const res = await page.request.get(`${cluster!.server.url}/apis/projectcalico.org/v3/globalnetworkpolicies/deny-web`, { headers: { authorization: `Bearer ${cluster!.server.adminToken}` } });
    assert.equal(res.status(), 404);
  });

  test('a staged policy is promoted from its page: the flows it changes first, then the enforced policy replaces it', async () => {
    await cluster!.client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedNetworkPolicy',
      metadata: { name: 'web-closed', namespace: 'shop' },
      spec: { stagedAction: 'Set', order: 1, selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Deny' }] },
    });
    await page.goto(`${cluster!.server.dashboardUrl}policies?staged=${encodeURIComponent('projectcalico.org/stagednetworkpolicies:shop/web-closed')}`);
    const flips = page.getByTestId('promote-flips');
    await flips.waitFor();
    assert.match(await flips.innerText(), /shop\/client → shop\/web TCP\/80: Allow → Deny/);
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('promote-button').click();
    await page.getByTestId('promote-status').getByText('NetworkPolicy created; staged policy deleted').waitFor();
    const h = { headers: { authorization: `Bearer ${cluster!.server.adminToken}` } };
    const api = `${cluster!.server.url}/apis/projectcalico.org/v3/namespaces/shop`;
    assert.equal((await page.request.get(`${api}/networkpolicies/web-closed`, h)).status(), 200);
    assert.equal((await page.request.get(`${api}/stagednetworkpolicies/web-closed`, h)).status(), 404);
    assert.equal((await page.request.delete(`${api}/networkpolicies/web-closed`, h)).status(), 200);
  });

  test('connectivity, denied traffic (no lab: empty state) and enforcement pages render', async () => {
    await page.getByTestId('nav-connectivity').click();
    await page.getByTestId('matrix').waitFor();
    assert.match(await page.getByTestId('matrix-stats').innerText(), /of \d+ pods/);
    await checkMatrixLabels(page, 'pods');
    assert.deepEqual(await graphLabelProblems(page), []);
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

  test('every page fits 1280×800 and 1920×1080 without sideways scrolling', async () => {
    const pages: { name: string; path: string; ready: string; then?: () => Promise<void> }[] = [
      { name: 'policies', path: `policies?policy=${encodeURIComponent('GlobalNetworkPolicy:allow-icmp')}`, ready: 'policy-detail' },
      { name: 'endpoints', path: `endpoints?endpoint=${encodeURIComponent('shop/web')}`, ready: 'endpoint-detail' },
      { name: 'connectivity', path: 'connectivity', ready: 'matrix' },
      { name: 'trace', path: 'trace?from=shop%2Fclient&to=shop%2Fweb&port=80&protocol=TCP', ready: 'trace-result' },
      {
        name: 'what-if',
        path: 'what-if',
        ready: 'whatif-yaml',
        then: async () => {
          await page.getByTestId('whatif-yaml').fill(WHAT_IF);
          await page.getByTestId('whatif-run').click();
          await page.getByTestId('whatif-summary').waitFor();
        },
      },
      { name: 'denied', path: 'denied', ready: 'denied-lines' },
      { name: 'status', path: 'status', ready: 'status-nodes' },
    ];
    try {
      for (const size of [SMALL, LARGE]) {
        await page.setViewportSize(size);
        for (const p of pages) {
          await page.goto(`${cluster!.server.dashboardUrl}${p.path}`);
          await page.getByTestId(p.ready).waitFor();
          await p.then?.();
          assert.equal(await overflowX(page), 0, `${p.name} at ${size.width}×${size.height} scrolls sideways`);
          if (p.name === 'connectivity') {
            await checkMatrixLabels(page, 'pods');
            assert.deepEqual(await graphLabelProblems(page), []);
          }
          if (size === LARGE) await shot(page, p.name);
        }
      }
    } finally {
      await page.setViewportSize(SMALL);
    }
  });

  test('the 1,000-pod matrix is drawn, with a label per namespace band (timing: bench/dashboard.bench.ts)', async () => {
    await loadPods(cluster!.client, 1000);
    const m = await page.context().newPage();
    try {
      const t = await measureMatrix(m, cluster!.server, 1000);
      console.log(`dashboard: ${t.pods}-pod matrix drawn ${t.ms.toFixed(1)} ms after the data arrived (snapshot ${t.buildMs.toFixed(1)} ms, matrix ${t.matrixMs.toFixed(1)} ms over ${t.classes} classes, draw ${t.drawMs.toFixed(1)} ms)`);
      assert.ok(t.pods >= 1000, `pods: ${t.pods}`);
      assert.ok(Number.isFinite(t.ms) && t.ms > 0, `recorded: ${t.ms}`);
      const measured = (await m.evaluate(`performance.getEntriesByName('tabby:matrix').length`)) as number;
      assert.ok(measured >= 1, 'the page records the performance measure tabby:matrix');
      await checkMatrixLabels(m, 'namespaces');
      assert.deepEqual(await graphLabelProblems(m), []);
      assert.equal(await overflowX(m), 0);
      await shot(m, 'connectivity-1000');
      await m.setViewportSize(LARGE);
      await checkMatrixLabels(m, 'namespaces');
      await shot(m, 'connectivity-1000');
    } finally {
      await m.close();
    }
  });
});
