/**
 * The `Queue` conformance suite: every backend runs the same tests against a real store
 * (a temp SQLite file for DbQueue, the RabbitMQ broker for RabbitQueue). Where backends
 * legitimately differ (a failing handler, duplicates) the backend states what it does and
 * the test holds it to that.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChannelModel } from "amqplib";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openSqlite, type Database } from "@bifrost/storage/database.js";
import { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import { DbQueue } from "@bifrost/engine/queue/db-queue.js";
import type { Queue, QueueMessage } from "@bifrost/engine/queue/queue.js";
import { ERROR_HEADER, MAX_DELAY_MS, NOT_BEFORE_HEADER, RabbitQueue } from "@bifrost/engine/queue/rabbit-queue.js";
import { connectRabbit, RABBITMQ_URL, sleep, waitFor } from "./servers.js";

interface Harness {
  /** A new queue instance on the same store ("another process", or the same one restarted). */
  queue(): Queue;
  /**
   * What it takes, after a handler threw, for the message to be delivered again:
   * DbQueue keeps the job locked until recovery (a restart) releases it; RabbitQueue
   * redelivers by itself. Returns the queue that will deliver it.
   */
  redeliverAfterFailure(failed: Queue, handler: Handler): Promise<void>;
  close(): Promise<void>;
}

type Handler = (m: QueueMessage) => Promise<void>;

interface Backend {
  name: string;
  open(): Promise<Harness>;
  /** Deliveries when the same id is enqueued twice before anyone consumes. */
  duplicateDeliveries: number;
}

const errors: unknown[] = [];
const onError = (e: unknown) => errors.push(e);

