import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
// oidc-provider ships no types; the tests use a handful of its methods.
// @ts-expect-error untyped package
import Provider from "oidc-provider";

/**
 * A real OAuth 2 authorization server for the tests: oidc-provider on loopback, with
 * - clients for the authorization-code (PKCE required), refresh-token (rotating) and
 *   client-credentials grants, authenticating with form fields or HTTP Basic;
 * - the token endpoint also reachable per tenant at `/t/<tenant>/token` (only tenants in
 *   `tenants` exist: others are 404), to test `{entityId}` in token URLs;
 * - a login + consent "user" that approves every request, driven with redirects and cookies
 *   exactly as a browser would (`authorize(url)`);
 * - counters of every grant the token endpoint served or refused.
 */

export const CALLBACK = "http://bifrost.test/api/oauth/callback";

export interface GrantRecord {
  grantType: string;
  /** The tenant of `/t/<tenant>/token`, or null for `/token`. */
  tenant: string | null;
  ok: boolean;
  error: string | null;
}

export interface OAuthServer {
  url: string;
  /** Access-token lifetime in seconds for tokens issued from now on (authorization code, refresh, client credentials). */
  accessTtl: number;
  /** The account the next authorization signs in as (default user-1). */
  loginAs: string;
  grants: GrantRecord[];
  tenants: Set<string>;
  count(grantType: string, tenant?: string | null): number;
  /**
   * Plays the browser: follows the authorize URL through login and consent (keeping
   * cookies) and resolves the URL the provider finally redirects to (the callback).
   */
  authorize(authorizeUrl: string): Promise<URL>;
  /** Revokes a token at the provider's revocation endpoint, as its client. */
  revoke(token: string, client: { id: string; secret: string }): Promise<void>;
  /** Whether an access token (authorization code or client credentials) is valid now; the client it belongs to. */
  introspect(token: string): Promise<{ clientId: string; sub: string | null } | null>;
  /** Destroys one access token (as if the provider had revoked it). */
  destroyAccessToken(token: string): Promise<void>;
  close(): Promise<void>;
}

export const CLIENTS = {
  post: { id: "bifrost-post", secret: "post-client-secret-0123456789" },
  basic: { id: "bifrost-basic", secret: "basic-client-secret-0123456789" },
};

