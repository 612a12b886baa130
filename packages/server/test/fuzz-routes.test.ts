import { randomInt } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrgWithKey, eventually, startTestPlatform, routeTable, type TestPlatform } from "./helpers.js";

/**
 * Every route with a body, from the app's own route table, gets hostile bodies — 10,000
 * levels deep, 100,000 keys or elements wide, over the body limit — as the platform
 * admin and without a key. None may answer 5xx, and afterwards the platform still runs
 * workflows (no worker wedged, no process gone).
 */

const BODY_LIMIT = 2 * 1024 * 1024;

const FILES = {
  "fuzz.ts": `
import { workflow, dataProvider, z } from "bifrost";
export const target = workflow({ name: "fuzz_target", endpointEnabled: true, allowedMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"] }, async (p) => ({ keys: Object.keys(p).length }));
export const open = workflow({ name: "fuzz_public", endpointEnabled: true, publicEndpoint: true, allowedMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"] }, async (p) => ({ keys: Object.keys(p).length }));
export const later = workflow({ name: "fuzz_async", executionMode: "async", schedule: "0 3 * * *" }, async () => "later");
export const tool = workflow({ name: "fuzz_tool", isTool: true }, async () => "tool");
export const options = dataProvider({ name: "fuzz_options", cacheTtl: 60 }, async () => [{ label: "A", value: "a" }]);
`,
};

const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

let t: TestPlatform;
let orgId: string;
let executionId: string;

/** Plausible values for each path parameter, so handlers get past their lookups. */
function fill(url: string): string {
  const values: Record<string, string> = {
    ":id": "fuzz_target",
    ":name": "fuzz_target",
    ":workflow": "fuzz_target",
    ":key": "fuzz-key",
    ":table": "fuzz_table",
    ":namespace": "fuzz",
    ":scope": orgId,
    ":ref": "fuzz-agent",
  };
  return url
    .replace(/^\/api\/executions\/:id/, `/api/executions/${executionId}`)
    .replace(/^\/api\/tables\/:table\/documents\/:id/, "/api/tables/fuzz_table/documents/doc-1")
    .replace(/^\/api\/(organizations|api-keys|endpoint-keys|custom-forms|ai\/providers)\/:id/, "/api/$1/00000000-0000-4000-8000-000000000000")
    .replace(/^\/api\/(integrations|oauth)\/:name/, "/api/$1/fuzz_integration")
    .replace(/^\/api\/endpoints\/:name/, "/api/endpoints/fuzz_public")
    .replace(/^\/api\/data-providers\/:name/, "/api/data-providers/fuzz_options")
    .replace(/^\/api\/schedules\/:workflow/, "/api/schedules/fuzz_async")
    .replace(/:[A-Za-z]+/g, (p) => values[p] ?? "x");
}

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_BODY_LIMIT_BYTES: String(BODY_LIMIT), BIFROST_SCHEDULER: "false" });
  ({ orgId } = await createOrgWithKey(t, "Fuzz"));
  expect((await t.call({ method: "POST", url: "/api/tables", payload: { name: "fuzz_table" } })).statusCode).toBe(201);
  expect((await t.call({ method: "POST", url: "/api/integrations", payload: { name: "fuzz_integration" } })).statusCode).toBe(201);
  executionId = (await t.call({ method: "POST", url: "/api/workflows/fuzz_async/run?delaySeconds=3600", payload: {} })).json().executionId;
});
afterAll(async () => {
  await t?.close();
});

it("no route answers 5xx to deep, wide or huge bodies, and workflows still run afterwards", { timeout: 120_000 }, async () => {
  const routes = routeTable(t.app).filter((r) => WITH_BODY.has(r.method));
  // The table was read, not guessed: the routes the issue names are all in it.
  for (const known of ["PUT /api/config/:key", "POST /api/sdk/call", "POST /api/workflows/code/execute", "PATCH /api/tables/:table/documents/:id", "PUT /api/integrations/:name/mappings/:scope", "POST /api/custom-forms", "POST /api/knowledge/namespaces/:namespace/documents", "POST /api/endpoints/:name", "POST /mcp"]) {
    expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(known);
  }
  expect(routes.length).toBeGreaterThan(50);

  const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
  const deepArray = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
  const wideObject = JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])));
  const wideArray = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i));
  const huge = JSON.stringify({ data: "x".repeat(BODY_LIMIT + 1024) });
  expect(wideObject.length).toBeLessThan(BODY_LIMIT);
  const bodies = { deep, deepArray, wideObject, wideArray, huge };

  // One made-up client address: bad keys in path parameters count against it, not against 127.0.0.1.
  const remoteAddress = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  const failures: string[] = [];
  const seen = new Map<number, number>();
  for (const route of routes) {
    const url = fill(route.url);
    for (const [kind, payload] of Object.entries(bodies)) {
      for (const key of [undefined, null] as const) {
        const res = await t.call({ method: route.method as "POST", url, key, remoteAddress, headers: { "content-type": "application/json" }, payload });
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        const who = key === null ? "no key" : "admin";
        if (res.statusCode >= 500) failures.push(`${route.method} ${url} ${kind} (${who}): ${res.statusCode} ${res.body.slice(0, 200)}`);
        // As the admin every body reaches the parser: deep ones are its 400, huge ones 413.
        if (key === undefined && kind.startsWith("deep") && res.statusCode !== 400) failures.push(`${route.method} ${url} ${kind}: ${res.statusCode}, not 400`);
        // POST /api/sdk/generate takes documents up to its own 50 MB (its 413 is tested in sdk-generate.test.ts).
        const ownLimit = `${route.method} ${route.url}` === "POST /api/sdk/generate";
        if (key === undefined && kind === "huge" && !ownLimit && res.statusCode !== 413) failures.push(`${route.method} ${url} huge: ${res.statusCode}, not 413`);
      }
    }
  }
  expect(failures).toEqual([]);
  // The answers were the refusals and results expected, not one status everywhere.
  expect([...seen.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 401, 404, 413, 422]));

  // Alive and not wedged: health, the pool, a workflow run, an endpoint call.
  const health = await t.app.inject({ method: "GET", url: "/api/health" });
  expect(health.json()).toMatchObject({ status: "ok", workers: { children: 2 } });
  await eventually(async () => ((await t.app.inject({ method: "GET", url: "/api/health" })).json().workers.idle === 2 ? true : undefined), 20_000, "both workers idle");
  const run = await t.call({ method: "POST", url: "/api/workflows/fuzz_target/execute", payload: { a: 1 } });
  expect(run.json()).toMatchObject({ status: "Success", result: { keys: 1 } });
  const hook = await t.app.inject({ method: "POST", url: "/api/endpoints/fuzz_public", payload: {} });
  expect(hook.statusCode).toBe(200);
});
