import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * Rights inside runs (docs/users-and-roles.md, "Rights inside runs"): a running workflow's
 * SDK calls act with its organization's rights, not the person's — but never outside that
 * organization, whoever started it, unless a platform admin did. And the SDK over HTTP
 * (`POST /api/sdk/call`) is not the MSP members' or organization members'.
 */

const PROBE = `
import { workflow, z, tables, config, executions, files, workflows, organizations, BifrostError } from "bifrost";
const attempt = async (f: () => Promise<unknown>) => {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    return { ok: false, code: error instanceof BifrostError ? error.code : String(error) };
  }
};
export const probe = workflow({ name: "probe", executionMode: "sync", params: z.object({ other: z.string(), otherRun: z.string() }) }, async ({ other, otherRun }) => ({
  tables: await attempt(() => tables.list({ scope: other })),
  tableRead: await attempt(() => tables.get("secrets", "s1", { scope: other })),
  config: await attempt(() => config.get("token", { scope: other })),
  run: await attempt(() => executions.get(otherRun)),
  runs: await attempt(async () => (await executions.list({ limit: 500 })).map((e) => e.orgId)),
  workspace: await attempt(() => files.read("orgs/" + other + "/private.txt")),
  uploads: await attempt(() => files.read("x.txt", { location: "uploads", scope: other })),
  otherWorkflow: await attempt(() => workflows.run("b_only", {})),
  organization: await attempt(() => organizations.get(other)),
  organizations: await attempt(async () => (await organizations.list()).map((o) => o.id)),
  ownTable: await attempt(async () => (await tables.create("mine", { ifNotExists: true })).scope),
}));
`;

let t: TestPlatform;
let a: { orgId: string; key: string };
let b: { orgId: string; key: string };
let runOfB: string;
let member: string;
let msp: string;

async function personalKey(body: Record<string, unknown>): Promise<string> {
  const created = await t.call({ method: "POST", url: "/api/users", payload: { ...body, password: "run rights pass phrase" } });
  if (created.statusCode !== 201) throw new Error(created.body);
  const login = await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email: body.email, password: "run rights pass phrase" } });
  const cookie = ([] as string[]).concat(login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  return (await t.app.inject({ method: "POST", url: "/api/api-keys", headers: { cookie, "x-bifrost-csrf": login.json().csrfToken }, payload: { name: "k" } })).json().key;
}

beforeAll(async () => {
  t = await startTestPlatform({ "probe.ts": PROBE }, { BIFROST_SCHEDULER: "false" });
  a = await createOrgWithKey(t, "Rights A");
  b = await createOrgWithKey(t, "Rights B");
  t.write(`orgs/${b.orgId}/b-only.ts`, `import { workflow } from "bifrost";\nexport const w = workflow({ name: "b_only", executionMode: "sync" }, async () => ({ secret: "b" }));\n`);
  t.write(`orgs/${b.orgId}/private.txt`, "B's private notes");
  await t.platform.engine.indexer.scan();
  await t.call({ method: "POST", url: "/api/tables", key: b.key, payload: { name: "secrets" } });
  await t.call({ method: "POST", url: "/api/tables/secrets/documents", key: b.key, payload: { id: "s1", v: "b-secret" } });
  await t.call({ method: "PUT", url: "/api/config/token", key: b.key, payload: { value: "b-token", secret: true } });
  runOfB = (await t.call({ method: "POST", url: "/api/workflows/b_only/execute", key: b.key, payload: {} })).json().id;
  member = await personalKey({ email: "member@rights-a.example", name: "Member", organizationId: a.orgId });
  msp = await personalKey({ email: "tech@msp-rights.example", name: "Technician" });
});
afterAll(async () => {
  await t?.close();
});

const probeAs = async (key: string, org?: string) => {
  const res = await t.call({ method: "POST", url: "/api/workflows/probe/execute", key, org, payload: { other: b.orgId, otherRun: runOfB } });
  expect(res.json().status, res.body).toBe("Success");
  return res.json().result as Record<string, { ok: boolean; code?: string; value?: unknown }>;
};

describe("a run's SDK calls", () => {
  it("never reach another organization, whether a customer member, an MSP member or the organization's key started it", async () => {
    for (const [who, key, org] of [
      ["customer member", member, undefined],
      ["MSP member acting in A", msp, a.orgId],
      ["organization key", a.key, undefined],
    ] as const) {
      const r = await probeAs(key, org);
      const refused = (name: string, codes: string[]) => expect([who, name, r[name]!.ok, codes.includes(r[name]!.code!)]).toEqual([who, name, false, true]);
      refused("tables", ["forbidden"]);
      refused("tableRead", ["forbidden"]);
      refused("config", ["forbidden"]);
      refused("run", ["not_found"]);
      refused("workspace", ["forbidden"]);
      refused("uploads", ["forbidden"]);
      refused("otherWorkflow", ["not_found"]);
      refused("organization", ["not_found", "forbidden"]);
      // Listing organizations is a platform admin's: refused, or at most its own.
      expect([who, r.organizations!.ok ? r.organizations!.value : r.organizations!.code]).toEqual([who, r.organizations!.ok ? [a.orgId] : "forbidden"]);
      // Its own organization's rights: the organization's history (every person's runs), and writes in its own scope.
      expect([who, (r.runs!.value as (string | null)[]).every((o) => o === a.orgId)]).toEqual([who, true]);
      expect([who, r.ownTable]).toEqual([who, { ok: true, value: a.orgId }]);
    }
    expect(JSON.stringify(await probeAs(member))).not.toContain("b-secret");
  });

  it("of a run a platform admin started carry the admin's rights (by design: the admin could make the same calls)", async () => {
    const r = await probeAs(ADMIN_KEY, a.orgId);
    expect(r.tableRead).toMatchObject({ ok: true, value: { v: "b-secret" } });
  });
});

describe("the SDK over HTTP", () => {
  it("is refused to MSP members and organization members (403 from the permission table), allowed to organization admins in their organization", async () => {
    const call = (key: string, org?: string) => t.call({ method: "POST", url: "/api/sdk/call", key, org, payload: { method: "tables.list", args: [] } });
    expect((await call(msp, a.orgId)).statusCode).toBe(403);
    expect((await call(member)).statusCode).toBe(403);
    const own = await call(a.key);
    expect(own.statusCode).toBe(200);
    const other = await t.call({ method: "POST", url: "/api/sdk/call", key: a.key, payload: { method: "tables.list", args: [{ scope: b.orgId }] } });
    expect(other.json().error).toMatchObject({ code: "forbidden" });
  });

  it("workspace editor writes are platform admins' only", async () => {
    for (const key of [msp, member, a.key]) {
      expect((await t.call({ method: "POST", url: "/api/files/editor/file", key, org: a.orgId, payload: { path: `orgs/${a.orgId}/x.ts`, content: "export const x = 1;" } })).statusCode).toBe(403);
    }
    expect((await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: `orgs/${a.orgId}/x.ts`, content: "export const x = 1;" } })).statusCode).toBe(200);
  });
});
