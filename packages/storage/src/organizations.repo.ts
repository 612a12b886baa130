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

/** The `error` of a run cancelled because its organization was deleted. */
export const ORGANIZATION_DELETED_ERROR = "The execution was cancelled: its organization was deleted";

/** Told after an organization was deleted, with the ids of the waiting runs that were cancelled. */
export type OrganizationDeletedListener = (organizationId: string, cancelledRuns: string[]) => void;

export class OrganizationsRepo {
  private readonly deletedListeners: OrganizationDeletedListener[] = [];

  constructor(private readonly db: Kysely<Schema>) {}

  /** Calls `listener` after each deletion (the engine announces the cancelled runs). */
  onDeleted(listener: OrganizationDeletedListener): () => void {
    this.deletedListeners.push(listener);
    return () => {
      const i = this.deletedListeners.indexOf(listener);
      if (i >= 0) this.deletedListeners.splice(i, 1);
    };
  }

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

  /**
   * Deletes the organization with everything stored for it — API keys, endpoint keys,
   * users (with their sessions and personal keys), config values and secrets, tables and their documents, custom forms, knowledge — in one transaction. Its
   * execution history stays (an audit trail); its runs still waiting to start (Pending,
   * Scheduled) are cancelled in the same transaction, and their queue jobs removed. Runs
   * claimed later anyway (a message in flight, a retry) are refused by the claim, which
   * requires the organization. Returns false when it did not exist.
   */
  async delete(id: string): Promise<boolean> {
    const cancelled: string[] = [];
    const deleted = await this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom("organizations").where("id", "=", id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      const runs = await trx
        .updateTable("executions")
        .set({ status: "Cancelled", error: ORGANIZATION_DELETED_ERROR, error_type: "Cancelled", completed_at: new Date().toISOString() })
        .where("organization_id", "=", id)
        .where("status", "in", ["Pending", "Scheduled"])
        .returning("id")
        .execute();
      cancelled.push(...runs.map((r) => r.id));
      for (let i = 0; i < cancelled.length; i += 500) await trx.deleteFrom("jobs").where("execution_id", "in", cancelled.slice(i, i + 500)).execute();
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
      return true;
    });
    if (deleted) for (const listener of this.deletedListeners) listener(id, cancelled);
    return deleted;
  }
}
