/**
 * @module The retry loop both appliers share (iptables tables and ipsets): plan against the
 * state we believe the kernel has, restore, and on failure re-read the kernel and try again with
 * exponential backoff, a bounded number of times. What differs — how to read, plan and restore,
 * and what a result looks like — is passed in.
 */
import type { Clock } from '../sys/index.js';

export type ReadResult<S> = { readonly ok: true; readonly state: S } | { readonly ok: false; readonly stderr: string };

export interface ReconcilePlan<S> {
  /** The restore input; '' when nothing needs changing. */
  readonly script: string;
  /** The kernel state after the script applies. */
  readonly after: S;
}

export interface ReconcileSteps<S, P extends ReconcilePlan<S>, R> {
  /** Read the kernel first even if a believed state exists. */
  readonly mustRead: boolean;
  readonly maxAttempts: number;
  readonly backoff0: number;
  readonly backoffMax: number;
  readonly clock: Clock;
  getActual(): S | undefined;
  setActual(s: S | undefined): void;
  read(): Promise<ReadResult<S>>;
  /** Plans against `actual`; `readBack` says whether it was read from the kernel in this call. */
  plan(actual: S, readBack: boolean): P;
  /** Runs the restore; returns the exit code and, on failure, the error text to report. */
  restore(plan: P): Promise<{ readonly ok: boolean; readonly error: string }>;
  /** The result for a plan that applied (`changed`) or had nothing to do. */
  done(plan: P, changed: boolean, attempts: number, readBack: boolean): R;
  onReadError(stderr: string): void;
  onAttemptFailed(attempt: number, error: string): void;
  giveUp(attempts: number, lastError: string): Error;
}

export async function reconcileWithRetry<S, P extends ReconcilePlan<S>, R>(o: ReconcileSteps<S, P, R>): Promise<R> {
  let mustRead = o.mustRead;
  let readBack = false;
  let lastErr = '';
  let backoff = o.backoff0;
  let attempts = 0;
  for (let i = 0; i < o.maxAttempts; i++) {
    if (i > 0) {
      await o.clock.sleep(backoff);
      backoff = Math.min(backoff * 2, o.backoffMax);
    }
    let actual = o.getActual();
    if (mustRead || actual === undefined) {
      const read = await o.read();
      if (!read.ok) {
        lastErr = read.stderr;
        o.onReadError(lastErr);
        continue;
      }
      actual = read.state;
      o.setActual(actual);
      readBack = true;
    }
    const plan = o.plan(actual, readBack);
    if (plan.script === '') return o.done(plan, false, attempts, readBack);
    attempts++;
    const r = await o.restore(plan);
    if (r.ok) {
      o.setActual(plan.after);
      return o.done(plan, true, attempts, readBack);
    }
    lastErr = r.error;
    o.onAttemptFailed(i + 1, lastErr);
    o.setActual(undefined);
    mustRead = true;
  }
  throw o.giveUp(attempts, lastErr);
}
