/**
 * A small cache with per-entry expiry. In-process here (LRU); the distributed mode
 * implements the same interface over Redis so every API server shares it.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Removes every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Adds `by` (default 1; negative to give back) to the counter under `key` at once
   * (atomically across processes) and returns its new value. A missing or expired
   * counter starts from 0 and lives `ttlMs` from then; later increments keep that
   * expiry. Keys used as counters hold whole numbers only.
   */
  increment(key: string, ttlMs: number, by?: number): Promise<number>;
}

export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();
  constructor(private readonly maxEntries = 10_000) {}

  async get<T>(key: string): Promise<T | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key); // most recently used last
    this.entries.set(key, e);
    return e.value as T;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    const e = this.entries.get(key);
    const live = e && e.expires > Date.now() && typeof e.value === "number" ? e : null;
    const next = { value: (live ? (live.value as number) : 0) + by, expires: live ? live.expires : Date.now() + ttlMs };
    this.entries.delete(key);
    this.entries.set(key, next);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return next.value;
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
