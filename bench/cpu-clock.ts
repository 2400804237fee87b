/**
 * @module A clock for single-core benchmarks: milliseconds of CPU time used by this process
 * (user + system, all threads, so GC helper threads count against us), not wall time. On a
 * machine busy with other work, wall time measures the scheduler; CPU time measures our code.
 */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
