/**
 * @module Whether a TCP port can be listened on, and if not, who holds it: one line naming the
 * port and the process (pid and command line, from /proc when readable; the data directory when
 * it is another `tabby up`). Used before `tabby up` writes anything.
 */
import { createServer } from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Listens on host:port and closes at once; the error code when that fails. */
function _tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

/** Socket inodes listening on `port` (/proc/net/tcp and tcp6, state 0A = LISTEN). */
function _listeningInodes(port: number): Set<string> {
  const out = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      const local = c[1];
      if (local === undefined || c[3] !== '0A') continue;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && c[9] !== undefined) out.add(c[9]);
    }
  }
  return out;
}

/** The process holding one of `inodes`, as `pid N (command line)`, when /proc lets us see it. */
function _processOf(inodes: Set<string>): string | undefined {
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m === null || !inodes.has(m[1]!)) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((x) => x !== '').join(' ');
      } catch {
        // gone meanwhile
      }
      return `pid ${pid}${cmd === '' ? '' : ` (${cmd.length > 160 ? `${cmd.slice(0, 157)}...` : cmd})`}`;
    }
  }
  return undefined;
}

/** undefined when host:port is free; otherwise one line naming the port and what holds it. */
export async function portHolder(host: string, port: number): Promise<string | undefined> {
  const code = await _tryListen(host, port);
  if (code === undefined) return undefined;
  if (code !== 'EADDRINUSE') return `cannot listen on ${host}:${port}: ${code}`;
  const who = _processOf(_listeningInodes(port));
  return `port ${port} on ${host} is taken${who === undefined ? ' by another process (not one of this user\'s; see: ss -ltnp)' : ` by ${who}`}; stop it, or choose another port with --port`;
}
