import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { load as loadSqliteVec } from "sqlite-vec";
import { registerDialect } from "./dialect.js";
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
 * Opens the embedded SQLite database (WAL, foreign keys on, the sqlite-vec extension
 * loaded for the knowledge base's vector search) and migrates it.
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
  loadSqliteVec(sqlite);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrateToLatest(db as Kysely<unknown>, "sqlite");
  registerDialect(db, "sqlite");
  return {
    db,
    dialect: "sqlite",
    async close() {
      await db.destroy();
    },
  };
}

export interface PostgresOptions {
  /**
   * The schema every table lives in (created when missing; `search_path` is set to it on
   * each connection). Default: the server's `search_path`, normally `public`.
   */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
}

/** PostgreSQL type OIDs whose text form we parse ourselves. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Values come back as the same JS types SQLite gives: `bigint` columns and `count(*)`
 * (int8) as numbers rather than strings (every int8 we store — ids, counts, durations,
 * tokens — stays far below 2^53), `double precision` as numbers (pg's default).
 * Scoped to this pool: pg's global parsers stay untouched.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as "text");
  },
} as pg.CustomTypesConfig;

/** A schema name we can put in `-c search_path=` and DDL without quoting. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens a PostgreSQL database (a `pg.Pool`) and migrates it; `url` is a libpq-style
 * `postgres://user@host:port/db` URL.
 *
 * @example
 * ```ts
 * const database = await openPostgres("postgres://postgres@127.0.0.1:5432/bifrost", { schema: "bifrost" });
 * ```
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`PostgreSQL schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME.source}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types: pgTypes,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client whose connection drops emits "error" on the pool; without a listener
  // that would crash the process. The next query gets a fresh connection.
  pool.on("error", () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
    await migrateToLatest(db as Kysely<unknown>, "postgres", schema ?? "public");
  } catch (error) {
    await db.destroy();
    throw error;
  }
  registerDialect(db, "postgres");
  return {
    db,
    dialect: "postgres",
    async close() {
      await db.destroy();
    },
  };
}

/** Whether a database URL names PostgreSQL (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the database a URL names — what `BIFROST_DATABASE_URL` holds:
 * `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:<path>`, `sqlite://<path>` or a
 * plain file path (or `:memory:`) → SQLite.
 *
 * @example
 * ```ts
 * const database = await openDatabase(process.env.BIFROST_DATABASE_URL ?? "./data/bifrost.db");
 * ```
 */
export async function openDatabase(url: string, options: PostgresOptions = {}): Promise<Database> {
  if (isPostgresUrl(url)) {
    // `?schema=name` picks the schema (several platforms, or test runs, in one database).
    const parsed = new URL(url);
    const schema = parsed.searchParams.get("schema");
    if (schema) {
      parsed.searchParams.delete("schema");
      return openPostgres(parsed.toString(), { ...options, schema });
    }
    return openPostgres(url, options);
  }
  const path = url.replace(/^sqlite:(\/\/)?/i, "");
  if (path === "") throw new Error(`database URL ${JSON.stringify(url)} names no SQLite file`);
  return openSqlite(path);
}
