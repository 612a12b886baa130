/**
 * The `EventBus` and `Cache` conformance suites: the in-process implementations and the
 * Redis ones (against a real server) pass the same tests.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryCache, type Cache } from "@bifrost/engine/events/cache.js";
import { MemoryEventBus, type EventBus, type ExecutionEvent } from "@bifrost/engine/events/event-bus.js";
import { RedisCache } from "@bifrost/engine/events/redis-cache.js";
import { RedisEventBus } from "@bifrost/engine/events/redis-event-bus.js";
import { connectRedis, sleep, waitFor } from "./servers.js";

let redis: Redis;
beforeAll(async () => {
  redis = await connectRedis();
});
afterAll(async () => {
  await redis?.quit();
});

interface BusHarness {
  /** Two buses that stand for two processes; for the in-process bus they are one. */
  a: EventBus;
  b: EventBus;
  /** Resolves once subscriptions made so far are live. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const busBackends: Array<{ name: string; crossProcess: boolean; open(): Promise<BusHarness> }> = [
  {
    name: "MemoryEventBus",
    crossProcess: false,
    async open() {
      const bus = new MemoryEventBus();
      return { a: bus, b: bus, settle: async () => undefined, close: async () => undefined };
    },
  },
  {
    name: "RedisEventBus",
    crossProcess: true,
    async open() {
      const prefix = `bifrost:test:${randomUUID().slice(0, 8)}:execution:`;
      const clientB = redis.duplicate();
      const a = new RedisEventBus(redis, { channelPrefix: prefix });
      const b = new RedisEventBus(clientB, { channelPrefix: prefix });
      return {
        a,
        b,
        settle: async () => {
          await Promise.all([a.ready(), b.ready()]);
        },
        close: async () => {
          await Promise.all([a.close(), b.close()]);
          await clientB.quit();
        },
      };
    },
  },
];

let seq = 0;
const log = (message: string): ExecutionEvent => ({ type: "log", line: { seq: seq++, level: "info", message, ts: new Date().toISOString() } });
const messages = (events: ExecutionEvent[]) => events.map((e) => (e.type === "log" ? e.line.message : e.type));

describe.each(busBackends)("EventBus conformance: $name", (backend) => {
  let h: BusHarness;
  beforeEach(async () => {
    h = await backend.open();
  });
  afterEach(async () => {
    await h.close();
  });

  it("delivers an execution's events to that execution's subscribers only", async () => {
    const one: ExecutionEvent[] = [];
    const oneAgain: ExecutionEvent[] = [];
    const two: ExecutionEvent[] = [];
    h.a.subscribe("e1", (e) => one.push(e));
    h.a.subscribe("e1", (e) => oneAgain.push(e));
    h.a.subscribe("e2", (e) => two.push(e));
    await h.settle();
    h.a.publish("e1", log("for e1"));
    h.a.publish("e3", log("for nobody"));
    h.a.publish("e2", { type: "status", status: "Running", terminal: false });
    await waitFor(() => one.length === 1 && oneAgain.length === 1 && two.length === 1, 3_000, "the events");
    await sleep(100);
    expect(messages(one)).toEqual(["for e1"]);
    expect(messages(oneAgain)).toEqual(["for e1"]);
    expect(two).toEqual([{ type: "status", status: "Running", terminal: false }]);
  });

  it("stops delivering after unsubscribe, per handler (reference-counted per channel)", async () => {
    const kept: ExecutionEvent[] = [];
    const dropped: ExecutionEvent[] = [];
    h.a.subscribe("e1", (e) => kept.push(e));
    const off = h.a.subscribe("e1", (e) => dropped.push(e));
    await h.settle();
    h.a.publish("e1", log("both"));
    await waitFor(() => kept.length === 1 && dropped.length === 1, 3_000, "the first event");
    off();
    off(); // idempotent
    await h.settle();
    h.a.publish("e1", log("kept only"));
    await waitFor(() => kept.length === 2, 3_000, "the second event");
    await sleep(100);
    expect(messages(dropped)).toEqual(["both"]);

    // The last unsubscribe releases the channel; subscribing again works.
    const offAll = h.a.subscribe("e2", () => undefined);
    offAll();
    const again: ExecutionEvent[] = [];
    h.a.subscribe("e2", (e) => again.push(e));
    await h.settle();
    h.a.publish("e2", log("again"));
    await waitFor(() => again.length === 1, 3_000, "the event after re-subscribing");
  });

  it("preserves the order of one publisher's events on a channel", async () => {
    const got: ExecutionEvent[] = [];
    h.b.subscribe("ordered", (e) => got.push(e));
    await h.settle();
    const sent = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    for (const m of sent) h.a.publish("ordered", log(m));
    await waitFor(() => got.length === sent.length, 5_000, "200 events");
    expect(messages(got)).toEqual(sent);
  });

  it(backend.crossProcess ? "carries events between two bus instances (two processes)" : "is one bus within the process", async () => {
    const onB: ExecutionEvent[] = [];
    const onA: ExecutionEvent[] = [];
    h.b.subscribe("shared", (e) => onB.push(e));
    h.a.subscribe("shared", (e) => onA.push(e));
    await h.settle();
    h.a.publish("shared", { type: "status", status: "Cancelling", terminal: false });
    h.b.publish("shared", log("from b"));
    await waitFor(() => onA.length === 2 && onB.length === 2, 3_000, "events on both instances");
    expect(onB.map((e) => e.type).sort()).toEqual(["log", "status"]);
  });
});

interface CacheHarness {
  cache: Cache;
  close(): Promise<void>;
}

const cacheBackends: Array<{ name: string; open(): Promise<CacheHarness> }> = [
  { name: "MemoryCache", open: async () => ({ cache: new MemoryCache(), close: async () => undefined }) },
  {
    name: "RedisCache",
    async open() {
      const cache = new RedisCache(redis, { namespace: `test-${randomUUID().slice(0, 8)}` });
      return { cache, close: () => cache.deletePrefix("") };
    },
  },
];

describe.each(cacheBackends)("Cache conformance: $name", (backend) => {
  let h: CacheHarness;
  beforeEach(async () => {
    h = await backend.open();
  });
  afterEach(async () => {
    await h.close();
  });

  it("gets what was set (JSON values), and undefined for a missing key", async () => {
    const value = { a: 1, list: ["x", null, true], nested: { s: "é ✓" } };
    await h.cache.set("k", value, 10_000);
    await h.cache.set("n", 0, 10_000);
    await h.cache.set("s", "text", 10_000);
    expect(await h.cache.get("k")).toEqual(value);
    expect(await h.cache.get("n")).toBe(0);
    expect(await h.cache.get("s")).toBe("text");
    expect(await h.cache.get("missing")).toBeUndefined();
    await h.cache.set("k", "replaced", 10_000);
    expect(await h.cache.get("k")).toBe("replaced");
  });

  it("expires entries after their ttl, and stores nothing with a ttl of 0", async () => {
    await h.cache.set("short", "v", 150);
    await h.cache.set("long", "v", 10_000);
    await h.cache.set("zero", "v", 0);
    expect(await h.cache.get("short")).toBe("v");
    await sleep(250);
    expect(await h.cache.get("short")).toBeUndefined();
    expect(await h.cache.get("long")).toBe("v");
    expect(await h.cache.get("zero")).toBeUndefined();
  });

  it("increments counters atomically, with the expiry of their first increment", async () => {
    // The first increment sets the expiry (1.5 s: long enough for a loaded machine to get
    // through the checks before it, and no later increment may extend it).
    const started = Date.now();
    const counts = await Promise.all(Array.from({ length: 50 }, () => h.cache.increment("hits", 1500)));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await h.cache.get("hits")).toBe(50);
    expect(await h.cache.increment("hits", 1500, -1)).toBe(49);
    expect(await h.cache.increment("hits", 1500, 2)).toBe(51);
    expect(await h.cache.increment("hits", 1500, -1)).toBe(50);
    expect(await h.cache.increment("hits", 60_000)).toBe(51);
    expect(Date.now() - started).toBeLessThan(1500); // the checks above ran before the expiry
    await sleep(1500 - (Date.now() - started) + 300);
    // Still the first expiry: the counter is gone and starts again.
    expect(await h.cache.get("hits")).toBeUndefined();
    expect(await h.cache.increment("hits", 10_000)).toBe(1);
  });

  it("deletes every key with a prefix and nothing else (prefixes with glob characters are literal)", async () => {
    for (let i = 0; i < 1200; i++) await h.cache.set(`org:1:item:${i}`, i, 10_000);
    await h.cache.set("org:10:item", "other org", 10_000);
    await h.cache.set("org:*:x", "star", 10_000);
    await h.cache.set("org:a:x", "a", 10_000);
    await h.cache.deletePrefix("org:1:");
    expect(await h.cache.get("org:1:item:0")).toBeUndefined();
    expect(await h.cache.get("org:1:item:1199")).toBeUndefined();
    expect(await h.cache.get("org:10:item")).toBe("other org");
    await h.cache.deletePrefix("org:*");
    expect(await h.cache.get("org:*:x")).toBeUndefined();
    expect(await h.cache.get("org:a:x")).toBe("a");
  });
});

describe("RedisCache isolation", () => {
  it("keeps namespaces apart", async () => {
    const one = new RedisCache(redis, { namespace: `iso-${randomUUID().slice(0, 8)}` });
    const two = new RedisCache(redis, { namespace: `iso-${randomUUID().slice(0, 8)}` });
    await one.set("k", 1, 10_000);
    await two.set("k", 2, 10_000);
    await two.deletePrefix("");
    expect(await one.get("k")).toBe(1);
    expect(await two.get("k")).toBeUndefined();
    expect(await redis.pttl(`${one.keyPrefix}k`)).toBeGreaterThan(9_000);
    await one.deletePrefix("");
  });
});
