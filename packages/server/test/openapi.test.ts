import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessibilityProblems, launchBrowser, screenshot } from "../../web/test/browser.js";
import { ADMIN_KEY, createOrgWithKey, routeTable, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * GET /api/openapi.json: a valid OpenAPI 3.1 document of every route (the app's own route
 * table is walked), from which openapi-typescript makes types that compile; real answers
 * match their documented schemas; each organization's key sees its own workflow endpoints;
 * and the reference at /api/docs renders in Chromium without a single request leaving the server.
 */

const FILES = {
  "shared.ts": `
import { workflow, z } from "bifrost";
export const shared = workflow(
  { name: "shared_hook", description: "A global endpoint", endpointEnabled: true, allowedMethods: ["POST", "GET"], params: z.object({ ticket: z.string(), priority: z.number().int().optional() }) },
  async ({ ticket }) => ({ ok: true, ticket }),
);
export const hidden = workflow({ name: "managers_hook", endpointEnabled: true, access: { level: "roleBased", roles: ["managers"] } }, async () => "m");
export const plain = workflow({ name: "plain_flow" }, async () => "plain");
export const later = workflow({ name: "later_flow", executionMode: "async" }, async () => "later");
`,
};

type Json = Record<string, any>;
let t: TestPlatform;
let doc: Json;
let orgA: { orgId: string; key: string };
let orgB: { orgId: string; key: string };

const get = async (url: string, key?: string | null, org?: string) => {
  const res = await t.call({ method: "GET", url, key, org });
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`);
  return res.json() as Json;
};

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  orgA = await createOrgWithKey(t, "Contoso");
  orgB = await createOrgWithKey(t, "Fabrikam");
  t.write(`orgs/${orgA.orgId}/a.ts`, `import { workflow } from "bifrost";\nexport const a = workflow({ name: "contoso_only", endpointEnabled: true, executionMode: "async" }, async () => "a");`);
  t.write(`orgs/${orgB.orgId}/b.ts`, `import { workflow } from "bifrost";\nexport const b = workflow({ name: "fabrikam_only", endpointEnabled: true, allowedMethods: ["PUT"] }, async () => "b");`);
  await t.platform.engine.indexer.refresh([`orgs/${orgA.orgId}/a.ts`, `orgs/${orgB.orgId}/b.ts`]);
  doc = await get("/api/openapi.json");
}, 60_000);
afterAll(async () => t?.close());

describe("the document", () => {
  it("is a valid OpenAPI 3.1 document (swagger-parser)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    await SwaggerParser.validate(structuredClone(doc) as never);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["bearerKey", "csrfHeader", "endpointKey", "sessionCookie"]);
  });

  it("describes every route of the app's route table, each with tags, security and response schemas", async () => {
    const deref = (await SwaggerParser.dereference(structuredClone(doc) as never)) as Json;
    // The reference's own files (/api/docs/*) are not API operations.
    const routes = routeTable(t.app).filter((r) => r.method !== "HEAD" && (r.url.startsWith("/api/") || r.url === "/mcp") && !r.url.startsWith("/api/docs"));
    expect(routes.length).toBeGreaterThan(140);
    const problems: string[] = [];
    for (const r of routes) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      const op = deref.paths[path]?.[r.method.toLowerCase()] as Json | undefined;
      if (!op) {
        problems.push(`${r.method} ${r.url}: not in the document`);
        continue;
      }
      if (!op.tags?.length) problems.push(`${r.method} ${r.url}: no tag`);
      if (!Array.isArray(op.security)) problems.push(`${r.method} ${r.url}: no security`);
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>);
      if (!responses.length) problems.push(`${r.method} ${r.url}: no responses`);
      for (const [status, response] of responses) {
        const bodiless = status === "204" || status.startsWith("3");
        if (!bodiless && !Object.values(response.content ?? {}).some((c: any) => c.schema)) problems.push(`${r.method} ${r.url} ${status}: no response schema`);
      }
      if (!responses.some(([s]) => /^[23]/.test(s)) && r.url !== "/mcp") problems.push(`${r.method} ${r.url}: no success response`);
      // Authenticated routes document their 401 and 403, with the shared error shape.
      if (op.security.length && r.url !== "/api/endpoints/:name" && !(op.responses[401] && op.responses[403])) problems.push(`${r.method} ${r.url}: no 401/403`);
    }
    expect(problems).toEqual([]);
    // Error answers reference the one shared error component.
    expect(doc.paths["/api/organizations"].post.responses["422"]).toEqual({ $ref: "#/components/responses/ValidationFailed" });
    expect(doc.components.responses.ValidationFailed.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ApiError" });
    // Request bodies are the handlers' own zod schemas: the organization's name limits are theirs.
    expect(doc.paths["/api/organizations"].post.requestBody.content["application/json"].schema).toMatchObject({ properties: { name: { type: "string", minLength: 1, maxLength: 200 } }, additionalProperties: false });
  });

  it("gives types (openapi-typescript) that compile under strict tsc", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-openapi-types-"));
    try {
      writeFileSync(join(dir, "api.d.ts"), astToString(await openapiTS(structuredClone(doc) as never)));
      // Using the types: a wrong field name or status would not compile.
      writeFileSync(
        join(dir, "use.ts"),
        `import type { paths, components } from "./api.js";
type Orgs = paths["/api/organizations"]["get"]["responses"][200]["content"]["application/json"];
export const names = (o: Orgs): string[] => o.organizations.map((x) => x.name);
type Created = paths["/api/organizations"]["post"]["requestBody"];
export const body: NonNullable<Created>["content"]["application/json"] = { name: "Contoso" };
type Run = paths["/api/workflows/{id}/execute"]["post"]["responses"][200]["content"]["application/json"];
export const status = (r: Run): string => r.status;
export const code = (e: components["schemas"]["ApiError"]): string => e.error.code;
type Hook = paths["/api/endpoints/shared_hook"]["post"]["requestBody"];
export const hook: NonNullable<Hook>["content"]["application/json"] = { ticket: "T-1", priority: 2 };
`,
      );
      const tsc = join(process.cwd(), "node_modules/typescript/bin/tsc");
      const run = promisify(execFile)(process.execPath, [tsc, "--strict", "--noEmit", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "false", join(dir, "use.ts")]);
      await expect(run.catch((e: { stdout: string }) => Promise.reject(new Error(e.stdout)))).resolves.toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("real answers match their documented schemas (Ajv)", () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  let deref: Json;
  beforeAll(async () => {
    deref = (await SwaggerParser.dereference(structuredClone(doc) as never)) as Json;
  });

  /** Validates an answer against the schema documented for its route and status (which must exist). */
  async function check(method: string, url: string, route: string, options: { payload?: unknown; key?: string | null; org?: string } = {}): Promise<Json> {
    const res = await t.call({ method: method as "GET", url, ...options, ...(options.payload === undefined ? {} : { payload: options.payload as object }) });
    const schema = deref.paths[route]?.[method.toLowerCase()]?.responses?.[res.statusCode]?.content?.["application/json"]?.schema;
    expect(schema, `${method} ${route} documents no ${res.statusCode} (${res.body.slice(0, 200)})`).toBeDefined();
    const validate = ajv.compile(schema);
    const body = res.body ? res.json() : null;
    expect(validate(body) ? [] : validate.errors, `${method} ${url} ${res.statusCode}`).toEqual([]);
    return { status: res.statusCode, body };
  }

  it("organizations, users, roles, API keys, audit and the caller", async () => {
    expect((await check("GET", "/api/organizations", "/api/organizations")).status).toBe(200);
    const created = await check("POST", "/api/organizations", "/api/organizations", { payload: { name: "Initech" } });
    expect(created.status).toBe(201);
    await check("GET", `/api/organizations/${created.body.id}`, "/api/organizations/{id}");
    expect((await check("POST", "/api/users", "/api/users", { payload: { email: "pat@example.com", name: "Pat" } })).status).toBe(201);
    await check("GET", "/api/users", "/api/users");
    expect((await check("POST", "/api/roles", "/api/roles", { payload: { name: "managers" } })).status).toBe(201);
    await check("GET", "/api/roles", "/api/roles");
    expect((await check("POST", "/api/api-keys", "/api/api-keys", { payload: { name: "ci", organizationId: orgA.orgId } })).status).toBe(201);
    await check("GET", "/api/api-keys", "/api/api-keys");
    await check("GET", "/api/audit", "/api/audit");
    await check("GET", "/api/auth/me", "/api/auth/me", { key: orgA.key });
  });

  it("workflows, runs, executions, schedules, config, tables and endpoint keys", async () => {
    await check("GET", "/api/workflows", "/api/workflows");
    await check("GET", "/api/workflows/plain_flow", "/api/workflows/{id}");
    const run = await check("POST", "/api/workflows/plain_flow/execute", "/api/workflows/{id}/execute", { payload: {} });
    expect(run.body.result).toBe("plain");
    expect((await check("POST", "/api/workflows/later_flow/run", "/api/workflows/{id}/run", { payload: {} })).status).toBe(202);
    await check("GET", "/api/executions", "/api/executions");
    await check("GET", `/api/executions/${run.body.id}`, "/api/executions/{id}");
    await check("GET", `/api/executions/${run.body.id}/logs`, "/api/executions/{id}/logs");
    await check("GET", "/api/schedules", "/api/schedules");
    await check("PUT", "/api/config/greeting", "/api/config/{key}", { payload: { value: "hello" } });
    await check("GET", "/api/config", "/api/config");
    expect((await check("POST", "/api/tables", "/api/tables", { payload: { name: "tickets" } })).status).toBe(201);
    expect((await check("POST", "/api/tables/tickets/documents", "/api/tables/{table}/documents", { payload: { title: "Printer" } })).status).toBe(201);
    await check("POST", "/api/tables/tickets/query", "/api/tables/{table}/query", { payload: {} });
    expect((await check("POST", "/api/endpoint-keys", "/api/endpoint-keys", { payload: { name: "hooks", scope: orgA.orgId } })).status).toBe(201);
    await check("GET", "/api/endpoint-keys", "/api/endpoint-keys");
    await check("GET", "/api/forms/shared_hook", "/api/forms/{workflow}");
    await check("GET", "/api/files/editor/tree", "/api/files/editor/tree");
    await check("GET", "/api/files/editor/types", "/api/files/editor/types");
    await check("GET", "/api/reports/roi/summary", "/api/reports/roi/summary");
    await check("GET", "/api/executions/logs?limit=5", "/api/executions/logs");
    // Workflow files through the API: created from a template, replaced, a load error, deleted.
    expect((await check("POST", "/api/workflows", "/api/workflows", { payload: { name: "doc_made", template: "workflow" } })).status).toBe(201);
    const broken = await check("PUT", "/api/workflows/doc_made", "/api/workflows/{id}", { payload: { source: "export const x = ;" } });
    expect(broken.status).toBe(422);
    expect((await t.call({ method: "DELETE", url: "/api/workflows/doc_made" })).statusCode).toBe(204);
    expect(doc.paths["/api/workflows/{id}"].delete.responses["204"]).toBeDefined();
  });

  it("files, knowledge, integrations, custom forms, agents, AI and the SDK", async () => {
    await check("POST", "/api/files/write", "/api/files/write", { payload: { path: "notes/a.txt", content: "hello", location: "temp" } });
    await check("POST", "/api/files/read", "/api/files/read", { payload: { path: "notes/a.txt", location: "temp" } });
    await check("POST", "/api/files/list", "/api/files/list", { payload: { path: "notes", location: "temp" } });
    expect((await check("POST", "/api/knowledge/namespaces/kb/documents", "/api/knowledge/namespaces/{namespace}/documents", { payload: { content: "Printers jam when cold.", key: "printers" } })).status).toBe(201);
    await check("GET", "/api/knowledge/namespaces/kb/documents/printers", "/api/knowledge/namespaces/{namespace}/documents/{key}");
    await check("GET", "/api/knowledge/namespaces/kb/documents", "/api/knowledge/namespaces/{namespace}/documents");
    await check("GET", "/api/knowledge/namespaces", "/api/knowledge/namespaces");
    await check("POST", "/api/knowledge/search", "/api/knowledge/search", { payload: { query: "printer", namespace: "kb" } });
    expect((await check("POST", "/api/integrations", "/api/integrations", { payload: { name: "HaloPSA", baseUrl: "https://halo.example/api" } })).status).toBe(201);
    await check("GET", "/api/integrations", "/api/integrations");
    expect((await check("PUT", `/api/integrations/HaloPSA/mappings/${orgA.orgId}`, "/api/integrations/{name}/mappings/{scope}", { payload: { entityId: "42" } })).status).toBe(201);
    await check("GET", "/api/integrations/HaloPSA/mappings", "/api/integrations/{name}/mappings");
    const form = await check("POST", "/api/custom-forms", "/api/custom-forms", { payload: { name: "New ticket", workflow: "shared_hook" } });
    expect(form.status).toBe(201);
    await check("GET", `/api/custom-forms/${form.body.id}`, "/api/custom-forms/{id}");
    await check("GET", "/api/custom-forms", "/api/custom-forms");
    await check("GET", "/api/agents", "/api/agents");
    await check("GET", "/api/ai/model-info", "/api/ai/model-info");
    await check("GET", "/api/ai/providers", "/api/ai/providers");
    await check("POST", "/api/sdk/call", "/api/sdk/call", { payload: { method: "config.list", args: [] } });
    const sdk = await check("POST", "/api/sdk/generate", "/api/sdk/generate", { payload: { name: "docs_client", spec: { openapi: "3.0.3", info: { title: "Tiny", version: "1" }, paths: { "/ping": { get: { operationId: "ping", responses: { 200: { description: "ok" } } } } } } } });
    expect(sdk.body).toMatchObject({ name: "docs_client", operations: 1 });
    await check("GET", "/api/health", "/api/health", { key: null });
  });

  it("error answers: 401, 403, 404, 409, 422", async () => {
    expect((await check("GET", "/api/workflows", "/api/workflows", { key: null })).status).toBe(401);
    expect((await check("POST", "/api/organizations", "/api/organizations", { key: orgA.key, payload: { name: "X" } })).status).toBe(403);
    expect((await check("GET", "/api/organizations/nope", "/api/organizations/{id}")).status).toBe(404);
    expect((await check("POST", "/api/roles", "/api/roles", { payload: { name: "managers" } })).status).toBe(409);
    const invalid = await check("POST", "/api/organizations", "/api/organizations", { payload: { name: "" } });
    expect(invalid.status).toBe(422);
    // The handlers' own messages, unchanged by the document.
    expect(invalid.body.error).toEqual({ code: "validation_failed", message: "Invalid input: name is required", fields: [{ path: "name", message: "is required" }] });
  });
});

describe("workflow endpoints in the document", () => {
  const endpointPaths = (d: Json) => Object.keys(d.paths).filter((p) => p.startsWith("/api/endpoints/") && p !== "/api/endpoints/{name}").sort();

  it("each organization's key sees its own and the global endpoint workflows, with their params as the body", async () => {
    const a = await get("/api/openapi.json", orgA.key);
    const b = await get("/api/openapi.json", orgB.key);
    expect(endpointPaths(a)).toEqual(["/api/endpoints/contoso_only", "/api/endpoints/managers_hook", "/api/endpoints/shared_hook"]);
    expect(endpointPaths(b)).toEqual(["/api/endpoints/fabrikam_only", "/api/endpoints/managers_hook", "/api/endpoints/shared_hook"]);
    // The workflow's params JSON Schema is the body; GET takes them in the query.
    const hook = a.paths["/api/endpoints/shared_hook"];
    expect(Object.keys(hook).sort()).toEqual(["get", "post"]);
    expect(hook.post.requestBody.content["application/json"].schema).toMatchObject({ type: "object", properties: { ticket: { type: "string" }, priority: { type: "integer" } }, required: ["ticket"] });
    expect(hook.get.parameters.map((p: Json) => [p.name, p.in, p.required])).toEqual([["ticket", "query", true], ["priority", "query", false]]);
    expect(hook.post.security).toEqual([{ endpointKey: [] }]);
    // Asynchronous workflows answer 202 with the queued run; methods are the workflow's own.
    expect(Object.keys(a.paths["/api/endpoints/contoso_only"].post.responses)).toContain("202");
    expect(Object.keys(b.paths["/api/endpoints/fabrikam_only"])).toEqual(["put"]);
    await SwaggerParser.validate(structuredClone(a) as never);
    await SwaggerParser.validate(structuredClone(b) as never);
  });

  it("role-restricted workflows are hidden from users without the role (as in GET /api/workflows); the platform admin sees the global ones", async () => {
    const admin = await get("/api/openapi.json");
    expect(endpointPaths(admin)).toEqual(["/api/endpoints/managers_hook", "/api/endpoints/shared_hook"]);
    const inA = await get("/api/openapi.json", undefined, orgA.orgId);
    expect(endpointPaths(inA)).toEqual(["/api/endpoints/contoso_only", "/api/endpoints/managers_hook", "/api/endpoints/shared_hook"]);
    // A user of Contoso without the role does not see managers_hook.
    const user = await t.call({ method: "POST", url: "/api/users", payload: { email: "ann@contoso.example", name: "Ann", organizationId: orgA.orgId, password: "a long enough passphrase 1!" } });
    expect(user.statusCode).toBe(201);
    const login = await t.call({ method: "POST", url: "/api/auth/login", key: null, payload: { email: "ann@contoso.example", password: "a long enough passphrase 1!" } });
    const cookie = String(login.headers["set-cookie"]).match(/bifrost_session=([^;]+)/)![1]!;
    const asAnn = await t.call({ method: "GET", url: "/api/openapi.json", key: null, headers: { cookie: `bifrost_session=${cookie}` } });
    expect(asAnn.statusCode).toBe(200);
    expect(endpointPaths(asAnn.json())).toEqual(["/api/endpoints/contoso_only", "/api/endpoints/shared_hook"]);
    // Given the role, she sees it.
    const role = (await get("/api/roles")).roles.find((r: Json) => r.name === "managers") ?? (await t.call({ method: "POST", url: "/api/roles", payload: { name: "managers" } })).json();
    expect((await t.call({ method: "POST", url: `/api/roles/${role.id}/users`, payload: { userId: user.json().user.id } })).statusCode).toBe(201);
    const again = await t.call({ method: "GET", url: "/api/openapi.json", key: null, headers: { cookie: `bifrost_session=${cookie}` } });
    expect(endpointPaths(again.json())).toEqual(["/api/endpoints/contoso_only", "/api/endpoints/managers_hook", "/api/endpoints/shared_hook"]);
  });

  it("anonymous callers get 401", async () => {
    const res = await t.call({ method: "GET", url: "/api/openapi.json", key: null });
    expect(res.statusCode).toBe(401);
    expect((await t.call({ method: "GET", url: "/api/docs/json", key: null })).statusCode).toBe(401);
  });
});

describe("the reference at /api/docs", () => {
  let live: TestPlatform;
  beforeAll(async () => {
    live = await startTestPlatform(FILES, {}, { listen: true });
  }, 60_000);
  afterAll(async () => live?.close());

  it("renders the operations in Chromium with every asset served by the platform", { timeout: 90_000 }, async () => {
    const base = new URL(live.platform.url!);
    const browser = await launchBrowser();
    const elsewhere: string[] = [];
    try {
      await browser.context.setExtraHTTPHeaders({ authorization: `Bearer ${ADMIN_KEY}` });
      // Anything not on the platform's own origin is refused (and recorded).
      await browser.context.route("**/*", (route) => {
        const url = new URL(route.request().url());
        if (url.origin === base.origin) return route.continue();
        elsewhere.push(url.href);
        return route.abort();
      });
      const page = await browser.context.newPage();
      await page.goto(new URL("/api/docs/", base).href);
      // One section per feature (collapsed); opening one shows its operations.
      await page.locator(".opblock-tag").first().waitFor({ timeout: 30_000 });
      const tags = (await page.locator(".opblock-tag h3, .opblock-tag a span").allTextContents()).filter(Boolean);
      const documented = (doc.tags as Json[]).map((tag) => tag.name as string);
      await expect.poll(async () => (await page.locator(".opblock-tag").count()), { timeout: 30_000 }).toBe(documented.length);
      expect(tags.join(" ")).toContain("Workflow endpoints");
      await page.locator(".opblock-tag", { hasText: "Workflow endpoints" }).click();
      await expect.poll(() => page.locator(".opblock-summary-path").allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(["/api/endpoints/shared_hook"]));
      await page.locator(".opblock-tag", { hasText: /^Workflows/ }).click();
      await expect.poll(() => page.locator(".opblock-summary-path").allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining(["/api/workflows", "/api/workflows/{id}/execute"]));
      // An operation opens with its parameters and response schema.
      await page.locator(".opblock-summary", { hasText: "/api/workflows/{id}/execute" }).click();
      await page.locator(".opblock-body .responses-wrapper").first().waitFor({ timeout: 30_000 });
      await screenshot(page, "api-docs");
      expect(elsewhere).toEqual([]);
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
