import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import { InputValidator } from "@bifrost/engine/executor/input-validator.js";
import { Redactor } from "@bifrost/engine/executor/redactor.js";
import { IntegrationsService } from "@bifrost/server/features/integrations/integrations.service.js";
import { TokenBroker } from "@bifrost/server/features/integrations/token-broker.js";
import { openDatabase, type Database } from "@bifrost/storage/database.js";
import { IntegrationsRepo } from "@bifrost/storage/integrations.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { SecretBox } from "@bifrost/storage/secret-box.js";
import { ADMIN_KEY, createOrgWithKey, eventually, freePort, startTestPlatform, type TestPlatform } from "./helpers.js";
import { CALLBACK, CLIENTS, startOAuthServer, startResourceServer, type OAuthServer } from "./oauth-server.js";

const run = promisify(execFile);

const FILES = {
  "integ.ts": `
import { createHash } from "node:crypto";
import { workflow, integrations, logger, z } from "bifrost";
const hash = (s?: string | null) => (s ? createHash("sha256").update(s).digest("hex").slice(0, 16) : null);
const failure = (e: unknown) => ({ failed: true, code: (e as { code?: string }).code, status: (e as { status?: number }).status, message: (e as Error).message });

export const useIntegration = workflow(
  { params: z.object({ name: z.string(), scope: z.string().optional(), probe: z.string().optional() }) },
  async ({ name, scope, probe }) => {
    try {
      const i = await integrations.get(name, { scope });
      logger.info("token " + i.oauth?.accessToken + " refresh " + i.oauth?.refreshToken);
      let status: number | null = null;
      if (probe && i.oauth) status = (await fetch(probe, { headers: { authorization: "Bearer " + i.oauth.accessToken } })).status;
      return {
        entityId: i.entityId, entityName: i.entityName, config: i.config, baseUrl: i.baseUrl, scope: i.scope,
        token: i.oauth?.accessToken ?? null, tokenHash: hash(i.oauth?.accessToken), expiresAt: i.oauth?.expiresAt ?? null,
        status, canRefresh: typeof i.oauth?.refresh === "function", keys: Object.keys(i.oauth ?? {}).sort(),
      };
    } catch (e) { return failure(e); }
  },
);

export const forceRefresh = workflow({ params: z.object({ name: z.string() }) }, async ({ name }) => {
  const i = await integrations.get(name);
  const before = hash(i.oauth!.accessToken);
  const same = await i.oauth!.refresh();
  return { before, after: hash(i.oauth!.accessToken), sameObject: same === i.oauth };
});

export const callApi = workflow({ params: z.object({ name: z.string(), path: z.string() }) }, async ({ name, path }) => {
  const client = await integrations.getClient(name);
  try {
    return { ok: true, baseUrl: client.baseUrl, body: await client.get(path, { query: { n: 1, tags: ["a", "b"] } }) };
  } catch (e) { return { ok: false, ...failure(e) }; }
});

export const mappingsOf = workflow({ params: z.object({ name: z.string(), scope: z.string().optional() }) }, async ({ name, scope }) => {
  try {
    return {
      list: (await integrations.listMappings(name)).map((m) => m.scope),
      one: await integrations.getMapping(name, { scope }),
      all: (await integrations.list()).map((i) => [i.name, i.mapping?.connection?.status ?? null]),
    };
  } catch (e) { return failure(e); }
});

export const writeMapping = workflow({ params: z.object({ name: z.string(), scope: z.string().optional() }) }, async ({ name, scope }) => {
  try { return await integrations.upsertMapping(name, { entityId: "tenant-x", config: { region: "eu" } }, { scope }); }
  catch (e) { return failure(e); }
});`,
};

let oauth: OAuthServer;
let api: Awaited<ReturnType<typeof startResourceServer>>;
let t: TestPlatform;
let orgA: string;
let keyA: string;
let orgB: string;
let keyB: string;
let bgPort: number;
let hanging: TcpServer;
let hangingPort: number;
const sockets = new Set<Socket>();

const exec = async (name: string, payload: Record<string, unknown>, key?: string) => {
  const res = await t.call({ method: "POST", url: `/api/workflows/${name}/execute`, payload, key });
  return res.json();
};
/** An SDK call over HTTP, as the external SDK makes it. */
const sdkCall = (method: string, args: unknown[], key?: string) => t.call({ method: "POST", url: "/api/sdk/call", payload: { method, args }, key });
const define = (body: Record<string, unknown>) => t.call({ method: "POST", url: "/api/integrations", payload: body });
const mapTo = (name: string, scope: string, body: Record<string, unknown>, key?: string) =>
  t.call({ method: "PUT", url: `/api/integrations/${name}/mappings/${scope}`, payload: body, key });
const mappingOf = async (name: string, scope: string) => (await t.call({ method: "GET", url: `/api/integrations/${name}/mappings/${scope}` })).json();
const tokensOf = async (name: string, key: string) => (await sdkCall("integrations.get", [name], key)).json().value.oauth;

/** Runs the authorization-code flow for an organization's key: authorize → provider → callback. */
async function connect(name: string, key: string, query = "") {
  const start = await t.call({ method: "GET", url: `/api/oauth/${name}/authorize${query}`, key });
  expect(start.statusCode, start.body).toBe(302);
  const back = await oauth.authorize(start.headers.location as string);
  expect(back.origin + back.pathname).toBe(CALLBACK);
  const done = await t.call({ method: "GET", url: back.pathname + back.search, key: null });
  return { start, back, done };
}

/** An authorization-code integration against the loopback provider (`tokenUrl` relative to it). */
const appDefinition = (name: string, tokenPath = "/t/{entityId}/token") => ({
  name,
  description: "A test API behind the loopback provider",
  configSchema: null as Record<string, unknown> | null,
  baseUrl: api.url,
  oauth: {
    flow: "authorization_code",
    authorizeUrl: `${oauth.url}/auth`,
    tokenUrl: `${oauth.url}${tokenPath}`,
    scopes: ["openid", "offline_access"],
    clientId: CLIENTS.post.id,
    clientSecret: CLIENTS.post.secret as string | undefined,
    clientAuth: "post",
    authorizeParams: { ui_locales: "en" },
  },
});

