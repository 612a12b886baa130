import { describe, expect, it } from "vitest";
import { MemoryTables } from "bifrost/testing/tables-memory";

/** The in-memory `tables` (reference and future test platform) keeps the platform's rules. */
describe("MemoryTables", () => {
  it("mirrors the platform: conflicts, all-or-nothing batches, merge updates, null for a missing document", async () => {
    let tick = 0;
    const tables = new MemoryTables("org-1", () => `2025-01-01T00:00:00.00${tick++}Z`);
    await tables.create("devices");
    await expect(tables.create("devices")).rejects.toMatchObject({ code: "conflict", status: 409 });
    expect(await tables.create("devices", { ifNotExists: true })).toMatchObject({ name: "devices", scope: "org-1" });
    await expect(tables.create("bad name")).rejects.toMatchObject({ code: "validation_failed" });

    const a = await tables.insert("devices", { hostname: "a", ram: 8 });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    await tables.insert("devices", { id: "b", hostname: "b", ram: 16 });
    await expect(tables.insert("devices", { id: "b" })).rejects.toMatchObject({ code: "conflict" });
    await expect(tables.insertBatch("devices", [{ id: "c" }, { id: "b" }])).rejects.toMatchObject({ code: "conflict" });
    await expect(tables.insertBatch("devices", [{ id: "c" }, { id: 5 } as never])).rejects.toMatchObject({ code: "validation_failed" });
    await expect(tables.insert("devices", { id: "big", blob: "x".repeat(1024 * 1024) })).rejects.toMatchObject({ code: "payload_too_large", status: 413 });
    expect(await tables.count("devices")).toBe(2);

    expect(await tables.update("devices", "b", { ram: 32, owner: "ann" })).toEqual({ id: "b", hostname: "b", ram: 32, owner: "ann" });
    await expect(tables.update("devices", "zz", { ram: 1 })).rejects.toMatchObject({ code: "not_found", status: 404 });
    expect(await tables.get("devices", "zz")).toBeNull();
    await expect(tables.get("nope", "zz")).rejects.toMatchObject({ code: "not_found" });

    const page = await tables.query("devices", { where: { ram: { gte: 8 } }, orderBy: "ram", orderDir: "desc" });
    expect(page).toMatchObject({ total: 2, limit: 100, offset: 0 });
    expect(page.documents.map((d) => d.hostname)).toEqual(["b", "a"]);
    await expect(tables.query("devices", { where: { ram: { like: 1 } } as never })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(tables.query("devices", { limit: 1001 })).rejects.toMatchObject({ code: "validation_failed" });

    // Scopes are separate namespaces.
    expect(await tables.list({ scope: "org-2" })).toEqual([]);
    await expect(tables.get("devices", "b", { scope: "org-2" })).rejects.toMatchObject({ code: "not_found" });

    expect(await tables.deleteBatch("devices", ["b", "b", "zz"])).toBe(1);
    expect(await tables.deleteDocument("devices", a.id)).toBe(true);
    expect(await tables.drop("devices")).toBe(true);
    expect(await tables.drop("devices")).toBe(false);
  });
});
