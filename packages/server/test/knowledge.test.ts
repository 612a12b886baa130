import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";
import { startLlmServer, type LlmServer } from "./llm-server.js";

/**
 * The `knowledge` module end to end on a real platform: the SDK inside running workflows
 * (IPC), the external SDK and the HTTP API, embeddings from the real AI service talking to
 * an OpenAI-compatible server on loopback, two organizations and the global scope.
 * The blocks run in order: first without any AI provider (full-text fallback), then with one.
 */

const API_KEY = "sk-knowledge-loopback-77e1";

const FILES = {
  "kb.ts": `
import { workflow, z, knowledge, ai, BifrostError } from "bifrost";

/** Runs one knowledge.<op>(...args) and reports its value or its error, so tests see both. */
export const kb = workflow({ params: z.object({ op: z.string(), args: z.array(z.unknown()).default([]) }) }, async ({ op, args }) => {
  try {
    return { ok: await (knowledge as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!(...args) };
  } catch (e) {
    return { code: (e as BifrostError).code, status: (e as BifrostError).status, name: (e as Error).name, message: (e as Error).message };
  }
});

/** A realistic run: keep the runbooks, then suggest one for a ticket. */
export const triage = workflow({ params: z.object({ ticket: z.string() }) }, async ({ ticket }) => {
  await knowledge.storeMany(
    [
      { key: "password-reset", content: "To reset a user password open the admin portal, find the user and choose reset password.", metadata: { team: "identity", level: 1 } },
      { key: "printer-queue", content: "When the printer queue is stuck restart the print spooler service on the print server.", metadata: { team: "desk", level: 2 } },
      { key: "vpn-share", content: "Connect to the VPN before opening the file share on the server.", metadata: { team: "network", level: 2 } },
    ],
    { namespace: "runbooks" },
  );
  const found = await knowledge.search(ticket, { namespace: "runbooks", limit: 2 });
  return { mode: found.mode, model: found.model, best: found.results[0]?.key, keys: found.results.map((r) => r.key), scores: found.results.map((r) => r.score) };
});

export const askWithKnowledge = workflow({ params: z.object({ question: z.string() }) }, async ({ question }) => {
  const answer = await ai.complete({ prompt: question, knowledge: ["runbooks"] });
  return { text: answer.text, sources: answer.knowledge };
});
`,
};

let t: TestPlatform;
let llm: LlmServer;
let orgA: string;
let keyA: string;
let orgB: string;
let keyB: string;
/** The global provider (created once the "with an embedding provider" block starts). */
let loopbackId: string;

interface Outcome {
  ok?: unknown;
  code?: string;
  status?: number;
  name?: string;
  message?: string;
}

/** knowledge.<op>(...args) inside a running workflow, as the key's organization (the admin's when no key). */
const inRun = async (key: string | undefined, op: string, ...args: unknown[]): Promise<Outcome> => {
  const e = (await t.call({ method: "POST", url: "/api/workflows/kb/execute", payload: { op, args }, key })).json();
  expect(e.status, JSON.stringify(e)).toBe("Success");
  return e.result as Outcome;
};
/** The value of a call that must succeed. */
const ok = async <T = any>(key: string | undefined, op: string, ...args: unknown[]): Promise<T> => {
  const r = await inRun(key, op, ...args);
  expect(r.code, JSON.stringify(r)).toBeUndefined();
  return r.ok as T;
};
/** knowledge.<op>(...args) through POST /api/sdk/call (what the external SDK sends). */
const external = (key: string | undefined, method: string, ...args: unknown[]) => t.call({ method: "POST", url: "/api/sdk/call", payload: { method: `knowledge.${method}`, args }, key });
const http = (key: string | undefined, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown) =>
  t.call({ method, url, key, ...(payload === undefined ? {} : { payload: payload as object }) });
const embeddingRequests = () => llm.requests.filter((r) => r.path === "/v1/embeddings").length;
const createProvider = async (body: Record<string, unknown>) => {
  const res = await t.call({ method: "POST", url: "/api/ai/providers", payload: { kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, ...body } });
  if (res.statusCode !== 201) throw new Error(`creating provider: ${res.body}`);
  return res.json() as { id: string };
};
const chunkRows = async (scope: string, namespace: string) =>
  t.platform.engine.database.db.selectFrom("knowledge_chunks").select(["key", "seq", "content"]).where("scope", "=", scope).where("namespace", "=", namespace).orderBy("key").orderBy("seq").execute();

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

