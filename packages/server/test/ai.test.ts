import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";
import { bagOfWordsVector, startLlmServer, type LlmServer } from "./llm-server.js";

const API_KEY = "sk-loopback-secret-4f9a1c7e";

const FILES = {
  "ai.ts": `
import { workflow, ai, z, logger, BifrostError } from "bifrost";
const fail = (e: unknown) => ({ code: (e as BifrostError).code, status: (e as BifrostError).status, message: (e as Error).message });
export const twice = workflow({}, async () => {
  const a = await ai.complete("one two three");
  const b = await ai.complete({ system: "be brief", messages: [{ role: "user", content: "four five" }] });
  return { a: a.usage, b: b.usage, texts: [a.text, b.text], model: a.model, provider: a.provider };
});
const Ticket = z.object({ category: z.enum(["hardware", "software"]), urgent: z.boolean(), note: z.string().default("none") });
export const structured = workflow({ params: z.object({ prompt: z.string().default("classify: my laptop is on fire") }) }, async ({ prompt }) => {
  try {
    const r = await ai.complete({ prompt, responseFormat: Ticket, maxTokens: 50 });
    return { object: r.object, text: r.text, usage: r.usage };
  } catch (e) { return fail(e); }
});
const Even = z.object({ n: z.number().refine((x) => x % 2 === 0, "must be even") });
export const refined = workflow({}, async () => {
  try { return (await ai.complete({ prompt: "an even number", responseFormat: Even })).object; } catch (e) { return fail(e); }
});
export const streamed = workflow({ params: z.object({ prompt: z.string() }) }, async ({ prompt }) => {
  try {
    const s = ai.stream(prompt);
    const chunks: string[] = [];
    for await (const c of s) chunks.push(c);
    return { chunks, text: s.text, usage: s.usage, finishReason: s.finishReason };
  } catch (e) { return fail(e); }
});
export const streamBreak = workflow({}, async () => {
  const s = ai.stream("a long answer that we stop reading after the first piece");
  for await (const c of s) { logger.info("first " + c); break; }
  return s.text;
});
export const complete = workflow({ params: z.object({ input: z.unknown() }) }, async ({ input }) => {
  try { return await ai.complete(input as never); } catch (e) { return fail(e); }
});
export const embedInRun = workflow({}, async () => (await ai.embed(["alpha beta", "gamma"])).length);
export const info = workflow({}, async () => ai.getModelInfo());
export const slowAnswer = workflow({ timeoutSeconds: 1 }, async () => (await ai.complete("take your time")).text);
`,
};

let t: TestPlatform;
let llm: LlmServer;
let orgA: string;
let keyA: string;
let orgB: string;
let keyB: string;

const sdk = (method: string, args: unknown[], key?: string) => t.call({ method: "POST", url: "/api/sdk/call", payload: { method, args }, key });
const createProvider = async (body: Record<string, unknown>) => {
  const res = await t.call({ method: "POST", url: "/api/ai/providers", payload: body });
  if (res.statusCode !== 201) throw new Error(`creating provider: ${res.body}`);
  return res.json() as { id: string; name: string; scope: string };
};

beforeAll(async () => {
  llm = await startLlmServer({ apiKey: API_KEY });
  t = await startTestPlatform(FILES, {}, { listen: true });
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
});
afterAll(async () => {
  await t?.close();
  await llm?.close();
});

describe("before any provider is configured", () => {
  it("ai calls answer 409 ai_not_configured, and model info says nothing is configured", async () => {
    const embed = await sdk("ai.embed", [["hello"]], keyA);
    expect(embed.statusCode).toBe(409);
    expect(embed.json().error).toMatchObject({ code: "ai_not_configured", message: expect.stringContaining("embeddings") });
    const complete = await sdk("ai.complete", ["hi"], keyA);
    expect(complete.statusCode).toBe(409);
    expect(complete.json().error.message).toContain("POST /api/ai/providers");
    expect((await sdk("ai.getModelInfo", [], keyA)).json().value).toEqual({ chat: null, embedding: null });
  });
});

