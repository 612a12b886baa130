/**
 * RedisEventBus under faults, against the real server: the subscriber connection is
 * killed (`CLIENT KILL TYPE pubsub` from a second client, narrowed to this bus's
 * connection so parallel test files are not affected). ioredis reconnects, the bus is
 * subscribed again, and later events arrive.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionEvent } from "@bifrost/engine/events/event-bus.js";
import { RedisEventBus } from "@bifrost/engine/events/redis-event-bus.js";
import { connectRedis, sleep, waitFor } from "./servers.js";

const connectionName = `bifrost-test-bus-${randomUUID().slice(0, 8)}`;
let publisher: Redis;
let admin: Redis;

beforeAll(async () => {
  publisher = await connectRedis({ connectionName });
  admin = await connectRedis();
});
afterAll(async () => {
  await publisher?.quit();
  await admin?.quit();
});

/** Kills the pub/sub connections named `connectionName`; returns how many. */
async function killSubscriber(): Promise<number> {
  const list = (await admin.client("LIST")) as string;
  const ids = list
    .split("\n")
    .filter((line) => line.includes(` name=${connectionName} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => Boolean(id));
  let killed = 0;
  for (const id of ids) killed += Number(await admin.call("CLIENT", "KILL", "TYPE", "pubsub", "ID", id));
  return killed;
}

describe("RedisEventBus faults", () => {
  it("re-subscribes after its subscriber connection is killed; later events arrive", async () => {
    let resubscribed = 0;
    const bus = new RedisEventBus(publisher, { subscriberName: connectionName, channelPrefix: `bifrost:test:${connectionName}:`, onResubscribed: () => resubscribed++ });
    try {
      const got: string[] = [];
      const other: string[] = [];
      bus.subscribe("e1", (e: ExecutionEvent) => got.push(e.type === "log" ? e.line.message : e.type));
      bus.subscribe("e2", (e: ExecutionEvent) => other.push(e.type));
      await bus.ready();
      bus.publish("e1", { type: "log", line: { seq: 0, level: "info", message: "before", ts: new Date().toISOString() } });
      await waitFor(() => got.length === 1, 3_000, "the event before the fault");

      expect(await killSubscriber()).toBe(1);
      await waitFor(() => resubscribed > 0, 10_000, "the subscriber to reconnect");

      // Events published while it was away are gone (pub/sub); the next ones arrive, on every channel.
      const deadline = Date.now() + 10_000;
      let n = 0;
      while (!got.includes("after") && Date.now() < deadline) {
        bus.publish("e1", { type: "log", line: { seq: ++n, level: "info", message: "after", ts: new Date().toISOString() } });
        await sleep(50);
      }
      expect(got).toContain("after");
      bus.publish("e2", { type: "status", status: "Running", terminal: false });
      await waitFor(() => other.length === 1, 3_000, "an event on the second channel");
    } finally {
      await bus.close();
    }
  });
});
