import type { InTransaction } from "./audit.repo.js";
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database, DatabaseDialect } from "./database.js";
import { vectorIndexFor, type VectorIndex } from "./knowledge-vectors.js";
import type { Schema } from "./schema.js";
import { compileWhere, type Condition } from "./tables-filter.js";

/**
 * The knowledge base's documents, their chunks and the chunks' vectors (one per embedding
 * model), per scope ("global" or an organization id), and two rankings: cosine similarity
 * over vectors (`VectorIndex`) and full-text relevance (SQLite FTS5 / PostgreSQL
 * tsvector). A document is written whole or not at all.
 */

/** Which documents a search or an embedding pass covers. */
export interface KnowledgeTarget {
  /** The scopes searched, e.g. `[orgId, "global"]`. */
  scopes: string[];
  namespaces: string[];
  /** Conditions on the documents' metadata (the `tables` filter language). */
  metadata: Condition[];
  /** Documents of `by` hide the documents of `hides` with the same namespace and key (an organization's copy wins over the global one). */
  shadow?: { by: string; hides: string } | null;
}

export interface KnowledgeHitRow {
  scope: string;
  namespace: string;
  key: string;
  /** Position of the chunk in its document (0-based). */
  seq: number;
  content: string;
  /** JSON text of the document's metadata. */
  metadata: string;
  score: number;
}

export interface KnowledgeDocumentRow {
  scope: string;
  namespace: string;
  key: string;
  content: string;
  contentHash: string;
  /** JSON text. */
  metadata: string;
  chunks: number;
  /** The embedding models every chunk has a vector of, by name. */
  models: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NamespaceRow {
  scope: string;
  namespace: string;
  documents: number;
  chunks: number;
  updatedAt: string;
}

/** What is stored about a document before a write: its hash, and whether every chunk has a vector (of any model). */
export interface DocumentState {
  contentHash: string;
  chunks: number;
  embedded: boolean;
}

/** One document of a write. */
export type DocumentWrite =
  | {
      /** New content: the document (and every chunk of it) is replaced. */
      kind: "replace";
      namespace: string;
      key: string;
      content: string;
      contentHash: string;
      metadata: string;
      chunks: string[];
      /** One vector per chunk, or null to store the chunks without vectors. */
      embedding: { model: string; vectors: number[][] } | null;
    }
  | {
      /** Same content: only the metadata changes, and only if the stored hash is still `contentHash`. */
      kind: "metadata";
      namespace: string;
      key: string;
      contentHash: string;
      metadata: string;
    };

export type WriteStatus = "created" | "replaced" | "unchanged";

/** A write applied (a status per document, in order), or not at all because a metadata-only write found other content. */
export type WriteOutcome = { ok: true; statuses: WriteStatus[] } | { ok: false; stale: Array<{ namespace: string; key: string }> };

/** Rows per multi-row INSERT: below every dialect's bound-parameter limit, even with long vectors bound as one value each. */
const INSERT_ROWS = 100;

class StaleWrite extends Error {
  constructor(readonly stale: Array<{ namespace: string; key: string }>) {
    super("stale metadata write");
  }
}

const num = (v: unknown) => Number(v ?? 0);

const isForeignKeyViolation = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";
};

export class KnowledgeRepo {
  private readonly db: Kysely<Schema>;
  private readonly dialect: DatabaseDialect;
  readonly vectors: VectorIndex;

  constructor(database: Pick<Database, "db" | "dialect">) {
    this.db = database.db;
    this.dialect = database.dialect;
    this.vectors = vectorIndexFor(database.dialect);
  }

