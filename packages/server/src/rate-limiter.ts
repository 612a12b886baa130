import type { Cache } from "@bifrost/engine/events/cache.js";

const WINDOW_MS = 60_000;

/**
 * `perMinute` events per key a minute, counted in a `Cache` — in-process in the embedded
 * mode, Redis in the distributed mode, so every API process shares one count. A sliding
 * window: the current minute's count plus the previous minute's, weighted by how much of
 * it still lies within the last 60 s (no burst of twice the limit across a minute's end).
 */
export class RateLimiter {
  constructor(
    private readonly counters: Cache,
    /** Keeps limiters sharing a cache apart, e.g. `endpoint`. */
    private readonly name: string,
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Counts one event for `key` if it is within the limit: 0 then, else (nothing counted)
   * the seconds until one more would be. Counted first and given back when over, so
   * concurrent callers — in any process — never get more than the limit through.
   */
  async take(key: string): Promise<number> {
    const now = this.clock();
    const window = Math.floor(now / WINDOW_MS);
    const counter = this.keyOf(key, window);
    const [current, previous] = await Promise.all([this.counters.increment(counter, 2 * WINDOW_MS), this.counters.get<number>(this.keyOf(key, window - 1))]);
    const f = this.passed(now, window);
    if (this.fits(f, previous ?? 0, current - 1)) return 0;
    await this.counters.increment(counter, 2 * WINDOW_MS, -1);
    return this.secondsUntilFits(f, previous ?? 0, current - 1);
  }

  /** Without counting: 0 when one more event for `key` is within the limit, else the seconds until it is. */
  async check(key: string): Promise<number> {
    const now = this.clock();
    const window = Math.floor(now / WINDOW_MS);
    const [current, previous] = await Promise.all([
      this.counters.get<number>(this.keyOf(key, window)),
      this.counters.get<number>(this.keyOf(key, window - 1)),
    ]);
    const f = this.passed(now, window);
    return this.fits(f, previous ?? 0, current ?? 0) ? 0 : this.secondsUntilFits(f, previous ?? 0, current ?? 0);
  }

  private keyOf(key: string, window: number): string {
    return `rl:${this.name}:${key}:${window}`;
  }

  /** The part of `window` that has passed at `now` (0–1). */
  private passed(now: number, window: number): number {
    return (now - window * WINDOW_MS) / WINDOW_MS;
  }

  /** Whether an event after `before` ones this window and `previous` ones the last fits: previous·(1 − f) + before + 1 ≤ perMinute. */
  private fits(f: number, previous: number, before: number): boolean {
    return Math.max(0, previous) * (1 - f) + before + 1 <= this.perMinute;
  }

  /** Seconds until `fits` holds, no more events counted meanwhile. */
  private secondsUntilFits(f: number, previous: number, before: number): number {
    const room = this.perMinute - 1;
    let waitMs: number;
    if (before <= room && previous > 0) {
      // The previous window's share fades within this one.
      waitMs = (1 - (room - before) / previous - f) * WINDOW_MS;
    } else {
      // Only in the next window, as this one's count fades in turn.
      waitMs = (1 - f + Math.max(0, 1 - room / before)) * WINDOW_MS;
    }
    return Math.max(1, Math.ceil(waitMs / 1000));
  }
}
