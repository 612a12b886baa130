import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEVELS, type Level } from "@bifrost/server/auth.js";
import { readFileSync } from "node:fs";
import { FAMILIES, familyOf, permissionTableMarkdown } from "@bifrost/server/permissions.js";
import { createOrgWithKey, startTestPlatform, routeTable, type TestPlatform } from "./helpers.js";

/**
 * The permission matrix (docs/users-and-roles.md): every route of the app's own route
 * table, called as each level, is refused with the table's 403 exactly where the table
 * says, and reaches its handler everywhere else. Then: where existence must not leak,
 * another organization's (or another person's) objects are 404.
 */

const FILES = {
  "matrix.ts": `
import { workflow, dataProvider, z } from "bifrost";
export const target = workflow({ name: "matrix_target", endpointEnabled: true, schedule: "0 3 * * *" }, async () => ({ ok: true }));
export const options = dataProvider({ name: "matrix_options" }, async () => [{ label: "A", value: "a" }]);
`,
};

/** Routes outside the authenticated API: they take no principal (sign-in, links, endpoints, OAuth callback, health). */
// The web app's files (served from packages/web/dist when it is built) are public: everything outside /api and /mcp.
const PUBLIC = [/^\/(?!api\/|mcp$)/, /^\/api\/health$/, /^\/api\/auth\/(login|setup|invites\/:token|oidc\/login|oidc\/callback)$/, /^\/api\/endpoints\//, /^\/api\/execute\//, /^\/api\/oauth\/callback$/];

/**
 * Where the table allows a level but the handler refuses for this test's data: pausing a
 * global schedule (organization admins pause their organization's), changing a password
 * or two-factor settings as a key that has no user (the admin key here), changing a global
 * workflow's file while acting in organization A (workflow files of A live under orgs/A/).
 */
const DATA_DEPENDENT = new Set([
  "POST /api/schedules/:workflow/pause as orgAdmin",
  "POST /api/schedules/:workflow/resume as orgAdmin",
  "POST /api/auth/password as platformAdmin",
  "POST /api/auth/mfa/enroll as platformAdmin",
  "POST /api/auth/mfa/verify as platformAdmin",
  "POST /api/auth/mfa/disable as platformAdmin",
  "PUT /api/workflows/:id as platformAdmin",
  "DELETE /api/workflows/:id as platformAdmin",
]);

let t: TestPlatform;
let orgA: { orgId: string; key: string };
let orgB: { orgId: string; key: string };
let executionId: string;
/** A bearer key per level: the admin key, and personal keys of users of each level. */
const keys = {} as Record<Level, string>;
const userIds = {} as Record<Level | "memberB", string>;
let memberB: string;

async function userKey(body: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const created = await t.call({ method: "POST", url: "/api/users", payload: { ...body, password: "matrix pass phrase 1" } });
  if (created.statusCode !== 201) throw new Error(created.body);
  const login = await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email: body.email, password: "matrix pass phrase 1" } });
  const cookie = ([] as string[]).concat(login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const key = await t.app.inject({ method: "POST", url: "/api/api-keys", headers: { cookie, "x-bifrost-csrf": login.json().csrfToken }, payload: { name: "matrix" } });
  if (key.statusCode !== 201) throw new Error(key.body);
  return { key: key.json().key, id: created.json().user.id };
}

