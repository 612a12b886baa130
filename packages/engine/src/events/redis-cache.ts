import type { Redis } from "ioredis";
import type { Cache } from "./cache.js";

/**
 * The shared cache over Redis: JSON values with a millisecond TTL (`SET … PX`), every key
 * under `bifrost:<namespace>:` so deployments (and tests) sharing a Redis stay apart.
 * `deletePrefix` walks the keys with SCAN (never KEYS, which blocks the server) and
 * removes them with UNLINK (freed in the background). Keys written while the scan runs
 * may survive it, as with any SCAN.
 */
export class RedisCache implements Cache {
  readonly keyPrefix: string;

  constructor(
    private readonly redis: Redis,
    options: { namespace?: string; scanCount?: number } = {},
  ) {
    this.keyPrefix = `bifrost:${options.namespace ?? "cache"}:`;
    this.scanCount = options.scanCount ?? 500;
  }

  private readonly scanCount: number;

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.keyPrefix + key);
    if (raw === null) return undefined;
    return JSON.parse(raw) as T;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    // JSON has no `undefined`: caching it is caching nothing.
    if (value === undefined) {
      await this.redis.unlink(this.keyPrefix + key);
      return;
    }
    await this.redis.set(this.keyPrefix + key, JSON.stringify(value), "PX", Math.ceil(ttlMs));
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    const k = this.keyPrefix + key;
    // SET NX gives a new counter its expiry; INCRBY keeps it. One MULTI: atomic.
    const replies = await this.redis.multi().set(k, "0", "PX", Math.max(1, Math.ceil(ttlMs)), "NX").incrby(k, by).exec();
    const [error, value] = replies?.[1] ?? [new Error("the transaction was aborted"), null];
    if (error) throw error;
    return Number(value);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const match = `${escapeGlob(this.keyPrefix + prefix)}*`;
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", match, "COUNT", this.scanCount);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (cursor !== "0");
  }
}

/** Escapes Redis glob characters so a prefix matches literally. */
function escapeGlob(s: string): string {
  return s.replace(/[\\*?[\]]/g, "\\$&");
}
