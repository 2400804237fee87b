/** The Tabby dashboard: login, navigation, and the pages. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { checkToken, getToken, setToken } from './api.js';
import { connection, latestRevision, readOnly, ready, startWatch, stopWatch, world } from './store.js';
import { currentRoute, Link, location } from './router.js';
import { PoliciesPage } from './pages/policies.js';
import { EndpointsPage } from './pages/endpoints.js';
import { ConnectivityPage } from './pages/connectivity.js';
import { TracePage } from './pages/trace.js';
import { WhatIfPage } from './pages/whatif.js';
import { DeniedPage } from './pages/denied.js';
import { FlowsPage } from './pages/flows.js';
import { StatusPage } from './pages/status.js';
import './style.css';

// `tabby dashboard --kubeconfig` prints the page's URL with its token in the fragment (never sent
// to the server): keep it for the session and take it out of the address bar.
{
  const m = /^#token=([A-Za-z0-9_-]{16,200})$/.exec(window.location.hash);
  if (m !== null) {
    setToken(m[1]!);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
}

const authed = { value: getToken() !== null };

function Login(props: { onDone: () => void }) {
  const [token, setTok] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1>Tabby</h1>
      <p>Sign in with an API token: the admin token (read and write) or the read-only one, from the server's data directory (<code>tokens</code>), or the one in the URL <code>tabby dashboard</code> printed.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError('');
          checkToken(token.trim()).then(
            () => {
              setToken(token.trim());
              props.onDone();
            },
            (err: unknown) => {
              setBusy(false);
              setError(err instanceof Error ? err.message : String(err));
            },
          );
        }}
      >
        <label>
          Token
          <input type="password" name="token" autoComplete="off" value={token} onInput={(e) => setTok((e.target as HTMLInputElement).value)} data-testid="token" />
        </label>
        <button type="submit" disabled={busy || token.trim() === ''} data-testid="login">
          Sign in
        </button>
        {error !== '' && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

const PAGES: readonly { path: string; title: string }[] = [
  { path: '/policies', title: 'Policies' },
  { path: '/endpoints', title: 'Endpoints' },
  { path: '/connectivity', title: 'Connectivity' },
  { path: '/trace', title: 'Trace' },
  { path: '/what-if', title: 'What-if' },
  { path: '/flows', title: 'Flows' },
  { path: '/denied', title: 'Denied traffic' },
  { path: '/status', title: 'Enforcement' },
];

function Page() {
  const { path, query } = currentRoute();
  if (!ready.value || world.value === undefined) return <p class="muted">Loading the cluster…</p>;
  switch (path) {
    case '/endpoints':
      return <EndpointsPage query={query} />;
    case '/connectivity':
      return <ConnectivityPage query={query} />;
    case '/trace':
      return <TracePage key={location.value} query={query} />;
    case '/what-if':
      return <WhatIfPage />;
    case '/flows':
      return <FlowsPage query={query} />;
    case '/denied':
      return <DeniedPage />;
    case '/status':
      return <StatusPage />;
    default:
      return <PoliciesPage query={query} />;
  }
}

function Shell(props: { onLogout: () => void }) {
  void location.value;
  const { path } = currentRoute();
  const active = PAGES.some((p) => p.path === path) ? path : '/policies';
  const w = world.value;
  return (
    <div class="shell">
      <header>
        <span class="brand">Tabby</span>
        <nav>
          {PAGES.map((p) => (
            <Link to={p.path} class={p.path === active ? 'active' : ''} testid={`nav-${p.path.slice(1)}`}>
              {p.title}
            </Link>
          ))}
        </nav>
        {readOnly.value !== undefined && (
          <span class="read-only" data-testid="read-only" title={readOnly.value}>
            read-only
          </span>
        )}
        <span class={`conn conn-${connection.value}`} data-testid="connection" title="the watch stream">
          {connection.value} · rev {latestRevision.value}
          {w !== undefined && ` · ${w.snapshot.workloads.length} pods`}
        </span>
        <button class="link" onClick={props.onLogout}>
          Sign out
        </button>
      </header>
      <main>
        <Page />
      </main>
    </div>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(authed.value);
  if (signedIn && connection.value === 'unauthorized') {
    setToken(null);
    stopWatch();
    setSignedIn(false);
  }
  if (!signedIn)
    return (
      <Login
        onDone={() => {
          startWatch();
          setSignedIn(true);
        }}
      />
    );
  return (
    <Shell
      onLogout={() => {
        setToken(null);
        stopWatch();
        connection.value = 'connecting';
        setSignedIn(false);
      }}
    />
  );
}

if (authed.value) startWatch();
render(<App />, document.getElementById('app')!);
