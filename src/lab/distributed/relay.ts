/**
 * @module The distributed lab's way in from the host, like `kubectl port-forward`: the host's
 * root namespace gets no lab address or route, so
 *
 *   kubectl ──TCP──▶ 127.0.0.1:<port> (HostForwarder, in the lab daemon, root namespace)
 *           ──unix socket──▶ the relay (a node process in the admin namespace `<p>-adm`, 198.18.0.99)
 *           ──TCP over the fabric──▶ apiserver-1:6443, else apiserver-2:6443, …
 *
 * A unix socket is a file, reachable from every namespace: that is the one crossing. TLS is end
 * to end (kubectl ↔ API server; the servers' certificates always name 127.0.0.1). The relay
 * serves several sockets, each with an ordered list of targets (the first that accepts a
 * connection within 2 s wins): `api.sock` (every API server, for failover), one per API server
 * and one per etcd member (direct, for health checks).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** One socket the relay serves and where it connects each accepted stream. */
export interface RelayRoute {
  readonly socket: string;
  readonly targets: readonly { readonly host: string; readonly port: number }[];
}

/** The relay's program (run with `node -e`): argv[1] is the JSON route list; prints `ready` once all listen. */
export const RELAY_SCRIPT = `
const net = require('node:net');
const fs = require('node:fs');
const routes = JSON.parse(process.argv[1]);
const CONNECT_MS = 2000;
function dial(targets, i, done) {
  if (i >= targets.length) return done(undefined);
  const t = targets[i];
  const s = net.connect({ host: t.host, port: t.port });
  const timer = setTimeout(() => s.destroy(new Error('timeout')), CONNECT_MS);
  s.once('connect', () => { clearTimeout(timer); s.removeAllListeners('error'); done(s); });
  s.once('error', () => { clearTimeout(timer); dial(targets, i + 1, done); });
}
let listening = 0;
for (const r of routes) {
  try { fs.rmSync(r.socket, { force: true }); } catch {}
  const srv = net.createServer((c) => {
    c.pause();
    c.on('error', () => c.destroy());
    dial(r.targets, 0, (up) => {
      if (up === undefined || c.destroyed) { up?.destroy(); c.destroy(); return; }
      up.on('error', () => { up.destroy(); c.destroy(); });
      c.on('close', () => up.destroy());
      up.on('close', () => c.destroy());
      c.pipe(up); up.pipe(c); c.resume();
    });
  });
  srv.listen(r.socket, () => { fs.chmodSync(r.socket, 0o600); if (++listening === routes.length) process.stdout.write('ready\\n'); });
}
process.on('SIGTERM', () => process.exit(0));
`;

/** The relay's argv after `node`. */
export function relayArgs(routes: readonly RelayRoute[]): string[] {
  return ['-e', RELAY_SCRIPT, JSON.stringify(routes)];
}

/** Listens on 127.0.0.1 (port 0 = a free one) and pipes every connection to the unix socket SOCKET. */
export class HostForwarder {
  private constructor(
    private readonly _server: Server,
    readonly port: number,
    private readonly _conns: Set<Socket>,
  ) {}

  static async start(socket: string, port = 0): Promise<HostForwarder> {
    const conns = new Set<Socket>();
    const server = createServer((c) => {
      conns.add(c);
      c.pause();
      const up = connect({ path: socket });
      conns.add(up);
      const end = (): void => {
        c.destroy();
        up.destroy();
        conns.delete(c);
        conns.delete(up);
      };
      c.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
      up.once('connect', () => {
        c.pipe(up);
        up.pipe(c);
        c.resume();
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => ok());
    });
    return new HostForwarder(server, (server.address() as { port: number }).port, conns);
  }

  async close(): Promise<void> {
    for (const c of this._conns) c.destroy();
    await new Promise<void>((ok) => this._server.close(() => ok()));
  }
}
