import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { requireAdmin } from "../../auth.js";
import { notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";

const CreateKey = z
  .object({
    name: z.string().trim().min(1, "is required").max(200),
    /** The organization the key acts for; null or absent = a platform-admin key. */
    organizationId: z.string().nullable().optional(),
  })
  .strict();

/** API keys: created (the key is shown once), listed without secrets, revoked. Platform admins only. */
export function apiKeysRoutes(
  app: FastifyInstance,
  deps: { apiKeys: ApiKeysRepo; organizations: OrganizationsRepo; evict: (keyId: string) => void },
): void {
  app.post("/api/api-keys", async (request, reply) => {
    requireAdmin(request);
    const body = parseBody(CreateKey, request.body);
    const orgId = body.organizationId ?? null;
    if (orgId && !(await deps.organizations.get(orgId))) throw notFound(`Organization ${orgId}`);
    const { key, apiKey } = await deps.apiKeys.create(orgId, body.name);
    return reply.status(201).send({ ...apiKey, key });
  });

  app.get<{ Querystring: { organizationId?: string } }>("/api/api-keys", async (request) => {
    requireAdmin(request);
    const org = request.query.organizationId;
    return { apiKeys: await deps.apiKeys.list(org === undefined ? undefined : org === "" || org === "null" ? null : org) };
  });

  app.delete<{ Params: { id: string } }>("/api/api-keys/:id", async (request, reply) => {
    requireAdmin(request);
    if (!(await deps.apiKeys.revoke(request.params.id))) throw notFound("API key");
    deps.evict(request.params.id);
    return reply.status(204).send();
  });
}
