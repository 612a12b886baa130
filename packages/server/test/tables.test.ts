import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * The `tables` module end to end: the SDK inside running workflows (over IPC) and the
 * HTTP API, against a real platform, for two organizations and the global scope.
 */
const FILES = {
  "tbl.ts": `
import { workflow, z, tables, BifrostError } from "bifrost";

/** Runs one tables.<op>(...args) and reports its value or its error, so tests see both. */
export const tbl = workflow({ params: z.object({ op: z.string(), args: z.array(z.unknown()).default([]) }) }, async ({ op, args }) => {
  try {
    return { ok: await (tables as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!(...args) };
  } catch (e) {
    return { code: (e as BifrostError).code, status: (e as BifrostError).status, name: (e as Error).name, message: (e as Error).message };
  }
});

export const inventory = workflow({}, async () => {
  await tables.create("devices", { ifNotExists: true });
  await tables.insertBatch("devices", [
    { id: "ws-1", hostname: "ws-1", os: "Windows 11", specs: { ram: 8 }, tags: ["finance"] },
    { id: "ws-2", hostname: "ws-2", os: "Windows 10", specs: { ram: 16 }, tags: ["vip", "finance"] },
    { id: "mac-1", hostname: "mac-1", os: "macOS", specs: { ram: 32 }, tags: ["vip"] },
  ]);
  const generated = await tables.insert("devices", { hostname: "srv-1", os: "Linux", specs: { ram: "64" } });
  await tables.update("devices", "ws-1", { specs: { ram: 12 }, owner: "ann" });
  await tables.upsert("devices", { id: "mac-1", hostname: "mac-1", os: "macOS", specs: { ram: 36 }, tags: ["vip"] });
  const bigWindows = await tables.query("devices", { where: { os: { startsWith: "Windows" }, "specs.ram": { gte: 10 } }, orderBy: "specs.ram", orderDir: "desc" });
  const vip = await tables.query("devices", { where: { tags: { contains: "vip" } }, orderBy: "hostname", limit: 1, offset: 1 });
  return {
    generatedId: generated.id,
    ws1: await tables.get("devices", "ws-1"),
    missing: await tables.get("devices", "nope"),
    bigWindows: bigWindows.documents.map((d) => d.id),
    vip: { ids: vip.documents.map((d) => d.id), total: vip.total, limit: vip.limit, offset: vip.offset },
    numericRam: await tables.count("devices", { where: { "specs.ram": { gt: 0 } } }),
    deleted: await tables.deleteBatch("devices", ["ws-2", "nope"]),
    deletedOne: await tables.deleteDocument("devices", "ws-2"),
    total: await tables.count("devices"),
    list: (await tables.list()).map((t) => [t.name, t.documentCount]),
  };
});

export const bigDocument = workflow({}, async () => {
  try {
    await tables.insert("big", { id: "huge", blob: "x".repeat(1024 * 1024 + 10) });
    return "stored";
  } catch (e) {
    return { code: (e as BifrostError).code, status: (e as BifrostError).status, message: (e as Error).message, count: await tables.count("big") };
  }
});
`,
};

let t: TestPlatform;
let orgA: string;
let orgB: string;
let keyA: string;
let keyB: string;

interface Outcome {
  ok?: unknown;
  code?: string;
  status?: number;
  name?: string;
  message?: string;
}

/** tables.<op>(...args) inside a running workflow, as the key's organization. */
const sdk = async (key: string | undefined, op: string, ...args: unknown[]): Promise<Outcome> => {
  const e = (await t.call({ method: "POST", url: "/api/workflows/tbl/execute", payload: { op, args }, key })).json();
  expect(e.status).toBe("Success");
  return e.result as Outcome;
};
const http = (key: string | undefined, method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: unknown) =>
  t.call({ method, url, key, ...(payload === undefined ? {} : { payload: payload as object }) });

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
});
afterAll(async () => {
  await t?.close();
});

