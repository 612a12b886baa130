import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";
import { bagOfWordsVector, startLlmServer, type LlmServer } from "./llm-server.js";

const API_KEY = "sk-loopback-secret-4f9a1c7e";

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
  t = await startTestPlatform({}, {}, { listen: true });
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