describe("providers (platform admins)", () => {
  it("are created with the API key sealed and never returned, and become the scope's defaults", async () => {
    const res = await t.call({
      method: "POST",
      url: "/api/ai/providers",
      payload: { name: "loopback", kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, headers: { "x-extra": "header-secret-77" }, chatModel: "test-chat", embeddingModel: "test-embed" },
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(API_KEY);
    expect(res.body).not.toContain("header-secret-77");
    expect(res.json()).toMatchObject({ name: "loopback", scope: "global", hasApiKey: true, headerNames: ["x-extra"], chatModel: "test-chat", embeddingModel: "test-embed", timeoutMs: 120000 });

    const list = await t.call({ method: "GET", url: "/api/ai/providers" });
    expect(list.json().providers.map((p: { name: string }) => p.name)).toContain("loopback");
    expect(list.body).not.toContain(API_KEY);

    // At rest: sealed, not the key in clear.
    const row = await t.platform.engine.database.db.selectFrom("ai_providers").selectAll().where("name", "=", "loopback").executeTakeFirstOrThrow();
    expect(row.api_key).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toContain(API_KEY);

    const settings = await t.call({ method: "GET", url: "/api/ai/settings" });
    expect(settings.json()).toMatchObject({ scope: "global", chatProvider: { name: "loopback" }, embeddingProvider: { name: "loopback" } });
  });

  it("refuse bad input with one message per field, and duplicate names with 409", async () => {
    const bad = await t.call({ method: "POST", url: "/api/ai/providers", payload: { name: "bad name", kind: "gemini", baseUrl: "ftp://x" } });
    expect(bad.statusCode).toBe(422);
    const paths = bad.json().error.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "kind", "baseUrl"]));
    const noUrl = await t.call({ method: "POST", url: "/api/ai/providers", payload: { name: "nourl", kind: "openai-compatible" } });
    expect(noUrl.statusCode).toBe(422);
    expect(noUrl.json().error.fields).toEqual([{ path: "baseUrl", message: expect.stringContaining("required") }]);
    const anthropicNoKey = await t.call({ method: "POST", url: "/api/ai/providers", payload: { name: "claude", kind: "anthropic" } });
    expect(anthropicNoKey.json().error.fields).toEqual([{ path: "apiKey", message: expect.stringContaining("required") }]);
    const dup = await t.call({ method: "POST", url: "/api/ai/providers", payload: { name: "loopback", kind: "openai-compatible", baseUrl: llm.url } });
    expect(dup.statusCode).toBe(409);
    const unknownSetting = await t.call({ method: "PUT", url: "/api/ai/settings", payload: { chatProvider: "nope" } });
    expect(unknownSetting.statusCode).toBe(422);
    expect(unknownSetting.json().error.fields[0].path).toBe("chatProvider");
  });

  it("update keeps the key unless given, clears it with null, and delete clears the defaults", async () => {
    const p = await createProvider({ name: "temp", kind: "openai-compatible", baseUrl: llm.url, apiKey: "sk-temp-key-123", chatModel: "m" });
    const renamed = await t.call({ method: "PUT", url: `/api/ai/providers/${p.id}`, payload: { name: "temp2", timeoutMs: 5000 } });
    expect(renamed.json()).toMatchObject({ name: "temp2", hasApiKey: true, timeoutMs: 5000 });
    const cleared = await t.call({ method: "PUT", url: `/api/ai/providers/${p.id}`, payload: { apiKey: null } });
    expect(cleared.json().hasApiKey).toBe(false);
    expect((await t.call({ method: "PUT", url: `/api/ai/providers/${p.id}`, payload: { kind: "anthropic" } })).statusCode).toBe(422);
    expect((await t.call({ method: "DELETE", url: `/api/ai/providers/${p.id}` })).statusCode).toBe(204);
    expect((await t.call({ method: "GET", url: `/api/ai/providers/${p.id}` })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: `/api/ai/providers/${p.id}` })).statusCode).toBe(404);
  });

  it("an organization key can neither see nor change providers or settings, its own or another's", async () => {
    const own = await createProvider({ name: "alpha-llm", kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, chatModel: "alpha-chat", scope: orgA });
    for (const key of [keyA, keyB]) {
      expect((await t.call({ method: "GET", url: "/api/ai/providers", key })).statusCode).toBe(403);
      expect((await t.call({ method: "GET", url: `/api/ai/providers/${own.id}`, key })).statusCode).toBe(403);
      expect((await t.call({ method: "PUT", url: `/api/ai/providers/${own.id}`, key, payload: { chatModel: "x" } })).statusCode).toBe(403);
      expect((await t.call({ method: "DELETE", url: `/api/ai/providers/${own.id}`, key })).statusCode).toBe(403);
      expect((await t.call({ method: "POST", url: "/api/ai/providers", key, payload: { name: "mine", kind: "openai-compatible", baseUrl: llm.url } })).statusCode).toBe(403);
      expect((await t.call({ method: "GET", url: "/api/ai/settings", key })).statusCode).toBe(403);
      expect((await t.call({ method: "PUT", url: "/api/ai/settings", key, payload: { chatProvider: null } })).statusCode).toBe(403);
    }
    // Alpha's override applies to Alpha only; Beta keeps the global provider.
    const infoA = (await sdk("ai.getModelInfo", [], keyA)).json().value;
    expect(infoA).toEqual({
      chat: { provider: "alpha-llm", kind: "openai-compatible", scope: orgA, model: "alpha-chat" },
      embedding: { provider: "loopback", kind: "openai-compatible", scope: "global", model: "test-embed" },
    });
    const infoB = (await sdk("ai.getModelInfo", [], keyB)).json().value;
    expect(infoB.chat).toEqual({ provider: "loopback", kind: "openai-compatible", scope: "global", model: "test-chat" });
    // Beta cannot use Alpha's provider by name either.
    const borrowed = await sdk("ai.complete", [{ prompt: "x", provider: "alpha-llm" }], keyB);
    expect(borrowed.statusCode).toBe(404);
    expect(borrowed.json().error.message).toBe('AI provider "alpha-llm" not found');
    // An admin acting in Beta does not see Alpha's provider either.
    expect((await t.call({ method: "GET", url: `/api/ai/providers/${own.id}`, org: orgB })).statusCode).toBe(404);
    const listB = await t.call({ method: "GET", url: "/api/ai/providers", org: orgB });
    expect(listB.json().providers.map((p: { name: string }) => p.name)).not.toContain("alpha-llm");
    await t.call({ method: "DELETE", url: `/api/ai/providers/${own.id}` });
  });
});