describe("without an embedding provider", () => {
  it("stores documents (chunks kept, no vectors) and searches them by words, saying so", async () => {
    const stored = await ok(keyA, "store", "The VPN client must be connected before the file share opens.", { namespace: "early", key: "vpn", metadata: { team: "network" } });
    expect(stored).toEqual({ namespace: "early", key: "vpn", scope: orgA, status: "created", chunks: 1, embedded: false, model: null });
    await ok(keyA, "store", "Printers: restart the spooler when the queue is stuck.", { namespace: "early", key: "printer" });
    await ok(keyA, "store", "Unchanged later: printers and spoolers.", { namespace: "early", key: "later" });
    const found = await ok(keyA, "search", "why is my printer queue stuck?", { namespace: "early" });
    expect(found).toMatchObject({ mode: "fulltext", model: null, pendingChunks: 0 });
    expect(found.results.map((r: { key: string }) => r.key)).toEqual(["printer", "later"]);
    expect(found.results[0]).toEqual({
      namespace: "early",
      key: "printer",
      scope: orgA,
      content: "Printers: restart the spooler when the queue is stuck.",
      metadata: {},
      score: 1,
      chunkIndex: 0,
    });
    expect(found.results[1].score).toBeLessThan(1);
    expect((await ok(keyA, "search", "file share", { namespace: "early", metadataFilter: { team: "network" } })).results.map((r: { key: string }) => r.key)).toEqual(["vpn"]);
    expect((await ok(keyA, "search", "kubernetes", { namespace: "early" })).results).toEqual([]);
    expect(await ok(keyA, "get", "vpn", { namespace: "early" })).toMatchObject({ content: "The VPN client must be connected before the file share opens.", chunks: 1, models: [] });
    expect(embeddingRequests()).toBe(0);
  });

  it("stores a large namespace without vectors (for the pending-chunks test below)", async () => {
    for (let batch = 0; batch < 11; batch++) {
      const docs = Array.from({ length: 100 }, (_, i) => ({ key: `p-${batch}-${i}`, content: `Pending document ${batch} ${i} about widgets.` }));
      const res = await external(keyA, "storeMany", docs, { namespace: "pending" });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await chunkRows(orgA, "pending")).length).toBe(1100);
  });
});

