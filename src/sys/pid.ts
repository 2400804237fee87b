/** @module Whether a process is running (signal 0): EPERM means it exists but is not ours. */

/** True when a process with this pid exists; false for undefined or a gone pid. */
export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return typeof e === 'object' && e !== null && 'code' in e && e.code === 'EPERM';
  }
}
