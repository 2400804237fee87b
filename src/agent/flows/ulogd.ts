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
      'netlink_socket_buffer_size=16777216',
      'netlink_socket_buffer_maxsize=67108864',
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

const _USED = ['oob.prefix', 'ip.saddr.str', 'ip.daddr.str', 'ip.protocol', 'oob.time.sec', 'oob.time.usec', 'ip.totlen', 'raw.pktlen', 'tcp.sport', 'tcp.dport', 'udp.sport', 'udp.dport', 'sctp.sport', 'sctp.dport', 'icmp.echoid', 'icmpv6.echoid'] as const;
const _USED_INDEX = new Map<string, number>(_USED.map((k, i) => [k, i]));

/**
 * Parses a GPRINT line strictly: `key=value` tokens separated by commas; a token without `=` or
 * a key the parser uses appearing twice (a prefix carrying a comma would do that) rejects the
 * line; addresses must look like addresses, numbers like numbers. Undefined when rejected.
 * (One pass, no map per line: this is the reader's hot path.)
 */
export function parseGprintLine(line: string): NflogPacket | undefined {
  if (line.length === 0 || line.length > _MAX_LINE) return undefined;
  const v: (string | undefined)[] = new Array<string | undefined>(_USED.length);
  let start = 0;
  while (start <= line.length) {
    let end = line.indexOf(',', start);
    if (end < 0) end = line.length;
    const eq = line.indexOf('=', start);
    if (eq <= start || eq >= end) return undefined;
    const i = _USED_INDEX.get(line.slice(start, eq));
    if (i !== undefined) {
      if (v[i] !== undefined) return undefined;
      v[i] = line.slice(eq + 1, end);
    }
    start = end + 1;
  }
  const [prefix, src, dst, protoS, secS, usecS, totlen, pktlen] = v;
  const proto = _int(protoS, 255);
  const sec = _int(secS, 2 ** 33);
  const usec = _int(usecS, 999_999) ?? 0;
  const len = _int(totlen ?? pktlen, 65_535 + 40);
  if (prefix === undefined || src === undefined || dst === undefined || proto === undefined || sec === undefined || len === undefined) return undefined;
  if (!_ADDR.test(src) || !_ADDR.test(dst)) return undefined;
  let sport = 0;
  let dport = 0;
  const l4 = proto === 6 ? 8 : proto === 17 ? 10 : proto === 132 ? 12 : -1;
  if (l4 >= 0) {
    const sp = _int(v[l4], 65_535);
    const dp = _int(v[l4 + 1], 65_535);
    if (sp === undefined || dp === undefined) return undefined;
    sport = sp;
    dport = dp;
  } else if (proto === 1 || proto === 58) {
    sport = _int(v[proto === 1 ? 14 : 15], 65_535) ?? 0;
  }
  return { time: sec * 1000 + Math.floor(usec / 1000), prefix, src, dst, proto, sport, dport, len };
}
