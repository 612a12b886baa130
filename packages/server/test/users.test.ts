import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserTokensRepo } from "@bifrost/storage/user-tokens.repo.js";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * People (issue 11): first-admin setup, password sign-in with server-side sessions, CSRF
 * for cookie writes, users managed by admins and organization admins, invitations and
 * reset links, personal API keys, and the runs a person starts.
 */

const FILES = {
  "who.ts": `
import { workflow, context } from "bifrost";
export const whoami = workflow({ name: "whoami" }, async () => ({ userId: context.userId, email: context.email, userName: context.userName, isPlatformAdmin: context.isPlatformAdmin, orgId: context.orgId }));
`,
};

/** Per run: with Redis, failed sign-in counts per account outlive a test platform. */
const RUN = randomInt(1e9);
const ADMIN = { email: `Root-${RUN}@MSP.example`, name: "Root Admin", password: "first admin pass phrase" };
const address = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

let t: TestPlatform;
let orgA: { orgId: string; key: string };
let orgB: { orgId: string; key: string };

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string[];
}

function cookieHeader(setCookie: string[]): string {
  return setCookie.map((c) => c.split(";")[0]).join("; ");
}

async function login(email: string, password: string, extra: { cookie?: string } = {}): Promise<Session> {
  const res = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: address(), payload: { email, password }, headers: extra.cookie ? { cookie: extra.cookie } : {} });
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
  const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
  return { cookie: cookieHeader(setCookie), csrf: res.json().csrfToken, setCookie };
}

/** A request as a signed-in browser: the session cookie, and the CSRF token unless told otherwise. */
function as(s: Session, options: Parameters<TestPlatform["call"]>[0] & { csrf?: boolean }) {
  const { csrf, headers, ...rest } = options;
  return t.call({ ...rest, key: null, headers: { cookie: s.cookie, ...(csrf === false ? {} : { "x-bifrost-csrf": s.csrf }), ...headers } });
}

let admin: Session;

async function createUser(body: Record<string, unknown>, by: Session = admin) {
  const res = await as(by, { method: "POST", url: "/api/users", payload: body });
  if (res.statusCode !== 201) throw new Error(`create user: ${res.statusCode} ${res.body}`);
  return res.json() as { user: { id: string; email: string }; inviteUrl: string | null; inviteToken: string | null };
}

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_LOGIN_FAIL_LIMIT: "3" });
  orgA = await createOrgWithKey(t, "Customer A");
  orgB = await createOrgWithKey(t, "Customer B");
});
afterAll(async () => {
  await t?.close();
});

describe("first admin", () => {
  it("an empty database gets a one-time setup link; it creates a signed-in platform admin once", async () => {
    expect(t.platform.setupUrl).toMatch(/\/setup\?token=[A-Za-z0-9_-]{43}$/);
    const token = t.platform.setupToken!;
    const weak = await t.app.inject({ method: "POST", url: "/api/auth/setup", payload: { ...ADMIN, token, password: "short" } });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().error.fields).toEqual([{ path: "password", message: "must be at least 12 characters" }]);
    const res = await t.app.inject({ method: "POST", url: "/api/auth/setup", payload: { ...ADMIN, token } });
    expect(res.statusCode).toBe(201);
    expect(res.json().user).toMatchObject({ email: `root-${RUN}@msp.example`, isPlatformAdmin: true, level: "platformAdmin", organizationId: null });
    const again = await t.app.inject({ method: "POST", url: "/api/auth/setup", payload: { ...ADMIN, email: "second@msp.example", token } });
    expect(again.statusCode).toBe(410);
    admin = await login(ADMIN.email, ADMIN.password);
    const me = await as(admin, { method: "GET", url: "/api/auth/me" });
    expect(me.json()).toMatchObject({ kind: "user", level: "platformAdmin", isPlatformAdmin: true, organizationId: null, csrfToken: admin.csrf });
    expect(me.json().organizations.map((o: { name: string }) => o.name)).toEqual(["Customer A", "Customer B"]);
  });
});