describe("embeddings", () => {
  it("ai.embed returns one vector per text from the configured model, in order", async () => {
    const texts = ["reset a password", "printer is offline", "reset the password again"];
    const res = await sdk("ai.embed", [texts], keyA);
    expect(res.statusCode).toBe(200);
    const vectors = res.json().value as number[][];
    expect(vectors).toHaveLength(3);
    vectors.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(bagOfWordsVector(texts[i]!)[j]!, 6)));
    const last = llm.requests.at(-1)!;
    expect(last).toMatchObject({ path: "/v1/embeddings", authorization: `Bearer ${API_KEY}`, body: { model: "test-embed", input: texts } });
    // A single text is one vector in a list.
    expect(((await sdk("ai.embed", ["just one"], keyA)).json().value as number[][]).length).toBe(1);
    expect((await sdk("ai.embed", [[]], keyA)).statusCode).toBe(422);
  });

  it("a provider error is 502 provider_error with its status and message; a hang is 504 provider_timeout", async () => {
    llm.enqueueEmbedding({ status: 500, message: "embedding backend exploded" });
    const failed = await sdk("ai.embed", [["x"]], keyA);
    expect(failed.statusCode).toBe(502);
    expect(failed.json().error).toEqual({ code: "provider_error", message: expect.stringMatching(/"loopback" answered HTTP 500.*embedding backend exploded/) });

    const slow = await createProvider({ name: "slow", kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, embeddingModel: "test-embed", timeoutMs: 300, scope: orgB });
    llm.enqueueEmbedding({ delayMs: 3000 });
    const started = Date.now();
    const timedOut = await sdk("ai.embed", [["x"]], keyB);
    expect(timedOut.statusCode).toBe(504);
    expect(timedOut.json().error).toEqual({ code: "provider_timeout", message: expect.stringContaining("within 300 ms") });
    expect(Date.now() - started).toBeLessThan(2500);
    await t.call({ method: "DELETE", url: `/api/ai/providers/${slow.id}` });
  });

  it("a wrong API key is a clear 502 naming the provider's 401, without the key", async () => {
    const wrong = await createProvider({ name: "wrongkey", kind: "openai-compatible", baseUrl: llm.url, apiKey: "sk-wrong-key-0042", embeddingModel: "test-embed", scope: orgB });
    const res = await sdk("ai.embed", [["x"]], keyB);
    expect(res.statusCode).toBe(502);
    expect(res.json().error.message).toMatch(/answered HTTP 401 \(check the provider's API key\): Incorrect API key provided/);
    expect(res.body).not.toContain("sk-wrong-key-0042");
    await t.call({ method: "DELETE", url: `/api/ai/providers/${wrong.id}` });
  });

  it("a provider that cannot be reached is 502", async () => {
    const down = await createProvider({ name: "down", kind: "openai-compatible", baseUrl: "http://127.0.0.1:1/v1", embeddingModel: "e", scope: orgB });
    const res = await sdk("ai.embed", [["x"]], keyB);
    expect(res.statusCode).toBe(502);
    expect(res.json().error.message).toContain('"down" could not be reached');
    await t.call({ method: "DELETE", url: `/api/ai/providers/${down.id}` });
  });
});


