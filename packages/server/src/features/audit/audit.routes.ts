import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { actsAnywhere, principalOf } from "../../auth.js";
import { forbidden } from "../../http-error.js";
import { isoDate, parseBody } from "../../parse.js";

export const AuditQuery = z
  .object({
    organizationId: z.string().min(1).optional(),
    /** An exact action (`user.create`) or a prefix ending in a dot (`user.`). */
    action: z.string().min(1).max(100).optional(),
    actorId: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** GET /api/audit: platform admins see every event, organization admins their organization's. */
export function auditRoutes(app: FastifyInstance, deps: { audit: AuditRepo }): void {
  app.get("/api/audit", async (req) => {
    const p = principalOf(req);
    const q = parseBody(AuditQuery, req.query);
    let orgId = q.organizationId;
    if (!actsAnywhere(p.level)) {
      if (orgId !== undefined && orgId !== p.homeOrgId) throw forbidden("An organization admin sees its own organization's events only");
      orgId = p.homeOrgId ?? undefined;
    }
    const page = await deps.audit.list({ ...q, orgId });
    return { events: page.events, limit: q.limit, offset: q.offset, hasMore: page.hasMore };
  });
}