const dbBackend: Backend = {
  name: "DbQueue (SQLite jobs table)",
  // One row per execution: the second enqueue re-arms the same row.
  duplicateDeliveries: 1,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-queue-"));
    const database = await openSqlite(join(dir, "queue.db"));
    const jobs = new JobsRepo(database.db);
    const queues: DbQueue[] = [];
    const make = () => {
      const q = new DbQueue(jobs, { pollMs: 50, onError });
      queues.push(q);
      return q;
    };
    return {
      queue: make,
      async redeliverAfterFailure(failed, handler) {
        // What recovery does after a restart: the dead owner's locks are released.
        await failed.stop();
        const next = make();
        await jobs.releaseLocked(next.owner);
        next.consume(handler, { concurrency: 1 });
      },
      async close() {
        await Promise.all(queues.map((q) => q.stop()));
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

let rabbit: ChannelModel;

const rabbitBackend: Backend = {
  name: "RabbitQueue",
  // Every publish is a message: the handler's idempotence (the execution record) protects.
  duplicateDeliveries: 2,
  async open() {
    const name = `bifrost.test.${process.pid}.${randomUUID().slice(0, 8)}`;
    const queues: RabbitQueue[] = [];
    return {
      queue() {
        const q = new RabbitQueue({ url: RABBITMQ_URL, name, retryDelayMs: 50, maxAttempts: 3, publishTimeoutMs: 5_000, onError });
        queues.push(q);
        return q;
      },
      async redeliverAfterFailure() {
        // Nothing to do: the failed delivery is re-published with a backoff.
      },
      async close() {
        await Promise.all(queues.map((q) => q.stop()));
        await deleteTopology(name, queues);
      },
    };
  },
};

async function deleteTopology(name: string, queues: RabbitQueue[]): Promise<void> {
  if (!rabbit) return;
  const ch = await rabbit.createChannel();
  ch.on("error", () => undefined);
  const names = new Set([name, `${name}.dead`, ...queues.flatMap((q) => q.delayQueues())]);
  for (const n of names) await ch.deleteQueue(n);
  await ch.close();
}

beforeAll(async () => {
  rabbit = await connectRabbit();
});
afterAll(async () => {
  await rabbit?.close();
});

/** Records deliveries: order, times, concurrency. */
function recorder(workMs = 0) {
  const deliveries: Array<{ id: string; at: number }> = [];
  const completed: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handler: Handler = async ({ executionId }) => {
    deliveries.push({ id: executionId, at: Date.now() });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (workMs) await sleep(workMs);
      completed.push(executionId);
    } finally {
      inFlight--;
    }
  };
  return {
    handler,
    deliveries,
    completed,
    get maxInFlight() {
      return maxInFlight;
    },
    count: (id: string) => deliveries.filter((d) => d.id === id).length,
  };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe.each([dbBackend, rabbitBackend])("Queue conformance: $name", (backend) => {
  let h: Harness;
  beforeEach(async () => {
    errors.length = 0;
    h = await backend.open();
  });
  afterEach(async () => {
    await h.close();
  });

  it("delivers every message exactly once under concurrency, never more than `concurrency` at a time", async () => {
    const q = h.queue();
    const all = ids("once", 40);
    await Promise.all(all.map((executionId) => q.enqueue({ executionId })));
    const r = recorder(15);
    q.consume(r.handler, { concurrency: 4 });
    await waitFor(() => r.completed.length >= all.length, 15_000, "all 40 messages");
    await sleep(200); // nothing more arrives
    expect(r.deliveries.map((d) => d.id).sort()).toEqual([...all].sort());
    expect(r.maxInFlight).toBeLessThanOrEqual(4);
    expect(r.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it("shares work between two consumers, each holding at most its concurrency (prefetch)", async () => {
    const producer = h.queue();
    const all = ids("share", 12);
    await Promise.all(all.map((executionId) => producer.enqueue({ executionId })));
    const a = recorder(120);
    const b = recorder(120);
    h.queue().consume(a.handler, { concurrency: 2 });
    h.queue().consume(b.handler, { concurrency: 2 });
    await waitFor(() => a.completed.length + b.completed.length >= all.length, 15_000, "all 12 messages");
    expect([...a.completed, ...b.completed].sort()).toEqual([...all].sort());
    expect(a.maxInFlight).toBeLessThanOrEqual(2);
    expect(b.maxInFlight).toBeLessThanOrEqual(2);
    // A consumer cannot hoard the queue: the other one got work too.
    expect(a.completed.length).toBeGreaterThan(0);
    expect(b.completed.length).toBeGreaterThan(0);
  });

  it("delivers delayed messages after, not before, their delay", async () => {
    const q = h.queue();
    const r = recorder();
    q.consume(r.handler, { concurrency: 4 });
    const t0 = Date.now();
    await q.enqueue({ executionId: "late" }, { delayMs: 700 });
    await q.enqueue({ executionId: "soon" }, { delayMs: 250 });
    await q.enqueue({ executionId: "now" });
    await waitFor(() => r.deliveries.length >= 3, 5_000, "the three messages");
    const at = (id: string) => r.deliveries.find((d) => d.id === id)!.at - t0;
    expect(r.deliveries.map((d) => d.id)).toEqual(["now", "soon", "late"]);
    expect(at("soon")).toBeGreaterThanOrEqual(250);
    expect(at("late")).toBeGreaterThanOrEqual(700);
    expect(at("late")).toBeLessThan(700 + 1_500);
  });

  it("does not lose a message whose handler threw: it is delivered again", async () => {
    const q = h.queue();
    let failures = 0;
    const r = recorder();
    const handler: Handler = async (m) => {
      if (m.executionId === "flaky" && failures === 0) {
        failures++;
        await r.handler(m);
        throw new Error("database unavailable");
      }
      await r.handler(m);
    };
    await q.enqueue({ executionId: "flaky" });
    await q.enqueue({ executionId: "fine" });
    q.consume(handler, { concurrency: 1 });
    await waitFor(() => failures === 1 && r.count("fine") === 1, 5_000, "the failure and the other message");
    await h.redeliverAfterFailure(q, handler);
    await waitFor(() => r.count("flaky") === 2, 5_000, "the failed message again");
    await sleep(200);
    expect(r.count("flaky")).toBe(2);
    expect(r.count("fine")).toBe(1);
  });

  it("keeps messages across a consumer stop and restart; a clean stop finishes and acks what it started", async () => {
    const first = h.queue();
    const batch1 = ids("before", 10);
    await Promise.all(batch1.map((executionId) => first.enqueue({ executionId })));
    const a = recorder(150);
    first.consume(a.handler, { concurrency: 2 });
    await waitFor(() => a.deliveries.length >= 2, 5_000, "the first deliveries");
    await first.stop();
    const startedBeforeStop = a.deliveries.map((d) => d.id);
    expect(a.completed.sort()).toEqual([...startedBeforeStop].sort()); // stop waited for them

    const producer = h.queue();
    const batch2 = ids("while-down", 5);
    await Promise.all(batch2.map((executionId) => producer.enqueue({ executionId })));
    const b = recorder();
    h.queue().consume(b.handler, { concurrency: 3 });
    const expected = batch1.length + batch2.length;
    await waitFor(() => a.completed.length + b.completed.length >= expected, 10_000, "every message after the restart");
    await sleep(200);
    expect([...a.completed, ...b.completed].sort()).toEqual([...batch1, ...batch2].sort());
  });

  it(`delivers an id enqueued twice ${backend.duplicateDeliveries} time(s): the handler's idempotence protects`, async () => {
    const q = h.queue();
    await q.enqueue({ executionId: "dup" });
    await q.enqueue({ executionId: "dup" });
    await q.enqueue({ executionId: "marker" });
    const r = recorder();
    q.consume(r.handler, { concurrency: 1 });
    await waitFor(() => r.count("marker") === 1, 5_000, "the marker message");
    await sleep(300);
    expect(r.count("dup")).toBe(backend.duplicateDeliveries);
  });
});

describe("RabbitQueue specifics", () => {
  const name = `bifrost.test.${process.pid}.${randomUUID().slice(0, 8)}`;
  const queues: RabbitQueue[] = [];
  const make = (options: Partial<ConstructorParameters<typeof RabbitQueue>[0]> = {}) => {
    const q = new RabbitQueue({ url: RABBITMQ_URL, name, retryDelayMs: 30, maxAttempts: 3, onError, ...options });
    queues.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.stop()));
    const ch = await rabbit.createChannel();
    await ch.purgeQueue(name).catch(() => undefined);
    await ch.purgeQueue(`${name}.dead`).catch(() => undefined);
    await ch.close().catch(() => undefined);
  });
  afterAll(async () => {
    await deleteTopology(name, queues);
  });

  async function deadLetters(expected: number) {
    const ch = await rabbit.createChannel();
    const found: Array<{ body: string; headers: Record<string, unknown> }> = [];
    const deadline = Date.now() + 5_000;
    while (found.length < expected && Date.now() < deadline) {
      const m = await ch.get(`${name}.dead`, { noAck: true });
      if (m) found.push({ body: m.content.toString(), headers: (m.properties.headers ?? {}) as Record<string, unknown> });
      else await sleep(20);
    }
    await ch.close();
    return found;
  }

  it("dead-letters a message whose handler threw maxAttempts times, with the error and the attempt", async () => {
    const q = make();
    const r = recorder();
    q.consume(async (m) => {
      await r.handler(m);
      if (m.executionId === "doomed") throw new Error("always broken");
    }, { concurrency: 2 });
    await q.enqueue({ executionId: "doomed" });
    await q.enqueue({ executionId: "healthy" });
    const [dead] = await deadLetters(1);
    expect(dead).toBeDefined();
    expect(JSON.parse(dead!.body)).toMatchObject({ executionId: "doomed", attempt: 3 });
    expect(dead!.headers[ERROR_HEADER]).toBe("always broken");
    expect(r.count("doomed")).toBe(3);
    expect(r.count("healthy")).toBe(1);
  });

  it("dead-letters malformed messages (broker dead-lettering, x-death) without calling the handler", async () => {
    const q = make();
    const r = recorder();
    q.consume(r.handler, { concurrency: 1 });
    await q.enqueue({ executionId: "first" });
    const ch = await rabbit.createConfirmChannel();
    ch.sendToQueue(name, Buffer.from("{not json"), { persistent: true });
    ch.sendToQueue(name, Buffer.from(JSON.stringify({ executionId: 42 })), { persistent: true });
    await ch.waitForConfirms();
    await ch.close();
    await q.enqueue({ executionId: "after" });
    const dead = await deadLetters(2);
    expect(dead.map((d) => d.body)).toEqual(["{not json", '{"executionId":42}']);
    const death = (dead[0]!.headers["x-death"] as Array<{ reason: string; queue: string }>)[0];
    expect(death).toMatchObject({ reason: "rejected", queue: name });
    await waitFor(() => r.count("after") === 1, 5_000, "the message after the malformed ones");
    expect(r.deliveries.map((d) => d.id)).toEqual(["first", "after"]);
  });

  it("publishes a message enqueued inside a transaction only after it committed, and never when it rolled back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-trx-"));
    let database: Database | null = null;
    try {
      database = await openSqlite(join(dir, "trx.db"));
      const db = database.db;
      const q = make();
      const r = recorder();
      q.consume(r.handler, { concurrency: 2 });
      let committedAt = 0;
      await db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await q.enqueue({ executionId: "committed" }, { trx });
        await sleep(300); // the rest of the caller's transaction
      });
      committedAt = Date.now();
      await db
        .transaction()
        .execute(async (trx) => {
          await q.enqueue({ executionId: "rolled-back" }, { trx });
          throw new Error("insert failed");
        })
        .catch(() => undefined);
      await waitFor(() => r.count("committed") === 1, 5_000, "the committed message");
      expect(r.deliveries[0]!.at).toBeGreaterThanOrEqual(committedAt - 5);
      await sleep(500);
      expect(r.count("rolled-back")).toBe(0);
    } finally {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails enqueue clearly, within its bound, when the broker is unreachable", async () => {
    const q = make({ url: "amqp://guest:guest@127.0.0.1:1", publishTimeoutMs: 800, reconnect: { initialMs: 50, maxMs: 200 } });
    const t0 = Date.now();
    await expect(q.enqueue({ executionId: "nowhere" })).rejects.toThrow(/RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\/? is unreachable \(waited \d+ ms\): .*ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it("takes a delay longer than one RabbitMQ TTL can hold: it waits in hops, carrying its due time", async () => {
    const q = make();
    const due = Date.now() + 2 ** 32;
    await q.enqueue({ executionId: "far-future" }, { delayMs: 2 ** 32 });
    const [delayQueue] = q.delayQueues();
    expect(Number(delayQueue!.split(".delay.")[1])).toBeLessThanOrEqual(MAX_DELAY_MS);
    const channel = await rabbit.createChannel();
    try {
      const msg = await channel.get(delayQueue!, { noAck: true });
      expect(msg && Number(msg.properties.headers?.[NOT_BEFORE_HEADER])).toBeGreaterThanOrEqual(due - 1_000);
      await channel.deleteQueue(delayQueue!);
    } finally {
      await channel.close();
    }
  });
});
