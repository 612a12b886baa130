import type { Kysely } from "kysely";
import type { DatabaseDialect } from "./database.js";
import type { Schema } from "./schema.js";

const dialects = new WeakMap<Kysely<Schema>, DatabaseDialect>();

/** Records the dialect of a handle `openSqlite` / `openPostgres` opened. */
export function registerDialect(db: Kysely<Schema>, dialect: DatabaseDialect): void {
  dialects.set(db, dialect);
}

/**
 * The dialect of a handle opened by this package (SQLite for any other), so a repository
 * built from a bare `Kysely` handle can still pick dialect-specific SQL. Kept apart from
 * database.ts so repositories do not load the database drivers.
 */
export function dialectOf(db: Kysely<Schema>): DatabaseDialect {
  return dialects.get(db) ?? "sqlite";
}