function fill(url: string): string {
  return url
    .replace(/^\/api\/executions\/:id/, `/api/executions/${executionId}`)
    .replace(/^\/api\/tables\/:table\/documents\/:id/, "/api/tables/matrix_table/documents/doc-1")
    .replace(/^\/api\/(organizations|api-keys|endpoint-keys|custom-forms|ai\/providers|roles|users)\/:id/, "/api/$1/00000000-0000-4000-8000-000000000000")
    .replace(/^\/api\/data-providers\/:name/, "/api/data-providers/matrix_options")
    .replace(/^\/api\/schedules\/:workflow/, "/api/schedules/matrix_target")
    .replace(/:id|:workflow/g, "matrix_target")
    .replace(/:scope/g, orgA.orgId)
    .replace(/:[A-Za-z]+/g, "matrix_x");
}

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_SCHEDULER: "false", BIFROST_AUTH_FAIL_LIMIT: "100000" });
  orgA = await createOrgWithKey(t, "Matrix A");
  orgB = await createOrgWithKey(t, "Matrix B");
  keys.platformAdmin = (await t.call({ method: "POST", url: "/api/api-keys", payload: { name: "platform" } })).json().key;
  const msp = await userKey({ email: "msp@matrix.example", name: "MSP member" });
  const oa = await userKey({ email: "oa@a.matrix.example", name: "Org admin", organizationId: orgA.orgId, isOrgAdmin: true });
  const om = await userKey({ email: "om@a.matrix.example", name: "Org member", organizationId: orgA.orgId });
  const mb = await userKey({ email: "om@b.matrix.example", name: "Member B", organizationId: orgB.orgId });
  keys.mspMember = msp.key;
  keys.orgAdmin = oa.key;
  keys.orgMember = om.key;
  memberB = mb.key;
  Object.assign(userIds, { mspMember: msp.id, orgAdmin: oa.id, orgMember: om.id, memberB: mb.id });
  executionId = (await t.call({ method: "POST", url: "/api/workflows/matrix_target/execute", payload: {}, key: om.key })).json().id;
});
afterAll(async () => {
  await t?.close();
});

