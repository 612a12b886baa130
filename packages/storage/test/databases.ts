import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import { openDatabase, type Database, type DatabaseDialect, type PostgresOptions } from "@bifrost/storage/database.js";

/**
 * The storage conformance loop (CONVENTIONS 4): every suite wrapped in `forEachDatabase`
 * runs once per backend, against real servers.
 *
 * - sqlite: a fresh file in a temp folder, removed afterwards;
 * - postgres: a fresh schema `bf_<random>` in BIFROST_TEST_POSTGRES_URL (default
 *   `postgres://postgres@127.0.0.1:5432/test`), every connection's `search_path` set to
 *   it, dropped afterwards, so runs and files never see each other's data.
 *
 * Each backend's database is opened (and migrated) once per file, in `beforeAll`. An
 * unreachable PostgreSQL fails its variant: CI starts the server (`.ci/run`).
 */

export const POSTGRES_URL = process.env.BIFROST_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  readonly dialect: DatabaseDialect;
  /** The URL `openDatabase` is given (with `options`). */
  readonly url: string;
  readonly options: PostgresOptions;
  /** This block's database, opened once before its tests. */
  readonly database: Database;
  /** Another handle on the same data (its migrations are already applied); closed after the block. */
  open(): Promise<Database>;
}

interface Backend {
  dialect: DatabaseDialect;
  /** Creates the empty database; returns how to reach it and how to close and remove it. */
  create(): { url: string; options: PostgresOptions; dispose(first: Database | undefined): Promise<void> };
  /** Why opening failed, for the test report. */
  explain(error: unknown): Error;
}

const message = (error: unknown) => (error instanceof Error ? error.message || String((error as { code?: unknown }).code ?? error) : String(error));

const BACKENDS: Backend[] = [
  {
    dialect: "sqlite",
    create() {
      const dir = mkdtempSync(join(tmpdir(), "bifrost-storage-"));
      return {
        url: `sqlite:${join(dir, "db", "test.db")}`,
        options: {},
        async dispose(first) {
          await first?.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    explain: (error) => (error instanceof Error ? error : new Error(String(error))),
  },
  {
    dialect: "postgres",
    create() {
      const schema = `bf_${randomBytes(6).toString("hex")}`;
      return {
        url: POSTGRES_URL,
        options: { schema },
        async dispose(first) {
          if (!first) return;
          try {
            await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(first.db);
          } finally {
            await first.close();
          }
        },
      };
    },
    explain: (error) =>
      new Error(
        `PostgreSQL at ${POSTGRES_URL} could not be used (${message(error)}). The storage suites run against PostgreSQL as well as SQLite: ` +
          "start it (.ci/run does: pg_ctlcluster --skip-systemctl-redirect <version> main start) or point BIFROST_TEST_POSTGRES_URL at one.",
        { cause: error },
      ),
  },
];

/**
 * Runs `body` inside `describe(<dialect>)` once per backend.
 *
 * @example
 * ```ts
 * forEachDatabase((t) => {
 *   it("stores", async () => {
 *     await new OrganizationsRepo(t.database.db).create("Acme");
 *   });
 * });
 * ```
 */
export function forEachDatabase(body: (t: TestDatabase) => void): void {
  for (const backend of BACKENDS) {
    describe(backend.dialect, () => {
      let target: ReturnType<Backend["create"]> | undefined;
      let first: Database | undefined;
      let failure: Error | undefined;
      const extra: Database[] = [];
      const t: TestDatabase = {
        dialect: backend.dialect,
        get url() {
          return target!.url;
        },
        get options() {
          return target!.options;
        },
        get database() {
          if (!first) throw failure ?? new Error(`the ${backend.dialect} database is not open yet`);
          return first;
        },
        async open() {
          const db = await openDatabase(target!.url, target!.options);
          extra.push(db);
          return db;
        },
      };
      // A backend that cannot be opened fails every test of its block (rather than
      // failing the hook, which vitest reports as skipped tests).
      beforeAll(async () => {
        target = backend.create();
        try {
          first = await openDatabase(target.url, target.options);
        } catch (error) {
          failure = backend.explain(error);
        }
      });
      beforeEach(() => {
        if (failure) throw failure;
      });
      afterAll(async () => {
        await Promise.all(extra.map((d) => d.close()));
        await target?.dispose(first);
      });
      body(t);
    });
  }
}
