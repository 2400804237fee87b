/**
 * @module findOnPath(tool): the one PATH lookup for the external tools Tabby and its tests run
 * (kubectl, etcd, ip, iptables, ulogd, chromium, …), like `command -v`. No fixed install paths:
 * hiding a tool from PATH hides it from every caller alike.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** The absolute path of the executable `tool` on `env.PATH`, or undefined. */
export function findOnPath(tool: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (tool.length === 0 || tool.includes('/')) return undefined;
  for (const dir of (env['PATH'] ?? '').split(':')) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const p = join(dir, tool);
    try {
      accessSync(p, fsConstants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here: next directory
    }
  }
  return undefined;
}