describe("the permission table", () => {
  it("names every route of the app exactly once, and the table has no family without routes", () => {
    const routes = routeTable(t.app).filter((r) => r.method !== "HEAD" && !PUBLIC.some((p) => p.test(r.url)));
    expect(routes.length).toBeGreaterThan(100);
    const unmapped = routes.filter((r) => !familyOf(r.method, r.url)).map((r) => `${r.method} ${r.url}`);
    expect(unmapped).toEqual([]);
    const used = new Set(routes.map((r) => familyOf(r.method, r.url)!.name));
    expect(FAMILIES.filter((f) => !used.has(f.name)).map((f) => f.name)).toEqual([]);
  });

  it("every route × every level: the table's 403 where it refuses, the handler everywhere else", { timeout: 120_000 }, async () => {
    const routes = routeTable(t.app).filter((r) => r.method !== "HEAD" && !PUBLIC.some((p) => p.test(r.url)));
    const wrong: string[] = [];
    let refused = 0;
    let reached = 0;
    for (const route of routes) {
      const family = familyOf(route.method, route.url)!;
      for (const level of LEVELS) {
        // MSP users and platform admins act in organization A; customers are in it already.
        const res = await t.call({ method: route.method as "GET", url: fill(route.url), key: keys[level], org: orgA.orgId, ...(route.method === "GET" || route.method === "DELETE" ? {} : { payload: {} }) });
        const byTable = res.statusCode === 403 && /may not use/.test(res.json().error?.message ?? "");
        const allowed = family.allow.includes(level);
        if (allowed && (byTable || res.statusCode === 401)) wrong.push(`${route.method} ${route.url} as ${level}: ${res.statusCode}, expected allowed`);
        if (allowed && res.statusCode === 403 && !byTable && !DATA_DEPENDENT.has(`${route.method} ${route.url} as ${level}`)) wrong.push(`${route.method} ${route.url} as ${level}: a handler's 403 (${res.json().error.message}) where the table allows`);
        if (!allowed && !byTable) wrong.push(`${route.method} ${route.url} as ${level}: ${res.statusCode}, expected the table's 403`);
        if (res.statusCode >= 500) wrong.push(`${route.method} ${route.url} as ${level}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (allowed) reached++;
        else refused++;
      }
    }
    expect(wrong).toEqual([]);
    // Both outcomes occur, for many routes.
    expect(refused).toBeGreaterThan(100);
    expect(reached).toBeGreaterThan(150);
  });

  it("is the table docs/users-and-roles.md shows", () => {
    const doc = readFileSync(new URL("../../../docs/users-and-roles.md", import.meta.url), "utf8");
    const shown = /<!-- permission-table:start -->\n([\s\S]*?)\n<!-- permission-table:end -->/.exec(doc)?.[1];
    expect(shown).toBe(permissionTableMarkdown());
  });

  it("a signed-in session gets the same answers as its personal key", async () => {
    const login = await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email: "om@a.matrix.example", password: "matrix pass phrase 1" } });
    const cookie = ([] as string[]).concat(login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
    for (const [method, url] of [["GET", "/api/config"], ["GET", "/api/workflows"], ["POST", "/api/tables"]] as const) {
      const bySession = await t.app.inject({ method, url, headers: { cookie, "x-bifrost-csrf": login.json().csrfToken }, ...(method === "POST" ? { payload: { name: "nope" } } : {}) });
      const byKey = await t.call({ method, url, key: keys.orgMember, ...(method === "POST" ? { payload: { name: "nope" } } : {}) });
      expect([url, bySession.statusCode]).toEqual([url, byKey.statusCode]);
    }
  });
});

describe("MSP members", () => {
  it("run workflows in any organization they name, read every organization's history, and change no settings", async () => {
    const run = await t.call({ method: "POST", url: "/api/workflows/matrix_target/execute", key: keys.mspMember, org: orgB.orgId, payload: {} });
    expect(run.json()).toMatchObject({ status: "Success", orgId: orgB.orgId, userId: userIds.mspMember });
    const history = (await t.call({ method: "GET", url: "/api/executions?limit=500", key: keys.mspMember })).json().executions as { orgId: string | null }[];
    expect(new Set(history.map((e) => e.orgId))).toEqual(new Set([orgA.orgId, orgB.orgId]));
    const secret = await t.call({ method: "PUT", url: "/api/config/token", key: keys.mspMember, org: orgB.orgId, payload: { value: "x", secret: true } });
    expect(secret.statusCode).toBe(403);
    expect((await t.call({ method: "POST", url: "/api/organizations", key: keys.mspMember, payload: { name: "Mine" } })).statusCode).toBe(403);
  });
});

describe("existence does not leak", () => {
  it("another person's run, another organization's run, user or key is 404", async () => {
    // Organization B's member: A's run (started by A's member) does not exist for it; nor for A's other members.
    expect((await t.call({ method: "GET", url: `/api/executions/${executionId}`, key: memberB })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: `/api/executions/${executionId}/cancel`, key: memberB })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: `/api/executions/${executionId}/logs`, key: orgB.key })).statusCode).toBe(404);
    // Organization A's admin sees it; the MSP member sees all history.
    expect((await t.call({ method: "GET", url: `/api/executions/${executionId}`, key: keys.orgAdmin })).statusCode).toBe(200);
    expect((await t.call({ method: "GET", url: `/api/executions/${executionId}`, key: keys.mspMember })).statusCode).toBe(200);
    // Users of another organization, for an organization admin.
    expect((await t.call({ method: "GET", url: `/api/users/${userIds.memberB}`, key: keys.orgAdmin })).statusCode).toBe(404);
    expect((await t.call({ method: "PATCH", url: `/api/users/${userIds.memberB}`, key: keys.orgAdmin, payload: { disabled: true } })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: `/api/users/${userIds.memberB}`, key: orgA.key })).statusCode).toBe(404);
    // Another organization, and another user's personal key.
    expect((await t.call({ method: "GET", url: `/api/organizations/${orgB.orgId}`, key: keys.orgMember })).statusCode).toBe(404);
    const mine = (await t.call({ method: "GET", url: "/api/api-keys", key: memberB })).json().apiKeys[0].id as string;
    expect((await t.call({ method: "DELETE", url: `/api/api-keys/${mine}`, key: keys.orgMember })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/workflows", key: memberB })).statusCode).toBe(200);
  });
});
