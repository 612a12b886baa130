import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { matchesWhere, queryDocuments, type StoredDocument } from "bifrost/testing/tables-memory";
import type { Document, QueryOptions, Where } from "bifrost/tables";
import { parseOrder, parseWhere } from "@bifrost/storage/tables-filter.js";
import { TablesRepo } from "@bifrost/storage/tables.repo.js";
import { forEachDatabase } from "./databases.js";

/**
 * The SQL filter compiler against the in-memory reference: random documents, random
 * filters, the same ids in the same order (and the same totals) from both.
 */

// Few keys and a small alphabet, so filters often hit; awkward characters on purpose
// (case, accents, astral code points, SQL and JSON-path syntax, LIKE wildcards).
const KEYS = ["a", "b", "n", "s", "tags", "obj"] as const;
const PATHS = ["a", "b", "n", "s", "tags", "obj", "obj.a", "obj.n", "obj.obj", "obj.obj.s", "id", "missing", "a.b"];
const text = fc.string({ unit: fc.constantFrom("a", "b", "A", "é", "中", "😀", "%", "_", "'", '"', ".", "$", " "), maxLength: 4 });
const number = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0.5, 1e20, -1e20, 2 ** 53, 2 ** 64, 1e-300, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const scalar = fc.oneof(fc.constant(null), fc.boolean(), number, text);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, scalar, tie("array"), tie("object")),
  array: fc.array(scalar, { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie("any"), { maxKeys: 3 }),
})).any;
const body = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 });
const documents = fc
  .uniqueArray(fc.string({ unit: fc.constantFrom("a", "b", "c", "Z", "é", "😀", "1"), minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 30 })
  .chain((ids) => fc.tuple(...ids.map((id) => body.map((b) => ({ ...b, id }) as Document))));

const compare = fc.oneof(number, text);
const operator = fc.oneof(
  fc.record({ eq: scalar }),
  fc.record({ ne: scalar }),
  fc.record({ gt: compare }),
  fc.record({ gte: compare }),
  fc.record({ lt: compare }),
  fc.record({ lte: compare }),
  fc.record({ in: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ contains: scalar }),
  fc.record({ startsWith: text }),
  fc.record({ endsWith: text }),
  fc.record({ isNull: fc.boolean() }),
  fc.record({ hasKey: fc.constantFrom(...KEYS, "zz") }),
  fc.record({ gte: number, lt: number }),
);
const where: fc.Arbitrary<Where> = fc.dictionary(fc.constantFrom(...PATHS), fc.oneof(scalar, operator), { maxKeys: 2 }) as fc.Arbitrary<Where>;
const options = fc.record(
  {
    where,
    orderBy: fc.constantFrom(...PATHS),
    orderDir: fc.constantFrom("asc" as const, "desc" as const),
    limit: fc.integer({ min: 0, max: 40 }),
    offset: fc.integer({ min: 0, max: 40 }),
  },
  { requiredKeys: [] },
);

forEachDatabase((t) => {
  let repo: TablesRepo;
  let run = 0;
  beforeEach(() => {
    repo = new TablesRepo(t.database);
  });

  /** Loads the documents in two inserts a millisecond apart, so the default order (time, id) matters. */
  async function load(docs: Document[]): Promise<{ table: string; rows: StoredDocument[] }> {
    const table = `t${++run}`;
    await repo.createTable("s", table);
    const times = ["2025-01-01T00:00:00.001Z", "2025-01-01T00:00:00.000Z"];
    const half = Math.ceil(docs.length / 2);
    const parts = [docs.slice(0, half), docs.slice(half)];
    const rows: StoredDocument[] = [];
    for (const [i, part] of parts.entries()) {
      const r = await repo.insertDocuments("s", table, part.map((d) => ({ id: d.id, data: JSON.stringify(d) })), times[i]);
      expect(r.ok).toBe(true);
      // The reference sees what a reader gets back: the JSON round trip (-0 becomes 0, and so on).
      rows.push(...part.map((d) => ({ document: JSON.parse(JSON.stringify(d)) as Document, createdAt: times[i]! })));
    }
    return { table, rows };
  }

  async function sqlQuery(table: string, o: Omit<QueryOptions, "scope">) {
    const w = parseWhere(o.where);
    const order = parseOrder(o.orderBy, o.orderDir);
    if (!w.ok || !order.ok) throw new Error(`rejected: ${JSON.stringify(w.ok ? order : w)}`);
    const page = await repo.query("s", table, w.value, order.value, o.limit ?? 100, o.offset ?? 0);
    return { ids: page.documents.map((d) => (JSON.parse(d) as Document).id), total: page.total };
  }

  describe("filter compiler vs the in-memory reference", () => {
    it("returns the same ids in the same order, and the same totals and counts", async () => {
      let asked = 0;
      let matched = 0;
      let ordered = 0;
      await fc.assert(
        fc.asyncProperty(documents, fc.array(options, { minLength: 1, maxLength: 5 }), async (docs, queries) => {
          const { table, rows } = await load(docs);
          try {
            for (const q of queries) {
              const expected = queryDocuments(rows, q);
              const actual = await sqlQuery(table, q);
              expect(actual).toEqual({ ids: expected.documents.map((d) => d.id), total: expected.total });
              asked++;
              if (expected.total > 0) matched++;
              if (expected.documents.length > 2) ordered++;
              const w = parseWhere(q.where);
              expect(await repo.count("s", table, w.ok ? w.value : [])).toBe(expected.total);
            }
          } finally {
            await repo.dropTable("s", table);
          }
        }),
        { numRuns: 600 },
      );
      // The generators must produce filters that select something, or the comparison proves little.
      expect(matched / asked).toBeGreaterThan(0.25);
      expect(ordered / asked).toBeGreaterThan(0.1);
    });

    it("sorts and pages the same way with no filter (every type mixed in one field)", async () => {
      const order = fc.record({ orderBy: fc.constantFrom(...PATHS), orderDir: fc.constantFrom("asc" as const, "desc" as const) }, { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(documents, order, fc.nat(5), fc.nat(10), async (docs, o, offset, extra) => {
          const { table, rows } = await load(docs);
          try {
            const q = { ...o, offset, limit: docs.length + extra };
            const expected = queryDocuments(rows, q);
            expect(await sqlQuery(table, q)).toEqual({ ids: expected.documents.map((d) => d.id), total: docs.length });
          } finally {
            await repo.dropTable("s", table);
          }
        }),
        { numRuns: 400 },
      );
    });

    it("every single operator agrees on every document (no paging to hide a difference)", async () => {
      await fc.assert(
        fc.asyncProperty(documents, fc.constantFrom(...PATHS), operator, async (docs, path, op) => {
          const { table, rows } = await load(docs);
          try {
            const w = { [path]: op } as Where;
            const expected = rows.filter((r) => matchesWhere(r.document, w)).map((r) => r.document.id);
            const actual = await sqlQuery(table, { where: w, limit: 1000 });
            expect([...actual.ids].sort()).toEqual([...expected].sort());
          } finally {
            await repo.dropTable("s", table);
          }
        }),
        { numRuns: 400 },
      );
    });
  });
});

describe("filter parsing vs the in-memory reference", () => {
  it("both reject unknown operators and malformed filters", () => {
    const KNOWN = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startsWith", "endsWith", "isNull", "hasKey"]);
    const bad = fc.oneof(
      fc.string({ minLength: 1, maxLength: 8 }).filter((op) => !KNOWN.has(op)).map((op) => ({ a: { [op]: 1 } })),
      fc.constantFrom<unknown>({ a: [1, 2] }, { a: {} }, { a: { gt: true } }, { a: { gt: null } }, { a: { in: 3 } }, { a: { isNull: "yes" } }, { "a..b": 1 }, { "a'); DROP TABLE tables; --": 1 }, { a: { contains: [1] } }, { a: { hasKey: 2 } }, { a: { startsWith: 1 } }),
    );
    fc.assert(
      fc.property(bad, (w) => {
        expect(parseWhere(w).ok).toBe(false);
        expect(() => matchesWhere({ id: "x", a: 1 }, w as Where)).toThrow(/Invalid input: where/);
      }),
      { numRuns: 200 },
    );
  });
});
