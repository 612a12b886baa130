import fc from "fast-check";
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { KnowledgeRepo, type DocumentWrite, type KnowledgeTarget } from "@bifrost/storage/knowledge.repo.js";
import { unitVector } from "@bifrost/storage/knowledge-vectors.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { parseWhere } from "@bifrost/storage/tables-filter.js";
import { forEachDatabase } from "./databases.js";

/**
 * The knowledge storage on each backend: the `VectorIndex` conformance suite (sqlite-vec
 * on SQLite, exact cosine on PostgreSQL, checked against cosine computed here), the
 * full-text ranking (FTS5 / tsvector), and the document writes around them.
 */

const cosine = (a: number[], b: number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i]!;
    na += x * x;
    nb += b[i]! * b[i]!;
  });
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
};

/** A deterministic pseudo-random vector (so failures reproduce). */
function vector(seed: number, dims: number): number[] {
  let x = seed * 2654435761 + 1;
  return Array.from({ length: dims }, () => {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return x / 2 ** 31 - 1;
  });
}

const replace = (namespace: string, key: string, chunks: string[], embedding: { model: string; vectors: number[][] } | null = null, metadata: object = {}): DocumentWrite => ({
  kind: "replace",
  namespace,
  key,
  content: chunks.join("\n\n"),
  contentHash: `h:${chunks.join("|")}`,
  metadata: JSON.stringify(metadata),
  chunks,
  embedding,
});

const target = (scopes: string[], namespaces: string[], metadata: unknown = undefined, shadow: KnowledgeTarget["shadow"] = null): KnowledgeTarget => {
  const parsed = parseWhere(metadata);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { scopes, namespaces, metadata: parsed.value, shadow };
};