  async getDocument(scope: string, namespace: string, key: string): Promise<KnowledgeDocumentRow | null> {
    const doc = await this.db
      .selectFrom("knowledge_documents")
      .selectAll()
      .where("scope", "=", scope)
      .where("namespace", "=", namespace)
      .where("key", "=", key)
      .executeTakeFirst();
    if (!doc) return null;
    const [count, models] = await Promise.all([
      this.db
        .selectFrom("knowledge_chunks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("scope", "=", scope)
        .where("namespace", "=", namespace)
        .where("key", "=", key)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom("knowledge_vectors as v")
        .innerJoin("knowledge_chunks as c", "c.id", "v.chunk_id")
        .select("v.model")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("c.scope", "=", scope)
        .where("c.namespace", "=", namespace)
        .where("c.key", "=", key)
        .groupBy("v.model")
        .orderBy("v.model")
        .execute(),
    ]);
    const n = num(count.n);
    return {
      scope,
      namespace,
      key,
      content: doc.content,
      contentHash: doc.content_hash,
      metadata: doc.metadata,
      chunks: n,
      models: models.filter((m) => num(m.n) === n).map((m) => m.model),
      createdAt: doc.created_at,
      updatedAt: doc.updated_at,
    };
  }

  /** The stored state of the documents among `keys` of one namespace (absent keys are missing from the map). */
  async states(scope: string, namespace: string, keys: string[]): Promise<Map<string, DocumentState>> {
    const out = new Map<string, DocumentState>();
    for (let i = 0; i < keys.length; i += 500) {
      const part = keys.slice(i, i + 500);
      const rows = await this.db
        .selectFrom("knowledge_documents as d")
        .leftJoin("knowledge_chunks as c", (j) => j.onRef("c.scope", "=", "d.scope").onRef("c.namespace", "=", "d.namespace").onRef("c.key", "=", "d.key"))
        .select(["d.key", "d.content_hash"])
        .select((eb) => [
          eb.fn.count<number>("c.id").as("n"),
          eb.fn
            .sum<number>(eb.case().when(eb.exists(eb.selectFrom("knowledge_vectors as v").select("v.chunk_id").whereRef("v.chunk_id", "=", "c.id"))).then(1).else(0).end())
            .as("embedded"),
        ])
        .where("d.scope", "=", scope)
        .where("d.namespace", "=", namespace)
        .where("d.key", "in", part)
        .groupBy(["d.key", "d.content_hash"])
        .execute();
      for (const r of rows) out.set(r.key, { contentHash: r.content_hash, chunks: num(r.n), embedded: num(r.n) > 0 && num(r.n) === num(r.embedded) });
    }
    return out;
  }

  /**
   * Writes documents of one scope in one transaction. Every `replace` deletes the old
   * chunks and inserts the new ones; a `metadata` write whose document changed (or went)
   * meanwhile undoes the whole write and is reported as stale, for the caller to redo.
   */
  async write(scope: string, writes: DocumentWrite[], now = new Date().toISOString(), also?: InTransaction): Promise<WriteOutcome> {
    try {
      const statuses = await this.db.transaction().execute(async (trx) => {
        const out: WriteStatus[] = [];
        const stale: Array<{ namespace: string; key: string }> = [];
        for (const w of writes) {
          const where = { scope, namespace: w.namespace, key: w.key };
          if (w.kind === "metadata") {
            const r = await trx
              .updateTable("knowledge_documents")
              .set({ metadata: w.metadata, updated_at: now })
              .where("scope", "=", scope)
              .where("namespace", "=", w.namespace)
              .where("key", "=", w.key)
              .where("content_hash", "=", w.contentHash)
              .executeTakeFirst();
            if (r.numUpdatedRows === 0n) stale.push({ namespace: w.namespace, key: w.key });
            out.push("unchanged");
            continue;
          }
          const existed = await trx
            .deleteFrom("knowledge_chunks")
            .where("scope", "=", scope)
            .where("namespace", "=", w.namespace)
            .where("key", "=", w.key)
            .executeTakeFirst();
          const r = await trx
            .insertInto("knowledge_documents")
            .values({ ...where, content: w.content, content_hash: w.contentHash, metadata: w.metadata, created_at: now, updated_at: now })
            .onConflict((oc) =>
              oc.columns(["scope", "namespace", "key"]).doUpdateSet({ content: w.content, content_hash: w.contentHash, metadata: w.metadata, updated_at: now }),
            )
            .returning("created_at")
            .executeTakeFirstOrThrow();
          out.push(r.created_at === now && existed.numDeletedRows === 0n ? "created" : "replaced");
          const rows = w.chunks.map((content, seq) => ({ ...where, seq, content }));
          for (let i = 0; i < rows.length; i += INSERT_ROWS) {
            const ids = await trx.insertInto("knowledge_chunks").values(rows.slice(i, i + INSERT_ROWS)).returning(["id", "seq"]).execute();
            const e = w.embedding;
            if (!e) continue;
            const vectors = ids.map((r) => {
              const vector = e.vectors[num(r.seq)]!;
              return { chunk_id: num(r.id), model: e.model, dimensions: vector.length, embedding: this.vectors.encode(vector) };
            });
            await trx.insertInto("knowledge_vectors").values(vectors).execute();
          }
        }
        if (stale.length > 0) throw new StaleWrite(stale);
        await also?.(trx);
        return out;
      });
      return { ok: true, statuses };
    } catch (error) {
      if (error instanceof StaleWrite) return { ok: false, stale: error.stale };
      throw error;
    }
  }

  async deleteDocument(scope: string, namespace: string, key: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("knowledge_chunks").where("scope", "=", scope).where("namespace", "=", namespace).where("key", "=", key).execute();
      const r = await trx.deleteFrom("knowledge_documents").where("scope", "=", scope).where("namespace", "=", namespace).where("key", "=", key).executeTakeFirst();
      if (r.numDeletedRows > 0n) await also?.(trx);
      return r.numDeletedRows > 0n;
    });
  }

  /** Deletes every document of the namespace; resolves how many there were. */
  async deleteNamespace(scope: string, namespace: string, also?: InTransaction): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("knowledge_chunks").where("scope", "=", scope).where("namespace", "=", namespace).execute();
      const r = await trx.deleteFrom("knowledge_documents").where("scope", "=", scope).where("namespace", "=", namespace).executeTakeFirst();
      if (r.numDeletedRows > 0n) await also?.(trx);
      return Number(r.numDeletedRows);
    });
  }

  /** Namespaces of the scopes with their document and chunk counts, by name then scope. */
  async listNamespaces(scopes: string[]): Promise<NamespaceRow[]> {
    if (scopes.length === 0) return [];
    const docs = await this.db
      .selectFrom("knowledge_documents")
      .select(["scope", "namespace"])
      .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.max("updated_at").as("updated")])
      .where("scope", "in", scopes)
      .groupBy(["scope", "namespace"])
      .orderBy("namespace")
      .orderBy("scope")
      .execute();
    const chunks = await this.db
      .selectFrom("knowledge_chunks")
      .select(["scope", "namespace"])
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("scope", "in", scopes)
      .groupBy(["scope", "namespace"])
      .execute();
    const chunkCount = new Map(chunks.map((c) => [`${c.scope}\u0000${c.namespace}`, num(c.n)]));
    return docs.map((d) => ({
      scope: d.scope,
      namespace: d.namespace,
      documents: num(d.n),
      chunks: chunkCount.get(`${d.scope}\u0000${d.namespace}`) ?? 0,
      updatedAt: String(d.updated),
    }));
  }

  /** One page of a namespace's documents (without content), by key, and how many there are. */
  async listDocuments(
    scope: string,
    namespace: string,
    limit: number,
    offset: number,
  ): Promise<{ documents: Array<{ key: string; metadata: string; length: number; chunks: number; createdAt: string; updatedAt: string }>; total: number }> {
    const base = this.db.selectFrom("knowledge_documents as d").where("d.scope", "=", scope).where("d.namespace", "=", namespace);
    const [rows, total] = await Promise.all([
      base
        .select(["d.key", "d.metadata", "d.created_at", "d.updated_at"])
        .select((eb) => eb.fn<number>("length", ["d.content"]).as("length"))
        .select((eb) =>
          eb
            .selectFrom("knowledge_chunks as c")
            .select((c) => c.fn.countAll<number>().as("n"))
            .whereRef("c.scope", "=", "d.scope")
            .whereRef("c.namespace", "=", "d.namespace")
            .whereRef("c.key", "=", "d.key")
            .as("chunks"),
        )
        .orderBy("d.key")
        .limit(limit)
        .offset(offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return {
      documents: rows.map((r) => ({ key: r.key, metadata: r.metadata, length: num(r.length), chunks: num(r.chunks ?? 0), createdAt: r.created_at, updatedAt: r.updated_at })),
      total: num(total.n),
    };
  }

  /** Chunks of the target's scopes and namespaces without a vector of `model` at `dimensions`, oldest first. */
  async chunksWithoutVectors(
    target: Pick<KnowledgeTarget, "scopes" | "namespaces">,
    model: string,
    dimensions: number,
    limit: number,
  ): Promise<Array<{ id: number; scope: string; content: string }>> {
    if (target.scopes.length === 0 || target.namespaces.length === 0 || limit <= 0) return [];
    const rows = await this.withoutVectors(target, model, dimensions).select(["c.id", "c.scope", "c.content"]).orderBy("c.id").limit(limit).execute();
    return rows.map((r) => ({ id: num(r.id), scope: r.scope, content: r.content }));
  }

  /** How many chunks `chunksWithoutVectors` would list without a limit. */
  async countWithoutVectors(target: Pick<KnowledgeTarget, "scopes" | "namespaces">, model: string, dimensions: number): Promise<number> {
    if (target.scopes.length === 0 || target.namespaces.length === 0) return 0;
    const r = await this.withoutVectors(target, model, dimensions)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return num(r.n);
  }

  private withoutVectors(target: Pick<KnowledgeTarget, "scopes" | "namespaces">, model: string, dimensions: number) {
    return this.db
      .selectFrom("knowledge_chunks as c")
      .where("c.scope", "in", target.scopes)
      .where("c.namespace", "in", target.namespaces)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("knowledge_vectors as v")
              .select("v.chunk_id")
              .whereRef("v.chunk_id", "=", "c.id")
              .where("v.model", "=", model)
              .where("v.dimensions", "=", dimensions),
          ),
        ),
      );
  }

  /**
   * Stores chunks' vectors of `model` (replacing one of the same model). `exclusive`
   * entries also drop the chunk's vectors of other models (an organization's chunks only
   * need its current model's). Chunks deleted meanwhile are skipped.
   */
  async setVectors(model: string, entries: Array<{ id: number; vector: number[]; exclusive?: boolean }>): Promise<void> {
    if (entries.length === 0) return;
    const put = async (trx: Kysely<Schema>, e: (typeof entries)[number]) => {
      const embedding = this.vectors.encode(e.vector);
      await trx
        .insertInto("knowledge_vectors")
        .values({ chunk_id: e.id, model, dimensions: e.vector.length, embedding })
        .onConflict((oc) => oc.columns(["chunk_id", "model"]).doUpdateSet({ dimensions: e.vector.length, embedding }))
        .execute();
      if (e.exclusive) await trx.deleteFrom("knowledge_vectors").where("chunk_id", "=", e.id).where("model", "<>", model).execute();
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const e of entries) await put(trx, e);
      });
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      // A chunk went meanwhile (its document was replaced or deleted): write the others one by one.
      for (const e of entries) {
        try {
          await put(this.db, e);
        } catch (inner) {
          if (!isForeignKeyViolation(inner)) throw inner;
        }
      }
    }
  }

  /**
   * The best chunk of each target document by cosine similarity with `query`, among
   * chunks embedded with `model` at the query's dimensions: best first, at most `limit`,
   * none under `minScore`.
   */
  async searchVectors(target: KnowledgeTarget, query: number[], model: string, options: { limit: number; minScore?: number }): Promise<KnowledgeHitRow[]> {
    if (target.scopes.length === 0 || target.namespaces.length === 0 || options.limit <= 0) return [];
    const dims = query.length;
    const similarity = this.vectors.similarity(sql.ref("x.embedding"), query);
    const result = await sql<KnowledgeHitRow>`
      WITH v AS (${this.visible(target)}),
      scored AS (
        SELECT c.scope, c.namespace, c."key", c.seq, c.content, v.metadata,
          CASE WHEN x.dimensions = ${dims} THEN ${similarity} ELSE 0 END AS score
        FROM knowledge_chunks c
        JOIN v ON v.scope = c.scope AND v.namespace = c.namespace AND v."key" = c."key"
        JOIN knowledge_vectors x ON x.chunk_id = c.id AND x.model = ${model} AND x.dimensions = ${dims}
      ),
      ranked AS (
        SELECT scored.*, row_number() OVER (PARTITION BY scope, namespace, "key" ORDER BY score DESC, seq) AS rn FROM scored
      )
      ${this.best(options)}`.execute(this.db);
    return result.rows.map(toHit);
  }

  /**
   * The best chunk of each target document by full-text relevance to `terms` (any of
   * them; stemmed English): best first. Scores are relative to the best matching chunk
   * of the search (1 = best), so `minScore` keeps matches at least that close to it.
   */
  async searchText(target: KnowledgeTarget, terms: string[], options: { limit: number; minScore?: number }): Promise<KnowledgeHitRow[]> {
    const words = terms.filter((t) => /^[\p{L}\p{N}]+$/u.test(t));
    if (target.scopes.length === 0 || target.namespaces.length === 0 || words.length === 0 || options.limit <= 0) return [];
    const matched =
      this.dialect === "sqlite"
        ? sql`
          SELECT c.scope, c.namespace, c."key", c.seq, c.content, v.metadata, -bm25(knowledge_chunks_fts) AS r
          FROM knowledge_chunks_fts
          JOIN knowledge_chunks c ON c.id = knowledge_chunks_fts.rowid
          JOIN v ON v.scope = c.scope AND v.namespace = c.namespace AND v."key" = c."key"
          WHERE knowledge_chunks_fts MATCH ${words.map((w) => `"${w}"`).join(" OR ")}`
        : sql`
          SELECT c.scope, c.namespace, c."key", c.seq, c.content, v.metadata, ts_rank(c.tsv, q.query)::float8 AS r
          FROM knowledge_chunks c
          JOIN v ON v.scope = c.scope AND v.namespace = c.namespace AND v."key" = c."key"
          CROSS JOIN to_tsquery('english', ${words.join(" | ")}) AS q(query)
          WHERE c.tsv @@ q.query`;
    const result = await sql<KnowledgeHitRow>`
      WITH v AS (${this.visible(target)}),
      matched AS (${matched}),
      ranked AS (
        SELECT matched.*,
          CASE WHEN max(r) OVER () > 0 THEN r / max(r) OVER () ELSE 1.0 END AS score,
          row_number() OVER (PARTITION BY scope, namespace, "key" ORDER BY r DESC, seq) AS rn
        FROM matched
      )
      ${this.best(options)}`.execute(this.db);
    return result.rows.map(toHit);
  }

  /** The target's documents (scope, namespace, key, metadata) as a SELECT. */
  private visible(t: KnowledgeTarget): RawBuilder<unknown> {
    const shadow =
      t.shadow && t.scopes.includes(t.shadow.by) && t.scopes.includes(t.shadow.hides)
        ? sql`AND NOT (d.scope = ${t.shadow.hides} AND EXISTS (
            SELECT 1 FROM knowledge_documents o WHERE o.scope = ${t.shadow.by} AND o.namespace = d.namespace AND o."key" = d."key"))`
        : sql``;
    return sql`
      SELECT d.scope, d.namespace, d."key", d.metadata FROM knowledge_documents d
      WHERE d.scope IN (${sql.join(t.scopes)}) AND d.namespace IN (${sql.join(t.namespaces)})
        AND ${compileWhere(t.metadata, this.dialect, sql.ref("d.metadata"))} ${shadow}`;
  }

  /** The best chunk per document from `ranked`, filtered, ordered and limited. */
  private best(options: { limit: number; minScore?: number }): RawBuilder<unknown> {
    const min = options.minScore === undefined ? sql`` : sql`AND score >= ${options.minScore}`;
    return sql`
      SELECT scope, namespace, "key", seq, content, metadata, score FROM ranked
      WHERE rn = 1 ${min}
      ORDER BY score DESC, namespace, "key", scope
      LIMIT ${options.limit}`;
  }
}

const toHit = (r: KnowledgeHitRow): KnowledgeHitRow => ({
  scope: r.scope,
  namespace: r.namespace,
  key: r.key,
  seq: num(r.seq),
  content: r.content,
  metadata: r.metadata,
  score: Number(r.score),
});
