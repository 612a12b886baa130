import type { Kysely } from "kysely";
import type { InTransaction } from "./audit.repo.js";
import type { Schema } from "./schema.js";

export interface ConfigRow {
  scope: string;
  key: string;
  type: string;
  value: string;
  createdAt: string;
  updatedAt: string;
}

const toRow = (r: Schema["config_values"]): ConfigRow => ({
  scope: r.scope,
  key: r.key,
  type: r.type,
  value: r.value,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Config values per scope ("global" or an organization id). Values arrive already encoded. */
export class ConfigRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async get(scope: string, key: string): Promise<ConfigRow | null> {
    const row = await this.db.selectFrom("config_values").selectAll().where("scope", "=", scope).where("key", "=", key).executeTakeFirst();
    return row ? toRow(row) : null;
  }

  async list(scopes: string[]): Promise<ConfigRow[]> {
    if (scopes.length === 0) return [];
    const rows = await this.db.selectFrom("config_values").selectAll().where("scope", "in", scopes).orderBy("key").execute();
    return rows.map(toRow);
  }

  /** `also` (the audit event) commits with the value, or neither does. */
  async set(scope: string, key: string, type: string, value: string, now = new Date().toISOString(), also?: InTransaction): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("config_values")
        .values({ scope, key, type, value, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(["scope", "key"]).doUpdateSet({ type, value, updated_at: now }))
        .execute();
      await also?.(trx);
    });
  }

  async delete(scope: string, key: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom("config_values").where("scope", "=", scope).where("key", "=", key).executeTakeFirst();
      if (r.numDeletedRows === 0n) return false;
      await also?.(trx);
      return true;
    });
  }
}