describe("with an embedding provider", () => {
  beforeAll(async () => {
    // The first provider able to embed becomes the global default (see docs/sdk/ai.md).
    loopbackId = (await createProvider({ name: "loopback", chatModel: "test-chat", embeddingModel: "test-embed" })).id;
  });

  it("documents stored before the provider get embedded by the first search, once", async () => {
    const before = embeddingRequests();
    const found = await ok(keyA, "search", "printer queue stuck", { namespace: "early" });
    expect(found).toMatchObject({ mode: "vector", model: "test-embed", pendingChunks: 0 });
    expect(found.results[0]).toMatchObject({ key: "printer", scope: orgA });
    expect(found.results[0].score).toBeGreaterThan(0.3);
    // One request for the query, one for the three chunks that had no vector.
    expect(embeddingRequests() - before).toBe(2);
    expect(llm.requests.at(-2)!.body).toMatchObject({ model: "test-embed", input: ["printer queue stuck"] });
    expect((await ok(keyA, "get", "vpn", { namespace: "early" })).models).toEqual(["test-embed"]);
    await ok(keyA, "search", "printer queue stuck", { namespace: "early" });
    expect(embeddingRequests() - before).toBe(3);
  });

  it("one search embeds at most 1024 missing chunks, says how many wait, and the next search finishes", async () => {
    const before = embeddingRequests();
    const first = await ok(keyA, "search", "widgets", { namespace: "pending", limit: 3 });
    expect(first).toMatchObject({ mode: "vector", model: "test-embed", pendingChunks: 1100 - 1024 });
    expect(first.results).toHaveLength(3);
    expect(embeddingRequests() - before).toBe(1 + 1024 / 64);
    const second = await ok(keyA, "search", "widgets", { namespace: "pending", limit: 3 });
    expect(second.pendingChunks).toBe(0);
    expect(embeddingRequests() - before).toBe(1 + 16 + 1 + 2);
    expect((await ok(keyA, "search", "widgets", { namespace: "pending" })).pendingChunks).toBe(0);
    expect(embeddingRequests() - before).toBe(1 + 16 + 1 + 2 + 1);
  });

  it("re-storing unchanged content that has no vectors embeds it (and only it)", async () => {
    await t.platform.engine.database.db
      .deleteFrom("knowledge_vectors")
      .where("chunk_id", "in", (eb) => eb.selectFrom("knowledge_chunks").select("id").where("scope", "=", orgA).where("key", "=", "later"))
      .execute();
    const before = embeddingRequests();
    const again = await ok(keyA, "store", "Unchanged later: printers and spoolers.", { namespace: "early", key: "later" });
    expect(again).toMatchObject({ status: "replaced", embedded: true, model: "test-embed", chunks: 1 });
    expect(embeddingRequests() - before).toBe(1);
  });

  it("a realistic run: batch store, then the best runbook for a ticket by meaning", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/triage/execute", payload: { ticket: "I forgot my password, please reset it" }, key: keyA })).json();
    expect(e.status).toBe("Success");
    expect(e.result).toMatchObject({ mode: "vector", model: "test-embed", best: "password-reset" });
    expect(e.result.keys).toHaveLength(2);
    expect(e.result.scores[0]).toBeGreaterThan(e.result.scores[1]);
    // The embedding tokens are charged to the run.
    expect(e.tokensUsed).toBeGreaterThan(0);
  });

  it("results are one per document (its best chunk), with limit, minScore and metadata filters", async () => {
    const long = [
      "Intro paragraph about the office and its coffee machine.",
      "Backups run every night at two and are kept for thirty days.",
      "Restore a backup from the portal by choosing the night and the folder.",
      "The coffee machine is cleaned on Fridays.",
    ].join("\n\n");
    const stored = await ok(keyA, "store", long, { namespace: "dedup", key: "handbook", chunkSize: 80, chunkOverlap: 0, metadata: { kind: "handbook", pages: 12 } });
    expect(stored.chunks).toBe(4);
    await ok(keyA, "store", "Backups of laptops are not kept.", { namespace: "dedup", key: "laptops", metadata: { kind: "policy", pages: 1 } });
    const found = await ok(keyA, "search", "restore a backup from the portal", { namespace: "dedup", limit: 10 });
    expect(found.results.map((r: { key: string }) => r.key)).toEqual(["handbook", "laptops"]);
    expect(found.results[0]).toMatchObject({ chunkIndex: 2, content: "Restore a backup from the portal by choosing the night and the folder.", metadata: { kind: "handbook", pages: 12 } });
    expect((await ok(keyA, "search", "restore a backup from the portal", { namespace: "dedup", limit: 1 })).results).toHaveLength(1);
    // The exact text of one chunk scores ~1; minScore keeps only it.
    const exact = await ok(keyA, "search", "Restore a backup from the portal by choosing the night and the folder.", { namespace: "dedup", minScore: 0.99 });
    expect(exact.results.map((r: { key: string; score: number }) => [r.key, Number(r.score.toFixed(4))])).toEqual([["handbook", 1]]);
    expect((await ok(keyA, "search", "backup", { namespace: "dedup", metadataFilter: { kind: "policy" } })).results.map((r: { key: string }) => r.key)).toEqual(["laptops"]);
    expect((await ok(keyA, "search", "backup", { namespace: "dedup", metadataFilter: { pages: { gte: 2 } } })).results.map((r: { key: string }) => r.key)).toEqual(["handbook"]);
    expect((await ok(keyA, "search", "backup", { namespace: ["dedup", "runbooks"], limit: 10 })).results.map((r: { namespace: string }) => r.namespace)).toEqual(
      expect.arrayContaining(["dedup", "runbooks"]),
    );
  });

  it("storing an existing key replaces the document: old chunks gone, new ones found", async () => {
    await ok(keyA, "store", "Old text about fax machines.\n\nAnd more about fax paper.", { namespace: "replace", key: "doc", chunkSize: 50, chunkOverlap: 0 });
    expect((await chunkRows(orgA, "replace")).map((r) => r.content)).toEqual(["Old text about fax machines.", "And more about fax paper."]);
    const replaced = await ok(keyA, "store", "New text about scanners.", { namespace: "replace", key: "doc", metadata: { v: 2 } });
    expect(replaced).toMatchObject({ status: "replaced", chunks: 1, embedded: true });
    expect((await chunkRows(orgA, "replace")).map((r) => r.content)).toEqual(["New text about scanners."]);
    const found = await ok(keyA, "search", "fax machines and fax paper", { namespace: "replace" });
    expect(found.results.map((r: { content: string }) => r.content)).toEqual(["New text about scanners."]);
    expect(await ok(keyA, "get", "doc", { namespace: "replace" })).toMatchObject({ content: "New text about scanners.", metadata: { v: 2 }, chunks: 1, models: ["test-embed"] });
    const orphans = await t.platform.engine.database.db
      .selectFrom("knowledge_vectors")
      .select("chunk_id")
      .where("chunk_id", "not in", (eb) => eb.selectFrom("knowledge_chunks").select("id"))
      .execute();
    expect(orphans).toEqual([]);
  });

  it("storing the same content again embeds nothing (only the metadata changes); other chunking options re-embed", async () => {
    const content = "Quarterly patching happens on the second Tuesday.";
    await ok(keyA, "store", content, { namespace: "skip", key: "patching", metadata: { v: 1 } });
    const before = embeddingRequests();
    const again = await ok(keyA, "store", content, { namespace: "skip", key: "patching", metadata: { v: 2 } });
    expect(again).toEqual({ namespace: "skip", key: "patching", scope: orgA, status: "unchanged", chunks: 1, embedded: true, model: null });
    expect(embeddingRequests()).toBe(before);
    expect((await ok(keyA, "get", "patching", { namespace: "skip" })).metadata).toEqual({ v: 2 });
    const batch = await ok(keyA, "storeMany", [{ key: "patching", content }, { key: "new", content: "Brand new." }], { namespace: "skip" });
    expect(batch.map((r: { status: string }) => r.status)).toEqual(["unchanged", "created"]);
    expect(embeddingRequests() - before).toBe(1);
    const rechunked = await ok(keyA, "store", content, { namespace: "skip", key: "patching", chunkSize: 60, chunkOverlap: 10 });
    expect(rechunked.status).toBe("replaced");
    expect(embeddingRequests() - before).toBe(2);
  });

  it("lists namespaces, gets, deletes documents and namespaces", async () => {
    await ok(keyA, "storeMany", [{ key: "a", content: "alpha text" }, { key: "b", content: "bravo text" }], { namespace: "temp" });
    const namespaces = await ok(keyA, "listNamespaces");
    expect(namespaces).toEqual(expect.arrayContaining([expect.objectContaining({ namespace: "temp", scope: orgA, documents: 2, chunks: 2 })]));
    expect(await ok(keyA, "delete", "a", { namespace: "temp" })).toBe(true);
    expect(await ok(keyA, "delete", "a", { namespace: "temp" })).toBe(false);
    expect(await ok(keyA, "get", "a", { namespace: "temp" })).toBeNull();
    expect(await ok(keyA, "deleteNamespace", "temp")).toBe(1);
    expect(await ok(keyA, "deleteNamespace", "temp")).toBe(0);
    expect((await ok(keyA, "listNamespaces")).map((n: { namespace: string }) => n.namespace)).not.toContain("temp");
    expect(await chunkRows(orgA, "temp")).toEqual([]);
    // The default namespace is "default".
    await ok(keyA, "store", "in the default namespace", { key: "d" });
    expect(await ok(keyA, "get", "d")).toMatchObject({ namespace: "default" });
    expect((await ok(keyA, "search", "default namespace")).results[0]).toMatchObject({ key: "d", namespace: "default" });
  });

  it("ai.complete({ knowledge }) adds the best matching chunks to the prompt", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/askWithKnowledge/execute", payload: { question: "how do I reset a password" }, key: keyA })).json();
    expect(e.status, JSON.stringify(e)).toBe("Success");
    expect(e.result.sources[0]).toMatchObject({ namespace: "runbooks", key: "password-reset" });
    const system = llm.chats().at(-1)!.messages.find((m) => m.role === "system");
    expect(String(system?.content)).toContain("To reset a user password open the admin portal");
  });
});

