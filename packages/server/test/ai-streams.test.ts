import { afterEach, describe, expect, it } from "vitest";
import { HttpError } from "@bifrost/server/http-error.js";
import { StreamRegistry } from "@bifrost/server/features/ai/ai-streams.js";
import type { StreamPart } from "@bifrost/server/features/ai/ai.service.js";

const done: StreamPart = { type: "done", model: "m", provider: "p", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, knowledge: [] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stream that yields `texts` every `gapMs`, then done (or throws `error`); records its abort. */
function source(texts: string[], options: { gapMs?: number; error?: Error; failFirst?: boolean } = {}) {
  const state = { aborted: false };
  const open = (signal: AbortSignal) =>
    (async function* (): AsyncGenerator<StreamPart, void, undefined> {
      signal.addEventListener("abort", () => (state.aborted = true));
      if (options.failFirst) throw new HttpError(502, "provider_error", "refused");
      for (const text of texts) {
        if (options.gapMs) await sleep(options.gapMs);
        if (signal.aborted) throw new Error("aborted");
        yield { type: "text", text };
      }
      if (options.error) throw options.error;
      yield done;
    })();
  return { open, state };
}

let registry: StreamRegistry;
afterEach(() => registry?.close());

describe("pull-based AI streams (the IPC transport of ai.stream)", () => {
  it("hand out what arrived, then done with the totals, then forget the stream", async () => {
    registry = new StreamRegistry({ pollMs: 1000 });
    const { open } = source(["a", "b", "c"], { gapMs: 20 });
    const id = await registry.start("run:1", open);
    const seen: string[] = [];
    for (;;) {
      const batch = await registry.next("run:1", id);
      seen.push(...batch.chunks);
      if (batch.done) {
        expect(batch.result).toEqual({ model: "m", provider: "p", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, knowledge: [] });
        break;
      }
    }
    expect(seen).toEqual(["a", "b", "c"]);
    expect(registry.size).toBe(0);
    await expect(registry.next("run:1", id)).rejects.toMatchObject({ status: 404 });
  });

  it("a failure before the first piece rejects start; a later one comes after the pieces that arrived", async () => {
    registry = new StreamRegistry({ pollMs: 1000 });
    await expect(registry.start("run:1", source([], { failFirst: true }).open)).rejects.toMatchObject({ code: "provider_error" });
    expect(registry.size).toBe(0);
    const id = await registry.start("run:1", source(["x", "y"], { error: new HttpError(504, "provider_timeout", "late") }).open);
    await sleep(20);
    expect(await registry.next("run:1", id)).toEqual({ chunks: ["x", "y"], done: false });
    await expect(registry.next("run:1", id)).rejects.toMatchObject({ code: "provider_timeout" });
  });

  it("belong to the run that started them", async () => {
    registry = new StreamRegistry();
    const id = await registry.start("run:1", source(["a"]).open);
    await expect(registry.next("run:2", id)).rejects.toMatchObject({ status: 404 });
    expect(registry.cancel("run:2", id)).toBe(false);
  });

  it("cancel aborts the provider request; a stream nobody reads expires and is aborted", async () => {
    registry = new StreamRegistry({ idleMs: 200, pollMs: 1000 });
    const cancelled = source(["a", "b", "c", "d"], { gapMs: 50 });
    const id = await registry.start("run:1", cancelled.open);
    expect(registry.cancel("run:1", id)).toBe(true);
    expect(cancelled.state.aborted).toBe(true);

    const abandoned = source(["a", "b", "c", "d", "e", "f", "g", "h"], { gapMs: 100 });
    await registry.start("run:1", abandoned.open);
    expect(registry.size).toBe(1);
    await sleep(600);
    expect(registry.size).toBe(0);
    expect(abandoned.state.aborted).toBe(true);
  });

  it("a waiting next() answers empty after pollMs, and one owner may hold a bounded number of streams", async () => {
    registry = new StreamRegistry({ pollMs: 100, maxPerOwner: 2 });
    const id = await registry.start("run:1", source(["a", "b"], { gapMs: 400 }).open);
    expect(await registry.next("run:1", id)).toEqual({ chunks: ["a"], done: false });
    const started = Date.now();
    expect(await registry.next("run:1", id)).toEqual({ chunks: [], done: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await registry.start("run:1", source(["a"], { gapMs: 10 }).open);
    await expect(registry.start("run:1", source(["a"]).open)).rejects.toMatchObject({ status: 429, code: "too_many_streams" });
    await registry.start("run:2", source(["a"]).open);
  });
});