beforeAll(async () => {
  bgPort = await freePort();
  oauth = await startOAuthServer(await freePort(), [`http://127.0.0.1:${bgPort}/api/oauth/callback`]);
  api = await startResourceServer(oauth, await freePort());
  // A token endpoint that accepts connections and never answers.
  hangingPort = await freePort();
  hanging = createTcpServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => hanging.listen(hangingPort, "127.0.0.1", r));
  t = await startTestPlatform(
    FILES,
    {
      BIFROST_PUBLIC_URL: "http://bifrost.test/",
      BIFROST_OAUTH_TIMEOUT_MS: "1500",
      BIFROST_OAUTH_REFRESH_INTERVAL_SECONDS: "0",
      BIFROST_WORKERS: "4",
      // The workflows call the resource server on loopback, which the egress policy refuses unless allowed.
      BIFROST_EGRESS_ALLOW: new URL(api.url).host,
    },
    { listen: true },
  );
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
});

afterAll(async () => {
  await t?.close();
  await api?.close();
  await oauth?.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => (hanging ? hanging.close(() => r()) : r()));
});

describe("integration definitions", () => {
  it("platform admins define them; the client secret is sealed and never returned", async () => {
    const body = {
      ...appDefinition("app"),
      configSchema: {
        type: "object",
        properties: { region: { type: "string", enum: ["eu", "us"] }, seats: { type: "integer", minimum: 1 } },
        required: ["region"],
        additionalProperties: false,
      },
    };
    expect((await t.call({ method: "POST", url: "/api/integrations", payload: body, key: keyA })).statusCode).toBe(403);
    const created = await define(body);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: "app", oauth: { flow: "authorization_code", clientId: CLIENTS.post.id, clientSecretSet: true, clientAuth: "post" } });
    expect((await define(body)).statusCode).toBe(409);

    // Everyone reads definitions; nobody reads the secret.
    expect(created.body).not.toContain(CLIENTS.post.secret);
    for (const res of [
      await t.call({ method: "GET", url: "/api/integrations", key: keyA }),
      await t.call({ method: "GET", url: "/api/integrations/app", key: keyB }),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(CLIENTS.post.secret);
      expect(res.body).not.toContain("clientSecret\"");
    }
    const raw = await t.platform.engine.database.db.selectFrom("integrations").select("client_secret").where("name", "=", "app").executeTakeFirstOrThrow();
    expect(raw.client_secret).toMatch(/^v1:/);
    expect(raw.client_secret).not.toContain(CLIENTS.post.secret);

    // Updating without a secret keeps it.
    const updated = await t.call({ method: "PUT", url: "/api/integrations/app", payload: { ...body, description: "updated", oauth: { ...body.oauth, clientSecret: undefined } } });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ description: "updated", oauth: { clientSecretSet: true } });
  });

  it("refuses malformed definitions with the field named", async () => {
    const bad = async (payload: Record<string, unknown>) => {
      const res = await define(payload);
      expect(res.statusCode, res.body).toBe(422);
      return res.json().error.fields.map((f: { path: string }) => f.path);
    };
    expect(await bad({ name: "1nope" })).toContain("name");
    expect(await bad({ name: "x", oauth: { flow: "authorization_code", tokenUrl: "https://t/token", clientId: "c" } })).toContain("oauth.authorizeUrl");
    expect(await bad({ name: "x", oauth: { flow: "client_credentials", tokenUrl: "ftp://t/token", clientId: "c" } })).toContain("oauth.tokenUrl");
    expect(await bad({ name: "x", oauth: { flow: "password", tokenUrl: "https://t/token", clientId: "c" } })).toContain("oauth.flow");
    expect(await bad({ name: "x", oauth: { flow: "client_credentials", tokenUrl: "https://t/token", clientId: "" } })).toContain("oauth.clientId");
    expect(await bad({ name: "x", oauth: { flow: "client_credentials", tokenUrl: "https://t/token", clientId: "c", scopes: ["a b"] } })).toContain("oauth.scopes.0");
    expect(await bad({ name: "x", configSchema: { type: "object", properties: { a: { type: "nonsense" } } } })).toEqual(["configSchema"]);
    expect(await bad({ name: "x", surprise: true })).toContain("(body)");
    expect((await t.call({ method: "GET", url: "/api/integrations/missing" })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: "/api/integrations/app", key: keyA })).statusCode).toBe(403);
  });
});

