/**
 * @module The kernel side of the flow-log reader: ulogd2 reads NFLOG groups 1 and 2 and prints one
 * line per packet on its stdout (GPRINT, `key=value,…`), which the agent reads through a pipe.
 *
 * Why ulogd2 and not netlink from Node: Node has no netlink sockets, and the npm packages that
 * add them are native addons (a compiler at install time, one more thing to audit). ulogd2 is the
 * netfilter project's own NFLOG reader, already a dependency of the lab for R9 (src/lab/logs.ts),
 * packaged by Debian, batches packets per netlink message (`netlink_qthreshold`), and its GPRINT
 * output is a flat `key=value` line that is cheap and strict to parse. It runs as the agent's child,
 * inside the node's network namespace, writing into a FIFO the agent created and reads
 * (`<dir>/ulogd-flows-<node>.fifo`; not its stdout: Node gives children sockets, which ulogd cannot
 * reopen by path), so no file grows on disk, and it dies with the agent. Its own log
 * (`ulogd-flows-<node>.log`) is scanned for NFLOG buffer overruns ("losing events"): kernel drops
 * are counted, never silent.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath } from '../../sys/index.js';

const PLUGIN_DIRS = ['/usr/lib/x86_64-linux-gnu/ulogd', '/usr/lib/aarch64-linux-gnu/ulogd', '/usr/lib/ulogd', '/usr/lib64/ulogd'];

/** ulogd on PATH and its plugin folder (with GPRINT), or undefined. */
export function findUlogdForFlows(): { bin: string; plugins: string } | undefined {
  const bin = findOnPath('ulogd');
  let plugins = PLUGIN_DIRS.find((d) => existsSync(join(d, 'ulogd_output_GPRINT.so')));
  if (plugins === undefined && existsSync('/usr/lib')) {
    for (const d of readdirSync('/usr/lib')) if (existsSync(join('/usr/lib', d, 'ulogd', 'ulogd_output_GPRINT.so'))) plugins = join('/usr/lib', d, 'ulogd');
  }
  return bin !== undefined && plugins !== undefined ? { bin, plugins } : undefined;
}

/**
 * The ulogd configuration reading `groups` and printing GPRINT lines into `out` (the agent's
 * FIFO), its own log into `logFile`. `qthreshold` packets (or 10 ms × `qtimeout`) per netlink
 * message; a large socket buffer so bursts are not lost.
 */
export function flowUlogdConfig(plugins: string, groups: readonly number[], out: string, logFile: string, opts: { qthreshold?: number; qtimeout?: number } = {}): string {
  const pl = (n: string): string => `plugin="${join(plugins, n)}"`;
  const lines = [
    '[global]',
    `logfile="${logFile}"`,
    'loglevel=5',
    pl('ulogd_inppkt_NFLOG.so'),
    pl('ulogd_filter_IFINDEX.so'),
    pl('ulogd_filter_IP2STR.so'),
    pl('ulogd_output_GPRINT.so'),
    pl('ulogd_raw2packet_BASE.so'),
  ];
  groups.forEach((_, i) => lines.push(`stack=log${i + 1}:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,gp1:GPRINT`));
  groups.forEach((g, i) =>
    lines.push(
      '',
      `[log${i + 1}]`,
      `group=${g}`,
      `netlink_qthreshold=${opts.qthreshold ?? 16}`,
      `netlink_qtimeout=${opts.qtimeout ?? 2}`,
      'netlink_socket_buffer_size=4194304',
      'netlink_socket_buffer_maxsize=16777216',
    ),
  );
  lines.push('', '[gp1]', `file="${out}"`, 'sync=1', '');
  return lines.join('\n');
}

/** One NFLOG'd packet as GPRINT printed it. */
export interface NflogPacket {
  /** Unix ms (the kernel's timestamp of the packet). */
  readonly time: number;
  readonly prefix: string;
  readonly src: string;
  readonly dst: string;
  /** IP protocol number. */
  readonly proto: number;
  /** TCP/UDP/SCTP ports; for ICMP echo the identifier in `sport` and 0 in `dport`; else 0. */
  readonly sport: number;
  readonly dport: number;
  /** IP total length (bytes on the wire above L2). */
  readonly len: number;
}

const _MAX_LINE = 4096;
const _ADDR = /^[0-9a-fA-F.:]{2,45}$/;

function _int(v: string | undefined, max: number): number | undefined {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= max ? n : undefined;
}

/**
 * Parses a GPRINT line strictly: `key=value` tokens separated by commas, each key at most once;
 * a token without `=` or a repeated key (a prefix carrying a comma would do that) rejects the
 * line; addresses must look like addresses, numbers like numbers. Undefined when rejected.
 */
export function parseGprintLine(line: string): NflogPacket | undefined {
  if (line.length === 0 || line.length > _MAX_LINE) return undefined;
  const f = new Map<string, string>();
  for (const tok of line.split(',')) {
    const eq = tok.indexOf('=');
    if (eq <= 0) return undefined;
    const k = tok.slice(0, eq);
    // GPRINT prints oob.protocol twice (the BASE and IFINDEX keys); other repeats are suspicious.
    if (f.has(k) && k !== 'oob.protocol') return undefined;
    f.set(k, tok.slice(eq + 1));
  }
  const prefix = f.get('oob.prefix');
  const src = f.get('ip.saddr.str');
  const dst = f.get('ip.daddr.str');
  const proto = _int(f.get('ip.protocol'), 255);
  const sec = _int(f.get('oob.time.sec'), 2 ** 33);
  const usec = _int(f.get('oob.time.usec'), 999_999) ?? 0;
  const len = _int(f.get('ip.totlen') ?? f.get('raw.pktlen'), 65_535 + 40);
  if (prefix === undefined || src === undefined || dst === undefined || proto === undefined || sec === undefined || len === undefined) return undefined;
  if (!_ADDR.test(src) || !_ADDR.test(dst)) return undefined;
  let sport = 0;
  let dport = 0;
  const l4 = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 132 ? 'sctp' : undefined;
  if (l4 !== undefined) {
    const s = _int(f.get(`${l4}.sport`), 65_535);
    const d = _int(f.get(`${l4}.dport`), 65_535);
    if (s === undefined || d === undefined) return undefined;
    sport = s;
    dport = d;
  } else if (proto === 1 || proto === 58) {
    const k = proto === 1 ? 'icmp' : 'icmpv6';
    sport = _int(f.get(`${k}.echoid`), 65_535) ?? 0;
  }
  return { time: sec * 1000 + Math.floor(usec / 1000), prefix, src, dst, proto, sport, dport, len };
}
