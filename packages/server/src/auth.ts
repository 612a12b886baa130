import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hashApiKey, type ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { ExecutionPrincipal } from "@bifrost/storage/executions.repo.js";
import type { SessionsRepo } from "@bifrost/storage/sessions.repo.js";
import type { User, UsersRepo } from "@bifrost/storage/users.repo.js";
import type { RolesRepo } from "@bifrost/storage/roles.repo.js";
import { cookiesOf, CSRF_HEADER, SESSION_COOKIE } from "./cookies.js";
import { forbidden, HttpError, notFound } from "./http-error.js";
import type { RateLimiter } from "./rate-limiter.js";

/**
 * The built-in levels (docs/users-and-roles.md):
 * - `platformAdmin`: everything (the env admin key, platform keys, admin users);
 * - `mspMember`: a non-admin MSP user (no organization): runs workflows and forms in every organization;
 * - `orgAdmin`: manages one organization (organization API keys, customer admins);
 * - `orgMember`: a customer user: runs what it is granted, sees its own runs.
 */
export type Level = "platformAdmin" | "mspMember" | "orgAdmin" | "orgMember";
export const LEVELS: readonly Level[] = ["platformAdmin", "mspMember", "orgAdmin", "orgMember"];

/** Who is calling, and in which organization the request acts. */
export interface Principal {
  /** `user`: a signed-in session; `apiKey`: a bearer key (a personal key has a `userId` too). */
  kind: "apiKey" | "user";
  level: Level;
  /** The API key (null for sessions). */
  keyId: string | null;
  /** The key's name, or the user's name. */
  keyName: string;
  userId: string | null;
  email: string | null;
  /** The user's session (cookie-authenticated requests). */
  sessionId: string | null;
  isPlatformAdmin: boolean;
  /** The organization the key or user belongs to (null = platform / MSP). */
  homeOrgId: string | null;
  /** A platform-admin user without two-factor sign-in while BIFROST_REQUIRE_MFA_FOR_ADMINS is on: only its own routes (enrol) answer. */
  mfaPending: boolean;
  /** A person's role names (lower-cased), checked against `access`; null = not restricted (platform admins, keys without a user). */
  roles: string[] | null;
  /** The organization acted in; null = global scope (an MSP user or platform admin without X-Bifrost-Org). */
  orgId: string | null;
  orgName: string | null;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const CACHE_TTL_MS = 30_000;
/** A session's last use is written at most this often. */
const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The principal of an authenticated request (routes behind `authenticate` always have one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpError(401, "unauthorized", "Missing API key: send Authorization: Bearer <key>");
  return request.principal;
}

export function requireAdmin(request: FastifyRequest): Principal {
  const p = principalOf(request);
  if (!p.isPlatformAdmin) throw forbidden("Only platform admins may do this");
  return p;
}

export function executionPrincipal(p: Principal): ExecutionPrincipal {
  return { keyId: p.keyId, userName: p.keyName, email: p.email, orgName: p.orgName, isPlatformAdmin: p.isPlatformAdmin };
}

/** A user's level: platform admin, MSP member (no organization), or its organization's admin or member. */
export function levelOf(user: Pick<User, "isPlatformAdmin" | "organizationId" | "isOrgAdmin">): Level {
  if (user.isPlatformAdmin) return "platformAdmin";
  if (user.organizationId === null) return "mspMember";
  return user.isOrgAdmin ? "orgAdmin" : "orgMember";
}

/** Whether the level acts in any organization it names (MSP side) rather than only in its own. */
export const actsAnywhere = (level: Level): boolean => level === "platformAdmin" || level === "mspMember";

/**
 * Looks a presented key up unless its client address failed too often: an address over
 * the limit gets 429 with Retry-After before any lookup, whatever key it sends (a right
 * guess is no different from a wrong one then), and each failed lookup counts against it.
 * Other addresses are not affected. API keys and endpoint keys share one count.
 */
export async function lookUpKey<T>(failures: RateLimiter, request: FastifyRequest, reply: FastifyReply, lookup: () => Promise<T | null>): Promise<T | null> {
  const wait = await failures.check(request.ip);
  if (wait > 0) {
    reply.header("retry-after", String(wait));
    throw new HttpError(429, "too_many_auth_failures", `Too many failed authentications from this address: retry in ${wait} s`);
  }
  const found = await lookup();
  if (found === null) await failures.take(request.ip);
  return found;
}

export interface AuthDeps {
  apiKeys: ApiKeysRepo;
  organizations: OrganizationsRepo;
  users: UsersRepo;
  sessions: SessionsRepo;
  roles: RolesRepo;
  adminApiKey: string | null;
  failures: RateLimiter;
  /** A session ends when unused this long. */
  sessionIdleMs: number;
  /** BIFROST_REQUIRE_MFA_FOR_ADMINS. */
  requireMfaForAdmins: boolean;
}

interface KeyIdentity {
  keyId: string;
  keyName: string;
  keyOrgId: string | null;
  keyOrgName: string | null;
  userId: string | null;
}

type Identity = Omit<Principal, "orgId" | "orgName"> & { homeOrgName: string | null };

/**
 * Who a request is: a bearer API key (`Authorization: Bearer`), else a session cookie.
 * Keys are looked up by their SHA-256 (stored hashed); the admin key from
 * BIFROST_ADMIN_API_KEY is compared in constant time; key lookups are cached briefly and
 * revoking a key through the API evicts it at once. A personal key's user and a session's
 * user are read on every request, so disabling a user stops both at once.
 *
 * Cookie-authenticated writes must echo the session's CSRF token in X-Bifrost-CSRF (403
 * otherwise); bearer requests need none. X-Bifrost-Org picks the organization: any for
 * platform admins and MSP users (404 when it does not exist), only its own for
 * organization keys and customer users (403).
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): { evict(keyId: string): void; evictOrg(orgId: string): void } {
  const adminHash = deps.adminApiKey ? Buffer.from(hashApiKey(deps.adminApiKey), "hex") : null;
  const cache = new Map<string, { key: KeyIdentity; expires: number }>();

  async function identifyKey(hash: string): Promise<KeyIdentity | null> {
    const hit = cache.get(hash);
    if (hit && hit.expires > Date.now()) return hit.key;
    let key: KeyIdentity;
    if (adminHash && timingSafeEqual(adminHash, Buffer.from(hash, "hex"))) {
      key = { keyId: "env-admin", keyName: "BIFROST_ADMIN_API_KEY", keyOrgId: null, keyOrgName: null, userId: null };
    } else {
      const found = await deps.apiKeys.findActiveByHash(hash);
      if (!found) return null;
      const org = found.orgId ? await deps.organizations.get(found.orgId) : null;
      if (found.orgId && !org) return null;
      key = { keyId: found.id, keyName: found.name, keyOrgId: found.orgId, keyOrgName: org?.name ?? null, userId: found.userId };
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { key, expires: Date.now() + CACHE_TTL_MS });
    return key;
  }

  async function userIdentity(user: User, extra: { kind: Principal["kind"]; keyId: string | null; keyName: string; sessionId: string | null }): Promise<Identity | null> {
    if (user.disabled) return null;
    const org = user.organizationId ? await deps.organizations.get(user.organizationId) : null;
    if (user.organizationId && !org) return null;
    const level = levelOf(user);
    const roles = level === "platformAdmin" ? null : (await deps.roles.rolesOf(user.id)).map((r) => r.name.toLowerCase());
    const mfaPending = deps.requireMfaForAdmins && level === "platformAdmin" && !user.mfaEnabled;
    return { ...extra, level, roles, mfaPending, userId: user.id, email: user.email, isPlatformAdmin: level === "platformAdmin", homeOrgId: user.organizationId, homeOrgName: org?.name ?? null };
  }

  async function fromKey(request: FastifyRequest, reply: FastifyReply, presented: string): Promise<Identity> {
    const key = await lookUpKey(deps.failures, request, reply, () => identifyKey(hashApiKey(presented)));
    if (!key) throw new HttpError(401, "unauthorized", "Invalid or revoked API key");
    if (key.userId) {
      const user = await deps.users.get(key.userId);
      const identity = user ? await userIdentity(user, { kind: "apiKey", keyId: key.keyId, keyName: key.keyName, sessionId: null }) : null;
      if (!identity) throw new HttpError(401, "unauthorized", "This key's user is disabled or gone");
      return identity;
    }
    const level: Level = key.keyOrgId === null ? "platformAdmin" : "orgAdmin";
    return {
      kind: "apiKey",
      level,
      roles: null,
      mfaPending: false,
      keyId: key.keyId,
      keyName: key.keyName,
      userId: null,
      email: null,
      sessionId: null,
      isPlatformAdmin: level === "platformAdmin",
      homeOrgId: key.keyOrgId,
      homeOrgName: key.keyOrgName,
    };
  }

  async function fromSession(request: FastifyRequest, token: string): Promise<Identity> {
    const session = await deps.sessions.findLive(token, deps.sessionIdleMs);
    const user = session ? await deps.users.get(session.userId) : null;
    const identity = session && user ? await userIdentity(user, { kind: "user", keyId: null, keyName: user.name, sessionId: session.id }) : null;
    if (!session || !identity) throw new HttpError(401, "unauthorized", "Your session has ended: sign in again");
    if (!SAFE_METHODS.has(request.method)) {
      const header = request.headers[CSRF_HEADER];
      const sent = Buffer.from(String((Array.isArray(header) ? header[0] : header) ?? ""));
      const expected = Buffer.from(session.csrfToken);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
        throw forbidden(`Cookie-authenticated writes must send the session's CSRF token in ${CSRF_HEADER} (GET /api/auth/me returns it)`);
      }
    }
    if (Date.now() - Date.parse(session.lastSeenAt) > TOUCH_EVERY_MS) await deps.sessions.touch(session.id);
    return identity;
  }

  /**
   * The organization a request asks to act in: `X-Bifrost-Org`, or for a GET without it an
   * `org` query parameter (a browser's EventSource cannot send headers). Both get the same
   * checks below.
   */
  function requestedOrg(request: FastifyRequest): string | undefined {
    const header = request.headers["x-bifrost-org"];
    const fromHeader = Array.isArray(header) ? header[0] : header;
    if (fromHeader || !SAFE_METHODS.has(request.method)) return fromHeader;
    const raw = (request.query as Record<string, unknown> | undefined)?.org;
    const fromQuery = Array.isArray(raw) ? raw[0] : raw;
    return typeof fromQuery === "string" && fromQuery ? fromQuery : undefined;
  }

  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request, reply) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const cookie = match ? undefined : cookiesOf(request)[SESSION_COOKIE];
    if (!match && !cookie) throw new HttpError(401, "unauthorized", "Missing API key: send Authorization: Bearer <key>, or sign in");
    const found = match ? await fromKey(request, reply, match[1]!) : await fromSession(request, cookie!);
    const wanted = requestedOrg(request);
    let orgId = found.homeOrgId;
    let orgName = found.homeOrgName;
    if (wanted) {
      if (!actsAnywhere(found.level)) {
        if (wanted !== found.homeOrgId) throw forbidden(found.userId ? "A customer user can only act in its own organization" : "An organization key can only act in its own organization");
      } else {
        const org = await deps.organizations.get(wanted);
        if (!org) throw notFound(`Organization ${wanted}`);
        orgId = org.id;
        orgName = org.name;
      }
    }
    const { homeOrgName: _, ...identity } = found;
    request.principal = { ...identity, orgId, orgName };
  });

  return {
    evict(keyId: string) {
      for (const [hash, entry] of cache) if (entry.key.keyId === keyId) cache.delete(hash);
    },
    evictOrg(orgId: string) {
      for (const [hash, entry] of cache) if (entry.key.keyOrgId === orgId) cache.delete(hash);
    },
  };
}
