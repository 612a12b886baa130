import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import { principalOf } from "../../auth.js";
import { forbidden, notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { audit } from "../audit/audit.js";

export const CreateKey = z
  .object({
    name: z.string().trim().min(1, "is required").max(200),
    /** The organization the key acts for; null or absent = a platform-admin key. Not for personal keys. */
    organizationId: z.string().nullable().optional(),
  })
  .strict();

/**
 * API keys: created (the key is shown once), listed without secrets, revoked. A signed-in
 * user (or a personal key) creates personal keys, which act with that user's rights and
 * never more; platform admins (the admin key, platform keys, or a platform admin naming
 * `organizationId`) create organization and platform keys.
 */
export function apiKeysRoutes(
  app: FastifyInstance,
  deps: { db: Kysely<Schema>; apiKeys: ApiKeysRepo; organizations: OrganizationsRepo; audit: AuditRepo; evict: (keyId: string) => void },
): void {
  app.post("/api/api-keys", async (request, reply) => {
    const p = principalOf(request);
    const body = parseBody(CreateKey, request.body);
    // A platform admin (signed in, or with a personal key) naming organizationId makes an
    // organization key (null: a platform key), which belongs to no user.
    if (p.userId && !(p.isPlatformAdmin && body.organizationId !== undefined)) {
      if (body.organizationId !== undefined) throw forbidden("A personal key acts as you, in your organization: organizationId is for platform admins' keys");
      const { key, apiKey } = await deps.db.transaction().execute(async (trx) => {
        const created = await deps.apiKeys.create(p.homeOrgId, body.name, new Date(), p.userId, trx);
        await audit(deps.audit, request, { action: "api_key.create", target: created.apiKey.id, orgId: p.homeOrgId, details: { name: body.name, personal: true } }, trx);
        return created;
      });
      return reply.status(201).send({ ...apiKey, key });
    }
    if (!p.isPlatformAdmin) throw forbidden("Only platform admins may do this");
    const orgId = body.organizationId ?? null;
    if (orgId && !(await deps.organizations.get(orgId))) throw notFound(`Organization ${orgId}`);
    const { key, apiKey } = await deps.db.transaction().execute(async (trx) => {
      const created = await deps.apiKeys.create(orgId, body.name, new Date(), null, trx);
      await audit(deps.audit, request, { action: "api_key.create", target: created.apiKey.id, orgId, details: { name: body.name } }, trx);
      return created;
    });
    return reply.status(201).send({ ...apiKey, key });
  });

  app.get<{ Querystring: { organizationId?: string; mine?: string } }>("/api/api-keys", async (request) => {
    const p = principalOf(request);
    const org = request.query.organizationId;
    const orgFilter = org === undefined ? undefined : org === "" || org === "null" ? null : org;
    if (p.isPlatformAdmin && !(p.userId && request.query.mine === "true")) return { apiKeys: await deps.apiKeys.list(orgFilter) };
    if (!p.userId) throw forbidden("Only platform admins may do this");
    return { apiKeys: await deps.apiKeys.list(undefined, p.userId) };
  });

  app.delete<{ Params: { id: string } }>("/api/api-keys/:id", async (request, reply) => {
    const p = principalOf(request);
    const key = await deps.apiKeys.get(request.params.id);
    // Someone else's key is not found, unless a platform admin asks.
    if (!key || key.revokedAt || (!p.isPlatformAdmin && (!p.userId || key.userId !== p.userId))) {
      if (!p.isPlatformAdmin && !p.userId) throw forbidden("Only platform admins may do this");
      throw notFound("API key");
    }
    await deps.db.transaction().execute(async (trx) => {
      await deps.apiKeys.revoke(key.id, new Date(), trx);
      await audit(deps.audit, request, { action: "api_key.revoke", target: key.id, orgId: key.orgId, details: { name: key.name } }, trx);
    });
    deps.evict(key.id);
    return reply.status(204).send();
  });
}