describe("mappings", () => {
  it("admins map an integration per organization; the config is validated against the schema", async () => {
    const bad = await mapTo("app", orgA, { entityId: "tenant-a", config: { region: "mars", seats: 0 } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "config.region" }), expect.objectContaining({ path: "config.seats" })]),
    );
    expect((await mapTo("app", orgA, { entityId: "tenant-a", config: {} })).json().error.fields).toEqual([{ path: "config.region", message: "is required" }]);
    expect((await mapTo("app", orgA, { entityId: "", config: { region: "eu" } })).json().error.fields[0].path).toBe("entityId");
    expect((await mapTo("app", "no-such-org", { entityId: "x", config: { region: "eu" } })).statusCode).toBe(404);
    expect((await mapTo("missing", orgA, { entityId: "x" })).statusCode).toBe(404);

    // Organizations cannot map, not even themselves: the entity id decides whose data a token opens.
    expect((await mapTo("app", orgA, { entityId: "tenant-b", config: { region: "eu" } }, keyA)).statusCode).toBe(403);
    const denied = await exec("writeMapping", { name: "app" }, keyA);
    expect(denied.result).toMatchObject({ failed: true, code: "forbidden", status: 403 });

    const created = await mapTo("app", orgA, { entityId: "tenant-a", entityName: "Alpha Tenant", config: { region: "eu" } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ integration: "app", scope: orgA, entityId: "tenant-a", config: { region: "eu" }, connection: { status: "not_connected" } });
    expect((await mapTo("app", orgA, { entityId: "tenant-a", entityName: "Alpha Tenant", config: { region: "eu", seats: 5 } })).statusCode).toBe(200);
  });

  it("an integration without OAuth is config and a base URL; SDK arguments are validated by name", async () => {
    expect((await define({ name: "plain", baseUrl: `${api.url}/{entityId}`, configSchema: { type: "object", properties: { site: { type: "string" } } } })).statusCode).toBe(201);
    expect((await mapTo("plain", orgA, { entityId: "site-1", config: { site: "HQ" } })).json().connection).toBeNull();
    const e = await exec("useIntegration", { name: "plain" }, keyA);
    expect(e.result).toMatchObject({ entityId: "site-1", config: { site: "HQ" }, baseUrl: `${api.url}/site-1`, token: null, canRefresh: false });
    expect((await t.call({ method: "POST", url: "/api/integrations/plain/refresh", key: keyA })).json().error.code).toBe("no_oauth");
    expect((await t.call({ method: "GET", url: "/api/oauth/plain/authorize", key: keyA })).json().error.code).toBe("no_oauth");

    const badName = await sdkCall("integrations.get", ["no spaces allowed"], keyA);
    expect(badName.statusCode).toBe(422);
    expect(badName.json().error.fields[0].path).toBe("name");
    const badMapping = await sdkCall("integrations.upsertMapping", ["plain", { entityName: "x" }, { scope: orgA }]);
    expect(badMapping.json().error.fields).toEqual([expect.objectContaining({ path: "mapping.entityId" })]);
    const badOption = await sdkCall("integrations.get", ["plain", { scop: orgA }], keyA);
    expect(badOption.json().error.fields[0]).toMatchObject({ path: "options" });
  });

  it("an organization's key sees only its own mapping", async () => {
    expect((await t.call({ method: "GET", url: `/api/integrations/app/mappings/${orgA}`, key: keyA })).json()).toMatchObject({ entityId: "tenant-a" });
    expect((await t.call({ method: "GET", url: `/api/integrations/app/mappings/${orgA}`, key: keyB })).statusCode).toBe(403);
    expect((await t.call({ method: "GET", url: "/api/integrations/app/mappings", key: keyB })).json()).toEqual({ mappings: [] });
    expect((await t.call({ method: "GET", url: `/api/integrations/app/mappings?scope=${orgA}`, key: keyB })).statusCode).toBe(403);
    expect((await t.call({ method: "GET", url: "/api/integrations/app/mappings", key: keyA })).json().mappings.map((m: { scope: string }) => m.scope)).toEqual([orgA]);
    expect((await t.call({ method: "GET", url: `/api/integrations/app/mappings/${orgB}` })).statusCode).toBe(404);

    const inRun = await exec("mappingsOf", { name: "app" }, keyA);
    expect(inRun.result).toMatchObject({ list: [orgA], one: { entityId: "tenant-a", entityName: "Alpha Tenant" } });
    expect(inRun.result.all).toContainEqual(["app", "not_connected"]);
    expect((await exec("mappingsOf", { name: "app", scope: orgA }, keyB)).result).toMatchObject({ failed: true, code: "forbidden" });
  });
});

