import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hashApiKey, type ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { ExecutionPrincipal } from "@bifrost/storage/executions.repo.js";
import { forbidden, HttpError, notFound } from "./http-error.js";
import type { RateLimiter } from "./rate-limiter.js";

/** Who is calling, and in which organization the request acts. */
export interface Principal {
  keyId: string;
  keyName: string;
  isPlatformAdmin: boolean;
  /** The organization acted in; null = global scope (a platform admin without X-Bifrost-Org). */
  orgId: string | null;
  orgName: string | null;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const CACHE_TTL_MS = 30_000;

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
  return { keyId: p.keyId, userName: p.keyName, email: null, orgName: p.orgName, isPlatformAdmin: p.isPlatformAdmin };
}

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

/**
 * Bearer API keys. Keys are looked up by their SHA-256 (stored hashed); the admin key from
 * BIFROST_ADMIN_API_KEY is compared in constant time. Lookups are cached briefly; revoking
 * a key through the API evicts it at once.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: { apiKeys: ApiKeysRepo; organizations: OrganizationsRepo; adminApiKey: string | null; failures: RateLimiter },
): { evict(keyId: string): void; evictOrg(orgId: string): void } {
  const adminHash = deps.adminApiKey ? Buffer.from(hashApiKey(deps.adminApiKey), "hex") : null;
  const cache = new Map<string, { principal: Omit<Principal, "orgId" | "orgName"> & { keyOrgId: string | null; keyOrgName: string | null }; expires: number }>();

  async function identify(hash: string) {
    const hit = cache.get(hash);
    if (hit && hit.expires > Date.now()) return hit.principal;
    if (adminHash && timingSafeEqual(adminHash, Buffer.from(hash, "hex"))) {
      const principal = { keyId: "env-admin", keyName: "BIFROST_ADMIN_API_KEY", isPlatformAdmin: true, keyOrgId: null, keyOrgName: null };
      cache.set(hash, { principal, expires: Date.now() + CACHE_TTL_MS });
      return principal;
    }
    const key = await deps.apiKeys.findActiveByHash(hash);
    if (!key) return null;
    const org = key.orgId ? await deps.organizations.get(key.orgId) : null;
    if (key.orgId && !org) return null;
    const principal = { keyId: key.id, keyName: key.name, isPlatformAdmin: key.orgId === null, keyOrgId: key.orgId, keyOrgName: org?.name ?? null };
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { principal, expires: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request, reply) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new HttpError(401, "unauthorized", "Missing API key: send Authorization: Bearer <key>");
    const found = await lookUpKey(deps.failures, request, reply, () => identify(hashApiKey(match[1]!)));
    if (!found) throw new HttpError(401, "unauthorized", "Invalid or revoked API key");
    const requested = request.headers["x-bifrost-org"];
    const wanted = Array.isArray(requested) ? requested[0] : requested;
    let orgId = found.keyOrgId;
    let orgName = found.keyOrgName;
    if (wanted) {
      if (!found.isPlatformAdmin) {
        if (wanted !== found.keyOrgId) throw forbidden("An organization key can only act in its own organization");
      } else {
        const org = await deps.organizations.get(wanted);
        if (!org) throw notFound(`Organization ${wanted}`);
        orgId = org.id;
        orgName = org.name;
      }
    }
    request.principal = { keyId: found.keyId, keyName: found.keyName, isPlatformAdmin: found.isPlatformAdmin, orgId, orgName };
  });

  return {
    evict(keyId: string) {
      for (const [hash, entry] of cache) if (entry.principal.keyId === keyId) cache.delete(hash);
    },
    evictOrg(orgId: string) {
      for (const [hash, entry] of cache) if (entry.principal.keyOrgId === orgId) cache.delete(hash);
    },
  };
}
