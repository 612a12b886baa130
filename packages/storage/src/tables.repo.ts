import { sql, type Kysely, type Transaction } from "kysely";
import type { Database, DatabaseDialect } from "./database.js";
import { transactionFor, type InTransaction } from "./audit.repo.js";
import type { Schema } from "./schema.js";
import { compileOrder, compileWhere, type Condition, type Order } from "./tables-filter.js";

export interface TableRow {
  scope: string;
  name: string;
  documentCount: number;
  createdAt: string;
}

/** A document as stored: `data` is its JSON text, `id` included. */
export interface DocumentInput {
  id: string;
  data: string;
}

/** Why a write did nothing: the table is gone, or (inserts) an id is already taken. */
export type WriteResult<T> = { ok: true; value: T } | { ok: false; reason: "no_table" } | { ok: false; reason: "conflict"; id: string | null };

/** Rows per multi-row INSERT: well below every dialect's bound-parameter limit. */
const CHUNK = 200;

const isUniqueViolation = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505";
};

/**
 * User tables and their JSON documents, per scope ("global" or an organization id).
 * Every batch runs in one transaction: it is written whole or not at all.
 */
/** Rows of `table_documents` for documents written at `now`. */
const documentRows = (scope: string, table: string, docs: DocumentInput[], now: string) =>
  docs.map((d) => ({ scope, table_name: table, id: d.id, data: d.data, created_at: now, updated_at: now }));

export class TablesRepo {
  private readonly db: Kysely<Schema>;
  private readonly dialect: DatabaseDialect;

  constructor(database: Pick<Database, "db" | "dialect">) {
    this.db = database.db;
    this.dialect = database.dialect;
  }