describe("failures", () => {
  it("provider down during store: a clear 502 and nothing written, a replaced document intact", async () => {
    llm.enqueueEmbedding({ status: 500, message: "embedding backend exploded" });
    const failed = await inRun(keyA, "store", "Never stored.", { namespace: "down", key: "new" });
    expect(failed).toMatchObject({ code: "provider_error", status: 502, name: "BifrostError", message: expect.stringMatching(/"loopback" answered HTTP 500.*embedding backend exploded/) });
    expect(await ok(keyA, "get", "new", { namespace: "down" })).toBeNull();

    await ok(keyA, "store", "Original text about firewalls.", { namespace: "down", key: "kept" });
    llm.enqueueEmbedding({ status: 503, message: "overloaded" });
    expect((await inRun(keyA, "store", "Replacement text.", { namespace: "down", key: "kept" })).status).toBe(502);
    expect((await ok(keyA, "get", "kept", { namespace: "down" })).content).toBe("Original text about firewalls.");
    expect((await chunkRows(orgA, "down")).map((r) => r.content)).toEqual(["Original text about firewalls."]);
  });

  it("a batch whose second embedding request fails writes none of its documents", async () => {
    const docs = Array.from({ length: 70 }, (_, i) => ({ key: `doc-${i}`, content: `Bulk document number ${i}.` }));
    llm.enqueueEmbedding({ delayMs: 0 }); // the first request answers normally
    llm.enqueueEmbedding({ status: 500, message: "second batch fails" });
    const before = embeddingRequests();
    const failed = await inRun(keyA, "storeMany", docs, { namespace: "bulk" });
    expect(failed).toMatchObject({ code: "provider_error", status: 502 });
    expect(embeddingRequests() - before).toBe(2);
    expect(await chunkRows(orgA, "bulk")).toEqual([]);
    const stored = await ok(keyA, "storeMany", docs, { namespace: "bulk" });
    expect(stored).toHaveLength(70);
    expect((await chunkRows(orgA, "bulk")).length).toBe(70);
  });

  it("an embedding model changed in the middle of a store is a 409, and nothing is written", async () => {
    const docs = Array.from({ length: 70 }, (_, i) => ({ key: `m-${i}`, content: `Midway document ${i}.` }));
    const before = embeddingRequests();
    llm.enqueueEmbedding({ delayMs: 800 });
    const storing = inRun(keyA, "storeMany", docs, { namespace: "midway" });
    try {
      // While the first batch is at the provider, an admin switches the global embedding model.
      await eventually(() => (embeddingRequests() > before ? true : undefined));
      expect((await t.call({ method: "PUT", url: `/api/ai/providers/${loopbackId}`, payload: { embeddingModel: "test-embed-2" } })).statusCode).toBe(200);
      expect(await storing).toMatchObject({ code: "conflict", status: 409, message: expect.stringContaining("changed from test-embed to test-embed-2") });
      expect(await chunkRows(orgA, "midway")).toEqual([]);
    } finally {
      await t.call({ method: "PUT", url: `/api/ai/providers/${loopbackId}`, payload: { embeddingModel: "test-embed" } });
    }
  });

  it("a provider that hangs is a 504 within its timeout, nothing written; search fails the same way", async () => {
    const slow = await createProvider({ name: "slow-b", embeddingModel: "test-embed", timeoutMs: 300, scope: orgB });
    llm.enqueueEmbedding({ delayMs: 3000 });
    const started = Date.now();
    const failed = await inRun(keyB, "store", "Slow provider text.", { namespace: "slow", key: "x" });
    expect(failed).toMatchObject({ code: "provider_timeout", status: 504, message: expect.stringContaining("within 300 ms") });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await chunkRows(orgB, "slow")).toEqual([]);
    llm.enqueueEmbedding({ delayMs: 3000 });
    expect(await inRun(keyB, "search", "anything", { namespace: "slow" })).toMatchObject({ code: "provider_timeout", status: 504 });
    await t.call({ method: "DELETE", url: `/api/ai/providers/${slow.id}` });
  });

  it("malformed input is a 422 naming the field", async () => {
    const cases: Array<[string, unknown[], RegExp]> = [
      ["store", [""], /^Invalid input: content must contain text/],
      ["store", ["x".repeat(1024 * 1024 + 1)], /content must be at most 1048576 bytes/],
      ["store", [42], /content must be a string/],
      ["store", ["text", { namespace: "bad namespace!" }], /options\.namespace must be 1 to 128 letters/],
      ["store", ["text", { metadata: [1, 2] }], /options\.metadata must be a JSON object/],
      ["store", ["text", { chunkSize: 10 }], /options\.chunkSize/],
      ["store", ["text", { chunkSize: 100, chunkOverlap: 60 }], /options\.chunkOverlap must be at most half of chunkSize \(50\)/],
      ["store", ["text", { colour: "red" }], /options.*colour/],
      ["storeMany", [[]], /documents must hold at least one document/],
      ["storeMany", [[{ content: "a", key: "k" }, { content: "b", key: "k" }]], /documents\.1\.key "k" is also document 0 of the batch/],
      ["storeMany", [[{ content: "ok" }, { content: " " }]], /documents\.1\.content must contain text/],
      ["search", [""], /query must contain text/],
      ["search", ["q", { limit: 0 }], /options\.limit/],
      ["search", ["q", { minScore: 2 }], /options\.minScore/],
      ["search", ["q", { namespace: [] }], /options\.namespace must name at least one namespace/],
      ["search", ["q", { metadataFilter: { level: { near: 1 } } }], /metadataFilter\.level\.near is not an operator/],
      ["search", ["q", { metadataFilter: "team" }], /options\.metadataFilter must be an object/],
      ["get", [""], /key must not be empty/],
      ["deleteNamespace", ["no/slashes"], /namespace must be 1 to 128/],
      // PostgreSQL cannot store NUL in text: refused up front, before anything is embedded.
      ["store", ["a\u0000b"], /content must not contain NUL/],
      ["store", ["text", { key: "k\u0000" }], /options\.key must not contain NUL/],
      ["search", ["q\u0000"], /query must not contain NUL/],
      // One call may not chunk (and embed) without bound.
      ["store", ["word ".repeat(200_000), { chunkSize: 50, chunkOverlap: 0 }], /content would make \d+ chunks at chunkSize 50; one call may store at most 2000/],
      ["storeMany", [[{ content: "word ".repeat(60_000) }, { content: "word ".repeat(60_000) }], { chunkSize: 100 }], /documents would make \d+ chunks/],
    ];
    for (const [op, args, message] of cases) {
      const r = await inRun(keyA, op, ...args);
      expect(r, `${op}(${JSON.stringify(args).slice(0, 80)})`).toMatchObject({ code: "validation_failed", status: 422 });
      expect(r.message, `${op}(${JSON.stringify(args).slice(0, 80)})`).toMatch(message);
    }
    // Nothing was stored by any of them.
    expect((await ok(keyA, "listNamespaces")).map((n: { namespace: string }) => n.namespace)).not.toContain("bad namespace!");
  });
});

