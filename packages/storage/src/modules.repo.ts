import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

/** Compiled workflow bundles, content-addressed by their SHA-256 (hex). */
export class ModulesRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Stores a bundle once; storing the same hash again does nothing. */
  async put(hash: string, code: string, now = new Date().toISOString()): Promise<void> {
    await this.db
      .insertInto("modules")
      .values({ hash, code, created_at: now })
      .onConflict((oc) => oc.column("hash").doNothing())
      .execute();
  }

  async get(hash: string): Promise<string | null> {
    const row = await this.db.selectFrom("modules").select("code").where("hash", "=", hash).executeTakeFirst();
    return row?.code ?? null;
  }
}
