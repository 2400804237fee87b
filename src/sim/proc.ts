/**
 * @module What /proc says about a process: CPU time (user + system, µs) and resident memory
 * (current and peak), for the API server and etcd processes the simulation measures.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

export interface ProcSample {
  readonly cpuUs: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

export function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command (which may hold spaces) start after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? '0') * 1024;
  return { cpuUs: (ticks * 1e6) / USER_HZ, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** The q-quantile (0..1) of `xs` by nearest rank; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export interface Dist {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly n: number;
}

export function dist(xs: readonly number[]): Dist {
  return { p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length === 0 ? NaN : Math.max(...xs), n: xs.length };
}
