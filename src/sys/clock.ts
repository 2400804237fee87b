/**
 * @module The Clock port (Felix `timeNow`/`time.Sleep` injection): monotonic milliseconds and a
 * sleep, with a real implementation and a fake whose sleeps advance its time instantly.
 */
import { setTimeout as _sleep } from 'node:timers/promises';

export interface Clock {
  /** Monotonic milliseconds (not wall-clock time). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: async (ms) => {
    await _sleep(ms);
  },
};

/** A clock for tests: `sleep(ms)` advances `now()` by `ms` at once and records the request. */
export class FakeClock implements Clock {
  private _now: number;
  readonly sleeps: number[] = [];

  constructor(start = 0) {
    this._now = start;
  }

  now(): number {
    return this._now;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this._now += Math.max(0, ms);
    return Promise.resolve();
  }

  advance(ms: number): void {
    this._now += ms;
  }
}