  /** false when the table already exists. */
  async createTable(scope: string, name: string, now = new Date().toISOString(), also?: InTransaction): Promise<boolean> {
    return transactionFor(this.db, also, async (trx) => {
      const r = await trx
        .insertInto("tables")
        .values({ scope, name, created_at: now })
        .onConflict((oc) => oc.columns(["scope", "name"]).doNothing())
        .executeTakeFirst();
      const created = (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
      if (created) await also?.(trx);
      return created;
    });
  }

  async getTable(scope: string, name: string): Promise<TableRow | null> {
    const row = await this.db.selectFrom("tables").selectAll().where("scope", "=", scope).where("name", "=", name).executeTakeFirst();
    if (!row) return null;
    const { n } = await this.db
      .selectFrom("table_documents")
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
      .where("scope", "=", scope)
      .where("table_name", "=", name)
      .executeTakeFirstOrThrow();
    return { scope, name, documentCount: Number(n), createdAt: row.created_at };
  }

  async listTables(scope: string): Promise<TableRow[]> {
    const rows = await this.db
      .selectFrom("tables as t")
      .leftJoin("table_documents as d", (j) => j.onRef("d.scope", "=", "t.scope").onRef("d.table_name", "=", "t.name"))
      .select(["t.scope", "t.name", "t.created_at"])
      .select((eb) => eb.fn.count<number | string | bigint>("d.id").as("n"))
      .where("t.scope", "=", scope)
      .groupBy(["t.scope", "t.name", "t.created_at"])
      .orderBy("t.name")
      .execute();
    return rows.map((r) => ({ scope: r.scope, name: r.name, documentCount: Number(r.n), createdAt: r.created_at }));
  }

  /** Deletes the table and its documents; false when it did not exist. */
  async dropTable(scope: string, name: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("table_documents").where("scope", "=", scope).where("table_name", "=", name).execute();
      const r = await trx.deleteFrom("tables").where("scope", "=", scope).where("name", "=", name).executeTakeFirst();
      if (r.numDeletedRows > 0n) await also?.(trx);
      return r.numDeletedRows > 0n;
    });
  }

  /** The document's JSON text, or null. */
  async getDocument(scope: string, table: string, id: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("table_documents")
      .select("data")
      .where("scope", "=", scope)
      .where("table_name", "=", table)
      .where("id", "=", id)
      .executeTakeFirst();
    return row?.data ?? null;
  }

  /** Inserts all documents or none: a taken id (or a missing table) writes nothing. */
  async insertDocuments(scope: string, table: string, docs: DocumentInput[], now = new Date().toISOString(), also?: InTransaction): Promise<WriteResult<void>> {
    try {
      return await this.db.transaction().execute(async (trx): Promise<WriteResult<void>> => {
        if (!(await tableExists(trx, scope, table))) return { ok: false, reason: "no_table" };
        for (let i = 0; i < docs.length; i += CHUNK) {
          const ids = docs.slice(i, i + CHUNK).map((d) => d.id);
          const taken = await trx
            .selectFrom("table_documents")
            .select("id")
            .where("scope", "=", scope)
            .where("table_name", "=", table)
            .where("id", "in", ids)
            .orderBy("id")
            .executeTakeFirst();
          if (taken) throw new Conflict(taken.id);
        }
        for (let i = 0; i < docs.length; i += CHUNK) {
          const rows = documentRows(scope, table, docs.slice(i, i + CHUNK), now);
          await trx.insertInto("table_documents").values(rows).execute();
        }
        await also?.(trx);
        return { ok: true, value: undefined };
      });
    } catch (error) {
      // Thrown inside so the transaction rolls back; a concurrent insert of the same id shows up as a unique violation.
      if (error instanceof Conflict) return { ok: false, reason: "conflict", id: error.id };
      if (isUniqueViolation(error)) return { ok: false, reason: "conflict", id: null };
      throw error;
    }
  }

  /** Inserts or replaces all documents, or none; a replaced document keeps its created_at. */
  async upsertDocuments(scope: string, table: string, docs: DocumentInput[], now = new Date().toISOString(), also?: InTransaction): Promise<WriteResult<void>> {
    return this.db.transaction().execute(async (trx): Promise<WriteResult<void>> => {
      if (!(await tableExists(trx, scope, table))) return { ok: false, reason: "no_table" };
      for (let i = 0; i < docs.length; i += CHUNK) {
        const rows = documentRows(scope, table, docs.slice(i, i + CHUNK), now);
        await trx
          .insertInto("table_documents")
          .values(rows)
          .onConflict((oc) => oc.columns(["scope", "table_name", "id"]).doUpdateSet((eb) => ({ data: eb.ref("excluded.data"), updated_at: now })))
          .execute();
      }
      await also?.(trx);
      return { ok: true, value: undefined };
    });
  }

  /**
   * Read-modify-write of one document in a transaction (row-locked on PostgreSQL).
   * `change` gets the current JSON text and returns the new one; what it throws aborts the write.
   * Resolves null when the document does not exist.
   */
  async updateDocument(scope: string, table: string, id: string, change: (data: string) => string, now = new Date().toISOString(), also?: InTransaction): Promise<WriteResult<string | null>> {
    return this.db.transaction().execute(async (trx): Promise<WriteResult<string | null>> => {
      if (!(await tableExists(trx, scope, table))) return { ok: false, reason: "no_table" };
      const row = await trx
        .selectFrom("table_documents")
        .select("data")
        .where("scope", "=", scope)
        .where("table_name", "=", table)
        .where("id", "=", id)
        .$if(this.dialect === "postgres", (qb) => qb.forUpdate())
        .executeTakeFirst();
      if (!row) return { ok: true, value: null };
      const data = change(row.data);
      await trx
        .updateTable("table_documents")
        .set({ data, updated_at: now })
        .where("scope", "=", scope)
        .where("table_name", "=", table)
        .where("id", "=", id)
        .execute();
      await also?.(trx);
      return { ok: true, value: data };
    });
  }

  /** Deletes the documents that exist among `ids`; resolves how many were deleted. */
  async deleteDocuments(scope: string, table: string, ids: string[], also?: InTransaction): Promise<WriteResult<number>> {
    return this.db.transaction().execute(async (trx): Promise<WriteResult<number>> => {
      if (!(await tableExists(trx, scope, table))) return { ok: false, reason: "no_table" };
      let deleted = 0;
      for (let i = 0; i < ids.length; i += CHUNK) {
        const r = await trx
          .deleteFrom("table_documents")
          .where("scope", "=", scope)
          .where("table_name", "=", table)
          .where("id", "in", ids.slice(i, i + CHUNK))
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      if (deleted > 0) await also?.(trx);
      return { ok: true, value: deleted };
    });
  }

  /** One page of matching documents (JSON text) and how many match in all. */
  async query(scope: string, table: string, where: Condition[], order: Order, limit: number, offset: number): Promise<{ documents: string[]; total: number }> {
    const base = this.filtered(scope, table, where);
    const orderBy = compileOrder(order, this.dialect, {
      data: sql.ref("table_documents.data"),
      id: sql.ref("table_documents.id"),
      createdAt: sql.ref("table_documents.created_at"),
    });
    const [rows, total] = await Promise.all([
      base
        .select("data")
        .orderBy(sql.join(orderBy))
        .limit(limit)
        .offset(offset)
        .execute(),
      this.count(scope, table, where),
    ]);
    return { documents: rows.map((r) => r.data), total };
  }

  async count(scope: string, table: string, where: Condition[]): Promise<number> {
    const { n } = await this.filtered(scope, table, where)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  private filtered(scope: string, table: string, where: Condition[]) {
    return this.db
      .selectFrom("table_documents")
      .where("scope", "=", scope)
      .where("table_name", "=", table)
      .where(compileWhere(where, this.dialect, sql.ref("table_documents.data")));
  }
}

class Conflict extends Error {
  constructor(readonly id: string) {
    super(`document ${id} exists`);
  }
}

async function tableExists(trx: Transaction<Schema>, scope: string, name: string): Promise<boolean> {
  const row = await trx.selectFrom("tables").select("name").where("scope", "=", scope).where("name", "=", name).executeTakeFirst();
  return row !== undefined;
}