describe("authorization code with PKCE", () => {
  it("redirects to the provider with state and an S256 challenge, and stores the tokens from the callback", async () => {
    const { start, done } = await connect("app", keyA);
    const location = new URL(start.headers.location as string);
    expect(location.origin + location.pathname).toBe(`${oauth.url}/auth`);
    const q = Object.fromEntries(location.searchParams);
    expect(q).toMatchObject({
      response_type: "code",
      client_id: CLIENTS.post.id,
      redirect_uri: CALLBACK,
      scope: "openid offline_access",
      code_challenge_method: "S256",
      ui_locales: "en",
    });
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(start.headers["cache-control"]).toBe("no-store");

    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ integration: "app", scope: orgA, entityId: "tenant-a", connection: { status: "connected", hasRefreshToken: true } });
    expect(oauth.count("authorization_code", "tenant-a")).toBe(1);
    expect((await mappingOf("app", orgA)).connection).toMatchObject({ status: "connected", hasRefreshToken: true, lastError: null });

    // Sealed at rest: neither token appears in the database.
    const tokens = await tokensOf("app", keyA);
    expect(await oauth.introspect(tokens.accessToken)).toMatchObject({ clientId: CLIENTS.post.id, sub: "user-1" });
    const rows = await t.platform.engine.database.db.selectFrom("integration_connections").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(tokens.accessToken);
    expect(JSON.stringify(rows)).not.toContain(tokens.refreshToken);
    // The connection's audit event, committed with the tokens: who started it, never a token.
    const events = (await t.call({ method: "GET", url: `/api/audit?action=integration.connect&target=app/${orgA}` })).json().events;
    expect(events).toEqual([expect.objectContaining({ orgId: orgA, actor: expect.objectContaining({ kind: "anonymous", name: "OAuth callback" }), details: expect.objectContaining({ startedBy: expect.any(String) }) })]);
    expect(JSON.stringify(events)).not.toContain(tokens.accessToken);
  });

  it("hands API clients the URL as JSON (GET ?format=json or POST)", async () => {
    const viaGet = await t.call({ method: "GET", url: "/api/oauth/app/authorize?format=json", key: keyA });
    const viaPost = await t.call({ method: "POST", url: "/api/oauth/app/authorize", key: keyA });
    for (const res of [viaGet, viaPost]) {
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ redirectUri: CALLBACK, state: expect.any(String), expiresAt: expect.any(String) });
      expect(new URL(body.authorizeUrl).searchParams.get("state")).toBe(body.state);
    }
    // Admins authorize on an organization's behalf with ?scope=; others cannot.
    expect((await t.call({ method: "GET", url: `/api/oauth/app/authorize?format=json&scope=${orgA}` })).statusCode).toBe(200);
    expect((await t.call({ method: "GET", url: `/api/oauth/app/authorize?scope=${orgA}`, key: keyB })).statusCode).toBe(403);
    expect((await t.call({ method: "GET", url: "/api/oauth/app/authorize", key: keyB })).json().error).toMatchObject({ code: "not_mapped" });
    expect((await t.call({ method: "GET", url: "/api/oauth/app/authorize", key: null })).statusCode).toBe(401);
    expect((await t.call({ method: "GET", url: "/api/oauth/app/authorize?format=xml", key: keyA })).statusCode).toBe(422);
  });

  it("rejects a replayed, unknown, missing or expired state with a clear 400", async () => {
    const { back, done } = await connect("app", keyA);
    expect(done.statusCode).toBe(200);
    const replay = await t.call({ method: "GET", url: back.pathname + back.search, key: null });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toMatchObject({ code: "invalid_state", message: expect.stringMatching(/already used/) });

    const unknown = await t.call({ method: "GET", url: `/api/oauth/callback?code=abc&state=${randomBytes(32).toString("base64url")}`, key: null });
    expect(unknown.json().error.code).toBe("invalid_state");
    expect((await t.call({ method: "GET", url: "/api/oauth/callback?code=abc", key: null })).json().error).toMatchObject({ code: "invalid_state", message: expect.stringMatching(/no state/) });

    const started = (await t.call({ method: "GET", url: "/api/oauth/app/authorize?format=json", key: keyA })).json();
    await t.platform.engine.database.db
      .updateTable("oauth_states")
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where("state_hash", "=", createHash("sha256").update(started.state).digest("hex"))
      .execute();
    const late = await oauth.authorize(started.authorizeUrl);
    const expired = await t.call({ method: "GET", url: late.pathname + late.search, key: null });
    expect(expired.statusCode).toBe(400);
    expect(expired.json().error.message).toMatch(/expired/);
    // Browsers get a page, not JSON.
    const page = await t.call({ method: "GET", url: late.pathname + late.search, key: null, headers: { accept: "text/html" } });
    expect(page.statusCode).toBe(400);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toMatch(/Unknown or already used OAuth state/);
  });

  it("reports the provider's refusal, and the provider enforces PKCE", async () => {
    const started = (await t.call({ method: "GET", url: "/api/oauth/app/authorize?format=json", key: keyA })).json();
    const denied = await t.call({ method: "GET", url: `/api/oauth/callback?error=access_denied&error_description=User+said+no&state=${started.state}`, key: null });
    expect(denied.statusCode).toBe(400);
    expect(denied.json().error).toMatchObject({ code: "authorization_failed", message: 'Integration "app": the provider did not authorize: access_denied (User said no)' });

    // Without the challenge the provider refuses: the successful flows above did use PKCE.
    const again = (await t.call({ method: "GET", url: "/api/oauth/app/authorize?format=json", key: keyA })).json();
    const stripped = new URL(again.authorizeUrl);
    stripped.searchParams.delete("code_challenge");
    stripped.searchParams.delete("code_challenge_method");
    const back = await oauth.authorize(stripped.toString());
    const res = await t.call({ method: "GET", url: back.pathname + back.search, key: null });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/invalid_request \(.*PKCE/);
  });

  it("a wrong client secret is a clear error and stores nothing", async () => {
    const body = appDefinition("badsecret", "/token");
    body.oauth.clientSecret = "not-the-secret";
    expect((await define(body)).statusCode).toBe(201);
    expect((await mapTo("badsecret", orgA, { entityId: "tenant-a" })).statusCode).toBe(201);
    const { done } = await connect("badsecret", keyA);
    expect(done.statusCode).toBe(502);
    expect(done.json().error).toMatchObject({
      code: "oauth_rejected",
      message: expect.stringMatching(/^Integration "badsecret": exchanging the authorization code failed: the provider answered invalid_client .*check the integration's client id and secret/),
    });
    expect(done.body).not.toContain("not-the-secret");
    expect((await mappingOf("badsecret", orgA)).connection).toEqual({ status: "not_connected", expiresAt: null, scopes: null, hasRefreshToken: false, lastError: null, updatedAt: null });
    const rows = await t.platform.engine.database.db
      .selectFrom("integration_connections")
      .innerJoin("integration_mappings", "integration_mappings.id", "integration_connections.mapping_id")
      .innerJoin("integrations", "integrations.id", "integration_mappings.integration_id")
      .where("integrations.name", "=", "badsecret")
      .select("integration_connections.mapping_id")
      .execute();
    expect(rows).toEqual([]);
  });
});

