import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { DuplicateRoleError, type RolesRepo } from "@bifrost/storage/roles.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import { principalOf } from "../../auth.js";
import { HttpError, notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { audit } from "../audit/audit.js";
import type { UsersService } from "../users/users.service.js";

export const RoleInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    description: z.string().max(2000).nullable().optional(),
  })
  .strict();
export const Assign = z.object({ userId: z.string().min(1, "is required") }).strict();

const duplicate = (name: string) => new HttpError(409, "duplicate_role", `A role named "${name}" already exists`);

/** Custom roles: global definitions (platform admins), granted to users (admins of those users). */
export function rolesRoutes(
  app: FastifyInstance,
  deps: {
    db: Kysely<Schema>;
    roles: RolesRepo;
    audit: AuditRepo;
    users: UsersService;
    /** Role-based workflows naming `role`: a role in use is not deleted or renamed (409 naming them). */
    usedBy: (role: string) => { name: string; filePath: string }[];
    /** After a change: role-based workflows naming a new role register, here and on every server. */
    changed: () => Promise<void>;
  },
): void {
  const { roles, db } = deps;
  const notInUse = (role: { name: string }, doing: string) => {
    const used = deps.usedBy(role.name);
    if (used.length > 0) {
      throw new HttpError(409, "role_in_use", `Role "${role.name}" cannot be ${doing}: workflows ${used.map((w) => `"${w.name}" (${w.filePath})`).join(", ")} name it in their access; change those files first`, undefined, { workflows: used.map((w) => w.name) });
    }
  };
  const found = async (id: string) => (await roles.get(id)) ?? Promise.reject(notFound("Role"));

  app.get("/api/roles", async () => ({ roles: await roles.list() }));

  app.get<{ Params: { id: string } }>("/api/roles/:id", async (req) => {
    const p = principalOf(req);
    const role = await found(req.params.id);
    const members = await roles.members(role.id);
    // Organization admins see their own users among the members only.
    const visible = [];
    for (const id of members) {
      const user = await deps.users.managed(p, id).catch(() => null);
      if (user || p.isPlatformAdmin) visible.push(id);
    }
    return { ...role, userIds: visible };
  });

  app.post("/api/roles", async (req, reply) => {
    const body = parseBody(RoleInput, req.body);
    try {
      const role = await db.transaction().execute(async (trx) => {
        const role = await roles.create({ name: body.name, description: body.description ?? null }, trx);
        await audit(deps.audit, req, { action: "role.create", target: role.id, orgId: null, details: { name: role.name } }, trx);
        return role;
      });
      await deps.changed();
      return reply.status(201).send(role);
    } catch (error) {
      if (error instanceof DuplicateRoleError) throw duplicate(body.name);
      throw error;
    }
  });

  app.put<{ Params: { id: string } }>("/api/roles/:id", async (req) => {
    const body = parseBody(RoleInput, req.body);
    const current = await found(req.params.id);
    if (current.name.toLowerCase() !== body.name.toLowerCase()) notInUse(current, "renamed");
    try {
      const role = await db.transaction().execute(async (trx) => {
        const role = (await roles.update(req.params.id, { name: body.name, description: body.description ?? null }, trx))!;
        await audit(deps.audit, req, { action: "role.update", target: role.id, orgId: null, details: { name: role.name } }, trx);
        return role;
      });
      await deps.changed();
      return role;
    } catch (error) {
      if (error instanceof DuplicateRoleError) throw duplicate(body.name);
      throw error;
    }
  });

  app.delete<{ Params: { id: string } }>("/api/roles/:id", async (req, reply) => {
    const role = await found(req.params.id);
    notInUse(role, "deleted");
    await db.transaction().execute(async (trx) => {
      await roles.delete(role.id, trx);
      await audit(deps.audit, req, { action: "role.delete", target: role.id, orgId: null, details: { name: role.name } }, trx);
    });
    await deps.changed();
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string } }>("/api/roles/:id/users", async (req, reply) => {
    const { userId } = parseBody(Assign, req.body);
    const role = await found(req.params.id);
    const user = await deps.users.managed(principalOf(req), userId);
    const added = await db.transaction().execute(async (trx) => {
      const added = await roles.assign(role.id, user.id, trx);
      if (added) await audit(deps.audit, req, { action: "role.assign", target: user.id, orgId: user.organizationId, details: { role: role.name } }, trx);
      return added;
    });
    return reply.status(added ? 201 : 200).send({ roleId: role.id, userId: user.id });
  });

  app.delete<{ Params: { id: string; userId: string } }>("/api/roles/:id/users/:userId", async (req, reply) => {
    const role = await found(req.params.id);
    const user = await deps.users.managed(principalOf(req), req.params.userId);
    const removed = await db.transaction().execute(async (trx) => {
      const removed = await roles.unassign(role.id, user.id, trx);
      if (removed) await audit(deps.audit, req, { action: "role.unassign", target: user.id, orgId: user.organizationId, details: { role: role.name } }, trx);
      return removed;
    });
    if (!removed) throw notFound("Role assignment");
    return reply.status(204).send();
  });
}
