/**
 * @module When each part of a driver is due for its periodic full refresh (Felix's
 * `IptablesRefreshInterval`, `IpsetsRefreshInterval`, `NftablesRefreshInterval`). Pure apart
 * from the clock it is given.
 */
import { parseGoDurationMs } from '../model/calico/felix-configuration.js';
import type { Clock } from '../sys/index.js';

/** A Go duration from FelixConfiguration in ms; 0 (off) for "0", the fallback for anything unparsable. */
export function intervalMs(v: string | undefined, fallback: string): number {
  const ms = parseGoDurationMs(v ?? fallback) ?? parseGoDurationMs(fallback) ?? 0;
  return Math.max(0, ms);
}

export class RefreshSchedule<P extends string> {
  private readonly _interval = new Map<P, number>();
  private readonly _last = new Map<P, number>();
  constructor(
    private readonly _clock: Clock,
    parts: readonly P[],
    /** Overrides every interval (ms) when given (tests, `--refresh-interval`). */
    private readonly _override?: number,
  ) {
    for (const p of parts) {
      this._interval.set(p, _override ?? 90_000);
      this._last.set(p, _clock.now());
    }
  }

  /** Sets a part's interval (ms; 0 = never), unless an override was given. */
  setInterval(part: P, ms: number): void {
    if (this._override === undefined) this._interval.set(part, ms);
  }

  interval(part: P): number {
    return this._interval.get(part) ?? 0;
  }

  /** The part was just read back in full. */
  done(part: P): void {
    this._last.set(part, this._clock.now());
  }

  /** Parts whose interval has passed (all with `force`). */
  due(force: boolean): P[] {
    const now = this._clock.now();
    return [...this._interval.keys()].filter((p) => force || (this.interval(p) > 0 && now - (this._last.get(p) ?? 0) >= this.interval(p)));
  }

  dueInMs(): number {
    const now = this._clock.now();
    let min = Infinity;
    for (const [p, iv] of this._interval) if (iv > 0) min = Math.min(min, Math.max(0, (this._last.get(p) ?? 0) + iv - now));
    return min;
  }
}
