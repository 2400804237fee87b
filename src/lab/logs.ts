/**
 * @module Denied-traffic logs in the lab (R9): one ulogd2 per worker namespace reads the
 * worker's NFLOG group (the agents render Log rules as NFLOG, since LOG says nothing from a
 * non-initial namespace) and writes the kernel packet-log format through LOGEMU into
 * `<stateDir>/<worker>.syslog`, e.g.
 *
 *   Jan  1 00:00:00 worker1 calico-packet: IN=cali… OUT= MAC=… SRC=… DST=… LEN=60 … PROTO=TCP SPT=… DPT=80 …
 *
 * `parseLogLine` reads such a line back into fields (pure), for `tabby logs --node` to add the
 * engine's explanation as JSON beside it. Missing ulogd: startUlogd returns undefined.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath } from '../sys/index.js';

export interface UlogdHandle {
  readonly pid: number | undefined;
  readonly logFile: string;
  stop(): Promise<void>;
}

const PLUGIN_DIRS = ['/usr/lib/x86_64-linux-gnu/ulogd', '/usr/lib/aarch64-linux-gnu/ulogd', '/usr/lib/ulogd', '/usr/lib64/ulogd'];

/** ulogd on PATH (Debian's ulogd2: /usr/sbin/ulogd) and its plugin folder, or undefined. */
export function findUlogd(): { bin: string; plugins: string } | undefined {
  const bin = findOnPath('ulogd');
  let plugins = PLUGIN_DIRS.find((d) => existsSync(join(d, 'ulogd_output_LOGEMU.so')));
  if (plugins === undefined && existsSync('/usr/lib')) {
    for (const d of readdirSync('/usr/lib')) if (existsSync(join('/usr/lib', d, 'ulogd', 'ulogd_output_LOGEMU.so'))) plugins = join('/usr/lib', d, 'ulogd');
  }
  return bin !== undefined && plugins !== undefined ? { bin, plugins } : undefined;
}

/** The ulogd configuration for one worker (pure). */
export function ulogdConfig(plugins: string, group: number, logFile: string, ownLog: string): string {
  const pl = (n: string): string => `plugin="${join(plugins, n)}"`;
  return [
    '[global]',
    `logfile="${ownLog}"`,
    'loglevel=5',
    pl('ulogd_inppkt_NFLOG.so'),
    pl('ulogd_filter_IFINDEX.so'),
    pl('ulogd_filter_IP2STR.so'),
    pl('ulogd_filter_PRINTPKT.so'),
    pl('ulogd_output_LOGEMU.so'),
    pl('ulogd_raw2packet_BASE.so'),
    'stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,print1:PRINTPKT,emu1:LOGEMU',
    '',
    '[log1]',
    `group=${group}`,
    // Hand every packet to ulogd at once (the kernel would otherwise batch for up to a second).
    'netlink_qthreshold=1',
    'netlink_qtimeout=1',
    '',
    '[emu1]',
    `file="${logFile}"`,
    'sync=1',
    '',
  ].join('\n');
}

/** Starts ulogd inside `netns`; undefined when ulogd2 is not installed. */
export async function startUlogd(stateDir: string, worker: string, netns: string, group: number, log: (m: string) => void): Promise<UlogdHandle | undefined> {
  const found = findUlogd();
  if (found === undefined) {
    log('lab: ulogd2 not installed; Log rules will not be written to a file');
    return undefined;
  }
  const logFile = join(stateDir, `${worker}.syslog`);
  const conf = join(stateDir, `ulogd-${worker}.conf`);
  writeFileSync(conf, ulogdConfig(found.plugins, group, logFile, join(stateDir, `ulogd-${worker}.log`)));
  writeFileSync(logFile, '', { flag: 'a' });
  // In a UTS namespace of its own named after the worker, so each line carries the worker's
  // hostname as a node's syslog does (the lab's namespaces otherwise share the machine's).
  const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((b) => existsSync(b));
  const argv =
    unshare === undefined
      ? [found.bin, '-c', conf]
      : [unshare, '--uts', 'sh', '-c', 'hostname "$0" && exec "$1" -c "$2"', worker.slice(0, 64), found.bin, conf];
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: 'ignore' });
  // Give it a moment to bind the NFLOG group; a crash shows in ulogd-<worker>.log.
  await new Promise((r) => setTimeout(r, 150));
  if (child.exitCode !== null) log(`lab: ulogd for ${worker} exited (${child.exitCode}); see ${join(stateDir, `ulogd-${worker}.log`)}`);
  return {
    pid: child.pid,
    logFile,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface LoggedPacket {
  readonly prefix: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly flags: readonly string[];
}

/** Parses the kernel packet-log part of a line (`… calico-packet: IN=… SRC=… DPT=…`). */
export function parseLogLine(line: string): LoggedPacket | undefined {
  const m = /(\S+?):?\s+(IN=.*)$/.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  const flags: string[] = [];
  for (const tok of m[2]!.trim().split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) fields[tok.slice(0, eq)] = tok.slice(eq + 1);
    else flags.push(tok);
  }
  return { prefix: m[1]!, fields, flags };
}
