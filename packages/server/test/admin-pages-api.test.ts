/**
 * The API the admin pages need beyond the rest: API keys made by a signed-in platform admin
 * (without `organizationId` a personal key, with it an organization or platform key that
 * belongs to no user; anyone else naming `organizationId` is refused), and moving a user to
 * another organization (platform admins only).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "./helpers.js";

let t: TestPlatform;
let orgId: string;

async function session(email: string, password: string) {
  const res = await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
  const cookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  return (options: Parameters<TestPlatform["call"]>[0]) => t.call({ ...options, key: null, headers: { cookie, "x-bifrost-csrf": res.json().csrfToken } });
}

beforeAll(async () => {
  t = await startTestPlatform({});
  orgId = (await t.call({ method: "POST", url: "/api/organizations", payload: { name: "Contoso" } })).json().id;
  await t.call({ method: "POST", url: "/api/users", payload: { email: "root@msp.example", name: "Root", password: "root admin pass phrase", isPlatformAdmin: true } });
  await t.call({ method: "POST", url: "/api/users", payload: { email: "admin@contoso.example", name: "Org Admin", password: "org admin pass phrase", organizationId: orgId, isOrgAdmin: true } });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("API keys of a signed-in platform admin", () => {
  it("makes personal keys by default and organization or platform keys when naming organizationId", async () => {
    const root = await session("root@msp.example", "root admin pass phrase");
    const personal = await root({ method: "POST", url: "/api/api-keys", payload: { name: "laptop" } });
    expect(personal.statusCode).toBe(201);
    expect(personal.json()).toMatchObject({ orgId: null, userId: expect.any(String) });
    const org = await root({ method: "POST", url: "/api/api-keys", payload: { name: "contoso automation", organizationId: orgId } });
    expect(org.statusCode).toBe(201);
    expect(org.json()).toMatchObject({ orgId, userId: null });
    const me = await t.call({ method: "GET", url: "/api/auth/me", key: org.json().key });
    expect(me.json()).toMatchObject({ kind: "apiKey", level: "orgAdmin", organizationId: orgId, user: null });
    const platform = await root({ method: "POST", url: "/api/api-keys", payload: { name: "platform", organizationId: null } });
    expect(platform.json()).toMatchObject({ orgId: null, userId: null });
    expect((await t.call({ method: "GET", url: "/api/auth/me", key: platform.json().key })).json()).toMatchObject({ isPlatformAdmin: true, user: null });
    expect((await root({ method: "POST", url: "/api/api-keys", payload: { name: "x", organizationId: "no-such-org" } })).statusCode).toBe(404);
    // Its own list holds the personal key only; the whole list has all three.
    expect((await root({ method: "GET", url: "/api/api-keys?mine=true" })).json().apiKeys.map((k: { name: string }) => k.name)).toEqual(["laptop"]);
    expect((await root({ method: "GET", url: "/api/api-keys" })).json().apiKeys.map((k: { name: string }) => k.name)).toEqual(["laptop", "contoso automation", "platform"]);
  });

  it("an organization admin naming organizationId, even its own, is refused", async () => {
    const orgAdmin = await session("admin@contoso.example", "org admin pass phrase");
    const res = await orgAdmin({ method: "POST", url: "/api/api-keys", payload: { name: "org key", organizationId: orgId } });
    expect(res.statusCode).toBe(403);
    expect((await orgAdmin({ method: "POST", url: "/api/api-keys", payload: { name: "mine" } })).json()).toMatchObject({ orgId, userId: expect.any(String) });
  });
});

describe("moving a user to another organization", () => {
  it("platform admins move a user; its level follows and its sessions end; others are refused", async () => {
    const fabrikam = (await t.call({ method: "POST", url: "/api/organizations", payload: { name: "Fabrikam" } })).json().id as string;
    const root = await session("root@msp.example", "root admin pass phrase");
    const created = await root({ method: "POST", url: "/api/users", payload: { email: "mover@contoso.example", name: "Mover", organizationId: orgId, isOrgAdmin: true, password: "mover pass phrase" } });
    const id = created.json().user.id as string;
    const mover = await session("mover@contoso.example", "mover pass phrase");
    expect((await mover({ method: "GET", url: "/api/auth/me" })).json()).toMatchObject({ level: "orgAdmin", homeOrganizationId: orgId });

    const orgAdmin = await session("admin@contoso.example", "org admin pass phrase");
    expect((await orgAdmin({ method: "PATCH", url: `/api/users/${id}`, payload: { organizationId: fabrikam } })).statusCode).toBe(403);
    const unknown = await root({ method: "PATCH", url: `/api/users/${id}`, payload: { organizationId: "no-such-org" } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.fields).toEqual([{ path: "organizationId", message: "is not an organization" }]);

    const moved = await root({ method: "PATCH", url: `/api/users/${id}`, payload: { organizationId: fabrikam } });
    expect(moved.json()).toMatchObject({ organizationId: fabrikam, level: "orgAdmin" });
    expect((await mover({ method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
    const again = await session("mover@contoso.example", "mover pass phrase");
    expect((await again({ method: "GET", url: "/api/auth/me" })).json()).toMatchObject({ homeOrganizationId: fabrikam });
    // Contoso's admin no longer sees the user.
    expect((await orgAdmin({ method: "GET", url: `/api/users/${id}` })).statusCode).toBe(404);
    // To the MSP: no longer an organization admin.
    expect((await root({ method: "PATCH", url: `/api/users/${id}`, payload: { organizationId: null } })).json()).toMatchObject({ organizationId: null, level: "mspMember", isOrgAdmin: false });
  });
});
