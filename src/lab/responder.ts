/**
 * @module The pod's process: a tiny Node script, run inside a pod (or worker, or client)
 * namespace with `ip netns exec <ns> node -e <script> <config>`, that
 *
 * - serves the declared container ports, on IPv4 and IPv6 (dual-stack sockets on `::`, or
 *   0.0.0.0 where the namespace has no IPv6): TCP (an HTTP answer when the client speaks HTTP,
 *   so curl works; otherwise `ok <name>`), UDP (answers every datagram with `ok <name>`);
 * - runs probes on request: JSON lines on stdin `{id, proto: tcp|udp|icmp, ip, port,
 *   timeoutMs}`, one JSON line per answer on stdout `{id, result: open|refused|timeout|error}`.
 *
 * Bounded: every probe has a timeout (≤ 10 s, ICMP through `ping -c1 -W`); served connections
 * close after 5 s; the process exits when its stdin closes (its parent is gone) or after
 * `maxLifetimeMs`. The script is plain JavaScript (no loader), kept in a string so it needs no
 * file on disk.
 */

export interface ResponderConfig {
  readonly name: string;
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
  readonly maxLifetimeMs: number;
  /** When set, served HTTP requests are appended here in nginx's access-log format (the pod's log). */
  readonly logFile?: string;
}

export type ProbeProto = 'tcp' | 'udp' | 'icmp';
export type ProbeResult = 'open' | 'refused' | 'timeout' | 'error';

export interface ProbeRequest {
  readonly id: number;
  readonly proto: ProbeProto;
  readonly ip: string;
  readonly port: number;
  readonly timeoutMs: number;
}

export const RESPONDER_SCRIPT = String.raw`
'use strict';
const net = require('net'), dgram = require('dgram'), cp = require('child_process'), rl = require('readline'), fs = require('fs');
const cfg = JSON.parse(process.argv[1]);
const name = String(cfg.name);
process.on('uncaughtException', (e) => { process.stderr.write('responder: ' + e.message + '\n'); });
setTimeout(() => process.exit(0), cfg.maxLifetimeMs).unref();
const HTTP = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) /;
for (const port of cfg.tcp) {
  const srv = net.createServer((s) => {
    const peer = (s.remoteAddress || '-').replace(/^::ffff:/, '');
    s.on('error', () => {});
    s.setTimeout(5000, () => s.destroy());
    let done = false;
    const reply = (buf) => {
      if (done) return; done = true; clearTimeout(t);
      const text = name + ' ' + port + '\n';
      const head = buf ? buf.toString('latin1') : '';
      if (buf && HTTP.test(head)) {
        const isHead = head.startsWith('HEAD ');
        s.end('HTTP/1.1 200 OK\r\nServer: tabby-lab\r\nContent-Type: text/plain\r\nContent-Length: ' + Buffer.byteLength(text) + '\r\nConnection: close\r\n\r\n' + (isHead ? '' : text));
        if (cfg.logFile) {
          const line = head.split('\r\n')[0];
          const ua = (/\r\nuser-agent: *([^\r\n]*)/i.exec(head) || [])[1] || '-';
          const d = new Date();
          const M = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'][d.getUTCMonth()];
          const p2 = (n) => String(n).padStart(2, '0');
          const ts = p2(d.getUTCDate()) + '/' + M + '/' + d.getUTCFullYear() + ':' + p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes()) + ':' + p2(d.getUTCSeconds()) + ' +0000';
          try { fs.appendFileSync(cfg.logFile, peer + ' - - [' + ts + '] "' + line + '" 200 ' + (isHead ? 0 : Buffer.byteLength(text)) + ' "-" "' + ua + '" "-"\n'); } catch {}
        }
      }
      else s.end('ok ' + text);
    };
    const t = setTimeout(() => reply(null), 150);
    s.once('data', (b) => reply(b));
  });
  // '::' serves IPv4 and IPv6 (dual-stack socket); without IPv6 in the namespace, 0.0.0.0.
  srv.on('error', (e) => { if (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL') srv.listen(port, '0.0.0.0'); else process.stderr.write('responder: tcp/' + port + ': ' + e.message + '\n'); });
  srv.listen({ port, host: '::', ipv6Only: false });
}
function udpServe(port, type) {
  const sock = dgram.createSocket({ type, ipv6Only: false });
  sock.on('error', (e) => { if (type === 'udp6' && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL')) { try { sock.close(); } catch {} udpServe(port, 'udp4'); } else process.stderr.write('responder: udp/' + port + ': ' + e.message + '\n'); });
  sock.on('message', (m, r) => sock.send('ok ' + name + ' ' + port + '\n', r.port, r.address));
  sock.bind(port, type === 'udp6' ? '::' : '0.0.0.0');
}
for (const port of cfg.udp) udpServe(port, 'udp6');
const out = (id, result) => process.stdout.write(JSON.stringify({ id, result }) + '\n');
function probe(q) {
  const tmo = Math.max(10, Math.min(10000, Number(q.timeoutMs) || 500));
  let settled = false;
  const fin = (r, cleanup) => { if (settled) return; settled = true; clearTimeout(timer); try { cleanup && cleanup(); } catch {} out(q.id, r); };
  let cleanup = null;
  const timer = setTimeout(() => fin('timeout', cleanup), tmo);
  if (q.proto === 'tcp') {
    const s = net.connect({ host: q.ip, port: q.port });
    cleanup = () => s.destroy();
    s.on('connect', () => fin('open', cleanup));
    s.on('error', (e) => fin(e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'timeout' : 'error', cleanup));
  } else if (q.proto === 'udp') {
    const s = dgram.createSocket(net.isIPv6(q.ip) ? 'udp6' : 'udp4');
    cleanup = () => s.close();
    s.on('message', () => fin('open', cleanup));
    s.on('error', (e) => fin(e.code === 'ECONNREFUSED' ? 'refused' : 'error', cleanup));
    s.connect(q.port, q.ip, () => s.send('probe\n'));
  } else if (q.proto === 'icmp') {
    const p = cp.spawn('ping', ['-n', '-q', '-c', '1', '-W', String(Math.max(0.05, tmo / 1000)), q.ip], { stdio: 'ignore' });
    cleanup = () => p.kill('SIGKILL');
    p.on('error', () => fin('error', null));
    p.on('exit', (code) => fin(code === 0 ? 'open' : 'timeout', null));
  } else fin('error', null);
}
const lines = rl.createInterface({ input: process.stdin });
lines.on('line', (l) => { if (l.trim() === '') return; try { probe(JSON.parse(l)); } catch (e) { process.stderr.write('responder: bad request\n'); } });
lines.on('close', () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
`;

/** argv that runs the responder inside `netns` (prefix it with nothing else: no shell). */
export function responderArgv(nodePath: string, netns: string, cfg: ResponderConfig): string[] {
  return ['ip', 'netns', 'exec', netns, nodePath, '-e', RESPONDER_SCRIPT, JSON.stringify(cfg)];
}