const exec = async (name: string, payload: Record<string, unknown> = {}, key?: string) => {
  const res = await t.call({ method: "POST", url: `/api/workflows/${name}/execute`, payload, key });
  if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; status: string; result: any; error: string | null; tokensUsed: number };
};

describe("completions inside workflows", () => {
  it("answer text, and the run's tokensUsed is exactly the sum the provider reported", async () => {
    const run = await exec("twice", {}, keyB);
    expect(run.status).toBe("Success");
    // The loopback server counts words: "one two three" → 3 in, "echo: one two three" → 4 out;
    // "be brief" + "four five" → 4 in, "echo: four five" → 3 out.
    expect(run.result).toEqual({
      a: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
      b: { inputTokens: 4, outputTokens: 3, totalTokens: 7 },
      texts: ["echo: one two three", "echo: four five"],
      model: "test-chat",
      provider: "loopback",
    });
    expect(run.tokensUsed).toBe(14);
    const stored = (await t.call({ method: "GET", url: `/api/executions/${run.id}`, key: keyB })).json();
    expect(stored.tokensUsed).toBe(14);
    // Reported: the organization's summary adds up its runs' tokens; another organization's does not include them.
    const before = (await t.call({ method: "GET", url: "/api/reports/roi/summary", key: keyB })).json().tokensUsed;
    const again = await exec("twice", {}, keyB);
    expect((await t.call({ method: "GET", url: "/api/reports/roi/summary", key: keyB })).json().tokensUsed).toBe(before + again.tokensUsed);
    const runsB = (await t.call({ method: "GET", url: "/api/executions?limit=500", key: keyB })).json().executions as { tokensUsed: number }[];
    expect(runsB.reduce((n, e) => n + e.tokensUsed, 0)).toBe(before + 14);
    const summaryA = (await t.call({ method: "GET", url: "/api/reports/roi/summary", key: keyA })).json();
    const runsA = (await t.call({ method: "GET", url: "/api/executions?limit=500", key: keyA })).json().executions as { tokensUsed: number }[];
    expect(summaryA.tokensUsed).toBe(runsA.reduce((n, e) => n + e.tokensUsed, 0));
    const chats = llm.chats().slice(-2);
    expect(chats[0]).toMatchObject({ model: "test-chat", messages: [{ role: "user", content: "one two three" }] });
    expect(chats[1]!.messages).toEqual([{ role: "system", content: "be brief" }, { role: "user", content: "four five" }]);
    expect(llm.requests.at(-1)!.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("responseFormat asks for JSON with the schema and returns the parsed, typed object", async () => {
    llm.enqueue({ content: JSON.stringify({ category: "hardware", urgent: true }) });
    const run = await exec("structured", {}, keyB);
    expect(run.result.object).toEqual({ category: "hardware", urgent: true, note: "none" }); // parsed with the zod schema: default applied
    const body = llm.chats().at(-1)!;
    expect(body.response_format).toMatchObject({ type: "json_schema", json_schema: { schema: { type: "object", properties: { category: { enum: ["hardware", "software"] } }, required: ["category", "urgent"] } } });
    expect(body.max_tokens).toBe(50);
    expect(run.tokensUsed).toBe(run.result.usage.totalTokens);
  });

  it("an answer that is not JSON is a clear malformed_output error, and its tokens still count", async () => {
    llm.enqueue({ content: "Sure! The category is hardware." });
    const run = await exec("structured", {}, keyB);
    expect(run.result).toEqual({ code: "malformed_output", status: 502, message: expect.stringContaining('did not answer with a JSON value as responseFormat asks: it answered "Sure! The category is hardware."') });
    expect(run.tokensUsed).toBeGreaterThan(0);
  });

  it("JSON wrapped in a Markdown code fence is unwrapped (models without JSON mode do that); anything else around it is not", async () => {
    llm.enqueue({ content: "```json\n" + JSON.stringify({ category: "software", urgent: false }) + "\n```" });
    expect((await exec("structured", {}, keyB)).result.object).toEqual({ category: "software", urgent: false, note: "none" });
    llm.enqueue({ content: "Here you go:\n```json\n{\"category\":\"software\",\"urgent\":false}\n```" });
    expect((await exec("structured", {}, keyB)).result.code).toBe("malformed_output");
  });

  it("JSON that does not match the schema is schema_mismatch naming each field", async () => {
    llm.enqueue({ content: JSON.stringify({ category: "furniture", urgent: "yes" }) });
    const run = await exec("structured", {}, keyB);
    expect(run.result.code).toBe("schema_mismatch");
    expect(run.result.status).toBe(502);
    expect(run.result.message).toMatch(/does not match responseFormat: category must be one of "hardware", "software"; urgent must be boolean/);
    // A rule JSON Schema cannot express (a refinement) is checked by the SDK's zod parse.
    llm.enqueue({ content: JSON.stringify({ n: 3 }) });
    expect((await exec("refined", {}, keyB)).result).toEqual({ code: "schema_mismatch", status: 502, message: "The answer of model test-chat does not match responseFormat: n must be even" });
    llm.enqueue({ content: JSON.stringify({ n: 4 }) });
    expect((await exec("refined", {}, keyB)).result).toEqual({ n: 4 });
  });

  it("provider errors, a wrong key and a hang are 502/502/504 errors the workflow can catch", async () => {
    llm.enqueue({ status: 500, message: "the model server is overloaded" });
    const failed = await exec("complete", { input: "hello" }, keyB);
    expect(failed.result).toEqual({ code: "provider_error", status: 502, message: 'The AI provider "loopback" answered HTTP 500: the model server is overloaded' });

    const wrong = await createProvider({ name: "wrong", kind: "openai-compatible", baseUrl: llm.url, apiKey: "sk-not-the-right-one", chatModel: "m" });
    const denied = await exec("complete", { input: { prompt: "hi", provider: "wrong" } }, keyB);
    expect(denied.result.message).toBe(`The AI provider "wrong" answered HTTP 401 (check the provider's API key): Incorrect API key provided`);
    expect(JSON.stringify(denied)).not.toContain("sk-not-the-right-one");

    const slow = await createProvider({ name: "slowchat", kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, chatModel: "m", timeoutMs: 300 });
    llm.enqueue({ content: "too late", delayMs: 3000 });
    const started = Date.now();
    const hung = await exec("complete", { input: { prompt: "hi", provider: "slowchat" } }, keyB);
    expect(hung.result).toEqual({ code: "provider_timeout", status: 504, message: 'The AI provider "slowchat" did not answer within 300 ms (model m); the request was aborted' });
    expect(Date.now() - started).toBeLessThan(2500);
    for (const p of [wrong, slow]) await t.call({ method: "DELETE", url: `/api/ai/providers/${p.id}` });

    const unknown = await exec("complete", { input: { prompt: "hi", provider: "nope" } }, keyB);
    expect(unknown.result).toMatchObject({ code: "not_found", status: 404 });
    const bad = await exec("complete", { input: { prompt: "", maxTokens: 0 } }, keyB);
    expect(bad.result.code).toBe("validation_failed");
    expect(bad.result.message).toMatch(/input\.prompt.*input\.maxTokens|input\.maxTokens.*input\.prompt/);
  });

  it("embeddings and model info work inside a run, and embedding tokens count", async () => {
    const run = await exec("embedInRun", {}, keyB);
    expect(run.result).toBe(2);
    expect(run.tokensUsed).toBe(3); // "alpha beta" + "gamma"
    expect((await exec("info", {}, keyA)).result.chat.provider).toBe("loopback");
  });
});

describe("streaming", () => {
  it("inside a run: pieces arrive in order, then the usage; tokens are recorded", async () => {
    const prompt = "tell me a story about dragons and knights";
    const run = await exec("streamed", { prompt }, keyB);
    expect(run.status).toBe("Success");
    expect(run.result.chunks.length).toBeGreaterThan(3);
    expect(run.result.chunks.join("")).toBe(`echo: ${prompt}`);
    expect(run.result.text).toBe(`echo: ${prompt}`);
    expect(run.result.finishReason).toBe("stop");
    expect(run.result.usage).toEqual({ inputTokens: 8, outputTokens: 9, totalTokens: 17 });
    expect(run.tokensUsed).toBe(17);
    expect(llm.chats().at(-1)!.stream).toBe(true);
  });

  it("inside a run: a provider error before the first piece is thrown from the loop", async () => {
    llm.enqueue({ status: 503, message: "no capacity" });
    const run = await exec("streamed", { prompt: "x" }, keyB);
    expect(run.result).toEqual({ code: "provider_error", status: 502, message: 'The AI provider "loopback" answered HTTP 503: no capacity' });
  });

  it("a run that ends (here: its timeout) stops its provider call instead of leaving it running", async () => {
    llm.enqueue({ content: "too late", delayMs: 15_000 });
    const before = llm.aborted();
    const run = await exec("slowAnswer", {}, keyB);
    expect(run.status).toBe("Timeout");
    const stoppedAt = Date.now();
    await eventually(() => (llm.aborted() > before ? true : undefined), 5_000, "the provider request to be aborted");
    expect(Date.now() - stoppedAt).toBeLessThan(5_000); // not the provider's 120 s timeout
  });

  it("inside a run: breaking out of the loop stops the stream", async () => {
    const run = await exec("streamBreak", {}, keyB);
    expect(run.status).toBe("Success");
    expect(run.result.length).toBeGreaterThan(0);
    expect(`echo: a long answer that we stop reading after the first piece`.startsWith(run.result)).toBe(true);
  });

  it("from outside over HTTP: NDJSON pieces, then done with the usage", async () => {
    const res = await t.call({ method: "POST", url: "/api/ai/stream", payload: { prompt: "stream this please" }, key: keyB });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("application/x-ndjson");
    const lines = res.body.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.filter((l) => l.type === "text").map((l) => l.text).join("")).toBe("echo: stream this please");
    expect(lines.at(-1)).toEqual({ type: "done", model: "test-chat", provider: "loopback", finishReason: "stop", usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, knowledge: [] });
  });

  it("from outside over HTTP: errors before the first piece are ordinary error answers", async () => {
    llm.enqueue({ status: 500, message: "down for maintenance" });
    const failed = await t.call({ method: "POST", url: "/api/ai/stream", payload: { prompt: "x" }, key: keyB });
    expect(failed.statusCode).toBe(502);
    expect(failed.json().error.message).toContain("down for maintenance");
    const invalid = await t.call({ method: "POST", url: "/api/ai/stream", payload: { prompt: "x", responseFormat: { type: "object" } }, key: keyB });
    expect(invalid.statusCode).toBe(422);
    expect((await t.call({ method: "POST", url: "/api/ai/stream", payload: { prompt: "x" }, key: null })).statusCode).toBe(401);
  });
});

describe("the external SDK over HTTP", () => {
  const run = promisify(execFile);
  const script = async (body: string, key: string) => {
    const path = join(import.meta.dirname, `../../../.ext-ai-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(path, `import { ai, z, BifrostError } from "bifrost";\n${body}\n`);
    try {
      const out = await run(process.execPath, [path], { env: { PATH: process.env.PATH ?? "", BIFROST_URL: t.platform.url!, BIFROST_API_KEY: key }, cwd: join(import.meta.dirname, "../../..") });
      return JSON.parse(out.stdout.trim());
    } finally {
      rmSync(path, { force: true });
    }
  };

  it("complete (text and typed JSON), stream, embed and getModelInfo work with an organization key", async () => {
    llm.enqueue({ content: JSON.stringify({ city: "Oslo", population: 709000 }) });
    const out = await script(
      `const City = z.object({ city: z.string(), population: z.number().int() });
       const structured = await ai.complete({ prompt: "largest city in Norway", responseFormat: City });
       const text = await ai.complete("hello from a laptop");
       const s = ai.stream("streaming from a laptop");
       const chunks = [];
       for await (const c of s) chunks.push(c);
       const vectors = await ai.embed(["one", "two words"]);
       const info = await ai.getModelInfo();
       let err = null;
       try { for await (const c of ai.stream({ prompt: "x", provider: "nope" })) {} } catch (e) { err = e.code + ":" + e.status; }
       console.log(JSON.stringify({ object: structured.object, text: text.text, chunks: chunks.length, streamed: s.text, usage: s.usage, dims: vectors.map((v) => v.length), chat: info.chat.model, err }));`,
      keyB,
    );
    expect(out).toEqual({
      object: { city: "Oslo", population: 709000 },
      text: "echo: hello from a laptop",
      chunks: expect.any(Number),
      streamed: "echo: streaming from a laptop",
      usage: { inputTokens: 4, outputTokens: 5, totalTokens: 9 },
      dims: [64, 64],
      chat: "test-chat",
      err: "not_found:404",
    });
    expect(out.chunks).toBeGreaterThan(1);
  });

  it("a provider error mid-call reaches the external caller as a BifrostError with the code", async () => {
    llm.enqueue({ status: 500, message: "exploded" });
    const out = await script(`try { await ai.complete("x"); console.log("null"); } catch (e) { console.log(JSON.stringify({ code: e.code, status: e.status, name: e.name })); }`, keyA);
    expect(out).toEqual({ code: "provider_error", status: 502, name: "BifrostError" });
  });
});

describe("knowledge in completions (the knowledge base's real search)", () => {
  it("adds the organization's and global best chunks to the system prompt, never another organization's", async () => {
    const store = async (key: string | undefined, content: string, options: Record<string, unknown>) => {
      const res = await sdk("knowledge.store", [content, options], key);
      expect(res.statusCode, res.body).toBe(200);
    };
    await store(keyA, "To reset a password open the admin portal, find the user and choose Reset password.", { namespace: "runbooks", key: "password-reset" });
    await store(keyA, "Printers are managed from the print server console.", { namespace: "runbooks", key: "printers" });
    await store(keyB, "Beta only: to reset a password call Bob on extension 555.", { namespace: "runbooks", key: "beta-reset" });
    await store(undefined, "Global policy: passwords expire every 90 days and a reset password must be changed at first login.", { namespace: "policies", key: "password-policy", scope: "global" });

    const run = await exec("complete", { input: { prompt: "how do I reset a password", knowledge: ["runbooks", "policies"], knowledgeLimit: 2 } }, keyA);
    expect(run.status).toBe("Success");
    expect(run.result.knowledge.map((k: { key: string }) => k.key).sort()).toEqual(["password-policy", "password-reset"]);
    const system = String(llm.chats().at(-1)!.messages.find((m) => m.role === "system")?.content);
    expect(system).toContain("choose Reset password");
    expect(system).toContain("passwords expire every 90 days");
    expect(system).not.toContain("Bob");
    expect(system).not.toContain("print server");
    // The question's embedding is charged to the run too.
    expect(run.tokensUsed).toBeGreaterThan(run.result.usage.totalTokens);

    const streamed = await t.call({ method: "POST", url: "/api/ai/stream", payload: { prompt: "reset a password", knowledge: ["runbooks"], knowledgeLimit: 1 }, key: keyB });
    const done = streamed.body.trim().split("\n").map((l) => JSON.parse(l)).at(-1);
    expect(done.knowledge).toEqual([{ namespace: "runbooks", key: "beta-reset", score: expect.any(Number) }]);
    expect(String(llm.chats().at(-1)!.messages.find((m) => m.role === "system")?.content)).toContain("Bob");

    const nothing = await exec("complete", { input: { prompt: "how do I reset a password", knowledge: ["no-such-namespace"] } }, keyA);
    expect(nothing.result.knowledge).toEqual([]);
    expect(llm.chats().at(-1)!.messages.some((m) => m.role === "system")).toBe(false);
  });
});

describe("an Anthropic provider", () => {
  it("answers text, streams, returns JSON through its structured output, and reports a wrong key", async () => {
    const claude = await createProvider({ name: "claude", kind: "anthropic", baseUrl: llm.url, apiKey: API_KEY, chatModel: "claude-test", scope: orgA });
    const text = await exec("complete", { input: { prompt: "hello claude", provider: "claude", maxTokens: 100 } }, keyA);
    expect(text.result).toMatchObject({ text: "echo: hello claude", model: "claude-test", provider: "claude", usage: { inputTokens: 2, outputTokens: 3, totalTokens: 5 } });
    expect(text.tokensUsed).toBe(5);
    const sent = llm.requests.at(-1)!;
    expect(sent).toMatchObject({ path: "/v1/messages", xApiKey: API_KEY, body: { model: "claude-test", max_tokens: 100 } });

    const streamed = await t.call({ method: "POST", url: "/api/ai/stream", payload: { prompt: "stream from claude", provider: "claude" }, key: keyA });
    const lines = streamed.body.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === "text").map((l) => l.text).join("")).toBe("echo: stream from claude");
    expect(lines.filter((l) => l.type === "text").length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatchObject({ type: "done", usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 } });

    llm.enqueue({ content: JSON.stringify({ category: "software", urgent: false }) });
    const schema = { type: "object", properties: { category: { enum: ["hardware", "software"] }, urgent: { type: "boolean" } }, required: ["category", "urgent"] };
    const json = await exec("complete", { input: { prompt: "classify: Excel crashes", provider: "claude", responseFormat: schema } }, keyA);
    expect(json.result.object).toEqual({ category: "software", urgent: false });
    expect(llm.messages().at(-1)!.output_config).toMatchObject({ format: { type: "json_schema", schema: { properties: schema.properties } } });

    await t.call({ method: "PUT", url: `/api/ai/providers/${claude.id}`, payload: { apiKey: "sk-ant-wrong-9999" } });
    const denied = await exec("complete", { input: { prompt: "hi", provider: "claude" } }, keyA);
    expect(denied.result).toEqual({ code: "provider_error", status: 502, message: `The AI provider "claude" answered HTTP 401 (check the provider's API key): invalid x-api-key` });
    expect(JSON.stringify(denied)).not.toContain("sk-ant-wrong-9999");
    // Anthropic has no embedding models.
    const noEmbed = await t.call({ method: "PUT", url: `/api/ai/providers/${claude.id}`, payload: { embeddingModel: "x" } });
    expect(noEmbed.statusCode).toBe(422);
    await t.call({ method: "DELETE", url: `/api/ai/providers/${claude.id}` });
  });
});