describe("sign-in", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie, a new one at every sign-in (no fixation)", async () => {
    const first = await login(ADMIN.email, ADMIN.password);
    const session = first.setCookie.find((c) => c.startsWith("bifrost_session="))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).not.toMatch(/; Secure/); // plain http, no https public URL
    const second = await login(ADMIN.email, ADMIN.password, { cookie: first.cookie });
    expect(second.cookie).not.toBe(first.cookie);
    // The session the request came with is over: a fixated cookie is worthless.
    expect((await as(first, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
    expect((await as(second, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(200);
  });

  it("a wrong e-mail and a wrong password answer identically", async () => {
    const wrongPassword = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: address(), payload: { email: ADMIN.email, password: "not the password at all" } });
    const wrongEmail = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: address(), payload: { email: "nobody@msp.example", password: "not the password at all" } });
    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongEmail.statusCode).toBe(401);
    expect(wrongEmail.body).toBe(wrongPassword.body);
    expect(wrongEmail.headers["set-cookie"]).toBeUndefined();
  });

  it("failed sign-ins per account end in 429 with Retry-After, even from new addresses and with the right password", async () => {
    // A new account each run: with Redis the counts outlive a test platform.
    const email = `target-${randomInt(1e9)}@msp.example`;
    const { user } = await createUser({ email, name: "Target", password: "target pass phrase 1" });
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: address(), payload: { email: email.toUpperCase(), password: `wrong guess number ${i}` } });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: address(), payload: { email, password: "target pass phrase 1" } });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(blocked.json().error.code).toBe("too_many_sign_in_attempts");
    const audit = await as(admin, { method: "GET", url: `/api/audit?action=auth.login_failed&target=${user.id}` });
    expect(audit.json().events).toHaveLength(3);
    expect(audit.json().events[0]).toMatchObject({ actor: { kind: "anonymous" }, details: { email } });
  });

  it("a stolen session cookie without the CSRF token cannot write; reads work", async () => {
    const s = await login(ADMIN.email, ADMIN.password);
    const noToken = await as(s, { method: "POST", url: "/api/organizations", payload: { name: "Forged" }, csrf: false });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.message).toMatch(/CSRF/);
    const wrongToken = await as(s, { method: "POST", url: "/api/organizations", payload: { name: "Forged" }, csrf: false, headers: { "x-bifrost-csrf": "x".repeat(s.csrf.length) } });
    expect(wrongToken.statusCode).toBe(403);
    expect((await t.call({ method: "GET", url: "/api/organizations" })).json().organizations.map((o: { name: string }) => o.name)).not.toContain("Forged");
    expect((await as(s, { method: "GET", url: "/api/organizations", csrf: false })).statusCode).toBe(200);
    // Bearer requests need no token.
    expect((await t.call({ method: "POST", url: "/api/organizations", payload: { name: "With key" } })).statusCode).toBe(201);
  });

  it("logout ends the session; a password change ends every other session", async () => {
    const { user } = await createUser({ email: `changer-${RUN}@msp.example`, name: "Changer", password: "changer pass phrase" });
    const a = await login(`changer-${RUN}@msp.example`, "changer pass phrase");
    const b = await login(`changer-${RUN}@msp.example`, "changer pass phrase");
    const wrong = await as(a, { method: "POST", url: "/api/auth/password", payload: { currentPassword: "not it at all!", newPassword: "a brand new phrase" } });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.fields).toEqual([{ path: "currentPassword", message: "is wrong" }]);
    const weak = await as(a, { method: "POST", url: "/api/auth/password", payload: { currentPassword: "changer pass phrase", newPassword: "password1234" } });
    expect(weak.json().error.fields).toEqual([{ path: "newPassword", message: "is a commonly used password: choose another" }]);
    const changed = await as(a, { method: "POST", url: "/api/auth/password", payload: { currentPassword: "changer pass phrase", newPassword: "a brand new phrase" } });
    expect(changed.json()).toEqual({ changed: true, sessionsEnded: 1 });
    expect((await as(b, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
    expect((await as(a, { method: "GET", url: "/api/auth/me" })).json().user.id).toBe(user.id);
    await expect(login(`changer-${RUN}@msp.example`, "changer pass phrase")).rejects.toThrow(/401/);
    const out = await as(a, { method: "POST", url: "/api/auth/logout" });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers["set-cookie"])).toMatch(/bifrost_session=;.*Max-Age=0/);
    expect((await as(a, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
  });
});

describe("users", () => {
  it("duplicate e-mail (any case) is 409; weak password 422 naming the field", async () => {
    await createUser({ email: "dup@msp.example", name: "Dup", password: "unique pass phrase" });
    const dup = await as(admin, { method: "POST", url: "/api/users", payload: { email: "DUP@msp.example", name: "Dup 2" } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe("duplicate_email");
    const weak = await as(admin, { method: "POST", url: "/api/users", payload: { email: "weak@msp.example", name: "Weak", password: "qwerty123456" } });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().error.fields[0].path).toBe("password");
  });

  it("an invite link sets the password once; an expired or reused link is 410", async () => {
    const invited = await createUser({ email: "invitee@customer-a.example", name: "Invitee", organizationId: orgA.orgId });
    expect(invited.inviteUrl).toMatch(/\/invite\?token=/);
    const token = invited.inviteToken!;
    const peek = await t.app.inject({ method: "GET", url: `/api/auth/invites/${token}` });
    expect(peek.json()).toMatchObject({ purpose: "invite", email: "invitee@customer-a.example" });
    expect((await t.app.inject({ method: "POST", url: `/api/auth/invites/${token}`, payload: { password: "short" } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: "POST", url: `/api/auth/invites/${token}`, payload: { password: "invitee pass phrase" } })).statusCode).toBe(200);
    const reused = await t.app.inject({ method: "POST", url: `/api/auth/invites/${token}`, payload: { password: "another pass phrase" } });
    expect(reused.statusCode).toBe(410);
    expect(reused.json().error.code).toBe("link_used");
    const s = await login("invitee@customer-a.example", "invitee pass phrase");
    expect((await as(s, { method: "GET", url: "/api/auth/me" })).json()).toMatchObject({ level: "orgMember", organizationId: orgA.orgId, organizations: [{ id: orgA.orgId }] });

    // Expired: a link made 7 days and a moment ago.
    const old = await new UserTokensRepo(t.platform.engine.database.db).create("invite", invited.user.id, { ttlMs: 7 * 86_400_000 }, undefined, new Date(Date.now() - 7 * 86_400_000 - 1000));
    const expired = await t.app.inject({ method: "POST", url: `/api/auth/invites/${old.token}`, payload: { password: "late pass phrase!" } });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().error.code).toBe("link_expired");

    // An admin's reset link works the same way and ends the user's sessions.
    const reset = await as(admin, { method: "POST", url: `/api/users/${invited.user.id}/password-reset` });
    expect(reset.statusCode).toBe(201);
    expect((await t.app.inject({ method: "POST", url: `/api/auth/invites/${reset.json().resetToken}`, payload: { password: "reset pass phrase" } })).statusCode).toBe(200);
    expect((await as(s, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
    await login("invitee@customer-a.example", "reset pass phrase");
  });

  it("a disabled user's session and personal keys stop working at once", async () => {
    const { user } = await createUser({ email: `leaver-${RUN}@msp.example`, name: "Leaver", password: "leaver pass phrase" });
    const s = await login(`leaver-${RUN}@msp.example`, "leaver pass phrase");
    const key = await as(s, { method: "POST", url: "/api/api-keys", payload: { name: "laptop" } });
    expect(key.statusCode).toBe(201);
    expect(key.json()).toMatchObject({ userId: user.id, orgId: null });
    const personal = key.json().key as string;
    const meByKey = await t.call({ method: "GET", url: "/api/auth/me", key: personal });
    expect(meByKey.json()).toMatchObject({ kind: "apiKey", level: "mspMember", isPlatformAdmin: false, user: { id: user.id } });
    expect((await as(admin, { method: "PATCH", url: `/api/users/${user.id}`, payload: { disabled: true } })).statusCode).toBe(200);
    expect((await as(s, { method: "GET", url: "/api/workflows" })).statusCode).toBe(401);
    expect((await t.call({ method: "GET", url: "/api/workflows", key: personal })).statusCode).toBe(401);
    await expect(login(`leaver-${RUN}@msp.example`, "leaver pass phrase")).rejects.toThrow(/401/);
  });

  it("a personal key has its user's rights, never more", async () => {
    await createUser({ email: "member@customer-a.example", name: "Member A", organizationId: orgA.orgId, password: "member pass phrase" });
    const s = await login("member@customer-a.example", "member pass phrase");
    const key = (await as(s, { method: "POST", url: "/api/api-keys", payload: { name: "mine" } })).json().key as string;
    expect((await t.call({ method: "GET", url: "/api/config", key })).statusCode).toBe(403);
    expect((await t.call({ method: "POST", url: "/api/api-keys", key, payload: { name: "org key", organizationId: orgA.orgId } })).statusCode).toBe(403);
    expect((await t.call({ method: "GET", url: "/api/workflows", key, org: orgB.orgId })).statusCode).toBe(403);
    // Its own keys only.
    expect((await t.call({ method: "GET", url: "/api/api-keys", key })).json().apiKeys.map((k: { name: string }) => k.name)).toEqual(["mine"]);
  });

  it("a customer user sending another organization's X-Bifrost-Org gets 403", async () => {
    await createUser({ email: "cust@customer-a.example", name: "Cust", organizationId: orgA.orgId, password: "customer pass phrase" });
    const s = await login("cust@customer-a.example", "customer pass phrase");
    expect((await as(s, { method: "GET", url: "/api/workflows", headers: { "x-bifrost-org": orgA.orgId } })).statusCode).toBe(200);
    const other = await as(s, { method: "GET", url: "/api/workflows", headers: { "x-bifrost-org": orgB.orgId } });
    expect(other.statusCode).toBe(403);
    expect(other.json().error.message).toMatch(/own organization/);
  });

  it("organization admins manage their own users only and cannot grant platform admin", async () => {
    const { user: oa } = await createUser({ email: "oa@customer-a.example", name: "OA", organizationId: orgA.orgId, isOrgAdmin: true, password: "org admin pass phrase" });
    const bUser = await createUser({ email: "b@customer-b.example", name: "B", organizationId: orgB.orgId, password: "customer b pass phrase" });
    const s = await login("oa@customer-a.example", "org admin pass phrase");
    const self = await as(s, { method: "PATCH", url: `/api/users/${oa.id}`, payload: { isPlatformAdmin: true } });
    expect(self.statusCode).toBe(403);
    const create = await as(s, { method: "POST", url: "/api/users", payload: { email: "new@customer-a.example", name: "New", isPlatformAdmin: true } });
    expect(create.statusCode).toBe(403);
    const elsewhere = await as(s, { method: "POST", url: "/api/users", payload: { email: "new@customer-b.example", name: "New", organizationId: orgB.orgId } });
    expect(elsewhere.statusCode).toBe(403);
    const mine = await as(s, { method: "POST", url: "/api/users", payload: { email: "new@customer-a.example", name: "New" } });
    expect(mine.statusCode).toBe(201);
    expect(mine.json().user).toMatchObject({ organizationId: orgA.orgId, level: "orgMember" });
    // Another organization's user does not exist for it.
    expect((await as(s, { method: "GET", url: `/api/users/${bUser.user.id}` })).statusCode).toBe(404);
    expect((await as(s, { method: "DELETE", url: `/api/users/${bUser.user.id}` })).statusCode).toBe(404);
    const list = await as(s, { method: "GET", url: "/api/users" });
    expect(list.json().users.every((u: { organizationId: string }) => u.organizationId === orgA.orgId)).toBe(true);
    // Its organization's audit events only.
    const audit = (await as(s, { method: "GET", url: "/api/audit" })).json().events as { orgId: string | null }[];
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((e) => e.orgId === orgA.orgId)).toBe(true);
    expect((await as(s, { method: "GET", url: `/api/audit?organizationId=${orgB.orgId}` })).statusCode).toBe(403);
  });

  it("deleting or demoting the last platform admin is 409", async () => {
    const me = (await as(admin, { method: "GET", url: "/api/auth/me" })).json().user.id as string;
    const demote = await as(admin, { method: "PATCH", url: `/api/users/${me}`, payload: { isPlatformAdmin: false } });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe("last_admin");
    const del = await t.call({ method: "DELETE", url: `/api/users/${me}` });
    expect(del.statusCode).toBe(409);
    expect((await as(admin, { method: "GET", url: "/api/auth/me" })).json().isPlatformAdmin).toBe(true);
  });
});

describe("runs started by a person", () => {
  it("record the user, and context carries their id, e-mail and name; members see their own runs only", async () => {
    const { user } = await createUser({ email: "runner@customer-a.example", name: "Runner", organizationId: orgA.orgId, password: "runner pass phrase" });
    await createUser({ email: "peer@customer-a.example", name: "Peer", organizationId: orgA.orgId, password: "peer pass phrase!" });
    const s = await login("runner@customer-a.example", "runner pass phrase");
    const peer = await login("peer@customer-a.example", "peer pass phrase!");
    const run = await as(s, { method: "POST", url: "/api/workflows/whoami/execute", payload: {} });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ status: "Success", userId: user.id, result: { userId: user.id, email: "runner@customer-a.example", userName: "Runner", isPlatformAdmin: false, orgId: orgA.orgId } });
    const id = run.json().id as string;
    expect((await as(s, { method: "GET", url: `/api/executions/${id}` })).statusCode).toBe(200);
    expect((await as(peer, { method: "GET", url: `/api/executions/${id}` })).statusCode).toBe(404);
    expect((await as(peer, { method: "GET", url: "/api/executions" })).json().executions).toEqual([]);
    expect((await as(s, { method: "GET", url: "/api/executions" })).json().executions.map((e: { id: string }) => e.id)).toEqual([id]);
    // The organization's key (its admin) sees the run.
    expect((await t.call({ method: "GET", url: `/api/executions/${id}`, key: orgA.key })).statusCode).toBe(200);
  });
});

describe("audit trail of other changes", () => {
  it("organizations, config, secrets and the rest leave events naming the target, never a secret's value; refused writes none", async () => {
    const org = await t.call({ method: "POST", url: "/api/organizations", payload: { name: "Audited Org" } });
    const orgId = org.json().id as string;
    expect((await t.call({ method: "PUT", url: "/api/config/api_token", org: orgId, payload: { value: "s3cret-value-123", secret: true } })).statusCode).toBeLessThan(300);
    expect((await t.call({ method: "PUT", url: "/api/config/api_token", org: orgId, payload: { nope: 1 } })).statusCode).toBe(422);
    const events = (await t.call({ method: "GET", url: "/api/audit?limit=20" })).json().events as { action: string; target: string; orgId: string | null; actor: { kind: string; name: string } }[];
    expect(events.find((e) => e.action === "organization.create")).toMatchObject({ target: orgId, actor: { kind: "apiKey", name: "BIFROST_ADMIN_API_KEY" } });
    const config = events.filter((e) => e.action === "secret.set");
    expect(config).toEqual([expect.objectContaining({ target: "api_token", orgId, details: { type: "secret" } })]);
    // AI providers: their name, never their key, with the change.
    const provider = await t.call({ method: "POST", url: "/api/ai/providers", payload: { name: "llm", kind: "openai-compatible", baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-provider-secret-42", chatModel: "m" } });
    expect(provider.statusCode, provider.body).toBe(201);
    const providerEvents = (await t.call({ method: "GET", url: `/api/audit?action=ai_provider.create&target=${provider.json().id}` })).json().events;
    expect(providerEvents).toEqual([expect.objectContaining({ details: { name: "llm" } })]);
    expect(JSON.stringify((await t.call({ method: "GET", url: "/api/audit?limit=500" })).json())).not.toContain("sk-provider-secret-42");
    // Integrations and their mappings too.
    expect((await t.call({ method: "POST", url: "/api/integrations", payload: { name: "audited_psa" } })).statusCode).toBe(201);
    expect((await t.call({ method: "PUT", url: `/api/integrations/audited_psa/mappings/${orgId}`, payload: { entityId: "tenant-1" } })).statusCode).toBeLessThan(300);
    const integrationEvents = (await t.call({ method: "GET", url: "/api/audit?action=integration.&limit=10" })).json().events as { action: string; target: string; orgId: string | null }[];
    expect(integrationEvents.map((e) => [e.action, e.target, e.orgId])).toEqual([
      ["integration.map", `audited_psa/${orgId}`, orgId],
      ["integration.create", "audited_psa", null],
    ]);
    // Tables too, in the change's transaction (audit-events.test.ts has the rest).
    expect((await t.call({ method: "POST", url: "/api/tables", org: orgId, payload: { name: "audited" } })).statusCode).toBe(201);
    const table = (await t.call({ method: "GET", url: "/api/audit?action=table.create" })).json().events;
    expect(table).toEqual([expect.objectContaining({ orgId, target: "audited", details: { scope: orgId } })]);
    expect(JSON.stringify(events)).not.toContain("s3cret-value-123");
  });
});

describe("session lifetimes and the per-address limit", () => {
  it("a session unused past the idle lifetime, or past its absolute end, is over", async () => {
    const s = await login(ADMIN.email, ADMIN.password);
    const db = t.platform.engine.database.db;
    const token = s.cookie.match(/bifrost_session=([^;]+)/)![1]!;
    const { sha256 } = await import("@bifrost/storage/sessions.repo.js");
    const hash = sha256(decodeURIComponent(token));
    expect((await as(s, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(200);
    // Last used 61 minutes ago (idle lifetime: 60).
    await db.updateTable("sessions").set({ last_seen_at: new Date(Date.now() - 61 * 60_000).toISOString() }).where("token_hash", "=", hash).execute();
    expect((await as(s, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
    const s2 = await login(ADMIN.email, ADMIN.password);
    const hash2 = sha256(decodeURIComponent(s2.cookie.match(/bifrost_session=([^;]+)/)![1]!));
    // In use, but past its absolute end.
    await db.updateTable("sessions").set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where("token_hash", "=", hash2).execute();
    expect((await as(s2, { method: "GET", url: "/api/auth/me" })).statusCode).toBe(401);
    // The cookie's lifetime is the absolute one (BIFROST_SESSION_MAX_HOURS, 24 h).
    expect(s2.setCookie.find((c) => c.startsWith("bifrost_session="))).toMatch(/Max-Age=86400/);
  });

  it("failed sign-ins from one address, whatever the accounts, end in 429 for that address only", async () => {
    const attacker = address();
    for (let i = 0; i < 30; i++) {
      const res = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: attacker, payload: { email: `nobody-${RUN}-${i}@msp.example`, password: "guessing pass phrase" } });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: attacker, payload: { email: ADMIN.email, password: ADMIN.password } });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // Bad API keys from it are refused too (one count), and other addresses sign in.
    expect((await t.app.inject({ method: "GET", url: "/api/workflows", remoteAddress: attacker, headers: { authorization: "Bearer bfk_nope" } })).statusCode).toBe(429);
    expect((await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: address(), payload: { email: ADMIN.email, password: ADMIN.password } })).statusCode).toBe(200);
  });
});

describe("listing", () => {
  it("users and audit events page with limit and offset, and filter", async () => {
    const all = (await t.call({ method: "GET", url: "/api/users?limit=500" })).json();
    expect(all.total).toBe(all.users.length);
    expect(all.total).toBeGreaterThan(3);
    const first = (await t.call({ method: "GET", url: "/api/users?limit=2&offset=0" })).json();
    const second = (await t.call({ method: "GET", url: "/api/users?limit=2&offset=2" })).json();
    expect(first.users.map((u: { email: string }) => u.email)).toEqual(all.users.slice(0, 2).map((u: { email: string }) => u.email));
    expect(second.users.map((u: { email: string }) => u.email)).toEqual(all.users.slice(2, 4).map((u: { email: string }) => u.email));
    const msp = (await t.call({ method: "GET", url: "/api/users?organizationId=null&limit=500" })).json().users as { organizationId: string | null }[];
    expect(msp.length).toBeGreaterThan(0);
    expect(msp.every((u) => u.organizationId === null)).toBe(true);

    const page1 = (await t.call({ method: "GET", url: "/api/audit?action=user.&limit=2" })).json();
    expect(page1).toMatchObject({ limit: 2, offset: 0, hasMore: true });
    expect(page1.events.every((e: { action: string }) => e.action.startsWith("user."))).toBe(true);
    const page2 = (await t.call({ method: "GET", url: "/api/audit?action=user.&limit=2&offset=2" })).json();
    expect(page2.events[0].id).toBeLessThan(page1.events[1].id);
    const future = (await t.call({ method: "GET", url: `/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}` })).json();
    expect(future.events).toEqual([]);
    expect((await t.call({ method: "GET", url: "/api/audit?limit=0" })).statusCode).toBe(422);
  });
});
