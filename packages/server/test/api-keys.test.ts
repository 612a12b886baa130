/**
 * API keys made by a signed-in platform admin (the web app's API keys page): without
 * `organizationId` a personal key, with it an organization (or platform) key that belongs to
 * no user; anyone else naming `organizationId` is refused.
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
