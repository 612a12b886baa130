import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@bifrost/server/config.js";
import { startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * JSON nested deeper than BIFROST_MAX_JSON_DEPTH (default 64) is refused where it enters:
 * HTTP bodies with 400 before any handler runs, SDK calls from running workflows with a
 * 422 naming the field. Before, 5,000 levels were a 500 (a RangeError from
 * JSON.stringify) and 10,000 on a public endpoint wedged a worker for good.
 */

const FILES = {
  "limits.ts": `
import { workflow, z, context, config, tables, knowledge, workflows, integrations } from "bifrost";

export const open = workflow(
  { name: "open_hook", endpointEnabled: true, publicEndpoint: true },
  async (params) => ({ ok: true, keys: Object.keys(params).length }),
);

export const echo = workflow({ name: "echo", params: z.object({ v: z.unknown().optional() }) }, async ({ v }) => ({ echoed: v !== undefined }));

const nest = (n: number) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};

/** Every SDK call given a value n levels deep: what each answered. */
export const probe = workflow({ name: "probe", params: z.object({ n: z.int() }) }, async ({ n }) => {
  const v = nest(n);
  const calls: Record<string, () => Promise<unknown>> = {
    "config.set": () => config.set("deep", v),
    "tables.insert": async () => { await tables.create("rows", { ifNotExists: true }); return tables.insert("rows", { v }); },
    "knowledge.store": () => knowledge.store("some text", { namespace: "deep", key: "k", metadata: { v } }),
    "workflows.run": () => workflows.run("echo", { v }),
    "integrations.upsertMapping": () => integrations.upsertMapping("psa", { entityId: "e1", config: { v } }),
  };
  const out: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(calls)) {
    try {
      await call();
      out[name] = "ok";
    } catch (error) {
      const e = error as { message: string; status?: number };
      out[name] = { status: e.status, message: e.message };
    }
  }
  return out;
});
`,
};

/** `{"a":{"a":…1…}}`, `levels` objects deep. */
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
/** `{"value":{"a":…}}`: the whole body `levels` deep. */
const deepField = (field: string, levels: number, extra = "") => `{${extra}"${field}":${deepObject(levels - 1)}}`;

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  const created = await t.call({ method: "POST", url: "/api/integrations", payload: { name: "psa" } });
  expect(created.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

const json = { "content-type": "application/json" };

describe("JSON bodies nested too deep", () => {
  it("a public endpoint refuses 10,000 nested objects (60 KB) with 400 naming the limit, and keeps running workflows", async () => {
    const body = deepObject(10_000);
    expect(body.length).toBeGreaterThan(59_000);
    const refused = await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: body });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      error: {
        code: "json_too_deep",
        message: "Request body is nested deeper than 64 levels of objects and arrays (the limit, BIFROST_MAX_JSON_DEPTH)",
      },
    });
    // Arrays count the same as objects.
    const arrays = await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: `{"a":${"[".repeat(10_000)}${"]".repeat(10_000)}}` });
    expect(arrays.statusCode).toBe(400);
    // No worker is wedged: the endpoint, and a workflow, still run.
    for (let i = 0; i < 3; i++) {
      const ok = await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", payload: { x: 1 } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ ok: true, keys: 1 });
    }
    const run = await t.call({ method: "POST", url: "/api/workflows/echo/execute", payload: { v: 1 } });
    expect(run.json()).toMatchObject({ status: "Success", result: { echoed: true } });
  });

  it("accepts 64 levels and refuses 65, brackets and braces inside strings not counted", async () => {
    // {"a": 63 levels } is 64 deep.
    const at = await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: deepField("a", 64) });
    expect(at.statusCode).toBe(200);
    const over = await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: deepField("a", 65) });
    expect(over.statusCode).toBe(400);
    expect(over.json().error.code).toBe("json_too_deep");
    const strings = JSON.stringify({ text: "[[[[{{{{".repeat(200), quoted: '\\"[{'.repeat(200) });
    const text = await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: strings });
    expect(text.statusCode).toBe(200);
    expect(text.json()).toEqual({ ok: true, keys: 2 });
    // A string ending in an escaped backslash ends there: what follows is counted.
    const after = `{"s":"x\\\\","a":${deepObject(70)}}`;
    expect(JSON.parse(after).s).toBe("x\\");
    expect((await t.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: after })).json().error.code).toBe("json_too_deep");
  });

  it("every route that stores or runs user JSON refuses a 5,000-level body with 400, before its handler runs", async () => {
    const cases: { method: "POST" | "PUT"; url: string; body: string }[] = [
      { method: "PUT", url: "/api/config/deep_key", body: deepField("value", 5_000) },
      { method: "POST", url: "/api/tables", body: deepField("name", 5_000) },
      { method: "POST", url: "/api/tables/rows/documents", body: deepField("v", 5_000) },
      { method: "PUT", url: "/api/tables/rows/documents/d1", body: deepField("v", 5_000) },
      { method: "POST", url: "/api/tables/rows/batch/upsert", body: deepField("documents", 5_000) },
      { method: "POST", url: "/api/knowledge/namespaces/deep/documents", body: deepField("metadata", 5_000, '"content":"text",') },
      { method: "POST", url: "/api/sdk/call", body: `{"method":"config.set","args":["deep_key",${deepObject(5_000)}]}` },
      { method: "POST", url: "/api/workflows/code/execute", body: deepField("params", 5_000, '"code":"return 1",') },
      { method: "PUT", url: "/api/integrations/psa/mappings/global", body: deepField("config", 5_000, '"entityId":"e1",') },
      { method: "POST", url: "/api/custom-forms", body: deepField("fields", 5_000, '"name":"f","workflow":"echo",') },
      { method: "POST", url: "/api/workflows/echo/execute", body: deepField("v", 5_000) },
      { method: "POST", url: "/mcp", body: deepField("params", 5_000, '"jsonrpc":"2.0","id":1,"method":"tools/call",') },
    ];
    for (const c of cases) {
      const res = await t.call({ method: c.method, url: c.url, headers: json, payload: c.body });
      expect({ route: `${c.method} ${c.url}`, status: res.statusCode, code: res.json().error?.code }).toEqual({ route: `${c.method} ${c.url}`, status: 400, code: "json_too_deep" });
    }
    // Nothing was stored, nothing ran.
    expect((await t.call({ method: "GET", url: "/api/config/deep_key" })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/tables/rows/documents/d1" })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/integrations/psa/mappings/global" })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/custom-forms" })).json().forms ?? []).toEqual([]);
    expect((await t.call({ method: "GET", url: "/api/executions?workflow=echo" })).json().executions).toHaveLength(1);
  });
});

