import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { ADMIN_KEY, freePort, startTestPlatform, type TestPlatform } from "./helpers.js";
import { CLIENTS, startOAuthServer, type OAuthServer } from "./oauth-server.js";

/**
 * Single sign-on with OpenID Connect against a real oidc-provider on loopback:
 * authorization code + PKCE, users matched by verified e-mail, created on first
 * sign-in into the configured organization; unverified e-mail and forged state refused.
 */

const PUBLIC = "http://bifrost.test";
const CALLBACK = `${PUBLIC}/api/auth/oidc/callback`;

let oauth: OAuthServer;
let t: TestPlatform;
let org: { orgId: string };

const cookiesOf = (res: { headers: Record<string, unknown> }) => ([] as string[]).concat((res.headers["set-cookie"] as string[] | undefined) ?? []);
const pair = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(";")[0] ?? "";

/** Plays the browser: Bifrost → provider (login, consent) → Bifrost's callback, carrying Bifrost's cookie. */
async function signIn(account: string) {
  oauth.loginAs = account;
  const start = await t.app.inject({ method: "GET", url: "/api/auth/oidc/login" });
  expect(start.statusCode).toBe(302);
  const authorize = new URL(start.headers.location as string);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("redirect_uri")).toBe(CALLBACK);
  const pending = pair(cookiesOf(start), "bifrost_oidc");
  const back = await oauth.authorize(authorize.toString());
  expect(back.origin + back.pathname).toBe(CALLBACK);
  const res = await t.app.inject({ method: "GET", url: `${back.pathname}${back.search}`, headers: { cookie: pending, accept: "application/json" } });
  return { res, back, pending };
}

beforeAll(async () => {
  const port = await freePort();
  oauth = await startOAuthServer(port, [CALLBACK], {
    accounts: {
      "entra-ada": { email: "Ada@Contoso.example", email_verified: true, name: "Ada Lovelace" },
      "entra-bob": { email: "bob@contoso.example", email_verified: false, name: "Bob" },
      "entra-cy": { email: "cy@msp.example", email_verified: true, name: "Cy" },
    },
  });
  // New users go into an organization named by id in the configuration; it is created (with that id) once the platform runs.
  const orgId = randomUUID();
  t = await startTestPlatform({}, {
    BIFROST_PUBLIC_URL: PUBLIC,
    BIFROST_OIDC_ISSUER: oauth.url,
    BIFROST_OIDC_CLIENT_ID: CLIENTS.post.id,
    BIFROST_OIDC_CLIENT_SECRET: CLIENTS.post.secret,
    BIFROST_OIDC_CREATE_USERS_IN: orgId,
  });
  const now = new Date().toISOString();
  await t.platform.engine.database.db.insertInto("organizations").values({ id: orgId, name: "Contoso", created_at: now, updated_at: now }).execute();
  org = { orgId };
});
afterAll(async () => {
  await t?.close();
  await oauth?.close();
});

describe("OpenID Connect sign-in", () => {
  it("creates a user on first sign-in into the configured organization, and matches it by e-mail the next time", async () => {
    const first = await signIn("entra-ada");
    expect(first.res.statusCode, first.res.body).toBe(200);
    expect(first.res.json().user).toMatchObject({ email: "ada@contoso.example", name: "Ada Lovelace", organizationId: org.orgId, level: "orgMember", hasPassword: false });
    const session = pair(cookiesOf(first.res), "bifrost_session");
    expect(session).not.toBe("");
    const me = await t.app.inject({ method: "GET", url: "/api/auth/me", headers: { cookie: session } });
    expect(me.json()).toMatchObject({ kind: "user", organizationId: org.orgId });

    const again = await signIn("entra-ada");
    expect(again.res.json().user.id).toBe(first.res.json().user.id);
    const users = (await t.call({ method: "GET", url: `/api/users?organizationId=${org.orgId}`, key: ADMIN_KEY })).json().users as { email: string }[];
    expect(users.filter((u) => u.email === "ada@contoso.example")).toHaveLength(1);
    const audit = (await t.call({ method: "GET", url: "/api/audit?action=auth.login" })).json().events as { details: { sso?: boolean } }[];
    expect(audit[0]!.details).toMatchObject({ sso: true, sub: "entra-ada" });
  });

  it("signs an existing MSP user in as itself (matched without case)", async () => {
    const cy = await t.call({ method: "POST", url: "/api/users", payload: { email: "CY@msp.example", name: "Cy" } });
    expect(cy.statusCode).toBe(201);
    const { res } = await signIn("entra-cy");
    expect(res.json().user).toMatchObject({ id: cy.json().user.id, organizationId: null, level: "mspMember" });
  });

  it("refuses an e-mail the provider does not vouch for, a forged state, and a callback without the browser's cookie", async () => {
    const bob = await signIn("entra-bob");
    expect(bob.res.statusCode).toBe(403);
    expect(bob.res.json().error.message).toMatch(/email_verified/);
    expect(bob.res.headers["set-cookie"]?.toString() ?? "").not.toMatch(/bifrost_session=[^;]/);

    oauth.loginAs = "entra-ada";
    const start = await t.app.inject({ method: "GET", url: "/api/auth/oidc/login" });
    const back = await oauth.authorize(start.headers.location as string);
    const pending = pair(cookiesOf(start), "bifrost_oidc");
    const forged = new URLSearchParams(back.search);
    forged.set("state", "forged-state");
    const wrongState = await t.app.inject({ method: "GET", url: `${back.pathname}?${forged}`, headers: { cookie: pending } });
    expect(wrongState.statusCode).toBe(401);
    expect(wrongState.json().error.code).toBe("sso_failed");
    const noCookie = await t.app.inject({ method: "GET", url: `${back.pathname}${back.search}` });
    expect(noCookie.statusCode).toBe(401);
  });
});