describe("organizations and the global scope", () => {
  it("another organization's documents are invisible and unchangeable", async () => {
    expect((await ok(keyB, "search", "reset a password", { namespace: "runbooks" })).results).toEqual([]);
    expect(await ok(keyB, "get", "password-reset", { namespace: "runbooks" })).toBeNull();
    expect((await ok(keyB, "listNamespaces")).map((n: { scope: string }) => n.scope)).not.toContain(orgA);
    expect(await ok(keyB, "delete", "password-reset", { namespace: "runbooks" })).toBe(false);
    expect(await ok(keyB, "deleteNamespace", "runbooks")).toBe(0);
    for (const [op, args] of [
      ["search", ["password", { namespace: "runbooks", scope: orgA }]],
      ["get", ["password-reset", { namespace: "runbooks", scope: orgA }]],
      ["store", ["overwrite", { namespace: "runbooks", key: "password-reset", scope: orgA }]],
      ["delete", ["password-reset", { namespace: "runbooks", scope: orgA }]],
      ["deleteNamespace", ["runbooks", { scope: orgA }]],
      ["listNamespaces", [{ scope: orgA }]],
    ] as const) {
      expect(await inRun(keyB, op, ...args), op).toMatchObject({ code: "forbidden", status: 403 });
    }
    // Through the external SDK's transport the same.
    expect((await external(keyB, "get", "password-reset", { namespace: "runbooks", scope: orgA })).statusCode).toBe(403);
    expect((await ok(keyA, "get", "password-reset", { namespace: "runbooks" })).content).toContain("reset a user password");
  });

  it("global namespaces are readable by every organization and writable only by platform admins", async () => {
    const stored = await ok(undefined, "storeMany", [
      { key: "password-policy", content: "Passwords must have twelve characters and are rotated yearly.", metadata: { owner: "msp" } },
      { key: "backup-policy", content: "Backups of servers are kept ninety days." },
    ], { namespace: "policies", scope: "global" });
    expect(stored.map((s: { scope: string }) => s.scope)).toEqual(["global", "global"]);
    for (const key of [keyA, keyB]) {
      const found = await ok(key, "search", "how many characters must passwords have", { namespace: "policies" });
      expect(found.results[0]).toMatchObject({ key: "password-policy", scope: "global", metadata: { owner: "msp" } });
      expect(await ok(key, "get", "backup-policy", { namespace: "policies" })).toMatchObject({ scope: "global" });
      expect(await ok(key, "listNamespaces")).toEqual(expect.arrayContaining([expect.objectContaining({ namespace: "policies", scope: "global", documents: 2 })]));
    }
    expect(await inRun(keyA, "store", "mine", { namespace: "policies", scope: "global" })).toMatchObject({ code: "forbidden", status: 403, message: expect.stringContaining("platform admins") });
    expect(await inRun(keyA, "delete", "password-policy", { namespace: "policies", scope: "global" })).toMatchObject({ code: "forbidden" });
    expect(await inRun(keyA, "deleteNamespace", "policies", { scope: "global" })).toMatchObject({ code: "forbidden" });
    // Without a scope an organization writes its own namespace of that name: the global one stays.
    expect(await ok(keyA, "delete", "password-policy", { namespace: "policies" })).toBe(false);
    expect(await ok(keyA, "get", "password-policy", { namespace: "policies", scope: "global" })).toMatchObject({ scope: "global" });
  });

  it("an organization's document hides the global one of the same namespace and key", async () => {
    await ok(keyA, "store", "Alpha passwords have sixteen characters.", { namespace: "policies", key: "password-policy" });
    expect(await ok(keyA, "get", "password-policy", { namespace: "policies" })).toMatchObject({ scope: orgA, content: "Alpha passwords have sixteen characters." });
    const found = await ok(keyA, "search", "password characters", { namespace: "policies" });
    expect(found.results.filter((r: { key: string }) => r.key === "password-policy")).toEqual([expect.objectContaining({ scope: orgA })]);
    expect((await ok(keyB, "get", "password-policy", { namespace: "policies" })).scope).toBe("global");
    expect((await ok(keyA, "search", "password characters", { namespace: "policies", scope: "global" })).results[0]).toMatchObject({ scope: "global" });
  });

  it("organizations on different embedding models share the global documents; vectors never mix", async () => {
    const own = await createProvider({ name: "beta-embed", embeddingModel: "test-embed-b", scope: orgB });
    const before = embeddingRequests();
    const b = await ok(keyB, "search", "backups of servers", { namespace: "policies" });
    expect(b).toMatchObject({ mode: "vector", model: "test-embed-b", pendingChunks: 0 });
    expect(b.results[0]).toMatchObject({ key: "backup-policy", scope: "global" });
    // The query, then the global chunks for B's model.
    expect(embeddingRequests() - before).toBe(2);
    expect(llm.requests.at(-1)!.body).toMatchObject({ model: "test-embed-b" });
    const a = await ok(keyA, "search", "backups of servers", { namespace: "policies" });
    expect(a).toMatchObject({ model: "test-embed" });
    expect(embeddingRequests() - before).toBe(3); // A's vectors of the global chunks were kept
    expect((await ok(undefined, "get", "backup-policy", { namespace: "policies", scope: "global" })).models).toEqual(["test-embed", "test-embed-b"]);
    // B's own documents are embedded with B's model.
    expect(await ok(keyB, "store", "Beta runbook.", { namespace: "beta", key: "r" })).toMatchObject({ model: "test-embed-b" });
    await t.call({ method: "DELETE", url: `/api/ai/providers/${own.id}` });
    // Back on the global model, B's document is embedded again by its next search.
    const again = await ok(keyB, "search", "beta runbook", { namespace: "beta" });
    expect(again).toMatchObject({ model: "test-embed", results: [expect.objectContaining({ key: "r" })] });
    expect((await ok(keyB, "get", "r", { namespace: "beta" })).models).toEqual(["test-embed"]);
  });

  it("deleting an organization deletes its knowledge", async () => {
    const { orgId, key } = await createOrgWithKey(t, "Gamma");
    await ok(key, "store", "Gamma's notes.", { namespace: "notes", key: "n" });
    expect((await chunkRows(orgId, "notes")).length).toBe(1);
    expect((await t.call({ method: "DELETE", url: `/api/organizations/${orgId}` })).statusCode).toBe(204);
    expect(await chunkRows(orgId, "notes")).toEqual([]);
    const docs = await t.platform.engine.database.db.selectFrom("knowledge_documents").select("key").where("scope", "=", orgId).execute();
    expect(docs).toEqual([]);
  });
});

