import { sql, type RawBuilder } from "kysely";
import type { DatabaseDialect } from "./database.js";

/**
 * How one database stores embedding vectors and scores them by cosine similarity: the
 * `VectorIndex` backend of DESIGN.md. Each implementation passes the same conformance
 * suite (packages/storage/test/knowledge-vectors.test.ts) against a real server.
 *
 * - SQLite: the sqlite-vec extension (loaded by `openSqlite`); vectors are float32 BLOBs
 *   and `vec_distance_cosine` scores them in C.
 * - PostgreSQL without pgvector: vectors are `real[]` and an exact dot product of unit
 *   vectors is computed in SQL (`unnest` of both arrays).
 *
 * Both scan every candidate chunk (exact search, no approximate index): the filters on
 * organization, namespace, model and metadata narrow the scan first.
 */
export interface VectorIndex {
  /** Which implementation this is, for logs and docs. */
  readonly name: "sqlite-vec" | "postgres-exact";
  /** The column value stored for a vector: scaled to unit length (cosine does not change). */
  encode(vector: readonly number[]): unknown;
  /** The stored vector (unit length) from a column value. */
  decode(value: unknown): number[];
  /**
   * SQL: the cosine similarity (-1 to 1) between the vector stored in `column` and
   * `query`; 0 when either has no length. Only evaluated where both have the same
   * number of dimensions (callers filter on the stored dimensions first).
   */
  similarity(column: RawBuilder<unknown>, query: readonly number[]): RawBuilder<number>;
}

/** `vector` scaled to length 1; a zero vector stays zero. Non-finite values are refused. */
export function unitVector(vector: readonly number[]): number[] {
  let sum = 0;
  for (const x of vector) {
    if (!Number.isFinite(x)) throw new RangeError("a vector component is not a finite number");
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  return norm === 0 ? [...vector] : vector.map((x) => x / norm);
}

const float32 = (vector: readonly number[]) => Buffer.from(new Float32Array(unitVector(vector)).buffer);

export const sqliteVecIndex: VectorIndex = {
  name: "sqlite-vec",
  encode: float32,
  decode(value) {
    const buf = value as Buffer;
    return Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  },
  similarity(column, query) {
    // vec_distance_cosine is NULL when a vector has no length: similarity 0.
    return sql<number>`coalesce(1.0 - vec_distance_cosine(${column}, ${float32(query)}), 0.0)`;
  },
};

export const postgresExactIndex: VectorIndex = {
  name: "postgres-exact",
  encode: (vector) => Array.from(new Float32Array(unitVector(vector))),
  decode: (value) => (value as number[]).map(Number),
  similarity(column, query) {
    // Both sides are unit vectors, so the dot product is the cosine. float8 sums keep
    // the rounding of 1,000+ dimensions below float32's.
    const q = Array.from(new Float32Array(unitVector(query)));
    return sql<number>`(SELECT coalesce(sum(a::float8 * b::float8), 0) FROM unnest(${column}, ${q}::real[]) AS v(a, b))`;
  },
};

export function vectorIndexFor(dialect: DatabaseDialect): VectorIndex {
  switch (dialect) {
    case "sqlite":
      return sqliteVecIndex;
    case "postgres":
      return postgresExactIndex;
    default: {
      const exhaustive: never = dialect;
      return exhaustive;
    }
  }
}
