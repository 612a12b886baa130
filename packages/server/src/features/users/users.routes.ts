import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { parseBody } from "../../parse.js";
import type { UsersRepo } from "@bifrost/storage/users.repo.js";
import type { UsersService } from "./users.service.js";

export const NewUser = z
  .object({
    email: z.email("must be an e-mail address").max(320),
    name: z.string().trim().min(1, "is required").max(200),
    /** null or absent = an MSP user (platform admins only); organization admins' users join their organization. */
    organizationId: z.string().min(1).nullable().optional(),
    isPlatformAdmin: z.boolean().optional(),
    isOrgAdmin: z.boolean().optional(),
    /** Without one the answer carries a one-time invite link that sets it. */
    password: z.string().max(1024).optional(),
  })
  .strict();

export const PatchUser = z
  .object({
    email: z.email("must be an e-mail address").max(320).optional(),
    name: z.string().trim().min(1, "is required").max(200).optional(),
    isPlatformAdmin: z.boolean().optional(),
    isOrgAdmin: z.boolean().optional(),
    disabled: z.boolean().optional(),
    /** Moves the user (platform admins only): an organization's id, or null for the MSP. */
    organizationId: z.string().min(1).nullable().optional(),
  })
  .strict();

export const ListQuery = z
  .object({
    organizationId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** Users: platform admins manage all, organization admins their organization's (others are 404). */
export function usersRoutes(app: FastifyInstance, deps: { service: UsersService; users: UsersRepo }): void {
  const { service } = deps;

  app.get("/api/users", async (req) => {
    const p = principalOf(req);
    const q = parseBody(ListQuery, req.query);
    const org = q.organizationId === undefined ? undefined : q.organizationId === "null" ? null : q.organizationId;
    const page = await deps.users.list({ organizationId: service.listScope(p, org), limit: q.limit, offset: q.offset });
    return { users: await Promise.all(page.users.map((u) => service.view(u))), total: page.total, limit: q.limit, offset: q.offset };
  });

  app.post("/api/users", async (req, reply) => reply.status(201).send(await service.create(req, parseBody(NewUser, req.body))));

  app.get<{ Params: { id: string } }>("/api/users/:id", async (req) => service.view(await service.managed(principalOf(req), req.params.id)));

  app.patch<{ Params: { id: string } }>("/api/users/:id", async (req) => service.update(req, req.params.id, parseBody(PatchUser, req.body)));

  app.delete<{ Params: { id: string } }>("/api/users/:id", async (req, reply) => {
    await service.delete(req, req.params.id);
    return reply.status(204).send();
  });

  /** A one-time link that sets a new password, returned to the admin (no e-mail is sent). */
  app.post<{ Params: { id: string } }>("/api/users/:id/password-reset", async (req, reply) => reply.status(201).send(await service.resetLink(req, req.params.id)));
}
