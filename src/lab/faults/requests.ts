/**
 * @module The fault channel of a running lab daemon: `tabby lab fault restart agent W` runs in
 * another process than the agents of a single-machine lab (they run inside the lab daemon), so
 * it leaves a request file in `<stateDir>/fault-requests/` and waits for the answer file the
 * daemon writes next to it. The daemon polls the folder (every 200 ms); files are written to a
 * temporary name and renamed, so neither side reads half a file. Requests are small JSON
 * objects decoded field by field (own properties only, at most 4 KiB); an unknown request is
 * answered with an error, never executed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REQUEST_DIR = 'fault-requests';
const MAX_BYTES = 4096;
const NODE_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export type FaultRequest = { readonly op: 'restart-agent'; readonly node: string };
export interface FaultAnswer {
  readonly ok: boolean;
  readonly message: string;
}

/** Decodes a request (undefined + why when it is not one). */
export function decodeFaultRequest(raw: unknown): { ok: true; value: FaultRequest } | { ok: false; error: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'a request must be a JSON object' };
  const own = (k: string): unknown => (Object.prototype.hasOwnProperty.call(raw, k) ? (raw as Record<string, unknown>)[k] : undefined);
  const op = own('op');
  if (op !== 'restart-agent') return { ok: false, error: `op: unsupported value ${JSON.stringify(op)} (supported: "restart-agent")` };
  const node = own('node');
  if (typeof node !== 'string' || !NODE_RE.test(node)) return { ok: false, error: 'node: must be a node name (a DNS subdomain)' };
  return { ok: true, value: { op, node } };
}

const _write = (file: string, text: string): void => {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
};

/** Serves requests until `signal` aborts (the daemon side). */
export async function serveFaultRequests(stateDir: string, handle: (r: FaultRequest) => Promise<string>, signal: AbortSignal, log: (l: string) => void = () => undefined): Promise<void> {
  const dir = join(stateDir, REQUEST_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  while (!signal.aborted) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /^[0-9a-f]{16}\.req\.json$/.test(n));
    } catch {
      // the state dir is going away
    }
    for (const n of names) {
      const id = n.slice(0, 16);
      const file = join(dir, n);
      let answer: FaultAnswer;
      try {
        if (statSync(file).size > MAX_BYTES) throw new Error(`request larger than ${MAX_BYTES} bytes`);
        const r = decodeFaultRequest(JSON.parse(readFileSync(file, 'utf8')) as unknown);
        rmSync(file, { force: true });
        if (!r.ok) throw new Error(r.error);
        log(`lab: fault request ${r.value.op} ${r.value.node}`);
        answer = { ok: true, message: await handle(r.value) };
      } catch (e) {
        rmSync(file, { force: true });
        answer = { ok: false, message: e instanceof Error ? e.message : String(e) };
      }
      try {
        _write(join(dir, `${id}.res.json`), `${JSON.stringify(answer)}\n`);
      } catch {
        // the asker is gone with the state dir
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends a request to the daemon of the lab in `stateDir` and waits (bounded) for its answer. */
export async function sendFaultRequest(stateDir: string, req: FaultRequest, timeoutMs: number): Promise<FaultAnswer> {
  const dir = join(stateDir, REQUEST_DIR);
  if (!existsSync(dir)) return { ok: false, message: `the lab daemon serves no fault requests (no ${dir}): it predates tabby lab fault; restart the lab` };
  const id = randomBytes(8).toString('hex');
  const reqFile = join(dir, `${id}.req.json`);
  const resFile = join(dir, `${id}.res.json`);
  _write(reqFile, `${JSON.stringify(req)}\n`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(resFile)) {
      const raw = JSON.parse(readFileSync(resFile, 'utf8')) as { ok?: unknown; message?: unknown };
      rmSync(resFile, { force: true });
      return { ok: raw.ok === true, message: typeof raw.message === 'string' ? raw.message : '' };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(reqFile, { force: true });
  return { ok: false, message: `the lab daemon did not answer within ${Math.round(timeoutMs / 1000)} s` };
}
