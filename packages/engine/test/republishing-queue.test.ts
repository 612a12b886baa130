import { describe, expect, it } from "vitest";
import type { Queue, QueueMessage } from "@bifrost/engine/queue/queue.js";
import { RepublishingQueue } from "@bifrost/engine/queue/republishing-queue.js";

/** A queue whose broker is down until `up` is set, and that refuses some messages outright. */
class FlakyQueue implements Queue {
  up = false;
  readonly published: Array<{ id: string; delayMs: number }> = [];
  constructor(private readonly refuse: Set<string> = new Set()) {}
  async enqueue(message: QueueMessage, options: { delayMs?: number } = {}): Promise<void> {
    if (this.refuse.has(message.executionId)) throw new RangeError(`refused ${message.executionId}`);
    if (!this.up) throw new Error("RabbitMQ is unreachable");
    this.published.push({ id: message.executionId, delayMs: options.delayMs ?? 0 });
  }
  consume(): void {}
  async remove(): Promise<boolean> {
    return false;
  }
  async stop(): Promise<void> {}
}

const waitFor = async (check: () => boolean, ms = 3_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("RepublishingQueue", () => {
  it("keeps messages while the broker is down and publishes them in order, delays shortened by the time waited", async () => {
    const inner = new FlakyQueue();
    const q = new RepublishingQueue(inner, { initialRetryMs: 20, maxRetryMs: 50 });
    await q.enqueue({ executionId: "a" });
    await q.enqueue({ executionId: "b" }, { delayMs: 5_000 });
    await q.enqueue({ executionId: "c" });
    expect(q.heldCount).toBe(3);
    await new Promise((r) => setTimeout(r, 200));
    inner.up = true;
    await waitFor(() => q.heldCount === 0);
    expect(inner.published.map((p) => p.id)).toEqual(["a", "b", "c"]);
    const b = inner.published[1]!.delayMs;
    expect(b).toBeLessThanOrEqual(4_800);
    expect(b).toBeGreaterThan(4_000);
    await q.stop();
  });

  it("a message the queue refuses outright fails its caller and never blocks the others", async () => {
    const inner = new FlakyQueue(new Set(["poison"]));
    const q = new RepublishingQueue(inner, { initialRetryMs: 20 });
    await expect(q.enqueue({ executionId: "poison" })).rejects.toThrow(RangeError);
    expect(q.heldCount).toBe(0);
    inner.up = true;
    await q.enqueue({ executionId: "fine" });
    expect(inner.published.map((p) => p.id)).toEqual(["fine"]);
  });

  it("a refused message found among held ones is dropped, and the rest still go out", async () => {
    const refuse = new Set<string>();
    const inner = new FlakyQueue(refuse);
    const q = new RepublishingQueue(inner, { initialRetryMs: 20 });
    await q.enqueue({ executionId: "x" });
    await q.enqueue({ executionId: "y" });
    refuse.add("x"); // refused once the broker is back
    inner.up = true;
    await waitFor(() => q.heldCount === 0);
    expect(inner.published.map((p) => p.id)).toEqual(["y"]);
  });

  it("a cancelled run still held is not published", async () => {
    const inner = new FlakyQueue();
    const q = new RepublishingQueue(inner, { initialRetryMs: 20 });
    await q.enqueue({ executionId: "gone" });
    expect(await q.remove("gone")).toBe(true);
    inner.up = true;
    await q.enqueue({ executionId: "next" });
    expect(inner.published.map((p) => p.id)).toEqual(["next"]);
  });
});
