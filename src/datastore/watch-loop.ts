/**
 * @module The watch loop a controller keeps on each type it follows: list, call `kick`, then
 * call it again for every watch event; when the watch ends or fails, wait `retryMs` and start
 * over (a TooOldError is an expected restart, anything else goes to `onError`). Ends when
 * `signal` aborts. Every wait removes its abort listener when it is over, so a loop that runs
 * for the life of a server leaves no listeners behind.
 */
import type { Datastore, ResourceType } from './datastore.js';
import { TooOldError } from './errors.js';

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pauseUnlessAborted(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((ok) => {
    if (signal.aborted) return ok();
    const onAbort = (): void => {
      clearTimeout(t);
      ok();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      ok();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface WatchLoopOptions {
  readonly signal: AbortSignal;
  readonly retryMs: number;
  /** Called after each list and each event (a controller's reconcile trigger). */
  readonly kick: () => void;
  readonly onError?: ((e: unknown) => void) | undefined;
}

export async function watchLoop(ds: Datastore, type: ResourceType, opts: WatchLoopOptions): Promise<void> {
  const { signal, retryMs, kick } = opts;
  while (!signal.aborted) {
    try {
      const { revision } = await ds.list(type);
      kick();
      for await (const _ev of ds.watch(type, revision, signal)) kick();
      if (!signal.aborted) await pauseUnlessAborted(signal, retryMs);
    } catch (e) {
      if (signal.aborted) return;
      if (!(e instanceof TooOldError)) opts.onError?.(e);
      await pauseUnlessAborted(signal, retryMs);
    }
  }
}