describe("integrations.get", () => {
  it("gives a run the mapping with a valid token, redacted from its record", async () => {
    const e = await exec("useIntegration", { name: "app", probe: `${api.url}/me` }, keyA);
    expect(e.status, JSON.stringify(e)).toBe("Success");
    expect(e.result).toMatchObject({
      entityId: "tenant-a",
      entityName: "Alpha Tenant",
      config: { region: "eu", seats: 5 },
      baseUrl: api.url,
      scope: orgA,
      token: "[REDACTED]",
      status: 200,
      canRefresh: true,
      keys: ["accessToken", "expiresAt", "refreshToken", "scopes", "tokenType"],
    });
    expect(e.logs[0].message).toBe("token [REDACTED] refresh [REDACTED]");
    const tokens = await tokensOf("app", keyA);
    expect(createHash("sha256").update(tokens.accessToken).digest("hex").slice(0, 16)).toBe(e.result.tokenHash);
    const stored = (await t.call({ method: "GET", url: `/api/executions/${e.id}`, key: keyA })).body;
    expect(stored).not.toContain(tokens.accessToken);
    expect(stored).not.toContain(tokens.refreshToken);
  });

  it("refreshes a token about to expire, and oauth.refresh() renews on demand", async () => {
    oauth.accessTtl = 2; // new tokens live 2 s: stale after 1 s (half their life)
    const forced = await t.call({ method: "POST", url: "/api/integrations/app/refresh", key: keyA });
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json()).toMatchObject({ scope: orgA, connection: { status: "connected" } });
    expect(forced.body).not.toMatch(/accessToken|refreshToken/);
    const short = await tokensOf("app", keyA);
    oauth.accessTtl = 3600;
    const before = oauth.count("refresh_token");
    await new Promise((r) => setTimeout(r, 1100));
    const e = await exec("useIntegration", { name: "app", probe: `${api.url}/me` }, keyA);
    expect(e.result).toMatchObject({ status: 200 });
    expect(oauth.count("refresh_token")).toBe(before + 1);
    const renewed = await tokensOf("app", keyA);
    expect(renewed.accessToken).not.toBe(short.accessToken);
    expect(renewed.refreshToken).not.toBe(short.refreshToken); // the provider rotates refresh tokens
    expect(Date.parse(renewed.expiresAt) - Date.now()).toBeGreaterThan(3000_000);
    expect(oauth.grants.filter((g) => g.grantType === "refresh_token").every((g) => g.ok && g.tenant === "tenant-a")).toBe(true);

    // Fresh: no refresh. Forced from a run: one refresh, the object updated in place.
    await exec("useIntegration", { name: "app" }, keyA);
    expect(oauth.count("refresh_token")).toBe(before + 1);
    const f = await exec("forceRefresh", { name: "app" }, keyA);
    expect(f.result.sameObject).toBe(true);
    expect(f.result.after).not.toBe(f.result.before);
    expect(oauth.count("refresh_token")).toBe(before + 2);
  });

  it("refreshes once when many runs and API calls ask at the same moment", async () => {
    oauth.accessTtl = 2;
    await t.call({ method: "POST", url: "/api/integrations/app/refresh", key: keyA });
    oauth.accessTtl = 3600;
    await new Promise((r) => setTimeout(r, 1100)); // now stale
    const before = oauth.count("refresh_token");
    const [runs, calls] = await Promise.all([
      Promise.all([1, 2, 3, 4, 5, 6].map(() => exec("useIntegration", { name: "app", probe: `${api.url}/me` }, keyA))),
      Promise.all([1, 2, 3, 4].map(() => sdkCall("integrations.get", ["app"], keyA))),
    ]);
    expect(oauth.count("refresh_token")).toBe(before + 1);
    expect(oauth.grants.filter((g) => g.grantType === "refresh_token" && !g.ok)).toEqual([]);
    expect(new Set(runs.map((r) => r.result.tokenHash)).size).toBe(1);
    expect(runs.every((r) => r.result.status === 200)).toBe(true);
    const hashes = calls.map((c) => createHash("sha256").update(c.json().value.oauth.accessToken).digest("hex").slice(0, 16));
    expect(new Set([...hashes, runs[0].result.tokenHash]).size).toBe(1);
  });

  it("getClient sends the token, and retries once after a forced refresh on 401", async () => {
    const ok = await exec("callApi", { name: "app", path: "/me" }, keyA);
    expect(ok.result).toMatchObject({ ok: true, baseUrl: api.url, body: { clientId: CLIENTS.post.id, sub: "user-1", path: "/me", query: "n=1&tags=a&tags=b" } });

    // The provider revokes the access token: the API answers 401, the client refreshes and retries.
    await oauth.destroyAccessToken((await tokensOf("app", keyA)).accessToken);
    const refreshes = oauth.count("refresh_token");
    const hits = api.hits.length;
    const retried = await exec("callApi", { name: "app", path: "/me" }, keyA);
    expect(retried.result).toMatchObject({ ok: true, body: { sub: "user-1" } });
    expect(api.hits.slice(hits).map((h) => h.status)).toEqual([401, 200]);
    expect(oauth.count("refresh_token")).toBe(refreshes + 1);

    // A second 401 is the answer: one retry, not a loop.
    const refused = await exec("callApi", { name: "app", path: "/always-401" }, keyA);
    expect(refused.result).toMatchObject({ ok: false, code: "http_error", status: 401, message: expect.stringMatching(/^GET .*\/always-401\?n=1.* answered HTTP 401/) });
    expect(api.hits.filter((h) => h.path === "/always-401")).toHaveLength(2);
    expect(oauth.count("refresh_token")).toBe(refreshes + 2);
  });

  it("another organization's key can neither read nor change the mapping or connection", async () => {
    const before = await mappingOf("app", orgA);
    const attempts = [
      await sdkCall("integrations.get", ["app", { scope: orgA }], keyB),
      await sdkCall("integrations.refresh", ["app", { scope: orgA }], keyB),
      await sdkCall("integrations.getMapping", ["app", { scope: orgA }], keyB),
      await sdkCall("integrations.deleteMapping", ["app", { scope: orgA }], keyB),
      await t.call({ method: "POST", url: `/api/integrations/app/refresh?scope=${orgA}`, key: keyB }),
      await t.call({ method: "DELETE", url: `/api/integrations/app/connection?scope=${orgA}`, key: keyB }),
      await t.call({ method: "DELETE", url: `/api/integrations/app/mappings/${orgA}`, key: keyB }),
      await mapTo("app", orgA, { entityId: "tenant-b", config: { region: "us" } }, keyB),
    ];
    expect(attempts.map((r) => r.statusCode)).toEqual([403, 403, 403, 403, 403, 403, 403, 403]);
    expect((await exec("useIntegration", { name: "app", scope: orgA }, keyB)).result).toMatchObject({ failed: true, code: "forbidden" });
    expect((await exec("useIntegration", { name: "app" }, keyB)).result).toMatchObject({ failed: true, code: "not_mapped", message: expect.stringMatching(/"app" is not mapped for organization "Beta"/) });
    expect(await mappingOf("app", orgA)).toEqual(before);
  });

  it("works from outside through the external SDK (HTTP)", async () => {
    const path = join(import.meta.dirname, `../../../.ext-integ-${randomBytes(4).toString("hex")}.mjs`);
    writeFileSync(
      path,
      `import { integrations } from "bifrost";
const m = await integrations.get("app");
const probe = await fetch(${JSON.stringify(`${api.url}/me`)}, { headers: { authorization: "Bearer " + m.oauth.accessToken } });
const client = await integrations.getClient("app");
const me = await client.get("/me");
const mappings = (await integrations.listMappings("app")).map((x) => x.scope);
let other = null;
try { await integrations.getMapping("app", { scope: process.env.OTHER_ORG }); } catch (e) { other = e.code + ":" + e.status; }
console.log(JSON.stringify({ entityId: m.entityId, status: probe.status, sub: me.sub, mappings, other, refresh: typeof m.oauth.refresh }));`,
    );
    try {
      const { stdout } = await run(process.execPath, [path], {
        env: { PATH: process.env.PATH ?? "", BIFROST_URL: t.platform.url!, BIFROST_API_KEY: keyA, OTHER_ORG: orgB },
        cwd: join(import.meta.dirname, "../../.."),
      });
      expect(JSON.parse(stdout)).toEqual({ entityId: "tenant-a", status: 200, sub: "user-1", mappings: [orgA], other: "forbidden:403", refresh: "function" });
    } finally {
      rmSync(path, { force: true });
    }
  });

  it("a revoked refresh token is a clear error and marks the connection needs_reauth; authorizing again clears it", async () => {
    const body = appDefinition("revocable", "/token");
    expect((await define(body)).statusCode).toBe(201);
    expect((await mapTo("revocable", orgA, { entityId: "tenant-a" })).statusCode).toBe(201);
    oauth.accessTtl = 2;
    expect((await connect("revocable", keyA)).done.statusCode).toBe(200);
    oauth.accessTtl = 3600;
    await oauth.revoke((await tokensOf("revocable", keyA)).refreshToken, CLIENTS.post);
    await new Promise((r) => setTimeout(r, 1100)); // stale: the next get must refresh

    const failed = await exec("useIntegration", { name: "revocable" }, keyA);
    expect(failed.result).toMatchObject({ failed: true, code: "needs_reauth", status: 409 });
    expect(failed.result.message).toMatch(/^Integration "revocable" needs re-authorization for organization "Alpha" \(the provider refused the refresh token: invalid_grant.*\): connect it again: GET \/api\/oauth\/revocable\/authorize$/);
    expect(oauth.grants.at(-1)).toMatchObject({ grantType: "refresh_token", ok: false, error: "invalid_grant" });
    const mapping = await mappingOf("revocable", orgA);
    expect(mapping.connection).toMatchObject({ status: "needs_reauth", hasRefreshToken: false, lastError: expect.stringMatching(/invalid_grant/) });
    expect((await t.call({ method: "GET", url: "/api/integrations/revocable/mappings", key: keyA })).json().mappings[0].connection.status).toBe("needs_reauth");

    // No further attempts with a dead refresh token: the error is immediate.
    const refreshes = oauth.count("refresh_token");
    const again = await sdkCall("integrations.get", ["revocable"], keyA);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("needs_reauth");
    expect((await t.call({ method: "POST", url: "/api/integrations/revocable/refresh", key: keyA })).statusCode).toBe(409);
    expect(oauth.count("refresh_token")).toBe(refreshes);

    expect((await connect("revocable", keyA)).done.statusCode).toBe(200);
    expect((await mappingOf("revocable", orgA)).connection).toMatchObject({ status: "connected", lastError: null });
    expect((await exec("useIntegration", { name: "revocable", probe: `${api.url}/me` }, keyA)).result).toMatchObject({ status: 200 });
  });

  it("changing the entity id drops the connection; disconnecting forgets the tokens", async () => {
    expect((await mapTo("revocable", orgA, { entityId: "tenant-b" })).statusCode).toBe(200);
    expect((await mappingOf("revocable", orgA)).connection.status).toBe("not_connected");
    expect((await sdkCall("integrations.get", ["revocable"], keyA)).json().error).toMatchObject({ code: "not_connected", message: expect.stringMatching(/is not connected for organization "Alpha"/) });
    expect((await connect("revocable", keyA)).done.statusCode).toBe(200);
    expect((await t.call({ method: "DELETE", url: "/api/integrations/revocable/connection", key: keyA })).statusCode).toBe(204);
    expect((await t.call({ method: "DELETE", url: "/api/integrations/revocable/connection", key: keyA })).statusCode).toBe(404);
    expect((await mappingOf("revocable", orgA)).connection.status).toBe("not_connected");
    // One event for the one disconnection (the 404 changed nothing).
    expect((await t.call({ method: "GET", url: `/api/audit?action=integration.disconnect&target=revocable/${orgA}` })).json().events).toHaveLength(1);
  });
});

