/**
 * @module The lab's stand-in for a container's userland: lab pods are network namespaces on the
 * host, not containers, so `kubectl exec` and a pod's command do not run host binaries (that
 * would be a root shell on the host). They run this script, `node -e BUSYBOX_SCRIPT <argv
 * JSON>`, inside the pod's network namespace (through `ip netns exec`, so /etc/hosts and
 * /etc/resolv.conf are the pod's own, see hosts.ts). It implements a few busybox applets with
 * busybox's output and exit codes:
 *
 *   wget [-q] [--spider] [-T|--timeout N] [-O FILE|-] URL   HTTP GET/HEAD (exit 1 on failure)
 *   nc -z [-w N] HOST PORT                                 TCP connect test
 *   nslookup NAME, hostname, echo, cat /etc/hosts|/etc/resolv.conf, sleep N, env, true, false
 *   sh [-c 'cmd; cmd']                                     a tiny shell over the applets
 *
 * Anything else exits 127 with the container runtime's "executable file not found" message.
 * Bounded: wget and nc time out (default 10 s, at most 60 s), sleep at most 1 h.
 */

export const BUSYBOX_SCRIPT = String.raw`
'use strict';
const net = require('net'), http = require('http'), dns = require('dns'), fs = require('fs'), os = require('os'), rl = require('readline');
const argv = JSON.parse(process.argv[1]);
const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);
const APPLETS = {
  async wget(a) {
    let spider = false, quiet = false, timeout = 10, outFile = null, url = null;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (x === '--spider') spider = true;
      else if (x === '-q') quiet = true;
      else if (x === '-T') timeout = Number(a[++i]);
      else if (x.startsWith('--timeout=')) timeout = Number(x.slice(10));
      else if (x === '-O') outFile = a[++i];
      else if (x.startsWith('-')) { err('wget: unrecognized option \'' + x + '\'\n'); return 1; }
      else url = x;
    }
    if (!url) { err('BusyBox v1.36.1 (lab) multi-call binary.\n\nUsage: wget [--spider] [-q] [-T SEC] [-O FILE] URL\n'); return 1; }
    timeout = Math.max(0.05, Math.min(60, Number.isFinite(timeout) ? timeout : 10));
    if (!/^[a-z]+:\/\//.test(url)) url = 'http://' + url;
    let u;
    try { u = new URL(url); } catch { err('wget: bad address \'' + url + '\'\n'); return 1; }
    const host = u.hostname, port = Number(u.port || 80);
    let addr;
    try { addr = (await dns.promises.lookup(host, { family: 4 })).address; } catch { err('wget: bad address \'' + host + '\'\n'); return 1; }
    if (!quiet) err('Connecting to ' + host + (u.port ? ':' + u.port : '') + ' (' + addr + ':' + port + ')\n');
    return await new Promise((resolve) => {
      let done = false;
      const finish = (code) => { if (!done) { done = true; clearTimeout(t); resolve(code); } };
      const req = http.request({ host: addr, port, path: u.pathname + u.search, method: spider ? 'HEAD' : 'GET', headers: { Host: u.host, 'User-Agent': 'Wget' } }, (res) => {
        if (res.statusCode >= 400) { err('wget: server returned error: HTTP/1.1 ' + res.statusCode + ' ' + res.statusMessage + '\n'); res.resume(); return finish(1); }
        if (spider) { if (!quiet) err('remote file exists\n'); res.resume(); return finish(0); }
        const name = outFile || (u.pathname.split('/').pop() || 'index.html');
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (name === '-') out(body);
          else { if (!quiet) err('saving to \'' + name + '\'\n'); if (!quiet) err(name + '              100% |********************************|  ' + body.length + '  0:00:00 ETA\n\'' + name + '\' saved\n'); }
          finish(0);
        });
      });
      const t = setTimeout(() => { req.destroy(); err('wget: download timed out\n'); finish(1); }, timeout * 1000);
      req.on('error', (e) => { err('wget: can\'t connect to remote host (' + addr + '): ' + (e.code === 'ECONNREFUSED' ? 'Connection refused' : e.message) + '\n'); finish(1); });
      req.end();
    });
  },
  async nc(a) {
    let w = 10; const rest = [];
    for (let i = 0; i < a.length; i++) { if (a[i] === '-w') w = Number(a[++i]); else if (a[i] === '-z' || a[i] === '-v' || a[i] === '-zv') {} else rest.push(a[i]); }
    const [host, port] = rest;
    if (!host || !port) { err('usage: nc -z [-w SEC] HOST PORT\n'); return 1; }
    return await new Promise((resolve) => {
      const s = net.connect({ host, port: Number(port) });
      const t = setTimeout(() => { s.destroy(); err('nc: ' + host + ' (' + port + '): Connection timed out\n'); resolve(1); }, Math.max(0.05, Math.min(60, w || 10)) * 1000);
      s.on('connect', () => { clearTimeout(t); s.destroy(); resolve(0); });
      s.on('error', (e) => { clearTimeout(t); err('nc: ' + host + ' (' + port + '): ' + e.message + '\n'); resolve(1); });
    });
  },
  async nslookup(a) {
    const name = a[0];
    if (!name) { err('usage: nslookup NAME\n'); return 1; }
    try { const r = await dns.promises.lookup(name, { family: 4 }); out('Name:\t' + name + '\nAddress: ' + r.address + '\n'); return 0; }
    catch { err('** server can\'t find ' + name + ': NXDOMAIN\n'); return 1; }
  },
  hostname() { out((process.env.HOSTNAME || os.hostname()) + '\n'); return 0; },
  echo(a) { out(a.join(' ') + '\n'); return 0; },
  cat(a) {
    let code = 0;
    for (const f of a) {
      if (f !== '/etc/hosts' && f !== '/etc/resolv.conf') { err('cat: can\'t open \'' + f + '\': No such file or directory\n'); code = 1; continue; }
      try { out(fs.readFileSync(f, 'utf8')); } catch { err('cat: can\'t open \'' + f + '\': No such file or directory\n'); code = 1; }
    }
    return code;
  },
  sleep(a) { const s = Math.max(0, Math.min(3600, Number(a[0]) || 0)); return new Promise((r) => setTimeout(() => r(0), s * 1000)); },
  env() { out('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=' + os.hostname() + '\n'); return 0; },
  true() { return 0; },
  false() { return 1; },
  async sh(a) {
    if (a[0] === '-c') return await runLine(a.slice(1).join(' '));
    // Interactive: a prompt, one command per line, until exit or end of input.
    const tty = process.stdin.isTTY || process.env.TABBY_TTY === '1';
    let last = 0;
    const lines = rl.createInterface({ input: process.stdin });
    const prompt = () => { if (tty) out('/ # '); };
    prompt();
    for await (const line of lines) {
      const m = /^\s*exit(?:\s+(\d+))?\s*$/.exec(line);
      if (m) return m[1] === undefined ? last : Number(m[1]);
      if (line.trim() !== '') last = await runLine(line);
      prompt();
    }
    return last;
  },
};
function words(line) {
  const ws = []; let cur = null, q = null;
  for (const ch of line) {
    if (q) { if (ch === q) q = null; else cur += ch; continue; }
    if (ch === '"' || ch === "'") { q = ch; cur = cur ?? ''; continue; }
    if (/\s/.test(ch)) { if (cur !== null) { ws.push(cur); cur = null; } continue; }
    cur = (cur ?? '') + ch;
  }
  if (cur !== null) ws.push(cur);
  return ws;
}
async function runLine(line) {
  let code = 0;
  for (const part of line.split(/;|&&/)) {
    const w = words(part);
    if (w[0] === 'exit') return Number(w[1] || code) & 255;
    if (w.length > 0) code = await run(w);
  }
  return code;
}
async function run(a) {
  if (a[0] === 'busybox' || a[0] === '/bin/busybox') a = a.slice(1);
  if (a.length === 0) return 0;
  const name = String(a[0]).replace(/^\/(usr\/)?s?bin\//, '');
  const f = APPLETS[name];
  if (!Object.prototype.hasOwnProperty.call(APPLETS, name)) {
    err('OCI runtime exec failed: exec failed: unable to start container process: exec: "' + a[0] + '": executable file not found in $PATH: unknown\n');
    return 127;
  }
  return await f(a.slice(1));
}
run(argv).then((code) => { process.exitCode = code; setImmediate(() => process.exit(code)); }, (e) => { err(String(e && e.message || e) + '\n'); process.exit(1); });
`;

/** argv that runs `command` with the lab's applets inside `netns`. */
export function busyboxArgv(nodePath: string, netns: string, command: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, nodePath, '-e', BUSYBOX_SCRIPT, JSON.stringify(command)];
}