describe("tables inside workflows", () => {
  it("a realistic run: batch insert, generated ids, merge update, upsert, nested filters, paging, deletes", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/inventory/execute", key: keyA })).json();
    expect(e.status).toBe("Success");
    const r = e.result;
    expect(r.generatedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.ws1).toEqual({ id: "ws-1", hostname: "ws-1", os: "Windows 11", specs: { ram: 12 }, tags: ["finance"], owner: "ann" });
    expect(r.missing).toBeNull();
    expect(r.bigWindows).toEqual(["ws-2", "ws-1"]);
    expect(r.vip).toEqual({ ids: ["ws-2"], total: 2, limit: 1, offset: 1 });
    expect(r.numericRam).toBe(3); // "64" is a string: it never compares with a number
    expect(r).toMatchObject({ deleted: 1, deletedOne: false, total: 3, list: [["devices", 3]] });
  });

  it("another organization's tables are invisible, and its scope is refused", async () => {
    expect(await sdk(keyB, "get", "devices", "ws-1")).toMatchObject({ code: "not_found", status: 404 });
    expect(await sdk(keyB, "query", "devices")).toMatchObject({ code: "not_found" });
    expect(await sdk(keyB, "list")).toEqual({ ok: [] });
    expect(await sdk(keyB, "get", "devices", "ws-1", { scope: orgA })).toMatchObject({ code: "forbidden", status: 403 });
    expect(await sdk(keyB, "insert", "devices", { id: "x" }, { scope: orgA })).toMatchObject({ code: "forbidden" });
    expect(await sdk(keyB, "drop", "devices", { scope: orgA })).toMatchObject({ code: "forbidden" });
    expect(await sdk(keyB, "deleteBatch", "devices", ["ws-1"], { scope: orgA })).toMatchObject({ code: "forbidden" });
    // B's own table of the same name is a different table.
    expect(await sdk(keyB, "create", "devices")).toMatchObject({ ok: { name: "devices", scope: orgB, documentCount: 0 } });
    expect(await sdk(keyB, "get", "devices", "ws-1")).toEqual({ ok: null });
    expect(await sdk(keyA, "count", "devices")).toEqual({ ok: 3 });
  });

  it("global tables are readable by organizations but writable only by platform admins", async () => {
    expect((await sdk(undefined, "create", "catalog", { scope: "global" })).ok).toMatchObject({ scope: "global" });
    expect((await sdk(undefined, "insert", "catalog", { id: "m365-e3", price: 36 }, { scope: "global" })).ok).toEqual({ id: "m365-e3", price: 36 });
    expect(await sdk(keyA, "get", "catalog", "m365-e3", { scope: "global" })).toEqual({ ok: { id: "m365-e3", price: 36 } });
    expect((await sdk(keyA, "query", "catalog", { scope: "global", where: { price: { lt: 40 } } })).ok).toMatchObject({ total: 1 });
    expect(await sdk(keyA, "list", { scope: "global" })).toMatchObject({ ok: [{ name: "catalog", scope: "global" }] });
    expect(await sdk(keyA, "insert", "catalog", { id: "x" }, { scope: "global" })).toMatchObject({ code: "forbidden", status: 403 });
    expect(await sdk(keyA, "update", "catalog", "m365-e3", { price: 0 }, { scope: "global" })).toMatchObject({ code: "forbidden" });
    expect(await sdk(keyA, "upsertBatch", "catalog", [{ id: "m365-e3", price: 0 }], { scope: "global" })).toMatchObject({ code: "forbidden" });
    expect(await sdk(keyA, "drop", "catalog", { scope: "global" })).toMatchObject({ code: "forbidden" });
    expect(await sdk(keyA, "get", "catalog", "m365-e3")).toMatchObject({ code: "not_found" }); // no fallback to global
    expect(await sdk(undefined, "get", "catalog", "m365-e3", { scope: "global" })).toEqual({ ok: { id: "m365-e3", price: 36 } });
  });

  it("a platform admin may act in an organization's scope", async () => {
    expect((await sdk(undefined, "get", "devices", "mac-1", { scope: orgA })).ok).toMatchObject({ specs: { ram: 36 } });
    expect(await sdk(undefined, "get", "devices", "x", { scope: "no-such-org" })).toMatchObject({ code: "not_found" });
  });

  it("duplicate ids are 409; a missing document is null for get and 404 for update", async () => {
    await sdk(keyA, "create", "tickets");
    expect((await sdk(keyA, "insert", "tickets", { id: "t1", status: "open" })).ok).toEqual({ id: "t1", status: "open" });
    expect(await sdk(keyA, "insert", "tickets", { id: "t1", status: "dup" })).toMatchObject({ code: "conflict", status: 409 });
    expect(await sdk(keyA, "create", "tickets")).toMatchObject({ code: "conflict", status: 409 });
    expect((await sdk(keyA, "create", "tickets", { ifNotExists: true })).ok).toMatchObject({ name: "tickets", documentCount: 1 });
    expect(await sdk(keyA, "get", "tickets", "nope")).toEqual({ ok: null });
    expect(await sdk(keyA, "update", "tickets", "nope", { a: 1 })).toMatchObject({ code: "not_found", status: 404 });
    expect(await sdk(keyA, "update", "tickets", "t1", { id: "t2" })).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "deleteDocument", "tickets", "nope")).toEqual({ ok: false });
    expect(await sdk(keyA, "insert", "no_such_table", { a: 1 })).toMatchObject({ code: "not_found", message: expect.stringContaining("no_such_table") });
    expect(await sdk(keyA, "drop", "no_such_table")).toEqual({ ok: false });
  });

  it("every batch is all-or-nothing", async () => {
    await sdk(keyA, "create", "batch");
    await sdk(keyA, "insert", "batch", { id: "taken" });
    const bad = await sdk(keyA, "insertBatch", "batch", [{ id: "b1" }, { id: 42 }, { id: "b3" }]);
    expect(bad).toMatchObject({ code: "validation_failed", message: expect.stringContaining("documents.1.id") });
    expect(await sdk(keyA, "insertBatch", "batch", [{ id: "b1" }, "not an object", { id: "b3" }])).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "insertBatch", "batch", [{ id: "b1" }, { id: "taken" }])).toMatchObject({ code: "conflict", message: expect.stringContaining("taken") });
    expect(await sdk(keyA, "insertBatch", "batch", [{ id: "b1" }, { id: "b1" }])).toMatchObject({ code: "conflict" });
    expect(await sdk(keyA, "upsertBatch", "batch", [{ id: "taken", v: 2 }, { id: "" }])).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "deleteBatch", "batch", ["taken", ""])).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "count", "batch")).toEqual({ ok: 1 });
    expect(await sdk(keyA, "get", "batch", "taken")).toEqual({ ok: { id: "taken" } });
    const many = Array.from({ length: 1000 }, (_, i) => ({ id: `d${i}`, n: i }));
    expect(((await sdk(keyA, "insertBatch", "batch", many)).ok as unknown[]).length).toBe(1000);
    expect(await sdk(keyA, "insertBatch", "batch", [...many, { id: "one-too-many" }])).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "deleteBatch", "batch", many.map((d) => d.id))).toEqual({ ok: 1000 });
  });

  it("a document over 1 MiB is refused with a clear error and nothing is written", async () => {
    await sdk(keyA, "create", "big");
    const e = (await t.call({ method: "POST", url: "/api/workflows/bigDocument/execute", key: keyA })).json();
    expect(e.result).toMatchObject({ code: "payload_too_large", status: 413, count: 0 });
    expect(e.result.message).toMatch(/at most 1048576 bytes \(1 MiB\)/);
  });

  it("bad table names, bad where shapes and unknown operators are validation errors naming the field", async () => {
    await sdk(keyA, "create", "q");
    await sdk(keyA, "insertBatch", "q", [{ id: "1", n: 1 }, { id: "2", n: 2 }]);
    for (const name of ["", "1abc", "has space", "a;drop", "x".repeat(65), "a.b"]) {
      expect(await sdk(keyA, "create", name)).toMatchObject({ code: "validation_failed", message: expect.stringContaining("name") });
    }
    expect(await sdk(keyA, "query", "bad name")).toMatchObject({ code: "validation_failed", message: expect.stringContaining("table") });
    const unknownOp = await sdk(keyA, "query", "q", { where: { n: { like: "%1%" } } });
    expect(unknownOp).toMatchObject({ code: "validation_failed", message: expect.stringContaining("where.n.like is not an operator") });
    expect(await sdk(keyA, "count", "q", { where: { n: { gt: 1, regex: "x" } } })).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "query", "q", { where: [1, 2] })).toMatchObject({ code: "validation_failed", message: expect.stringContaining("where") });
    expect(await sdk(keyA, "query", "q", { where: { n: [1, 2] } })).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "query", "q", { where: { "n'); --": 1 } })).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "query", "q", { where: { n: { gt: true } } })).toMatchObject({ code: "validation_failed" });
    expect(await sdk(keyA, "query", "q", { limit: 1001 })).toMatchObject({ code: "validation_failed", message: expect.stringContaining("limit") });
    expect(await sdk(keyA, "query", "q", { orderBy: "a b" })).toMatchObject({ code: "validation_failed", message: expect.stringContaining("orderBy") });
    expect(await sdk(keyA, "query", "q", { sort: "n" })).toMatchObject({ code: "validation_failed" });
    expect((await sdk(keyA, "query", "q", { where: { n: { in: [2, 3] } } })).ok).toMatchObject({ documents: [{ id: "2", n: 2 }], total: 1 });
  });
});

