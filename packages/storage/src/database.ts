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
 * Kysely prepares every statement anew; preparing costs more than running a small
 * statement. Reusing prepared statements by SQL text (bounded, least recently used out)
 * removes that from the hot path. Safe because better-sqlite3 runs one statement at a
 * time and Kysely never leaves an iterator open across queries here.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, max = 500) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
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
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrateToLatest(db as Kysely<unknown>, "sqlite");
  return {
    db,
    dialect: "sqlite",
    async close() {
      await db.destroy();
    },
  };
}
