import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { principalOf, requireAdmin } from "../../auth.js";
import { forbidden, notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";

export const OrganizationInput = z.object({ name: z.string().trim().min(1, "is required").max(200) }).strict();

/** Organizations (SPEC §2 `organizations`): platform admins manage them; members read their own. */
export function organizationsRoutes(app: FastifyInstance, deps: { organizations: OrganizationsRepo; audit: AuditRepo; onDelete: (id: string) => void }): void {
  app.get("/api/organizations", async (request) => {
    const p = principalOf(request);
    if (p.isPlatformAdmin) return { organizations: await deps.organizations.list() };
    const own = p.orgId ? await deps.organizations.get(p.orgId) : null;
    return { organizations: own ? [own] : [] };
  });

  app.post("/api/organizations", async (request, reply) => {
    requireAdmin(request);
    const { name } = parseBody(OrganizationInput, request.body);
    // Each change commits with its audit event.
    const created = await deps.organizations.create(name, new Date(), (db, org) => audit(deps.audit, request, { action: "organization.create", target: org.id, orgId: org.id, details: { name } }, db));
    return reply.status(201).send(created);
  });

  app.get<{ Params: { id: string } }>("/api/organizations/:id", async (request) => {
    const p = principalOf(request);
    if (!p.isPlatformAdmin && p.orgId !== request.params.id) throw notFound("Organization");
    return (await deps.organizations.get(request.params.id)) ?? Promise.reject(notFound("Organization"));
  });

  app.patch<{ Params: { id: string } }>("/api/organizations/:id", async (request) => {
    requireAdmin(request);
    const { name } = parseBody(OrganizationInput, request.body);
    const renamed = await deps.organizations.rename(request.params.id, name, new Date(), (db) =>
      audit(deps.audit, request, { action: "organization.rename", target: request.params.id, orgId: request.params.id, details: { name } }, db),
    );
    return renamed ?? Promise.reject(notFound("Organization"));
  });

  app.delete<{ Params: { id: string } }>("/api/organizations/:id", async (request, reply) => {
    const p = principalOf(request);
    if (!p.isPlatformAdmin) throw forbidden("Only platform admins may delete organizations");
    const id = request.params.id;
    if (!(await deps.organizations.delete(id, (db) => audit(deps.audit, request, { action: "organization.delete", target: id, orgId: id }, db)))) throw notFound("Organization");
    deps.onDelete(request.params.id);
    return reply.status(204).send();
  });
}
