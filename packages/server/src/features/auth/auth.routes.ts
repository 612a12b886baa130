import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { actorOf, audit } from "../audit/audit.js";
import { principalOf } from "../../auth.js";
import { cookiesOf, CSRF_COOKIE, secureCookies, SESSION_COOKIE, setCookie } from "../../cookies.js";
import { forbidden, HttpError, notFound, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { RateLimiter } from "../../rate-limiter.js";
import type { UsersDeps, UsersService } from "../users/users.service.js";
import type { SecretBox } from "@bifrost/storage/secret-box.js";
import { checkSecondFactor } from "./mfa.routes.js";
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblems, verifyPassword } from "./passwords.js";

export interface SignInDeps extends UsersDeps {
  service: UsersService;
  /** Failed authentications per client address (shared with bad API keys). */
  failures: RateLimiter;
  /** Failed sign-ins per account. */
  accountFailures: RateLimiter;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** Seals TOTP secrets. */
  box: SecretBox;
}

export const Login = z
  .object({
    email: z.string().trim().min(1, "is required").max(320),
    password: z.string().min(1, "is required").max(MAX_PASSWORD_LENGTH * 4),
    /** With two-factor sign-in on: the authenticator's current code, or a recovery code. */
    code: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

const Password = z.string().max(MAX_PASSWORD_LENGTH * 4);
export const SetPassword = z.object({ password: Password }).strict();
export const ChangePassword = z.object({ currentPassword: Password, newPassword: Password }).strict();
export const Setup = z
  .object({ token: z.string().min(1).max(200), email: z.email("must be an e-mail address"), name: z.string().trim().min(1, "is required").max(200), password: Password })
  .strict();

const invalidLink = (reason: "unknown" | "expired" | "used") =>
  reason === "unknown" ? notFound("Link") : new HttpError(410, reason === "expired" ? "link_expired" : "link_used", reason === "expired" ? "This link has expired: ask for a new one" : "This link was already used: ask for a new one");

/**
 * A sign-in form posted from another site is refused: when the browser names an Origin it
 * must be this server's (or BIFROST_PUBLIC_URL's). Requests without one (curl, tests) pass.
 */
function checkOrigin(request: FastifyRequest, publicUrl: string | null): void {
  const origin = request.headers.origin;
  if (!origin) return;
  const own = new Set([`${request.protocol}://${request.host}`, ...(publicUrl ? [new URL(publicUrl).origin] : [])]);
  if (!own.has(origin)) throw forbidden(`Cross-site request from ${origin} refused`);
}

/** Starts a fresh session for the user (ending any session the request came with) and sets its cookies. */
export async function startSession(deps: SignInDeps, request: FastifyRequest, reply: FastifyReply, userId: string, action: string, details?: Record<string, unknown>) {
  // Session fixation: whatever session cookie came in is ended; the new one is fresh.
  const previous = cookiesOf(request)[SESSION_COOKIE];
  const old = previous ? await deps.sessions.findLive(previous, deps.sessionIdleMs) : null;
  // (Inside a transaction only `trx` may be used: SQLite has one connection.)
  const { token, session } = await deps.db.transaction().execute(async (trx) => {
    if (old) await deps.sessions.revoke(old.id, trx);
    const created = await deps.sessions.create(userId, { absoluteMs: deps.sessionAbsoluteMs, ip: request.ip, userAgent: request.headers["user-agent"] ?? null }, trx);
    await deps.users.touchLogin(userId, trx);
    const user = (await deps.users.get(userId, trx))!;
    await audit(deps.audit, request, { action, target: userId, orgId: user.organizationId, actor: { kind: "user", id: userId, name: user.email }, details }, trx);
    return created;
  });
  const secure = secureCookies(request, deps.publicUrl);
  const maxAge = Math.floor(deps.sessionAbsoluteMs / 1000);
  setCookie(reply, SESSION_COOKIE, token, { httpOnly: true, secure, maxAge });
  setCookie(reply, CSRF_COOKIE, session.csrfToken, { httpOnly: false, secure, maxAge });
  const user = (await deps.users.get(userId))!;
  return { user: await deps.service.view(user), csrfToken: session.csrfToken, expiresAt: session.expiresAt };
}

/** Sign-in, first-admin setup and one-time links: no principal needed (public plugin). */
export function signInRoutes(app: FastifyInstance, deps: SignInDeps): void {
  /** An id no user has (users get random UUIDs v4; this one is not v4). */
  const NO_SUCH_USER = "00000000-0000-0000-0000-000000000000";
  app.post("/api/auth/login", async (request, reply) => {
    checkOrigin(request, deps.publicUrl);
    const { email, password, code } = parseBody(Login, request.body);
    const account = email.toLowerCase();
    const wait = Math.max(await deps.failures.check(request.ip), await deps.accountFailures.check(account));
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      throw new HttpError(429, "too_many_sign_in_attempts", `Too many failed sign-ins: retry in ${wait} s`);
    }
    const user = await deps.users.findByEmail(account);
    // The same query for an unknown account (an id no user has): no extra round trip to time.
    const credentials = await deps.users.credentials(user?.id ?? NO_SUCH_USER);
    // Unknown accounts are checked against a filler hash: both failures take as long and read the same.
    const ok = (await verifyPassword(credentials?.passwordHash ?? null, password)) && user !== null && !user.disabled;
    if (!ok || !user) {
      await Promise.all([deps.failures.take(request.ip), deps.accountFailures.take(account)]);
      await audit(deps.audit, request, { action: "auth.login_failed", target: user?.id ?? null, orgId: user?.organizationId ?? null, actor: actorOf(null), details: { email: account } });
      throw new HttpError(401, "invalid_credentials", "Wrong e-mail or password");
    }
    if (credentials?.mfaEnabled) {
      // The password was right: the second factor is asked for (not counted as a failure).
      if (!code) throw new HttpError(401, "mfa_required", "Send the code from your authenticator app (or a recovery code) in `code`");
      if (!(await checkSecondFactor(deps.users, user.id, deps.box, credentials, code))) {
        await Promise.all([deps.failures.take(request.ip), deps.accountFailures.take(account)]);
        await audit(deps.audit, request, { action: "auth.login_failed", target: user.id, orgId: user.organizationId, actor: actorOf(null), details: { email: account, reason: "second factor" } });
        throw new HttpError(401, "invalid_mfa_code", "Wrong or expired code");
      }
    }
    return startSession(deps, request, reply, user.id, "auth.login");
  });

  app.post("/api/auth/setup", async (request, reply) => {
    checkOrigin(request, deps.publicUrl);
    const body = parseBody(Setup, request.body);
    const problems = passwordProblems(body.password, "password");
    if (problems.length) throw validationFailed(problems);
    const passwordHash = await hashPassword(body.password);
    const peeked = await deps.tokens.peek(body.token);
    if (!peeked.ok || peeked.token.purpose !== "setup") throw invalidLink(peeked.ok ? "unknown" : peeked.reason);
    const userId = await deps.db.transaction().execute(async (trx) => {
      if ((await deps.users.countActiveAdmins(trx)) > 0) throw new HttpError(409, "already_set_up", "A platform admin exists already: sign in");
      const redeemed = await deps.tokens.redeem(body.token, trx);
      if (!redeemed.ok) throw invalidLink(redeemed.reason);
      const user = await deps.users.create({ email: body.email, name: body.name, organizationId: null, isPlatformAdmin: true, passwordHash }, trx);
      await audit(deps.audit, request, { action: "user.create", target: user.id, orgId: null, actor: { kind: "user", id: user.id, name: user.email }, details: { email: user.email, level: "platformAdmin", firstAdmin: true } }, trx);
      return user.id;
    });
    return reply.status(201).send(await startSession(deps, request, reply, userId, "auth.login"));
  });

  app.get<{ Params: { token: string } }>("/api/auth/invites/:token", async (request) => {
    const peeked = await deps.tokens.peek(request.params.token);
    if (!peeked.ok || peeked.token.purpose === "setup" || !peeked.token.userId) throw invalidLink(peeked.ok ? "unknown" : peeked.reason);
    const user = await deps.users.get(peeked.token.userId);
    if (!user) throw invalidLink("unknown");
    return { purpose: peeked.token.purpose, email: user.email, name: user.name, expiresAt: peeked.token.expiresAt };
  });

  /** Sets the password of an invited user, or of one whose admin reset it; every session of the user ends. */
  app.post<{ Params: { token: string } }>("/api/auth/invites/:token", async (request) => {
    checkOrigin(request, deps.publicUrl);
    const { password } = parseBody(SetPassword, request.body);
    const peeked = await deps.tokens.peek(request.params.token);
    if (!peeked.ok || peeked.token.purpose === "setup" || !peeked.token.userId) throw invalidLink(peeked.ok ? "unknown" : peeked.reason);
    const user = await deps.users.get(peeked.token.userId);
    if (!user) throw invalidLink("unknown");
    const problems = passwordProblems(password, "password");
    if (problems.length) throw validationFailed(problems);
    const passwordHash = await hashPassword(password);
    await deps.db.transaction().execute(async (trx) => {
      const redeemed = await deps.tokens.redeem(request.params.token, trx);
      if (!redeemed.ok) throw invalidLink(redeemed.reason);
      await deps.users.setPassword(user.id, passwordHash, trx);
      await deps.sessions.revokeAllOf(user.id, null, trx);
      const action = peeked.token.purpose === "invite" ? "user.invite_accepted" : "user.password_reset";
      await audit(deps.audit, request, { action, target: user.id, orgId: user.organizationId, actor: { kind: "user", id: user.id, name: user.email } }, trx);
    });
    return { user: await deps.service.view((await deps.users.get(user.id))!) };
  });
}

/** The signed-in principal's own routes (family `self`): who am I, sign out, change password. */
export function selfRoutes(app: FastifyInstance, deps: SignInDeps): void {
  app.get("/api/auth/me", async (request) => {
    const p = principalOf(request);
    const user = p.userId ? await deps.users.get(p.userId) : null;
    const session = p.sessionId ? (await deps.sessions.listLive(p.userId!)).find((s) => s.id === p.sessionId) : null;
    const view = user ? await deps.service.view(user) : null;
    return {
      kind: p.kind,
      // The CLI's fields (`bifrost login`, `whoami`): the key, and where the request acts.
      keyId: p.keyId,
      keyName: p.keyName,
      isPlatformAdmin: p.isPlatformAdmin,
      organizationId: p.orgId,
      organizationName: p.orgName,
      level: p.level,
      /** The organization the key or user belongs to (null = platform / MSP). */
      homeOrganizationId: p.homeOrgId,
      user: view,
      apiKey: p.keyId ? { id: p.keyId, name: p.keyName } : null,
      roles: view?.roles ?? [],
      organizations: await deps.service.organizationsOf(p),
      csrfToken: session?.csrfToken ?? null,
      sessionExpiresAt: session?.expiresAt ?? null,
    };
  });

  app.post("/api/auth/logout", async (request, reply) => {
    const p = principalOf(request);
    if (p.sessionId) {
      await deps.db.transaction().execute(async (trx) => {
        await deps.sessions.revoke(p.sessionId!, trx);
        await audit(deps.audit, request, { action: "auth.logout", target: p.userId, orgId: p.homeOrgId }, trx);
      });
    }
    const secure = secureCookies(request, deps.publicUrl);
    setCookie(reply, SESSION_COOKIE, "", { httpOnly: true, secure, maxAge: 0 });
    setCookie(reply, CSRF_COOKIE, "", { httpOnly: false, secure, maxAge: 0 });
    return reply.status(204).send();
  });

  /** Changes one's own password: every other session of the user ends. */
  app.post("/api/auth/password", async (request) => {
    const p = principalOf(request);
    if (!p.userId) throw forbidden("Only users have passwords");
    const { currentPassword, newPassword } = parseBody(ChangePassword, request.body);
    const credentials = await deps.users.credentials(p.userId);
    if (!(await verifyPassword(credentials?.passwordHash ?? null, currentPassword))) {
      throw validationFailed([{ path: "currentPassword", message: "is wrong" }]);
    }
    const problems = passwordProblems(newPassword, "newPassword");
    if (problems.length) throw validationFailed(problems);
    const passwordHash = await hashPassword(newPassword);
    const ended = await deps.db.transaction().execute(async (trx) => {
      await deps.users.setPassword(p.userId!, passwordHash, trx);
      const ended = await deps.sessions.revokeAllOf(p.userId!, p.sessionId, trx);
      await audit(deps.audit, request, { action: "user.password_change", target: p.userId, orgId: p.homeOrgId, details: { sessionsEnded: ended } }, trx);
      return ended;
    });
    return { changed: true, sessionsEnded: ended };
  });
}
