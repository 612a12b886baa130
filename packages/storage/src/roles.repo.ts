import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

/** A named group of users (e.g. "Helpdesk"); global definitions, assigned to users. */
export interface Role {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export class DuplicateRoleError extends Error {
  override name = "DuplicateRoleError";
}

const toRole = (r: Schema["roles"]): Role => ({ id: r.id, name: r.name, description: r.description, createdAt: r.created_at, updatedAt: r.updated_at });
const keyOf = (name: string) => name.trim().toLowerCase();

export class RolesRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(input: { name: string; description: string | null }, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<Role> {
    if (await this.findByName(input.name, db)) throw new DuplicateRoleError(`A role named "${input.name}" exists`);
    const row = { id: randomUUID(), name: input.name.trim(), name_key: keyOf(input.name), description: input.description, created_at: now, updated_at: now };
    await db.insertInto("roles").values(row).execute();
    return toRole(row);
  }

  async get(id: string, db: Kysely<Schema> = this.db): Promise<Role | null> {
    const r = await db.selectFrom("roles").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toRole(r) : null;
  }

  async findByName(name: string, db: Kysely<Schema> = this.db): Promise<Role | null> {
    const r = await db.selectFrom("roles").selectAll().where("name_key", "=", keyOf(name)).executeTakeFirst();
    return r ? toRole(r) : null;
  }

  async list(): Promise<Role[]> {
    return (await this.db.selectFrom("roles").selectAll().orderBy("name_key").execute()).map(toRole);
  }

  async update(id: string, input: { name: string; description: string | null }, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<Role | null> {
    const other = await this.findByName(input.name, db);
    if (other && other.id !== id) throw new DuplicateRoleError(`A role named "${input.name}" exists`);
    await db.updateTable("roles").set({ name: input.name.trim(), name_key: keyOf(input.name), description: input.description, updated_at: now }).where("id", "=", id).execute();
    return this.get(id, db);
  }

  async delete(id: string, db: Kysely<Schema> = this.db): Promise<boolean> {
    await db.deleteFrom("user_roles").where("role_id", "=", id).execute();
    const r = await db.deleteFrom("roles").where("id", "=", id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** Grants the role; false when the user already held it. */
  async assign(roleId: string, userId: string, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<boolean> {
    const held = await db.selectFrom("user_roles").select("role_id").where("role_id", "=", roleId).where("user_id", "=", userId).executeTakeFirst();
    if (held) return false;
    await db.insertInto("user_roles").values({ role_id: roleId, user_id: userId, created_at: now }).execute();
    return true;
  }

  async unassign(roleId: string, userId: string, db: Kysely<Schema> = this.db): Promise<boolean> {
    const r = await db.deleteFrom("user_roles").where("role_id", "=", roleId).where("user_id", "=", userId).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** The roles a user holds, by name. */
  async rolesOf(userId: string): Promise<Role[]> {
    const rows = await this.db
      .selectFrom("user_roles")
      .innerJoin("roles", "roles.id", "user_roles.role_id")
      .selectAll("roles")
      .where("user_roles.user_id", "=", userId)
      .orderBy("roles.name_key")
      .execute();
    return rows.map(toRole);
  }

  /** Ids of the users holding the role. */
  async members(roleId: string): Promise<string[]> {
    const rows = await this.db.selectFrom("user_roles").select("user_id").where("role_id", "=", roleId).orderBy("user_id").execute();
    return rows.map((r) => r.user_id);
  }
}