describe("SDK calls from running workflows (IPC, no HTTP body)", () => {
  it("refuse values nested too deep with 422 naming the field, and accept 64 levels", async () => {
    const deep = await t.call({ method: "POST", url: "/api/workflows/probe/execute", payload: { n: 100 } });
    expect(deep.json().status).toBe("Success");
    const tooDeep = (path: string) => ({ status: 422, message: `Invalid input: ${path} is nested deeper than 64 levels of objects and arrays (the limit, BIFROST_MAX_JSON_DEPTH)` });
    expect(deep.json().result).toEqual({
      "config.set": tooDeep("value.a"),
      "tables.insert": tooDeep("document.v"),
      "knowledge.store": tooDeep("options.metadata"),
      "workflows.run": tooDeep("params.v"),
      "integrations.upsertMapping": tooDeep("mapping.config"),
    });
    expect((await t.call({ method: "GET", url: "/api/config/deep" })).statusCode).toBe(404);

    // 60 levels inside each argument (plus its wrappers) is within the limit.
    const fits = await t.call({ method: "POST", url: "/api/workflows/probe/execute", payload: { n: 60 } });
    expect(fits.json().result).toEqual({ "config.set": "ok", "tables.insert": "ok", "knowledge.store": "ok", "workflows.run": "ok", "integrations.upsertMapping": "ok" });
    expect((await t.call({ method: "GET", url: "/api/config/deep" })).statusCode).toBe(200);
  });
});

describe("BIFROST_MAX_JSON_DEPTH", () => {
  it("is parsed at start-up with an error naming the variable", () => {
    expect(loadConfig({ BIFROST_MAX_JSON_DEPTH: "8" }).maxJsonDepth).toBe(8);
    expect(loadConfig({}).maxJsonDepth).toBe(64);
    expect(() => loadConfig({ BIFROST_MAX_JSON_DEPTH: "1" })).toThrow(ConfigError);
    expect(() => loadConfig({ BIFROST_MAX_JSON_DEPTH: "deep" })).toThrow(/BIFROST_MAX_JSON_DEPTH must be a number/);
    expect(() => loadConfig({ BIFROST_MAX_JSON_DEPTH: "5000" })).toThrow(/BIFROST_MAX_JSON_DEPTH must be at most 1000/);
  });

  it("sets the limit the platform enforces", async () => {
    const small = await startTestPlatform({ "e.ts": FILES["limits.ts"] }, { BIFROST_MAX_JSON_DEPTH: "8", BIFROST_WORKERS: "1" });
    try {
      const ok = await small.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: deepField("a", 8) });
      expect(ok.statusCode).toBe(200);
      const refused = await small.app.inject({ method: "POST", url: "/api/endpoints/open_hook", headers: json, payload: deepField("a", 9) });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.message).toBe("Request body is nested deeper than 8 levels of objects and arrays (the limit, BIFROST_MAX_JSON_DEPTH)");
      const probe = await small.call({ method: "POST", url: "/api/workflows/probe/execute", payload: { n: 9 } });
      expect(probe.json().result["config.set"]).toEqual({ status: 422, message: "Invalid input: value.a is nested deeper than 8 levels of objects and arrays (the limit, BIFROST_MAX_JSON_DEPTH)" });
    } finally {
      await small.close();
    }
  });
});
