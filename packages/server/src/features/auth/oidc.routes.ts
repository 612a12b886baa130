import type { FastifyInstance, FastifyRequest } from "fastify";
import { actorOf, audit } from "../audit/audit.js";
import { cookiesOf, secureCookies, setCookie } from "../../cookies.js";
import { forbidden, HttpError } from "../../http-error.js";
import { startSession, type SignInDeps } from "./auth.routes.js";
import { OidcClient, OidcError, type OidcSettings } from "./oidc-client.js";

const PENDING_COOKIE = "bifrost_oidc";
const PENDING_TTL_MS = 10 * 60_000;

export interface OidcDeps extends SignInDeps {
  oidc: OidcSettings & {
    /** Users signing in for the first time are created here (an organization id, or `msp` for MSP members); null = only existing users. */
    createUsersIn: string | null;
  };
}

/**
 * Single sign-on with OpenID Connect: `GET /api/auth/oidc/login` sends the browser to the
 * provider; `GET /api/auth/oidc/callback` signs the person in. Users are matched by their
 * **verified** e-mail, and created on first sign-in when BIFROST_OIDC_CREATE_USERS_IN says
 * where. The PKCE verifier, state and nonce wait in a sealed, HttpOnly cookie.
 */
export function oidcRoutes(app: FastifyInstance, deps: OidcDeps): void {
  const client = new OidcClient(deps.oidc);
  const callbackUrl = (request: FastifyRequest) => `${deps.publicUrl ?? `${request.protocol}://${request.host}`}/api/auth/oidc/callback`;
  const fail = (message: string) => new HttpError(401, "sso_failed", `Single sign-on failed: ${message}`);

  app.get<{ Querystring: { format?: string } }>("/api/auth/oidc/login", async (request, reply) => {
    const { url, pending } = await client.start(callbackUrl(request)).catch((error: unknown) => {
      throw new HttpError(502, "sso_unavailable", (error as Error).message);
    });
    const sealed = deps.box.seal(JSON.stringify({ ...pending, expires: Date.now() + PENDING_TTL_MS }));
    setCookie(reply, PENDING_COOKIE, sealed, { httpOnly: true, secure: secureCookies(request, deps.publicUrl), maxAge: PENDING_TTL_MS / 1000 });
    if (request.query.format === "json") return { authorizeUrl: url };
    return reply.redirect(url, 302);
  });

  app.get<{ Querystring: { code?: string; state?: string; error?: string; error_description?: string } }>("/api/auth/oidc/callback", async (request, reply) => {
    const q = request.query;
    const sealed = cookiesOf(request)[PENDING_COOKIE];
    setCookie(reply, PENDING_COOKIE, "", { httpOnly: true, secure: secureCookies(request, deps.publicUrl), maxAge: 0 });
    if (q.error) throw fail(`the provider answered ${q.error}${q.error_description ? `: ${q.error_description}` : ""}`);
    let pending: { state: string; verifier: string; nonce: string; redirectUri: string; expires: number };
    try {
      pending = JSON.parse(deps.box.open(sealed ?? "")) as typeof pending;
    } catch {
      throw fail("this browser did not start the sign-in (no or a tampered sign-in cookie): start again");
    }
    if (pending.expires < Date.now()) throw fail("the sign-in took too long: start again");
    if (!q.state || q.state !== pending.state) throw fail("the state does not match this browser's sign-in");
    if (!q.code) throw fail("the provider sent no code");
    const identity = await client.finish(q.code, pending).catch((error: unknown) => {
      throw error instanceof OidcError ? fail(error.message) : error;
    });
    const denied = async (message: string) => {
      await audit(deps.audit, request, { action: "auth.login_failed", target: null, orgId: null, actor: actorOf(null), details: { email: identity.email, sso: true, reason: message } });
      return forbidden(`Single sign-on: ${message}`);
    };
    if (!identity.email || !identity.emailVerified) throw await denied("the provider did not vouch for an e-mail address (email_verified)");
    let user = await deps.users.findByEmail(identity.email);
    if (!user) {
      const target = deps.oidc.createUsersIn;
      if (!target) throw await denied(`no user has the e-mail ${identity.email.toLowerCase()}: ask an admin to invite you`);
      const organizationId = target === "msp" ? null : target;
      if (organizationId && !(await deps.organizations.get(organizationId))) throw await denied(`the organization for new users (${organizationId}) does not exist`);
      user = await deps.db.transaction().execute(async (trx) => {
        const created = await deps.users.create({ email: identity.email!, name: identity.name ?? identity.email!, organizationId }, trx);
        await audit(deps.audit, request, { action: "user.create", target: created.id, orgId: organizationId, actor: { kind: "user", id: created.id, name: created.email }, details: { email: created.email, sso: true } }, trx);
        return created;
      });
    }
    if (user.disabled) throw await denied("this user is disabled");
    const session = await startSession(deps, request, reply, user.id, "auth.login", { sso: true, sub: identity.sub });
    if ((request.headers.accept ?? "").includes("application/json")) return session;
    return reply.redirect("/", 302);
  });
}
