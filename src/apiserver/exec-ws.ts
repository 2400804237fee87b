/**
 * @module `pods/exec` and `pods/attach` over WebSocket, the way kubectl 1.32 speaks them
 * (KUBECTL_REMOTE_COMMAND_WEBSOCKETS, on by default): subprotocols `v5.channel.k8s.io` and
 * `v4.channel.k8s.io`. Every binary message starts with a channel byte — 0 stdin, 1 stdout,
 * 2 stderr, 3 error (the final Status, JSON), 4 resize (`{"Width","Height"}`), and in v5 255
 * "close" (`[255, channel]`: the client's stdin ended). The command's exit becomes the Status on
 * channel 3: Success, or NonZeroExitCode with the code as the ExitCode cause, which kubectl
 * turns into its own exit code.
 *
 * The Node server's `upgrade` event lands here (main.ts). Before upgrading: authentication,
 * authorization (`create` on pods/exec|attach), the pod and container, and the PodRuntime; any
 * failure is an HTTP response carrying a Status (400 "does not have a host assigned", 403, 404,
 * 503 without a lab), never a hang. Requests that ask for SPDY get 400 naming the WebSocket
 * protocols. Bounded: a session ends when the command ends, the client closes, or the server
 * shuts down.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ResourceClient } from '../client/index.js';
import type { Datastore } from '../datastore/index.js';
import { authenticate, authorize, type Tokens } from './auth.js';
import { isRefusal, type PodRuntime, type PodSession } from './pod-runtime.js';
import { status, toStatus, type FailureStatus } from './status.js';
import { podTarget } from './subresources.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)\/?$/;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface ExecUpgradeDeps {
  readonly datastore: Datastore;
  readonly tokens: Tokens;
  readonly podRuntime?: PodRuntime | undefined;
  readonly shutdown: AbortSignal;
}

function _reject(socket: Duplex, st: FailureStatus): void {
  const body = JSON.stringify(st);
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[st.code] ?? 'Error';
  socket.end(`HTTP/1.1 ${st.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  // A client that keeps its half open does not hold the socket.
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** The Status kube sends on the error channel when the command ends. */
export function exitStatus(code: number, argv: readonly string[], message?: string): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: message ?? `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Returns the `upgrade` listener for the Node server. */
export function execUpgradeHandler(deps: ExecUpgradeDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  const client = new ResourceClient(deps.datastore);
  const sockets = new Set<WebSocket>();
  deps.shutdown.addEventListener('abort', () => {
    for (const ws of sockets) ws.terminate();
    wss.close();
  });

  return (req, socket, head) => {
    socket.on('error', () => undefined);
    void (async () => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'https://localhost');
      } catch {
        return _reject(socket, status(400, 'BadRequest', 'malformed request path'));
      }
      const m = PATH.exec(url.pathname);
      if (!m) return _reject(socket, status(404, 'NotFound', 'the server could not find the requested resource'));
      let namespace: string;
      let name: string;
      try {
        namespace = decodeURIComponent(m[1]!);
        name = decodeURIComponent(m[2]!);
      } catch {
        return _reject(socket, status(400, 'BadRequest', 'malformed percent-encoding in the request path'));
      }
      const sub = m[3] as 'exec' | 'attach';
      const user = authenticate(req.headers.authorization, deps.tokens);
      if (user === undefined) return _reject(socket, status(401, 'Unauthorized', 'Unauthorized'));
      const denied = authorize(user, 'create', { group: '', plural: `pods/${sub}`, namespace, name });
      if (denied) return _reject(socket, denied);
      // The protocol is checked after the pod (below): kubectl falls back from WebSocket to SPDY on
      // any refusal and shows the SPDY answer, so that answer must carry the real reason too.
      const protocolProblem = (): FailureStatus | undefined => {
        if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
          return status(400, 'BadRequest', `${req.headers.upgrade ?? 'this'} upgrade is not supported: use WebSocket with one of the subprotocols ${EXEC_PROTOCOLS.join(', ')}`);
        const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
        if (!EXEC_PROTOCOLS.some((p) => offered.includes(p)))
          return status(400, 'BadRequest', `unsupported WebSocket subprotocols ${JSON.stringify(offered.join(', '))}: this server speaks ${EXEC_PROTOCOLS.join(', ')}`);
        return undefined;
      };
      const q = url.searchParams;
      const command = q.getAll('command');
      if (sub === 'exec' && command.length === 0) return _reject(socket, status(400, 'BadRequest', 'you must specify at least 1 command'));
      const want = { stdin: q.get('stdin') === 'true' || q.get('stdin') === '1', stdout: q.get('stdout') !== 'false', stderr: q.get('stderr') === 'true' || q.get('stderr') === '1', tty: q.get('tty') === 'true' || q.get('tty') === '1' };
      let session: PodSession;
      try {
        const t = await podTarget(client, namespace, name, q.get('container'));
        if ('kind' in t) return _reject(socket, t);
        const phase = (t.pod as unknown as { status?: { phase?: string } }).status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') return _reject(socket, status(400, 'BadRequest', `cannot ${sub === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`));
        const rt = deps.podRuntime;
        if (rt === undefined)
          return _reject(socket, status(503, 'ServiceUnavailable', `pod ${name} runs on no node this API server can reach: no lab is attached (start the cluster with "tabby up" as root to run pods in the lab)`));
        if (sub === 'exec') {
          const bad = protocolProblem();
          if (bad) return _reject(socket, bad);
        }
        const s = sub === 'exec' ? await rt.exec(t.pod, t.container, command, want.tty) : await rt.attach(t.pod, t.container, want.tty);
        if (isRefusal(s)) return _reject(socket, status(s.code, s.reason, s.message));
        const bad = protocolProblem();
        if (bad) return _reject(socket, bad);
        session = s;
      } catch (e) {
        return _reject(socket, toStatus(e));
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        _serve(ws, session, command, want, sub === 'exec');
        ws.on('close', () => sockets.delete(ws));
      });
    })().catch((e: unknown) => _reject(socket, toStatus(e)));
  };
}

function _serve(ws: WebSocket, s: PodSession, argv: readonly string[], want: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }, ownsProcess: boolean): void {
  const send = (channel: number, data: Uint8Array): void => {
    if (ws.readyState !== ws.OPEN) return;
    const frame = Buffer.allocUnsafe(data.length + 1);
    frame[0] = channel;
    frame.set(data, 1);
    ws.send(frame);
  };
  if (want.stdout) s.onStdout((d) => send(STDOUT, d));
  if (want.stderr || want.tty) s.onStderr((d) => send(want.tty ? STDOUT : STDERR, d));
  if (!want.stdin && ownsProcess) s.closeStdin();
  let ended = false;
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (buf.length === 0) return;
    const ch = buf[0];
    const data = buf.subarray(1);
    if (ch === STDIN && want.stdin) s.writeStdin(data);
    else if (ch === RESIZE) {
      try {
        const r = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
        if (typeof r.Width === 'number' && typeof r.Height === 'number') s.resize(r.Width, r.Height);
      } catch {
        // a malformed resize is ignored, as the kubelet does
      }
    } else if (ch === CLOSE && data[0] === STDIN) s.closeStdin();
  });
  ws.on('close', () => {
    // The client went away: an exec'd command goes with it; an attached main process lives on.
    if (!ended && ownsProcess) s.kill();
  });
  void s.exit.then(({ code, message }) => {
    ended = true;
    // Let the last output frames go first, then the Status, then a normal close.
    setImmediate(() => {
      // attach reports no exit code (the pod's status does), exec reports it.
      send(ERROR, Buffer.from(JSON.stringify(ownsProcess ? exitStatus(code, argv, message) : exitStatus(0, argv))));
      ws.close(1000);
    });
  });
}
