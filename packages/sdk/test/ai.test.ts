import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ai, z, BifrostError } from "bifrost";
import { runInScope } from "bifrost/runtime";
import { runWorkflow, TestPlatform } from "bifrost/testing";
import { workflow } from "bifrost";

const ROOT = join(import.meta.dirname, "../../..");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

/** Runs `fn` as a workflow would, with `platform` answering its SDK calls (the IPC seam). */
function inRun<T>(platform: (method: string, args: unknown[]) => unknown, fn: () => Promise<T>): Promise<T> {
  const scope = { context: {} as never, variables: new Map(), log: () => undefined, call: async (method: string, args: unknown[]) => platform(method, args) };
  return runInScope(scope, fn);
}

const usage = { inputTokens: 1, outputTokens: 2, totalTokens: 3 };

describe("ai (SDK side)", () => {
  it("sends a zod responseFormat as JSON Schema and parses the answer with the schema", async () => {
    const calls: unknown[][] = [];
    const Ticket = z.object({ category: z.enum(["hardware", "software"]), note: z.string().default("none") });
    const result = await inRun(
      (method, args) => {
        calls.push([method, ...args]);
        return { text: '{"category":"software"}', object: { category: "software" }, model: "m", provider: "p", finishReason: "stop", usage, knowledge: [] };
      },
      () => ai.complete({ prompt: "classify", responseFormat: Ticket }),
    );
    expect(result.object).toEqual({ category: "software", note: "none" });
    const [method, sent] = calls[0] as [string, { prompt: string; responseFormat: Record<string, unknown> }];
    expect(method).toBe("ai.complete");
    expect(sent.prompt).toBe("classify");
    expect(sent.responseFormat).toMatchObject({ type: "object", properties: { category: { enum: ["hardware", "software"] } }, required: ["category"] });
  });

  it("an answer the schema rejects is a schema_mismatch naming the field; an unrepresentable schema fails before any call", async () => {
    const answer = { text: "", object: { n: 3 }, model: "m", provider: "p", finishReason: "stop", usage, knowledge: [] };
    const err = await inRun(() => answer, () => ai.complete({ prompt: "x", responseFormat: z.object({ n: z.number().refine((v) => v % 2 === 0, "must be even") }) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BifrostError);
    expect(err).toMatchObject({ code: "schema_mismatch", status: 502, message: "The answer of model m does not match responseFormat: n must be even" });
    let called = false;
    const bad = await inRun(() => (called = true), () => ai.complete({ prompt: "x", responseFormat: z.object({ when: z.date() }) })).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "invalid_response_format", message: expect.stringContaining("Date cannot be represented") });
    expect(called).toBe(false);
  });

  it("stream pulls pieces from the host and cancels the stream when the loop breaks", async () => {
    const log: string[] = [];
    const batches = [{ chunks: ["Hel", "lo"], done: false }, { chunks: [" world"], done: false }, { chunks: [], done: true, result: { model: "m", provider: "p", finishReason: "stop", usage, knowledge: [] } }];
    const host = (method: string, args: unknown[]) => {
      log.push(`${method}${args.length ? ` ${JSON.stringify(args[0])}` : ""}`);
      if (method === "ai.streamStart") return { streamId: "s1" };
      if (method === "ai.streamNext") return batches.shift();
      return true;
    };
    const full = await inRun(host, async () => {
      const s = ai.stream("hi");
      const pieces: string[] = [];
      for await (const p of s) pieces.push(p);
      return { pieces, text: s.text, usage: s.usage, again: (() => { try { s[Symbol.asyncIterator](); return "no error"; } catch (e) { return (e as BifrostError).code; } })() };
    });
    expect(full).toEqual({ pieces: ["Hel", "lo", " world"], text: "Hello world", usage, again: "stream_consumed" });
    expect(log).toEqual(['ai.streamStart "hi"', 'ai.streamNext "s1"', 'ai.streamNext "s1"', 'ai.streamNext "s1"']);

    log.length = 0;
    batches.push({ chunks: ["a", "b"], done: false });
    await inRun(host, async () => {
      for await (const _ of ai.stream({ prompt: "x" })) break;
    });
    expect(log).toEqual(['ai.streamStart {"prompt":"x"}', 'ai.streamNext "s1"', 'ai.streamCancel "s1"']);
    expect(() => ai.stream({ prompt: "x", responseFormat: z.object({}) } as never)).toThrow(/not supported when streaming/);
  });

  it("bifrost/testing fakes ai.complete with a text, an object or a whole answer, and streams its text", async () => {
    const Triage = z.object({ category: z.enum(["hardware", "software"]), urgent: z.boolean() });
    const triage = workflow({ name: "triage" }, async () => {
      const { object } = await ai.complete({ prompt: "p", responseFormat: Triage });
      const { text } = await ai.complete("hi");
      const s = ai.stream("hi");
      const pieces: string[] = [];
      for await (const p of s) pieces.push(p);
      return { object, text, pieces };
    });
    const platform = new TestPlatform();
    const prompts: unknown[] = [];
    platform.handle("ai.complete", (input) => {
      prompts.push(input);
      return typeof input === "string" ? "a text answer" : { category: "hardware", urgent: true };
    });
    const run = await runWorkflow(triage, {}, { platform });
    expect(run.result).toEqual({ object: { category: "hardware", urgent: true }, text: "a text answer", pieces: ["a text answer"] });
    expect(prompts[0]).toMatchObject({ prompt: "p", responseFormat: { type: "object" } });
    const none = await runWorkflow(triage, {}, { platform: new TestPlatform() });
    expect(none.error).toMatch(/platform\.handle\("ai\.complete"/);
  });

  it("types: responseFormat makes object typed; a text completion has no object", () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-ai-types-"));
    try {
      const tsconfig = { compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")], baseUrl: ".", paths: { bifrost: [join(ROOT, "packages/sdk/dist/index.d.ts")] } }, include: ["*.ts"] };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
      writeFileSync(
        join(dir, "good.ts"),
        `import { workflow, ai, z } from "bifrost";
const Ticket = z.object({ category: z.enum(["a", "b"]), n: z.number() });
export const w = workflow({}, async () => {
  const r = await ai.complete({ prompt: "x", responseFormat: Ticket });
  const category: "a" | "b" = r.object.category;
  const total: number = r.object.n + r.usage.totalTokens;
  const loose = await ai.complete({ prompt: "x", responseFormat: { type: "object" } });
  const unknownObject: unknown = loose.object;
  const text: string = (await ai.complete("hi")).text;
  const s = ai.stream({ prompt: "x", knowledge: ["kb"] });
  for await (const chunk of s) { const piece: string = chunk; void piece; }
  const tokens: number | undefined = s.usage?.totalTokens;
  const vectors: number[][] = await ai.embed(["a", "b"]);
  const info = await ai.getModelInfo();
  return { category, total, unknownObject, text, tokens, vectors, model: info.chat?.model };
});
`,
      );
      execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
      writeFileSync(
        join(dir, "bad.ts"),
        `import { ai, z } from "bifrost";
export async function f() {
  const r = await ai.complete({ prompt: "x", responseFormat: z.object({ n: z.number() }) });
  const wrong: string = r.object.n;
  return [wrong, (await ai.complete("hi")).object];
}
`,
      );
      let output = "";
      try {
        execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
      } catch (error) {
        output = String((error as { stdout: string }).stdout);
      }
      expect(output).toMatch(/bad\.ts\(4,9\).*Type 'number' is not assignable to type 'string'/);
      expect(output).toMatch(/bad\.ts\(5,44\).*Property 'object' does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