describe("client credentials", () => {
  it("fetches a token on demand at the entity's token URL and caches it until near expiry", async () => {
    const created = await define({
      name: "service",
      baseUrl: `${api.url}/`,
      oauth: { flow: "client_credentials", tokenUrl: `${oauth.url}/t/{entityId}/token`, scopes: ["api:read"], clientId: CLIENTS.basic.id, clientSecret: CLIENTS.basic.secret, clientAuth: "basic" },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await mapTo("service", orgA, { entityId: "tenant-a" })).statusCode).toBe(201);
    expect((await mapTo("service", orgB, { entityId: "tenant-b", config: { baseUrl: `${api.url}/{entityId}` } })).statusCode).toBe(201);
    expect((await t.call({ method: "GET", url: "/api/oauth/service/authorize", key: keyA })).json().error).toMatchObject({ code: "wrong_flow" });

    const a = await exec("useIntegration", { name: "service", probe: `${api.url}/me` }, keyA);
    expect(a.result).toMatchObject({ entityId: "tenant-a", status: 200, baseUrl: `${api.url}/` });
    expect(oauth.count("client_credentials", "tenant-a")).toBe(1);
    const b = await exec("useIntegration", { name: "service", probe: `${api.url}/me` }, keyB);
    expect(b.result).toMatchObject({ entityId: "tenant-b", status: 200, baseUrl: `${api.url}/tenant-b` });
    expect(oauth.count("client_credentials", "tenant-b")).toBe(1);
    expect(a.result.tokenHash).not.toBe(b.result.tokenHash);

    await exec("useIntegration", { name: "service" }, keyA);
    const client = await exec("callApi", { name: "service", path: "/me" }, keyA);
    expect(client.result).toMatchObject({ ok: true, body: { clientId: CLIENTS.basic.id, sub: null } });
    expect(oauth.count("client_credentials", "tenant-a")).toBe(1);
    expect((await mappingOf("service", orgA)).connection).toMatchObject({ status: "connected", hasRefreshToken: false, scopes: "api:read" });

    // Near expiry: fetched again.
    oauth.accessTtl = 2;
    await t.call({ method: "POST", url: "/api/integrations/service/refresh", key: keyA });
    oauth.accessTtl = 3600;
    expect(oauth.count("client_credentials", "tenant-a")).toBe(2);
    await new Promise((r) => setTimeout(r, 1100));
    await Promise.all([1, 2, 3].map(() => exec("useIntegration", { name: "service" }, keyA)));
    expect(oauth.count("client_credentials", "tenant-a")).toBe(3);
  });

  it("a wrong secret, an unknown tenant, a provider down or hanging are clear errors and store nothing", async () => {
    const cc = (name: string, tokenUrl: string, secret = CLIENTS.post.secret) =>
      define({ name, oauth: { flow: "client_credentials", tokenUrl, scopes: ["api:read"], clientId: CLIENTS.post.id, clientSecret: secret } });
    expect((await cc("wrongsecret", `${oauth.url}/token`, "nope")).statusCode).toBe(201);
    expect((await cc("down", `http://127.0.0.1:${await freePort()}/token`)).statusCode).toBe(201);
    expect((await cc("hanging", `http://127.0.0.1:${hangingPort}/token`)).statusCode).toBe(201);
    expect((await cc("tenanted", `${oauth.url}/t/{entityId}/token`)).statusCode).toBe(201);
    for (const name of ["wrongsecret", "down", "hanging"]) expect((await mapTo(name, orgA, { entityId: "tenant-a" })).statusCode).toBe(201);
    expect((await mapTo("tenanted", orgA, { entityId: "no such/tenant" })).statusCode).toBe(201);

    const wrong = await sdkCall("integrations.get", ["wrongsecret"], keyA);
    expect(wrong.statusCode).toBe(502);
    expect(wrong.json().error.message).toMatch(/^Integration "wrongsecret": fetching a client-credentials token failed: the provider answered invalid_client \(client authentication failed\); check the integration's client id and secret$/);
    const inRun = await exec("useIntegration", { name: "wrongsecret" }, keyA);
    expect(inRun.result).toMatchObject({ failed: true, code: "oauth_rejected", status: 502 });
    expect((await mappingOf("wrongsecret", orgA)).connection).toMatchObject({ status: "not_connected", hasRefreshToken: false });

    const down = await sdkCall("integrations.get", ["down"], keyA);
    expect(down.statusCode).toBe(502);
    expect(down.json().error).toMatchObject({ code: "provider_unreachable", message: expect.stringMatching(/^Integration "down": .*could not be reached \(ECONNREFUSED\)/) });

    const startedAt = Date.now();
    const slow = await sdkCall("integrations.get", ["hanging"], keyA);
    expect(slow.statusCode).toBe(504);
    expect(slow.json().error).toMatchObject({ code: "provider_timeout", message: expect.stringMatching(/did not answer within 1500 ms/) });
    expect(Date.now() - startedAt).toBeLessThan(5000);

    const tenant = await sdkCall("integrations.get", ["tenanted"], keyA);
    expect(tenant.statusCode).toBe(502);
    expect(tenant.json().error).toMatchObject({ code: "oauth_invalid_response", message: expect.stringMatching(/answered HTTP 404: no such tenant/) });
  });
});

describe("a token endpoint that echoes the request", () => {
  it("never hands the client secret to the caller in its error", async () => {
    const { createServer } = await import("node:http");
    const echo = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        if (req.url === "/json") {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "invalid_request", error_description: `got ${body} with ${req.headers.authorization ?? "no auth"}` }));
        } else {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`upstream said: ${body} ${req.headers.authorization ?? ""}`);
        }
      });
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    const port = (echo.address() as { port: number }).port;
    const secret = "echoed-client-secret-5f3a91";
    try {
      for (const [name, path, clientAuth] of [["echojson", "json", "post"], ["echotext", "text", "basic"]] as const) {
        const created = await define({ name, oauth: { flow: "client_credentials", tokenUrl: `http://127.0.0.1:${port}/${path}`, clientId: "echo", clientSecret: secret, clientAuth } });
        expect(created.statusCode, created.body).toBe(201);
        expect((await mapTo(name, orgA, { entityId: "tenant-a" })).statusCode).toBe(201);
        const res = await sdkCall("integrations.get", [name], keyA);
        expect(res.statusCode).toBe(502);
        expect(res.body).not.toContain(secret);
        expect(res.body).not.toContain(Buffer.from(`echo:${secret}`).toString("base64"));
        expect(res.json().error.message).toContain("[REDACTED]");
      }
    } finally {
      echo.close();
    }
  });
});