forEachDatabase((t) => {
  let repo: KnowledgeRepo;
  let scope: string;
  let n = 0;
  beforeEach(() => {
    repo = new KnowledgeRepo(t.database);
    // A fresh scope per test: the database is shared by the file's tests.
    scope = `org-${++n}`;
  });

  describe("vector index conformance", () => {
    it(`is ${t.dialect === "sqlite" ? "sqlite-vec" : "exact cosine"} here`, () => {
      expect(repo.vectors.name).toBe(t.dialect === "sqlite" ? "sqlite-vec" : "postgres-exact");
    });

    it("stores unit vectors and reads them back", () => {
      const v = [3, 4, 0];
      expect(repo.vectors.decode(repo.vectors.encode(v)).map((x) => Number(x.toFixed(6)))).toEqual([0.6, 0.8, 0]);
      expect(repo.vectors.decode(repo.vectors.encode([0, 0]))).toEqual([0, 0]);
      expect(() => repo.vectors.encode([1, Number.NaN])).toThrow(RangeError);
    });

    it("scores cosine similarity in SQL exactly as computed here: same, orthogonal, opposite, scaled, zero, and 1536 dimensions", async () => {
      const big = vector(7, 1536);
      const cases: Array<[number[], number[]]> = [
        [[1, 0], [1, 0]],
        [[1, 0], [0, 1]],
        [[1, 0], [-1, 0]],
        [[2, 2], [5, 5]],
        [[0, 0], [1, 0]],
        [[1, 2, 3], [-3, 0.5, 2]],
        [big, vector(8, 1536)],
        [big, big.map((x) => x * 10)],
      ];
      for (const [i, [stored, query]] of cases.entries()) {
        await repo.write(scope, [replace("vec", `k${i}`, ["x"], { model: "m", vectors: [stored] })]);
        const similarity = repo.vectors.similarity(sql.ref("embedding"), query);
        const row = await sql<{ s: number }>`SELECT ${similarity} AS s FROM knowledge_vectors JOIN knowledge_chunks c ON c.id = chunk_id WHERE c.scope = ${scope} AND c."key" = ${`k${i}`}`.execute(t.database.db);
        expect(Number(row.rows[0]!.s), `case ${i}`).toBeCloseTo(cosine(stored, query), 5);
      }
    });

    it("ranks like a brute-force cosine over random vectors, whatever the query", async () => {
      const dims = 32;
      const docs = Array.from({ length: 60 }, (_, i) => ({ key: `d${i}`, vectors: [vector(i * 3, dims), vector(i * 3 + 1, dims)] }));
      await repo.write(
        scope,
        docs.map((d) => replace("rank", d.key, ["a", "b"], { model: "m", vectors: d.vectors })),
      );
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1000, max: 100000 }), fc.integer({ min: 1, max: 15 }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), async (seed, limit, minScore) => {
          const query = vector(seed, dims);
          const best = new Map(docs.map((d) => [d.key, Math.max(...d.vectors.map((v) => cosine(v, query)))]));
          const expected = [...best.values()]
            .filter((score) => score >= minScore)
            .sort((a, b) => b - a)
            .slice(0, limit);
          const hits = await repo.searchVectors(target([scope], ["rank"]), query, "m", { limit, minScore });
          // Compared by score (float32 storage may swap two documents whose scores tie to 6 digits).
          expect(hits.length).toBe(expected.length);
          expect(new Set(hits.map((h) => h.key)).size).toBe(hits.length);
          hits.forEach((h, i) => {
            expect(h.score).toBeCloseTo(expected[i]!, 5);
            expect(h.score).toBeCloseTo(best.get(h.key)!, 5);
          });
        }),
        { numRuns: 15 },
      );
    });

    it("returns the best chunk of each document once, and never mixes models or dimensions", async () => {
      await repo.write(scope, [
        replace("mix", "doc", ["far", "near", "middle"], { model: "m", vectors: [[0, 1], [1, 0.01], [1, 1]] }),
        replace("mix", "other-model", ["same direction"], { model: "m2", vectors: [[1, 0]] }),
        replace("mix", "other-dims", ["three dims"], { model: "m", vectors: [[1, 0, 0]] }),
        replace("mix", "no-vector", ["not embedded"]),
      ]);
      const hits = await repo.searchVectors(target([scope], ["mix"]), [1, 0], "m", { limit: 10 });
      expect(hits).toEqual([{ scope, namespace: "mix", key: "doc", seq: 1, content: "near", metadata: "{}", score: expect.closeTo(1, 3) }]);
      expect((await repo.searchVectors(target([scope], ["mix"]), [1, 0], "m2", { limit: 10 })).map((h) => h.key)).toEqual(["other-model"]);
      expect(await repo.searchVectors(target([scope], ["mix"]), [1, 0], "m", { limit: 10, minScore: 0.99995 })).toEqual([]);
      expect(await repo.searchVectors(target([scope], ["mix"]), [1, 0], "m", { limit: 0 })).toEqual([]);
    });

    it("lists what lacks a vector of a model (none, another model, other dimensions) and keeps one vector per model", async () => {
      await repo.write(scope, [
        replace("lazy", "a", ["one", "two"]),
        replace("lazy", "b", ["three"], { model: "old", vectors: [[1, 0]] }),
        replace("lazy", "c", ["four"], { model: "new", vectors: [[0, 1, 0]] }),
        replace("lazy", "d", ["five"], { model: "new", vectors: [[0, 1]] }),
        replace("elsewhere", "e", ["six"]),
      ]);
      const todo = await repo.chunksWithoutVectors(target([scope], ["lazy"]), "new", 2, 100);
      expect(todo.map((c) => [c.scope, c.content])).toEqual([[scope, "one"], [scope, "two"], [scope, "three"], [scope, "four"]]);
      expect(await repo.countWithoutVectors(target([scope], ["lazy"]), "new", 2)).toBe(4);
      expect((await repo.chunksWithoutVectors(target([scope], ["lazy"]), "new", 2, 2)).map((c) => c.content)).toEqual(["one", "two"]);
      // "b" keeps its old model's vector; "c" (exclusive) loses its 3-dimension one.
      await repo.setVectors("new", todo.map((c, i) => ({ id: c.id, vector: [1, i], exclusive: c.content !== "three" })));
      expect(await repo.chunksWithoutVectors(target([scope], ["lazy"]), "new", 2, 100)).toEqual([]);
      expect(await repo.countWithoutVectors(target([scope], ["lazy"]), "new", 2)).toBe(0);
      expect((await repo.getDocument(scope, "lazy", "a"))?.models).toEqual(["new"]);
      expect((await repo.getDocument(scope, "lazy", "b"))?.models).toEqual(["new", "old"]);
      expect((await repo.getDocument(scope, "lazy", "c"))?.models).toEqual(["new"]);
      const hits = await repo.searchVectors(target([scope], ["lazy"]), [1, 0], "new", { limit: 10 });
      expect(hits.map((h) => [h.key, h.content])).toEqual([["a", "one"], ["b", "three"], ["c", "four"], ["d", "five"]]);
      expect((await repo.searchVectors(target([scope], ["lazy"]), [1, 0], "old", { limit: 10 })).map((h) => h.key)).toEqual(["b"]);
      // A vector for a chunk deleted meanwhile lands nowhere, and does not stop the others.
      await repo.deleteDocument(scope, "lazy", "a");
      const e = (await repo.chunksWithoutVectors(target([scope], ["elsewhere"]), "new", 2, 10))[0]!;
      await repo.setVectors("new", [{ id: todo[0]!.id, vector: [1, 0] }, { id: e.id, vector: [0, 1] }]);
      expect(await t.database.db.selectFrom("knowledge_vectors").select("chunk_id").where("chunk_id", "=", todo[0]!.id).execute()).toEqual([]);
      expect((await repo.getDocument(scope, "elsewhere", "e"))?.models).toEqual(["new"]);
    });
  });

  describe("full-text ranking", () => {
    beforeEach(async () => {
      await repo.write(scope, [
        replace("kb", "reset", ["How to reset a user's password in Microsoft 365.", "Passwords expire every 90 days."], null, { team: "identity", level: 1 }),
        replace("kb", "printer", ["The office printer needs toner. Reset the printer queue when jobs are stuck."], null, { team: "desk", level: 2 }),
        replace("kb", "vpn", ["Connect to the VPN before opening the file share."], null, { team: "network", level: 2 }),
        replace("kb", "cafe", ["Le café est fermé le dimanche."], null, {}),
      ]);
    });

    it("finds stemmed words (English), ranks documents matching more words higher, best chunk once per document, relative scores", async () => {
      const hits = await repo.searchText(target([scope], ["kb"]), ["reset", "passwords"], { limit: 10 });
      expect(hits.map((h) => h.key)).toEqual(["reset", "printer"]);
      expect(hits[0]!.score).toBe(1);
      expect(hits[1]!.score).toBeGreaterThan(0);
      expect(hits[1]!.score).toBeLessThan(1);
      expect(hits[0]!.content).toMatch(/password/);
      expect(await repo.searchText(target([scope], ["kb"]), ["toner"], { limit: 10 })).toEqual([
        expect.objectContaining({ key: "printer", seq: 0, score: 1, metadata: JSON.stringify({ team: "desk", level: 2 }) }),
      ]);
    });

    it("limit, minScore, metadata filters, and words that match nothing", async () => {
      expect((await repo.searchText(target([scope], ["kb"]), ["reset", "passwords"], { limit: 1 })).map((h) => h.key)).toEqual(["reset"]);
      expect((await repo.searchText(target([scope], ["kb"]), ["reset", "passwords"], { limit: 10, minScore: 1 })).map((h) => h.key)).toEqual(["reset"]);
      expect((await repo.searchText(target([scope], ["kb"], { team: "desk" }), ["reset"], { limit: 10 })).map((h) => h.key)).toEqual(["printer"]);
      expect((await repo.searchText(target([scope], ["kb"], { level: { gte: 2 } }), ["printer", "vpn"], { limit: 10 })).map((h) => h.key).sort()).toEqual(["printer", "vpn"]);
      expect(await repo.searchText(target([scope], ["kb"]), ["kubernetes"], { limit: 10 })).toEqual([]);
      expect(await repo.searchText(target([scope], ["other"]), ["reset"], { limit: 10 })).toEqual([]);
      expect(await repo.searchText(target([scope], ["kb"]), [], { limit: 10 })).toEqual([]);
      // Terms are words only: anything else is dropped, never full-text query syntax.
      expect(await repo.searchText(target([scope], ["kb"]), ['"', "OR", "*", "NEAR(", "reset)"], { limit: 10 })).toEqual([]);
    });

    it("forgets the words of replaced and deleted documents", async () => {
      await repo.write(scope, [replace("kb", "printer", ["Scanner instructions."])]);
      expect(await repo.searchText(target([scope], ["kb"]), ["toner"], { limit: 10 })).toEqual([]);
      expect((await repo.searchText(target([scope], ["kb"]), ["scanner"], { limit: 10 })).map((h) => h.key)).toEqual(["printer"]);
      await repo.deleteDocument(scope, "kb", "printer");
      expect(await repo.searchText(target([scope], ["kb"]), ["scanner"], { limit: 10 })).toEqual([]);
      await repo.deleteNamespace(scope, "kb");
      expect(await repo.searchText(target([scope], ["kb"]), ["vpn"], { limit: 10 })).toEqual([]);
    });
  });

  describe("documents", () => {
    it("creates, replaces (old chunks gone) and updates metadata only while the content is the same", async () => {
      expect(await repo.write(scope, [replace("ns", "k", ["one", "two", "three"])])).toEqual({ ok: true, statuses: ["created"] });
      const first = await repo.getDocument(scope, "ns", "k");
      expect(first).toMatchObject({ scope, namespace: "ns", key: "k", content: "one\n\ntwo\n\nthree", chunks: 3, models: [], metadata: "{}" });
      expect(await repo.write(scope, [replace("ns", "k", ["four"], { model: "m", vectors: [[1, 2]] })], "2030-01-01T00:00:00.000Z")).toEqual({ ok: true, statuses: ["replaced"] });
      const chunks = await t.database.db
        .selectFrom("knowledge_chunks as c")
        .leftJoin("knowledge_vectors as v", "v.chunk_id", "c.id")
        .select(["c.seq", "c.content", "v.model", "v.dimensions"])
        .where("c.scope", "=", scope)
        .execute();
      expect(chunks).toEqual([{ seq: 0, content: "four", model: "m", dimensions: 2 }]);
      expect(await repo.getDocument(scope, "ns", "k")).toMatchObject({ chunks: 1, models: ["m"], createdAt: first!.createdAt, updatedAt: "2030-01-01T00:00:00.000Z" });
      // The replaced chunks' vectors went with them.
      const orphans = await sql<{ n: number }>`SELECT count(*) AS n FROM knowledge_vectors v WHERE NOT EXISTS (SELECT 1 FROM knowledge_chunks c WHERE c.id = v.chunk_id)`.execute(t.database.db);
      expect(Number(orphans.rows[0]!.n)).toBe(0);
      expect(await repo.states(scope, "ns", ["k", "missing"])).toEqual(new Map([["k", { contentHash: "h:four", chunks: 1, embedded: true }]]));

      const meta: DocumentWrite = { kind: "metadata", namespace: "ns", key: "k", contentHash: "h:four", metadata: '{"v":2}' };
      expect(await repo.write(scope, [meta])).toEqual({ ok: true, statuses: ["unchanged"] });
      expect((await repo.getDocument(scope, "ns", "k"))?.metadata).toBe('{"v":2}');
    });

    it("a metadata-only write that finds other content undoes the whole batch and says which", async () => {
      await repo.write(scope, [replace("ns", "a", ["old"])]);
      const outcome = await repo.write(scope, [
        replace("ns", "b", ["new document"]),
        { kind: "metadata", namespace: "ns", key: "a", contentHash: "h:something else", metadata: '{"x":1}' },
        { kind: "metadata", namespace: "ns", key: "gone", contentHash: "h:x", metadata: "{}" },
      ]);
      expect(outcome).toEqual({ ok: false, stale: [{ namespace: "ns", key: "a" }, { namespace: "ns", key: "gone" }] });
      expect(await repo.getDocument(scope, "ns", "b")).toBeNull();
      expect((await repo.getDocument(scope, "ns", "a"))?.metadata).toBe("{}");
    });

    it("a failing write leaves nothing half-written", async () => {
      await repo.write(scope, [replace("ns", "keep", ["kept"])]);
      const bad = replace("ns", "keep", ["x", "y"], { model: "m", vectors: [[1], [Number.NaN]] });
      await expect(repo.write(scope, [replace("ns", "new", ["n"]), bad])).rejects.toThrow(RangeError);
      expect(await repo.getDocument(scope, "ns", "new")).toBeNull();
      expect(await repo.getDocument(scope, "ns", "keep")).toMatchObject({ content: "kept", chunks: 1 });
    });

    it("global rows have unique keys like any scope (no NULLs in the key)", async () => {
      const g = `global-${scope}`;
      await repo.write(g, [replace("ns", "k", ["a"])]);
      await repo.write(g, [replace("ns", "k", ["b"])]);
      const rows = await t.database.db.selectFrom("knowledge_documents").select("content").where("scope", "=", g).execute();
      expect(rows).toEqual([{ content: "b" }]);
      await expect(
        t.database.db.insertInto("knowledge_documents").values({ scope: g, namespace: "ns", key: "k", content: "c", content_hash: "h", metadata: "{}", created_at: "t", updated_at: "t" }).execute(),
      ).rejects.toThrow();
    });

    it("lists namespaces and documents, and deletes documents and namespaces per scope", async () => {
      const other = `${scope}-other`;
      await repo.write(scope, [replace("b-ns", "1", ["x", "y"]), replace("b-ns", "2", ["z"]), replace("a-ns", "1", ["w"])], "2030-01-01T00:00:00.000Z");
      await repo.write(other, [replace("b-ns", "1", ["v"])], "2030-02-01T00:00:00.000Z");
      expect(await repo.listNamespaces([scope, other])).toEqual([
        { scope, namespace: "a-ns", documents: 1, chunks: 1, updatedAt: "2030-01-01T00:00:00.000Z" },
        { scope, namespace: "b-ns", documents: 2, chunks: 3, updatedAt: "2030-01-01T00:00:00.000Z" },
        { scope: other, namespace: "b-ns", documents: 1, chunks: 1, updatedAt: "2030-02-01T00:00:00.000Z" },
      ]);
      expect(await repo.listNamespaces([])).toEqual([]);
      expect(await repo.listDocuments(scope, "b-ns", 1, 1)).toEqual({
        documents: [{ key: "2", metadata: "{}", length: 1, chunks: 1, createdAt: "2030-01-01T00:00:00.000Z", updatedAt: "2030-01-01T00:00:00.000Z" }],
        total: 2,
      });
      expect((await repo.listDocuments(scope, "b-ns", 1, 0)).documents.map((d) => [d.key, d.chunks])).toEqual([["1", 2]]);
      expect(await repo.deleteDocument(scope, "b-ns", "1")).toBe(true);
      expect(await repo.deleteDocument(scope, "b-ns", "1")).toBe(false);
      expect(await repo.deleteNamespace(scope, "b-ns")).toBe(1);
      expect(await repo.deleteNamespace(scope, "b-ns")).toBe(0);
      expect((await repo.listNamespaces([scope, other])).map((r) => [r.scope, r.namespace])).toEqual([
        [scope, "a-ns"],
        [other, "b-ns"],
      ]);
      const orphans = await t.database.db.selectFrom("knowledge_chunks").select("id").where("scope", "=", scope).where("namespace", "=", "b-ns").execute();
      expect(orphans).toEqual([]);
    });

    it("an organization's document hides the global one of the same namespace and key; scopes never leak", async () => {
      const g = `global-${scope}`;
      await repo.write(g, [replace("shared", "policy", ["global password policy"], { model: "m", vectors: [[1, 0]] }), replace("shared", "only-global", ["global vpn"], { model: "m", vectors: [[1, 0.1]] })]);
      await repo.write(scope, [replace("shared", "policy", ["our password policy"], { model: "m", vectors: [[0.5, 1]] })]);
      await repo.write(`${scope}-x`, [replace("shared", "secret", ["another org's password"], { model: "m", vectors: [[1, 0]] })]);
      const shadowed = target([scope, g], ["shared"], undefined, { by: scope, hides: g });
      const hits = await repo.searchVectors(shadowed, [1, 0], "m", { limit: 10 });
      expect(hits.map((h) => [h.scope, h.key, h.content])).toEqual([
        [g, "only-global", "global vpn"],
        [scope, "policy", "our password policy"],
      ]);
      const text = await repo.searchText(shadowed, ["password", "vpn"], { limit: 10 });
      expect(text.map((h) => [h.scope, h.key]).sort()).toEqual([
        [g, "only-global"],
        [scope, "policy"],
      ]);
      // Without shadowing both copies are there; the other organization's never.
      expect((await repo.searchVectors(target([scope, g], ["shared"]), [1, 0], "m", { limit: 10 })).map((h) => h.scope).sort()).toEqual([g, g, scope].sort());
    });

    it("deleting an organization deletes its knowledge and nothing else", async () => {
      const orgs = new OrganizationsRepo(t.database.db);
      const a = await orgs.create("A");
      const b = await orgs.create("B");
      await repo.write(a.id, [replace("ns", "k", ["a's"], { model: "m", vectors: [[1]] })]);
      await repo.write(b.id, [replace("ns", "k", ["bravo notes"])]);
      expect(await orgs.delete(a.id)).toBe(true);
      expect(await repo.listNamespaces([a.id])).toEqual([]);
      expect(await t.database.db.selectFrom("knowledge_chunks").select("id").where("scope", "=", a.id).execute()).toEqual([]);
      const orphans = await sql<{ n: number }>`SELECT count(*) AS n FROM knowledge_vectors v WHERE NOT EXISTS (SELECT 1 FROM knowledge_chunks c WHERE c.id = v.chunk_id)`.execute(t.database.db);
      expect(Number(orphans.rows[0]!.n)).toBe(0);
      expect(await repo.getDocument(b.id, "ns", "k")).not.toBeNull();
      expect((await repo.searchText(target([b.id], ["ns"]), ["bravo"], { limit: 5 })).length).toBe(1);
    });
  });
});

describe("unitVector", () => {
  it("scales to length 1 and keeps zero vectors", () => {
    expect(unitVector([3, 4])).toEqual([0.6, 0.8]);
    expect(unitVector([0, 0, 0])).toEqual([0, 0, 0]);
  });
});
