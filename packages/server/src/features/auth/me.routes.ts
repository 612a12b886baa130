import type { FastifyInstance } from "fastify";
import { principalOf } from "../../auth.js";

/**
 * `GET /api/auth/me`: who the credential in use is, so a client (the CLI's `login` and
 * `whoami`) can check a key and show what it may do. Read-only; answers for API keys
 * today (users and sessions will add `kind: "user"`).
 */
export function meRoutes(app: FastifyInstance): void {
  app.get("/api/auth/me", async (req) => {
    const p = principalOf(req);
    return {
      kind: "apiKey" as const,
      keyId: p.keyId,
      keyName: p.keyName,
      isPlatformAdmin: p.isPlatformAdmin,
      // The organization the request acts in: an organization key's own, or the
      // X-Bifrost-Org a platform admin sent; null = the global scope.
      organizationId: p.orgId,
      organizationName: p.orgName,
    };
  });
}