describe("organizations", () => {
  it("deleting an organization deletes its mappings and connections", async () => {
    const { orgId, key } = await createOrgWithKey(t, "Gamma");
    expect((await mapTo("service", orgId, { entityId: "tenant-b" })).statusCode).toBe(201);
    expect((await exec("useIntegration", { name: "service" }, key)).result).toMatchObject({ entityId: "tenant-b" });
    const count = async (table: "integration_mappings") =>
      Number((await t.platform.engine.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).where("organization_id", "=", orgId).executeTakeFirstOrThrow()).n);
    expect(await count("integration_mappings")).toBe(1);
    expect((await t.call({ method: "DELETE", url: `/api/organizations/${orgId}` })).statusCode).toBe(204);
    expect(await count("integration_mappings")).toBe(0);
    const orphans = await t.platform.engine.database.db
      .selectFrom("integration_connections")
      .leftJoin("integration_mappings", "integration_mappings.id", "integration_connections.mapping_id")
      .where("integration_mappings.id", "is", null)
      .select("integration_connections.mapping_id")
      .execute();
    expect(orphans).toEqual([]);
    expect((await t.call({ method: "GET", url: "/api/integrations/service/mappings" })).json().mappings.map((m: { scope: string }) => m.scope).sort()).toEqual([orgA, orgB].sort());
  });

  it("deleting an integration deletes its mappings", async () => {
    expect((await t.call({ method: "DELETE", url: "/api/integrations/badsecret" })).statusCode).toBe(204);
    expect((await t.call({ method: "DELETE", url: "/api/integrations/badsecret" })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/integrations/badsecret/mappings" })).statusCode).toBe(404);
  });
});

describe("the background refresher", () => {
  it("renews tokens about to expire without anyone asking, marks refused ones needs_reauth, and stops with the platform", async () => {
    // Its own platform: the redirect URI comes from the request (no BIFROST_PUBLIC_URL), the job runs every second.
    const bg = await startTestPlatform({}, { PORT: String(bgPort), HOST: "127.0.0.1", BIFROST_OAUTH_REFRESH_INTERVAL_SECONDS: "1" }, { listen: true });
    try {
      const http = (path: string, init: RequestInit = {}) =>
        fetch(`${bg.platform.url}${path}`, { redirect: "manual", ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", ...init.headers } });
      const body = appDefinition("bg");
      expect((await http("/api/integrations", { method: "POST", body: JSON.stringify(body) })).status).toBe(201);
      expect((await http("/api/integrations/bg/mappings/global", { method: "PUT", body: JSON.stringify({ entityId: "tenant-bg" }) })).status).toBe(201);

      oauth.accessTtl = 4;
      const start = await http("/api/oauth/bg/authorize");
      expect(start.status).toBe(302);
      const location = new URL(start.headers.get("location")!);
      expect(location.searchParams.get("redirect_uri")).toBe(`http://127.0.0.1:${bgPort}/api/oauth/callback`);
      const back = await oauth.authorize(location.toString());
      const done = await fetch(back, { headers: { accept: "text/html" } });
      expect(done.status).toBe(200);
      expect(await done.text()).toMatch(/Integration &#34;bg&#34; is connected/);

      await eventually(() => (oauth.count("refresh_token", "tenant-bg") >= 2 ? true : undefined), 15_000, "two background refreshes");
      expect(oauth.grants.filter((g) => g.tenant === "tenant-bg" && !g.ok)).toEqual([]);

      // A refused refresh token: the job marks the connection.
      const current = (await (await http("/api/sdk/call", { method: "POST", body: JSON.stringify({ method: "integrations.get", args: ["bg", { scope: "global" }] }) })).json()) as {
        value: { oauth: { refreshToken: string } };
      };
      await oauth.revoke(current.value.oauth.refreshToken, CLIENTS.post);
      const marked = await eventually(async () => {
        const m = (await (await http("/api/integrations/bg/mappings/global")).json()) as { connection: { status: string; lastError: string } };
        return m.connection.status === "needs_reauth" ? m : undefined;
      }, 15_000, "needs_reauth");
      expect(marked.connection.lastError).toMatch(/invalid_grant/);

      // Reconnected, then the platform closes: no refresh after that.
      expect((await fetch(await oauth.authorize((await http("/api/oauth/bg/authorize")).headers.get("location")!))).status).toBe(200);
    } finally {
      await bg.close();
      oauth.accessTtl = 3600;
    }
    const after = oauth.count("refresh_token", "tenant-bg");
    await new Promise((r) => setTimeout(r, 2500));
    expect(oauth.count("refresh_token", "tenant-bg")).toBe(after);
  });
});

describe.each(["sqlite", "postgres"] as const)("processes sharing one %s database", (dialect) => {
  it("spend a refresh token once when they all renew at the same moment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-integ-"));
    const schema = `bf_${randomBytes(6).toString("hex")}`;
    const url = dialect === "sqlite" ? join(dir, "shared.db") : (process.env.BIFROST_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test");
    const options = dialect === "sqlite" ? {} : { schema };
    const dbs: Database[] = [];
    try {
      // Two "processes": each its own database handle, repository, broker and service.
      for (let n = 0; n < 2; n++) dbs.push(await openDatabase(url, options));
      const box = new SecretBox(randomBytes(32));
      const services = dbs.map((d) => {
        const repo = new IntegrationsRepo(d.db, box);
        return {
          repo,
          service: new IntegrationsService({
            repo,
            broker: new TokenBroker({ repo, timeoutMs: 3000 }),
            organizations: new OrganizationsRepo(d.db),
            validator: new InputValidator(),
            redactor: new Redactor(),
            timeoutMs: 3000,
          }),
        };
      });
      const admin: SdkCaller = { orgId: null, orgName: null, isPlatformAdmin: true, keyId: "k", userName: "admin", executionId: null, depth: 0 };
      const [first, second] = services as [(typeof services)[0], (typeof services)[0]];
      const body = appDefinition(`shared-${dialect}`);
      await first.service.create(admin, { ...body, oauth: { ...body.oauth, flow: "authorization_code", clientAuth: "post", authorizeUrl: body.oauth.authorizeUrl } });
      await first.service.upsertMapping(admin, body.name, { entityId: "tenant-x", config: {} }, { scope: "global" });

      oauth.accessTtl = 2;
      const started = await first.service.startAuthorization(admin, body.name, { redirectUri: CALLBACK });
      const back = await oauth.authorize(started.authorizeUrl);
      await second.service.completeAuthorization(Object.fromEntries(back.searchParams));
      oauth.accessTtl = 3600;
      await new Promise((r) => setTimeout(r, 1100));

      const before = oauth.count("refresh_token", "tenant-x");
      const got = await Promise.all([first, second, first, second, first, second].map((s) => s.service.access(admin, body.name)));
      expect(oauth.count("refresh_token", "tenant-x")).toBe(before + 1);
      expect(oauth.grants.filter((g) => g.tenant === "tenant-x" && !g.ok)).toEqual([]);
      expect(new Set(got.map((g) => g.oauth!.accessToken)).size).toBe(1);
      expect(await oauth.introspect(got[0]!.oauth!.accessToken)).not.toBeNull();
    } finally {
      oauth.accessTtl = 3600;
      if (dialect === "postgres" && dbs[0]) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(dbs[0].db);
      await Promise.all(dbs.map((d) => d.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
