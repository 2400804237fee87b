/**
 * @module Dashboard benchmark: the Connectivity page's 1,000-pod matrix, timed in the browser
 * from the data's arrival (the watch stream's READY) to the drawn canvas — snapshot build,
 * verdictMatrix and drawing included (the page records it as `window.__tabbyMatrix`). Drives
 * Debian's Chromium (`chromium` on PATH) with playwright-core against a real API server started
 * here (temporary data directory, embedded SQLite, ibm-classic profile, 1,000 pods in 10
 * namespaces with per-namespace policies). Skips (no results) without Chromium or without the
 * built bundle (dist/ui). Goal <= 1000 ms; best of a few page loads.
 *
 * Also exports the helpers the browser test (test/e2e/dashboard.test.ts) shares.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { runServer, type RunningServer } from '../src/apiserver/main.js';
import { ResourceClient } from '../src/client/index.js';
import { loadProfile, profileNamed, startHostEndpointController, type HostEndpointController } from '../src/cluster/index.js';
import { openSqliteDatastore, type Datastore } from '../src/datastore/index.js';
import { defaultUiDir } from '../src/web/index.js';
import { findOnPath } from '../src/sys/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

/** Debian's Chromium: `chromium` on PATH ('' when it is not there). */
export const CHROMIUM = findOnPath('chromium') ?? '';
const ROUNDS = 3;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the dashboard cannot be driven here, or undefined when it can. */
export function browserUnavailable(): string | undefined {
  if (CHROMIUM === '') return 'chromium is not on PATH (Debian package chromium: apt-get install chromium)';
  const ui = defaultUiDir();
  if (ui === undefined || !existsSync(join(ui, 'index.html'))) return 'the dashboard bundle is not built (npm run build: vite build ui → dist/ui)';
  return undefined;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile directory (removed on close). */
export async function launchBrowser(viewport: { width: number; height: number } = { width: 1440, height: 900 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'tabby-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      ignoreHTTPSErrors: true,
      viewport,
      timeout: 30_000,
    });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface TestCluster {
  readonly server: RunningServer;
  readonly datastore: Datastore;
  readonly client: ResourceClient;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * What `tabby up --no-lab` runs: a real API server on a free port (temporary data dir, embedded
 * SQLite), the ibm-classic profile with its workers as Nodes, and the host endpoint controller.
 */
export async function startCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-dashboard-'));
  const datastore = await openSqliteDatastore(join(dir, 'tabby.db'));
  let server: RunningServer | undefined;
  let controller: HostEndpointController | undefined;
  try {
    server = await runServer({ dataDir: dir, port: 0, datastore });
    const client = new ResourceClient(datastore);
    const profile = profileNamed('ibm-classic')!;
    await loadProfile(client, profile, { workers: profile.workers(3), scheduler: 'static', createNodes: true });
    controller = startHostEndpointController(datastore, { convention: profile.interfaces });
    await controller.ready;
    const s = server;
    const c = controller;
    return {
      server: s,
      datastore,
      client,
      dir,
      async stop() {
        await c.stop();
        await s.stop();
        await datastore.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await controller?.stop();
    await server?.stop();
    await datastore.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

const APPS = ['web', 'api', 'db', 'cache'] as const;

/** `count` pods in `namespaces` namespaces (`load-<i>`), each namespace with two policies, so the matrix has real structure. */
export async function loadPods(client: ResourceClient, count: number, namespaces = 10): Promise<void> {
  for (let n = 0; n < namespaces; n++) {
    const ns = `load-${n}`;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: `t${n % 3}` } } });
    await client.create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'db-from-api', namespace: ns },
      spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }] },
    });
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'web-from-team', namespace: ns },
      spec: { order: 100, selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { namespaceSelector: `team == 't${n % 3}'` }, destination: { ports: [80] } }] },
    });
  }
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const app = APPS[i % APPS.length]!;
    const port = app === 'db' ? 5432 : app === 'cache' ? 6379 : 80;
    writes.push(
      client.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${app}-${i}`, namespace: `load-${i % namespaces}`, labels: { app, shard: `s${i % 7}` } },
        spec: { nodeName: `kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w${(i % 3) + 1}.cloud.ibm`, containers: [{ name: app, image: 'example', ports: [{ containerPort: port }] }] },
        status: { phase: 'Running', podIP: `198.19.${i >> 8}.${(i & 255) + 0}`, podIPs: [{ ip: `198.19.${i >> 8}.${i & 255}` }] },
      }),
    );
    if (writes.length >= 64) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

export interface MatrixTiming {
  readonly ms: number;
  readonly pods: number;
  readonly classes: number;
  readonly buildMs: number;
  readonly matrixMs: number;
  readonly drawMs: number;
}

/** Opens the Connectivity page already signed in and waits (bounded) for a matrix of at least `pods` pods. */
export async function measureMatrix(page: Page, server: RunningServer, pods: number): Promise<MatrixTiming> {
  // Page scripts as text: this file is compiled without the DOM library.
  await page.addInitScript({ content: `sessionStorage.setItem('tabby.token', ${JSON.stringify(server.adminToken)});` });
  await page.goto(`${server.dashboardUrl}connectivity`);
  await page.waitForFunction(`window.__tabbyMatrix !== undefined && window.__tabbyMatrix.pods >= ${pods}`, undefined, { timeout: 60_000 });
  return (await page.evaluate('window.__tabbyMatrix')) as MatrixTiming;
}

export async function run(): Promise<BenchResult[]> {
  const why = browserUnavailable();
  if (why !== undefined) {
    console.log(`dashboard bench skipped: ${why}`);
    return [];
  }
  const cluster = await startCluster();
  let browser: Browser | undefined;
  try {
    await loadPods(cluster.client, 1000);
    browser = await launchBrowser();
    let best: MatrixTiming | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      const page = await browser.context.newPage();
      try {
        const t = await measureMatrix(page, cluster.server, 1000);
        if (best === undefined || t.ms < best.ms) best = t;
      } finally {
        await page.close();
      }
    }
    console.log(
      `dashboard: ${best!.pods}-pod matrix drawn ${best!.ms.toFixed(1)} ms after the data arrived (snapshot ${best!.buildMs.toFixed(1)} ms, matrix ${best!.matrixMs.toFixed(1)} ms over ${best!.classes} classes, draw ${best!.drawMs.toFixed(1)} ms)`,
    );
    return [{ name: 'dashboard: 1,000-pod matrix, data arrival → drawn (Chromium)', value: Math.round(best!.ms * 10) / 10, unit: 'ms', goal: '<= 1000' }];
  } finally {
    await browser?.close();
    await cluster.stop();
  }
}