export async function startOAuthServer(
  port: number,
  extraRedirectUris: string[] = [],
  /** Claims of accounts beyond `sub` (e-mail, name: for single sign-on), by account id. */
  options: { accounts?: Record<string, Record<string, unknown>> } = {},
): Promise<OAuthServer> {
  const issuer = `http://127.0.0.1:${port}`;
  const state = { accessTtl: 3600, loginAs: "user-1" };
  const grants: GrantRecord[] = [];
  const tenants = new Set<string>(["tenant-a", "tenant-b", "tenant-bg", "tenant-x"]);
  const client = (c: { id: string; secret: string }, auth: string) => ({
    client_id: c.id,
    client_secret: c.secret,
    redirect_uris: [CALLBACK, ...extraRedirectUris],
    grant_types: ["authorization_code", "refresh_token", "client_credentials"],
    response_types: ["code"],
    token_endpoint_auth_method: auth,
    scope: "openid offline_access api:read email profile",
  });
  const provider = new Provider(issuer, {
    clients: [client(CLIENTS.post, "client_secret_post"), client(CLIENTS.basic, "client_secret_basic")],
    pkce: { required: () => true },
    features: { clientCredentials: { enabled: true }, revocation: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ["openid", "offline_access", "api:read", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    ttl: {
      AccessToken: () => state.accessTtl,
      ClientCredentials: () => state.accessTtl,
      AuthorizationCode: 60,
      RefreshToken: 86_400,
      Grant: 86_400,
      IdToken: 3600,
      Interaction: 600,
      Session: 600,
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx: unknown, c: { grantTypeAllowed(t: string): boolean }) => c.grantTypeAllowed("refresh_token"),
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub, ...(options.accounts?.[sub] ?? {}) }) }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["bifrost-test-cookie-key"] },
  });
  // The tenant of the request being served (set by the HTTP wrapper below).
  let tenantOf = new WeakMap<object, string>();
  const record = (ctx: { req: object; oidc?: { params?: { grant_type?: string } } }, ok: boolean, error: string | null) =>
    grants.push({ grantType: ctx.oidc?.params?.grant_type ?? "unknown", tenant: tenantOf.get(ctx.req) ?? null, ok, error });
  provider.on("grant.success", (ctx: Parameters<typeof record>[0]) => record(ctx, true, null));
  provider.on("grant.error", (ctx: Parameters<typeof record>[0], error: { error?: string; message: string }) => record(ctx, false, error.error ?? error.message));

  const handle = provider.callback();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = req.url ?? "/";
      if (url.startsWith("/interaction/")) {
        // The "user": signs in as `loginAs` (user-1) and consents to everything asked.
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === "login") {
          await provider.interactionFinished(req, res, { login: { accountId: state.loginAs } }, { mergeWithLastSubmission: false });
          return;
        }
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const missing = details.prompt.details.missingOIDCScope as string[] | undefined;
        if (missing) grant.addOIDCScope(missing.join(" "));
        await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
        return;
      }
      const tenant = /^\/t\/([^/?]+)\/token(\?.*)?$/.exec(url);
      if (tenant) {
        if (!tenants.has(decodeURIComponent(tenant[1]!))) {
          res.writeHead(404, { "content-type": "text/plain" }).end("no such tenant");
          return;
        }
        tenantOf.set(req, decodeURIComponent(tenant[1]!));
        req.url = "/token";
      }
      handle(req, res);
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  return {
    url: issuer,
    get accessTtl() {
      return state.accessTtl;
    },
    set accessTtl(seconds: number) {
      state.accessTtl = seconds;
    },
    get loginAs() {
      return state.loginAs;
    },
    set loginAs(account: string) {
      state.loginAs = account;
    },
    grants,
    tenants,
    count(grantType, tenant) {
      return grants.filter((g) => g.grantType === grantType && (tenant === undefined || g.tenant === tenant)).length;
    },
    async authorize(authorizeUrl) {
      const jar = new Map<string, string>();
      let url = new URL(authorizeUrl);
      for (let hop = 0; hop < 20; hop++) {
        if (url.origin !== issuer) return url;
        const res = await fetch(url, { redirect: "manual", headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
        for (const cookie of res.headers.getSetCookie()) {
          const pair = cookie.split(";")[0]!;
          const eq = pair.indexOf("=");
          jar.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        const location = res.headers.get("location");
        if (!location) throw new Error(`the provider answered ${res.status} without a redirect: ${await res.text()}`);
        url = new URL(location, url);
      }
      throw new Error("too many redirects at the provider");
    },
    async revoke(token, c) {
      const res = await fetch(`${issuer}/token/revocation`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, client_id: c.id, client_secret: c.secret }),
      });
      if (!res.ok) throw new Error(`revocation failed: ${res.status} ${await res.text()}`);
    },
    async introspect(token) {
      const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
      if (!found || found.isExpired) return null;
      return { clientId: found.clientId as string, sub: (found.accountId as string | undefined) ?? null };
    },
    async destroyAccessToken(token) {
      const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
      if (!found) throw new Error("no such access token");
      await found.destroy();
    },
    async close() {
      tenantOf = new WeakMap();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A resource server (an API protected by the provider's tokens): `GET /me` answers 200 with
 * the token's client and user for a valid bearer token, 401 otherwise; `GET /always-401`
 * refuses every request. Counts requests per path and status.
 */
export async function startResourceServer(oauth: OAuthServer, port: number) {
  const hits: { path: string; status: number; token: string | null }[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? null;
      const path = (req.url ?? "/").split("?")[0]!;
      const who = token && path !== "/always-401" ? await oauth.introspect(token) : null;
      const status = who ? 200 : 401;
      hits.push({ path, status, token });
      if (!who) {
        res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token"' }).end(JSON.stringify({ error: "invalid_token" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...who, path, query: (req.url ?? "").split("?")[1] ?? null }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
