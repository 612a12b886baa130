/**
 * RabbitQueue under faults, against the real broker: the connection is cut while messages
 * are being handled (client side: the socket dies; broker side: `rabbitmqctl
 * close_connection`). The consumer reconnects, and every message is handled to the end at
 * least once: nothing is acknowledged before its handler finished.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { ChannelModel } from "amqplib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RabbitQueue } from "@bifrost/engine/queue/rabbit-queue.js";
import { connectRabbit, RABBITMQ_URL, sleep, waitFor } from "./servers.js";

const run = promisify(execFile);
let rabbit: ChannelModel;
const names: string[] = [];
const queues: RabbitQueue[] = [];

beforeAll(async () => {
  rabbit = await connectRabbit();
});
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.stop()));
});
afterAll(async () => {
  if (!rabbit) return;
  const ch = await rabbit.createChannel();
  for (const n of names) {
    await ch.deleteQueue(n);
    await ch.deleteQueue(`${n}.dead`);
  }
  await rabbit.close();
});

function setup(connectionName: string) {
  const name = `bifrost.test.faults.${process.pid}.${randomUUID().slice(0, 8)}`;
  names.push(name);
  const errors: unknown[] = [];
  const q = new RabbitQueue({ url: RABBITMQ_URL, name, connectionName, reconnect: { initialMs: 50, maxMs: 500 }, onError: (e) => errors.push(e) });
  queues.push(q);
  const started: string[] = [];
  const finished = new Map<string, number>();
  q.consume(
    async ({ executionId }) => {
      started.push(executionId);
      await sleep(40);
      finished.set(executionId, (finished.get(executionId) ?? 0) + 1);
    },
    { concurrency: 3 },
  );
  return { q, name, started, finished, errors };
}

async function expectDrained(name: string): Promise<void> {
  const ch = await rabbit.createChannel();
  try {
    // Nothing left waiting: every message was acked once its handler finished.
    const { messageCount } = await ch.checkQueue(name);
    expect(messageCount).toBe(0);
  } finally {
    await ch.close();
  }
}

describe("RabbitQueue faults", () => {
  it("reconnects after its socket dies mid-stream and finishes every message", async () => {
    const t = setup(`bifrost-test-socket-${randomUUID().slice(0, 8)}`);
    const all = Array.from({ length: 30 }, (_, i) => `sock-${i}`);
    await Promise.all(all.map((executionId) => t.q.enqueue({ executionId })));
    await waitFor(() => t.finished.size >= 6, 10_000, "the first completions");

    const session = (t.q as unknown as { connection: { current(): { model: ChannelModel } | null } }).connection.current();
    (session!.model.connection as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error("test: network cut"));

    // Publishing during the outage waits for the reconnection instead of failing.
    await t.q.enqueue({ executionId: "during-outage" });
    await waitFor(() => all.every((id) => t.finished.has(id)) && t.finished.has("during-outage"), 15_000, "every message after the reconnection");
    const duplicates = [...t.finished.values()].filter((n) => n > 1).length;
    expect(duplicates).toBeLessThanOrEqual(3); // only those in flight when the socket died
    await sleep(200);
    await expectDrained(t.name);
  });

  it("reconnects after the broker closes its connection (rabbitmqctl close_connection)", async () => {
    const connectionName = `bifrost-test-broker-${randomUUID().slice(0, 8)}`;
    const t = setup(connectionName);
    const all = Array.from({ length: 30 }, (_, i) => `brk-${i}`);
    await Promise.all(all.map((executionId) => t.q.enqueue({ executionId })));
    await waitFor(() => t.finished.size >= 6, 10_000, "the first completions");

    const closed = await closeConnectionsNamed(connectionName);
    expect(closed).toBe(1);
    await waitFor(() => all.every((id) => t.finished.has(id)), 15_000, "every message after the reconnection");
    expect(t.errors.some((e) => /CONNECTION_FORCED|test fault/i.test(String(e)))).toBe(true);
    await sleep(200);
    await expectDrained(t.name);
  });
});

/** Closes, broker side, the connections whose client-provided name is `name`; returns how many. */
async function closeConnectionsNamed(name: string): Promise<number> {
  const { stdout } = await run("rabbitmqctl", ["list_connections", "pid", "client_properties", "--no-table-headers", "-q"], { timeout: 20_000 });
  const pids = stdout
    .split("\n")
    .filter((line) => line.includes(`"${name}"`))
    .map((line) => line.split("\t")[0]!.trim());
  for (const pid of pids) await run("rabbitmqctl", ["close_connection", pid, "test fault"], { timeout: 20_000 });
  return pids.length;
}