describe("HTTP API", () => {
  it("stores, reads, lists, searches and deletes under /api/knowledge", async () => {
    const created = await http(keyA, "PUT", "/api/knowledge/namespaces/api-docs/documents/onboarding", { content: "New hires get a laptop and a badge.", metadata: { hr: true } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ namespace: "api-docs", key: "onboarding", scope: orgA, status: "created", embedded: true, model: "test-embed" });
    expect((await http(keyA, "PUT", "/api/knowledge/namespaces/api-docs/documents/onboarding", { content: "New hires get a laptop and a badge." })).json().status).toBe("unchanged");
    const generated = await http(keyA, "POST", "/api/knowledge/namespaces/api-docs/documents", { content: "Offboarding returns the laptop." });
    expect(generated.statusCode).toBe(201);
    expect(generated.json().key).toMatch(/^[0-9a-f-]{36}$/);
    const batch = await http(keyA, "POST", "/api/knowledge/namespaces/api-docs/documents/batch", { documents: [{ key: "x", content: "Ex." }, { key: "y", content: "Why." }], chunkSize: 200 });
    expect(batch.json().documents.map((d: { key: string }) => d.key)).toEqual(["x", "y"]);

    const doc = await http(keyA, "GET", "/api/knowledge/namespaces/api-docs/documents/onboarding");
    expect(doc.json()).toMatchObject({ content: "New hires get a laptop and a badge.", metadata: {}, chunks: 1, models: ["test-embed"] });
    expect((await http(keyA, "GET", "/api/knowledge/namespaces/api-docs/documents/nope")).statusCode).toBe(404);
    const list = await http(keyA, "GET", "/api/knowledge/namespaces/api-docs/documents?limit=2&offset=1");
    expect(list.json()).toMatchObject({ scope: orgA, namespace: "api-docs", total: 4, limit: 2, offset: 1 });
    expect(list.json().documents.map((d: { key: string }) => d.key)).toEqual(["onboarding", "x"]);
    expect((await http(keyA, "GET", "/api/knowledge/namespaces")).json().namespaces).toEqual(
      expect.arrayContaining([expect.objectContaining({ namespace: "api-docs", scope: orgA, documents: 4 }), expect.objectContaining({ namespace: "policies", scope: "global" })]),
    );
    const found = await http(keyA, "POST", "/api/knowledge/search", { query: "laptop for new hires", namespace: "api-docs", limit: 2 });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ mode: "vector", model: "test-embed", results: [expect.objectContaining({ key: "onboarding" }), expect.anything()] });

    // Keys may hold any character: URL-encoded in the path.
    const odd = "folder/ünïcode key?#";
    expect((await http(keyA, "PUT", `/api/knowledge/namespaces/api-docs/documents/${encodeURIComponent(odd)}`, { content: "Odd key." })).json().key).toBe(odd);
    expect((await http(keyA, "GET", `/api/knowledge/namespaces/api-docs/documents/${encodeURIComponent(odd)}`)).json()).toMatchObject({ key: odd, content: "Odd key." });
    expect((await http(keyA, "DELETE", `/api/knowledge/namespaces/api-docs/documents/${encodeURIComponent(odd)}`)).statusCode).toBe(204);
    expect((await http(keyA, "DELETE", "/api/knowledge/namespaces/api-docs/documents/x")).statusCode).toBe(204);
    expect((await http(keyA, "DELETE", "/api/knowledge/namespaces/api-docs/documents/x")).statusCode).toBe(404);
    expect((await http(keyA, "DELETE", "/api/knowledge/namespaces/api-docs")).json()).toEqual({ deleted: 3 });
    expect((await http(keyA, "DELETE", "/api/knowledge/namespaces/api-docs")).statusCode).toBe(404);
  });

  it("answers bad input with 422 naming the field, other scopes with 403, no key with 401", async () => {
    const cases: Array<[Parameters<typeof http>, string]> = [
      [[keyA, "PUT", "/api/knowledge/namespaces/ok/documents/k", { content: "" }], "content"],
      [[keyA, "PUT", "/api/knowledge/namespaces/ok/documents/k", { content: "x", chunkSize: 100, chunkOverlap: 90 }], "chunkOverlap"],
      [[keyA, "PUT", "/api/knowledge/namespaces/bad%20ns/documents/k", { content: "x" }], "namespace"],
      [[keyA, "POST", "/api/knowledge/namespaces/ok/documents", { content: "x", extra: 1 }], "(body)"],
      [[keyA, "POST", "/api/knowledge/search", { query: "x", limit: 500 }], "limit"],
      [[keyA, "POST", "/api/knowledge/search", { query: "x", metadataFilter: { a: { bad: 1 } } }], "metadataFilter.a.bad"],
      [[keyA, "POST", "/api/knowledge/search", {}], "query"],
      [[keyA, "GET", "/api/knowledge/namespaces/ok/documents?limit=-1"], "limit"],
    ];
    for (const [args, field] of cases) {
      const res = await http(...args);
      expect(res.statusCode, `${args[1]} ${args[2]}`).toBe(422);
      expect(res.json().error.fields.map((f: { path: string }) => f.path), `${args[1]} ${args[2]}`).toContain(field);
    }
    expect((await http(keyB, "GET", `/api/knowledge/namespaces?scope=${orgA}`)).statusCode).toBe(403);
    expect((await http(keyB, "PUT", "/api/knowledge/namespaces/policies/documents/k?scope=global", { content: "x" })).statusCode).toBe(403);
    expect((await http(keyB, "POST", `/api/knowledge/search?scope=${orgA}`, { query: "x" })).statusCode).toBe(403);
    expect((await http(undefined, "PUT", "/api/knowledge/namespaces/policies/documents/k?scope=global", { content: "Admin text." })).statusCode).toBe(201);
    expect((await t.call({ method: "GET", url: "/api/knowledge/namespaces", key: null })).statusCode).toBe(401);
    expect((await http(undefined, "GET", "/api/knowledge/namespaces?scope=00000000-0000-0000-0000-000000000000")).statusCode).toBe(404);
  });
});

