import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { compileWhere, parseOrder, parseWhere, type Condition } from "@bifrost/storage/tables-filter.js";
import { TablesRepo } from "@bifrost/storage/tables.repo.js";
import { forEachDatabase } from "./databases.js";

const docs = (...items: Record<string, unknown>[]) => items.map((d) => ({ id: String(d.id), data: JSON.stringify(d) }));
const where = (w: unknown): Condition[] => {
  const parsed = parseWhere(w);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
};

forEachDatabase((t) => {
  let repo: TablesRepo;
  beforeEach(() => {
    repo = new TablesRepo(t.database);
  });

  const ids = async (scope: string, table: string, w: unknown, orderBy?: string, orderDir?: "asc" | "desc") => {
    const order = parseOrder(orderBy, orderDir);
    if (!order.ok) throw new Error("bad order");
    return (await repo.query(scope, table, where(w), order.value, 100, 0)).documents.map((d) => (JSON.parse(d) as { id: string }).id);
  };

  describe("tables storage", () => {
    it("migration 0003-tables created both tables", async () => {
      const names =
        t.dialect === "sqlite"
          ? await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('tables', 'table_documents') ORDER BY name`.execute(t.database.db)
          : await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('tables', 'table_documents') ORDER BY table_name`.execute(t.database.db);
      expect(names.rows.map((r) => r.name)).toEqual(["table_documents", "tables"]);
    });

    it("creates, lists and drops tables per scope", async () => {
      expect(await repo.createTable("org-a", "devices")).toBe(true);
      expect(await repo.createTable("org-a", "devices")).toBe(false);
      expect(await repo.createTable("org-b", "devices")).toBe(true);
      await repo.insertDocuments("org-a", "devices", docs({ id: "1" }, { id: "2" }));
      expect(await repo.listTables("org-a")).toEqual([expect.objectContaining({ name: "devices", scope: "org-a", documentCount: 2 })]);
      expect((await repo.getTable("org-b", "devices"))?.documentCount).toBe(0);
      expect(await repo.dropTable("org-a", "devices")).toBe(true);
      expect(await repo.dropTable("org-a", "devices")).toBe(false);
      expect(await repo.getTable("org-a", "devices")).toBeNull();
      const orphans = await t.database.db.selectFrom("table_documents").selectAll().where("scope", "=", "org-a").execute();
      expect(orphans).toEqual([]);
      expect(await repo.getTable("org-b", "devices")).not.toBeNull();
    });

    it("a batch with a taken id writes nothing; a missing table is reported, not created", async () => {
      await repo.createTable("s", "batch");
      expect(await repo.insertDocuments("s", "batch", docs({ id: "a" }))).toEqual({ ok: true, value: undefined });
      expect(await repo.insertDocuments("s", "batch", docs({ id: "x" }, { id: "y" }, { id: "a" }))).toEqual({ ok: false, reason: "conflict", id: "a" });
      expect((await repo.getTable("s", "batch"))?.documentCount).toBe(1);
      expect(await repo.insertDocuments("s", "nope", docs({ id: "a" }))).toEqual({ ok: false, reason: "no_table" });
      expect(await repo.upsertDocuments("s", "nope", docs({ id: "a" }))).toEqual({ ok: false, reason: "no_table" });
      expect(await repo.getTable("s", "nope")).toBeNull();
    });

    it("upsert replaces and keeps created_at; update is read-modify-write; a throwing change writes nothing", async () => {
      await repo.createTable("s", "up");
      await repo.upsertDocuments("s", "up", docs({ id: "a", v: 1 }), "2025-01-01T00:00:00.000Z");
      await repo.upsertDocuments("s", "up", docs({ id: "a", w: 2 }), "2025-02-01T00:00:00.000Z");
      const row = await t.database.db.selectFrom("table_documents").selectAll().where("scope", "=", "s").where("table_name", "=", "up").executeTakeFirstOrThrow();
      expect(row).toMatchObject({ data: '{"id":"a","w":2}', created_at: "2025-01-01T00:00:00.000Z", updated_at: "2025-02-01T00:00:00.000Z" });
      const updated = await repo.updateDocument("s", "up", "a", (d) => JSON.stringify({ ...JSON.parse(d), x: 3 }));
      expect(updated).toEqual({ ok: true, value: '{"id":"a","w":2,"x":3}' });
      expect(await repo.updateDocument("s", "up", "missing", (d) => d)).toEqual({ ok: true, value: null });
      await expect(
        repo.updateDocument("s", "up", "a", () => {
          throw new Error("too big");
        }),
      ).rejects.toThrow("too big");
      expect(await repo.getDocument("s", "up", "a")).toBe('{"id":"a","w":2,"x":3}');
    });

    it("values that look like SQL or JSON paths are only ever data", async () => {
      await repo.createTable("s", "inj");
      const evil = "x' OR 1=1; DROP TABLE tables; --";
      await repo.insertDocuments("s", "inj", docs({ id: "1", name: evil }, { id: "2", name: "plain", "$.name": "odd key" }));
      expect(await ids("s", "inj", { name: evil })).toEqual(["1"]);
      expect(await ids("s", "inj", { name: { contains: "' OR " } })).toEqual(["1"]);
      expect(await ids("s", "inj", { name: { startsWith: "%" } })).toEqual([]); // not LIKE: no wildcards
      expect(await ids("s", "inj", { name: { hasKey: "$" } })).toEqual([]);
      expect(parseWhere({ "name') OR 1=1 --": 1 }).ok).toBe(false);
      expect(parseWhere({ "$.name": 1 }).ok).toBe(false);
      expect(parseWhere({ 'a"."b': 1 }).ok).toBe(false);
      expect(await repo.listTables("s")).not.toEqual([]);
      // The SQL text carries no value and no path: both are parameters.
      const compiled = compileWhere(where({ "name.first": evil, n: { gt: 5 } }), t.dialect, sql.ref("data")).compile(t.database.db);
      expect(compiled.sql).not.toContain("OR 1=1");
      expect(compiled.sql).not.toContain("first");
      const path = t.dialect === "sqlite" ? '$."name"."first"' : ["name", "first"];
      expect(compiled.parameters).toEqual(expect.arrayContaining([evil, path, 5]));
    });

    it("compares numbers as numbers and strings as strings, by JSON type", async () => {
      await repo.createTable("s", "types");
      await repo.insertDocuments("s", "types", docs({ id: "n9", v: 9 }, { id: "n10", v: 10 }, { id: "s9", v: "9" }, { id: "s10", v: "10" }, { id: "t", v: true }, { id: "z", v: null }, { id: "m" }));
      expect(await ids("s", "types", { v: { gt: 8 } }, "v")).toEqual(["n9", "n10"]);
      expect(await ids("s", "types", { v: { gt: "8" } }, "v")).toEqual(["s9"]); // "10" < "8" as text
      expect(await ids("s", "types", { v: 9 })).toEqual(["n9"]);
      expect(await ids("s", "types", { v: true })).toEqual(["t"]);
      expect(await ids("s", "types", { v: null }, "v")).toEqual(["m", "z"]);
      expect(await ids("s", "types", { v: { ne: 9 } }, "v")).toEqual(["m", "z", "t", "n10", "s10", "s9"]);
      expect(await ids("s", "types", {}, "v", "desc")).toEqual(["s9", "s10", "n10", "n9", "t", "z", "m"]);
    });
  });
});
