import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

function toOrganization(row: Schema["organizations"]): Organization {
  return { id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
}

export class OrganizationsRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(name: string, now = new Date()): Promise<Organization> {
    const row = { id: randomUUID(), name, created_at: now.toISOString(), updated_at: now.toISOString() };
    await this.db.insertInto("organizations").values(row).execute();
    return toOrganization(row);
  }

  async get(id: string): Promise<Organization | null> {
    const row = await this.db.selectFrom("organizations").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  async list(): Promise<Organization[]> {
    const rows = await this.db.selectFrom("organizations").selectAll().orderBy("name").execute();
    return rows.map(toOrganization);
  }

  async rename(id: string, name: string, now = new Date()): Promise<Organization | null> {
    await this.db
      .updateTable("organizations")
      .set({ name, updated_at: now.toISOString() })
      .where("id", "=", id)
      .execute();
    return this.get(id);
  }

  /** Deletes the organization and its API keys; returns false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("organizations").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