describe("the external SDK", () => {
  const run = promisify(execFile);

  it("stores, searches, reads and deletes with an organization key, exactly as inside a workflow", async () => {
    const path = join(import.meta.dirname, `../../../.ext-knowledge-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(
      path,
      `import { knowledge } from "bifrost";
const stored = await knowledge.store("Laptops are replaced every four years.", { namespace: "ext", key: "lifecycle", metadata: { source: "laptop" } });
const many = await knowledge.storeMany([{ key: "monitors", content: "Monitors are replaced every six years." }], { namespace: "ext" });
const found = await knowledge.search("when are laptops replaced", { namespace: "ext", limit: 1 });
const doc = await knowledge.get("lifecycle", { namespace: "ext" });
const namespaces = (await knowledge.listNamespaces()).filter((n) => n.namespace === "ext");
const deleted = await knowledge.delete("monitors", { namespace: "ext" });
const cleared = await knowledge.deleteNamespace("ext");
let error = null;
try { await knowledge.store("x", { namespace: "ext", scope: "global" }); } catch (e) { error = e.code + ":" + e.status; }
console.log(JSON.stringify({ stored, many: many.length, found, doc: doc && doc.content, namespaces, deleted, cleared, error }));`,
    );
    try {
      const out = await run(process.execPath, [path], { env: { PATH: process.env.PATH ?? "", BIFROST_URL: t.platform.url!, BIFROST_API_KEY: keyA }, cwd: join(import.meta.dirname, "../../..") });
      const r = JSON.parse(out.stdout);
      expect(r.stored).toMatchObject({ namespace: "ext", key: "lifecycle", scope: orgA, status: "created", embedded: true });
      expect(r.many).toBe(1);
      expect(r.found).toMatchObject({ mode: "vector", results: [{ key: "lifecycle", metadata: { source: "laptop" }, content: "Laptops are replaced every four years." }] });
      expect(r).toMatchObject({ doc: "Laptops are replaced every four years.", deleted: true, cleared: 1, error: "forbidden:403" });
      expect(r.namespaces).toEqual([expect.objectContaining({ scope: orgA, documents: 2 })]);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