describe("tables over HTTP", () => {
  it("CRUD with the documented status codes", async () => {
    expect((await http(keyB, "POST", "/api/tables", { name: "contacts" })).statusCode).toBe(201);
    expect((await http(keyB, "POST", "/api/tables", { name: "contacts" })).statusCode).toBe(409);
    expect((await http(keyB, "POST", "/api/tables", { name: "contacts", ifNotExists: true })).statusCode).toBe(200);
    const created = await http(keyB, "POST", "/api/tables/contacts/documents", { name: "Ann", address: { city: "Oslo" } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await http(keyB, "POST", "/api/tables/contacts/documents", { id, name: "dup" })).json().error.code).toBe("conflict");
    expect((await http(keyB, "GET", `/api/tables/contacts/documents/${id}`)).json()).toEqual({ id, name: "Ann", address: { city: "Oslo" } });
    expect((await http(keyB, "GET", "/api/tables/contacts/documents/nope")).statusCode).toBe(404);
    const patched = await http(keyB, "PATCH", `/api/tables/contacts/documents/${id}`, { phone: "123" });
    expect(patched.json()).toEqual({ id, name: "Ann", address: { city: "Oslo" }, phone: "123" });
    expect((await http(keyB, "PATCH", "/api/tables/contacts/documents/nope", { phone: "1" })).statusCode).toBe(404);
    expect((await http(keyB, "PUT", "/api/tables/contacts/documents/c2", { name: "Bob" })).json()).toEqual({ id: "c2", name: "Bob" });
    expect((await http(keyB, "PUT", "/api/tables/contacts/documents/c2", { id: "other", name: "Bob" })).statusCode).toBe(422);
    const batch = await http(keyB, "POST", "/api/tables/contacts/batch/insert", { documents: [{ id: "c3", name: "Cy" }, { id: "c4", name: "Di" }] });
    expect(batch.statusCode).toBe(201);
    expect((await http(keyB, "POST", "/api/tables/contacts/batch/upsert", { documents: [{ id: "c4", name: "Dee" }] })).json().documents).toEqual([{ id: "c4", name: "Dee" }]);
    const query = await http(keyB, "POST", "/api/tables/contacts/query", { where: { name: { in: ["Bob", "Cy", "Dee"] } }, orderBy: "name", orderDir: "desc", limit: 2 });
    expect(query.json()).toEqual({ documents: [{ id: "c4", name: "Dee" }, { id: "c3", name: "Cy" }], total: 3, limit: 2, offset: 0 });
    expect((await http(keyB, "POST", "/api/tables/contacts/count", { where: { "address.city": "Oslo" } })).json()).toEqual({ count: 1 });
    const page = (await http(keyB, "GET", "/api/tables/contacts/documents?limit=2&offset=1&orderBy=name")).json();
    expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.documents.map((d: { name: string }) => d.name)).toEqual(["Bob", "Cy"]);
    expect((await http(keyB, "POST", "/api/tables/contacts/batch/delete", { ids: ["c3", "c4", "zz"] })).json()).toEqual({ deleted: 2 });
    expect((await http(keyB, "DELETE", "/api/tables/contacts/documents/c2")).statusCode).toBe(204);
    expect((await http(keyB, "DELETE", "/api/tables/contacts/documents/c2")).statusCode).toBe(404);
    expect((await http(keyB, "GET", "/api/tables/contacts")).json()).toMatchObject({ name: "contacts", scope: orgB, documentCount: 1 });
    expect((await http(keyB, "GET", "/api/tables")).json().tables.map((x: { name: string }) => x.name)).toEqual(["contacts", "devices"]);
    expect((await http(keyB, "DELETE", "/api/tables/contacts")).statusCode).toBe(204);
    expect((await http(keyB, "DELETE", "/api/tables/contacts")).statusCode).toBe(404);
    expect((await http(keyB, "GET", "/api/tables/contacts/documents")).statusCode).toBe(404);
  });

  it("another organization's table is 404, naming its scope is 403, and nothing of it changes", async () => {
    expect((await http(keyB, "GET", "/api/tables/tickets")).statusCode).toBe(404);
    expect((await http(keyB, "GET", "/api/tables/tickets/documents/t1")).statusCode).toBe(404);
    expect((await http(keyB, "POST", "/api/tables/tickets/query", {})).statusCode).toBe(404);
    expect((await http(keyB, "PATCH", "/api/tables/tickets/documents/t1", { status: "hacked" })).statusCode).toBe(404);
    expect((await http(keyB, "DELETE", "/api/tables/tickets/documents/t1")).statusCode).toBe(404);
    expect((await http(keyB, "DELETE", "/api/tables/tickets")).statusCode).toBe(404);
    expect((await http(keyB, "POST", "/api/tables/tickets/batch/delete", { ids: ["t1"] })).statusCode).toBe(404);
    expect((await http(keyB, "GET", `/api/tables/tickets/documents/t1?scope=${orgA}`)).statusCode).toBe(403);
    expect((await http(keyB, "DELETE", `/api/tables/tickets?scope=${orgA}`)).statusCode).toBe(403);
    expect((await http(keyB, "PUT", `/api/tables/tickets/documents/t1?scope=${orgA}`, { status: "x" })).statusCode).toBe(403);
    expect((await http(keyA, "GET", "/api/tables/tickets/documents/t1")).json()).toEqual({ id: "t1", status: "open" });
    // The external SDK's endpoint runs the same checks as the key's organization.
    const viaSdk = (key: string, args: unknown[]) => http(key, "POST", "/api/sdk/call", { method: "tables.get", args });
    expect((await viaSdk(keyB, ["tickets", "t1"])).statusCode).toBe(404);
    expect((await viaSdk(keyB, ["tickets", "t1", { scope: orgA }])).statusCode).toBe(403);
    expect((await viaSdk(keyA, ["tickets", "t1"])).json()).toEqual({ value: { id: "t1", status: "open" } });
    // Global: readable by an organization, writable by platform admins only.
    expect((await http(keyB, "GET", "/api/tables/catalog/documents/m365-e3?scope=global")).statusCode).toBe(200);
    expect((await http(keyB, "POST", "/api/tables?scope=global", { name: "mine" })).statusCode).toBe(403);
    expect((await http(keyB, "PATCH", "/api/tables/catalog/documents/m365-e3?scope=global", { price: 1 })).statusCode).toBe(403);
    expect((await http(undefined, "PATCH", "/api/tables/catalog/documents/m365-e3?scope=global", { price: 30 })).json()).toEqual({ id: "m365-e3", price: 30 });
  });

  it("validation failures are 422 with fields; an oversized document is 413", async () => {
    const badName = await http(keyA, "POST", "/api/tables", { name: "no spaces allowed" });
    expect(badName.statusCode).toBe(422);
    expect(badName.json().error.fields[0].path).toBe("name");
    expect((await http(keyA, "GET", "/api/tables/bad%20name/documents/x")).json().error.fields[0].path).toBe("table");
    const unknownOp = await http(keyA, "POST", "/api/tables/q/query", { where: { n: { between: [1, 2] } } });
    expect(unknownOp.statusCode).toBe(422);
    expect(unknownOp.json().error).toMatchObject({ code: "validation_failed", fields: [{ path: "where.n.between" }] });
    expect((await http(keyA, "POST", "/api/tables/q/query", { where: "n = 1" })).statusCode).toBe(422);
    expect((await http(keyA, "POST", "/api/tables/q/query", { limit: 5000 })).statusCode).toBe(422);
    expect((await http(keyA, "GET", "/api/tables/q/documents?limit=abc")).statusCode).toBe(422);
    expect((await http(keyA, "POST", "/api/tables/q/documents", [1, 2])).statusCode).toBe(422);
    const batch = await http(keyA, "POST", "/api/tables/q/batch/insert", { documents: [{ id: "ok1" }, { id: ["bad"] }] });
    expect(batch.statusCode).toBe(422);
    expect(batch.json().error.fields[0].path).toBe("documents.1.id");
    const big = await http(keyA, "POST", "/api/tables/q/documents", { id: "big", blob: "y".repeat(1024 * 1024) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("payload_too_large");
    const bigBatch = await http(keyA, "POST", "/api/tables/q/batch/upsert", { documents: [{ id: "small" }, { id: "big", blob: "y".repeat(1024 * 1024) }] });
    expect(bigBatch.statusCode).toBe(413);
    expect((await http(keyA, "POST", "/api/tables/q/count", {})).json()).toEqual({ count: 2 });
  });

  it("requires an API key", async () => {
    expect((await http(null as unknown as undefined, "GET", "/api/tables")).statusCode).toBe(401);
  });
});
