import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { migrateToLatest } from "./migrations.js";
import type { Schema } from "./schema.js";

export type DatabaseDialect = "sqlite" | "postgres";

/** The `Database` backend: a Kysely handle plus what differs per dialect. */
export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DatabaseDialect;
  close(): Promise<void>;
}

/**
 * Opens the embedded SQLite database (WAL, foreign keys on) and migrates it.
 * `synchronous=NORMAL` in WAL mode keeps every commit atomic and durable across a
 * process crash; only an OS crash can lose the last few commits.
 */
export async function openSqlite(path: string): Promise<Database> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>, "sqlite");
  return {
    db,
    dialect: "sqlite",
    async close() {
      await db.destroy();
    },
  };
}
