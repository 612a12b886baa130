import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { InTransaction } from "./audit.repo.js";
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

  /** `also` runs in the same transaction (with the new organization's id known). */
  async create(name: string, now = new Date(), also?: (db: Kysely<Schema>, created: Organization) => Promise<void>): Promise<Organization> {
    const row = { id: randomUUID(), name, created_at: now.toISOString(), updated_at: now.toISOString() };
    const created = toOrganization(row);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("organizations").values(row).execute();
      await also?.(trx, created);
    });
    return created;
  }

  async get(id: string): Promise<Organization | null> {
    const row = await this.db.selectFrom("organizations").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  async list(): Promise<Organization[]> {
    const rows = await this.db.selectFrom("organizations").selectAll().orderBy("name").execute();
    return rows.map(toOrganization);
  }

  async rename(id: string, name: string, now = new Date(), also?: InTransaction): Promise<Organization | null> {
    const renamed = await this.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable("organizations").set({ name, updated_at: now.toISOString() }).where("id", "=", id).executeTakeFirst();
      if (r.numUpdatedRows === 0n) return false;
      await also?.(trx);
      return true;
    });
    return renamed ? this.get(id) : null;
  }

  /**
   * Deletes the organization with everything stored for it — API keys, endpoint keys,
   * users (with their sessions and personal keys), config values and secrets, tables and their documents, custom forms, knowledge — in one transaction. Its
   * execution history stays (an audit trail). Returns false when it did not exist.
   */
  async delete(id: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom("organizations").where("id", "=", id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await trx.deleteFrom("api_keys").where("organization_id", "=", id).execute();
      // Its users go with it: their sessions, one-time links, roles and personal keys first.
      const users = trx.selectFrom("users").select("id").where("organization_id", "=", id);
      await trx.deleteFrom("sessions").where("user_id", "in", users).execute();
      await trx.deleteFrom("user_tokens").where("user_id", "in", users).execute();
      await trx.deleteFrom("user_roles").where("user_id", "in", users).execute();
      await trx.deleteFrom("api_keys").where("user_id", "in", users).execute();
      await trx.deleteFrom("users").where("organization_id", "=", id).execute();
      await trx.deleteFrom("endpoint_keys").where("scope", "=", id).execute();
      await trx.deleteFrom("config_values").where("scope", "=", id).execute();
      await trx.deleteFrom("table_documents").where("scope", "=", id).execute();
      await trx.deleteFrom("tables").where("scope", "=", id).execute();
      await trx.deleteFrom("custom_forms").where("scope", "=", id).execute();
      await trx.deleteFrom("ai_providers").where("scope", "=", id).execute();
      await trx.deleteFrom("ai_settings").where("scope", "=", id).execute();
      await trx.deleteFrom("agents").where("scope", "=", id).execute();
      await trx.deleteFrom("knowledge_chunks").where("scope", "=", id).execute();
      await trx.deleteFrom("knowledge_documents").where("scope", "=", id).execute();
      await also?.(trx);
      return true;
    });
  }
}
