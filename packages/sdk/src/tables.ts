import { call } from "./transport.js";

/**
 * Tables: JSON documents in named tables, per organization (SPEC §2 `tables`).
 * Full reference with the filter semantics: docs/sdk/tables.md.
 * @module
 */

/** A stored document: any JSON object with a string `id` (a UUID is generated when absent). */
export type Document = { id: string } & Record<string, unknown>;

/** What you may insert: a JSON object, with or without an `id`. */
export type NewDocument = { id?: string } & Record<string, unknown>;

export type Scalar = string | number | boolean | null;

/**
 * Operators for one field. Several operators on one field must all hold. A number only
 * matches JSON numbers and a string only JSON strings, so `{ gt: 8 }` never matches `"16"`.
 */
export interface FieldFilter {
  /** Equal (same JSON type). `eq: null` matches a missing field or null. */
  eq?: Scalar;
  /** Not equal: everything `eq` does not match, missing fields included. */
  ne?: Scalar;
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
  /** Equal to one of the values; `[]` matches nothing. */
  in?: Scalar[];
  /** Substring of a string field, or an element of an array field. */
  contains?: Scalar;
  startsWith?: string;
  endsWith?: string;
  /** true: the field is missing or null; false: it has a non-null value. */
  isNull?: boolean;
  /** The field is an object with this key. */
  hasKey?: string;
}

/**
 * Conditions by field name or dotted path (`"device.ram"`), all of which must hold. A plain
 * value means `eq`: `{ status: "open", "device.ram": { gte: 8 }, tags: { contains: "vip" } }`.
 */
export type Where = Record<string, Scalar | FieldFilter>;

export interface ScopeOption {
  /** An organization id or `"global"`. Default: the current organization. Org users may read, not write, global tables. */
  scope?: string;
}

export interface TableInfo {
  name: string;
  /** "global", or the organization id the table belongs to. */
  scope: string;
  documentCount: number;
  createdAt: string;
}

export interface QueryOptions extends ScopeOption {
  where?: Where;
  /** A field name or dotted path. Default: insertion order. */
  orderBy?: string;
  /** Default "asc". */
  orderDir?: "asc" | "desc";
  /** 0 to 1000; default 100. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

export interface QueryResult<T extends { id: string } = Document> {
  documents: T[];
  /** How many documents match in all (ignoring limit and offset). */
  total: number;
  limit: number;
  offset: number;
}

/**
 * Creates a table. Creating one that exists is a `conflict` error (409), unless
 * `ifNotExists` is set: then the existing table is returned.
 *
 * @example
 * ```ts
 * import { workflow, tables } from "bifrost";
 *
 * export const setup = workflow({}, async () => {
 *   const devices = await tables.create("devices", { ifNotExists: true });
 *   return { documents: devices.documentCount };
 * });
 * ```
 */
export function create(name: string, options: ScopeOption & { ifNotExists?: boolean } = {}): Promise<TableInfo> {
  return call<TableInfo>("tables.create", [name, options]);
}

/**
 * Lists the tables of a scope (the current organization's by default), by name.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * for (const t of await tables.list()) console.log(t.name, t.documentCount);
 * const shared = await tables.list({ scope: "global" });
 * ```
 */
export function list(options: ScopeOption = {}): Promise<TableInfo[]> {
  return call<TableInfo[]>("tables.list", [options], { idempotent: true });
}

/**
 * Deletes a table and all its documents; resolves true when it existed.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * await tables.drop("scratch");
 * ```
 */
export function drop(name: string, options: ScopeOption = {}): Promise<boolean> {
  return call<boolean>("tables.drop", [name, options]);
}

/**
 * Inserts a document and resolves it as stored (with its `id`, generated when absent).
 * An `id` already in the table is a `conflict` error (409); a document over 1 MiB of
 * JSON is `payload_too_large` (413).
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const device = await tables.insert("devices", { hostname: "ws-042", os: "Windows 11", ram: 16, tags: ["finance"] });
 * console.log(device.id);
 * ```
 */
export function insert<T extends object = NewDocument>(table: string, document: T & { id?: string }, options: ScopeOption = {}): Promise<T & { id: string }> {
  return call<T & { id: string }>("tables.insert", [table, document, options]);
}

/**
 * Inserts the document, or replaces the whole document with the same `id`.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * await tables.upsert("devices", { id: "ws-042", hostname: "ws-042", ram: 32 });
 * ```
 */
export function upsert<T extends object = NewDocument>(table: string, document: T & { id?: string }, options: ScopeOption = {}): Promise<T & { id: string }> {
  return call<T & { id: string }>("tables.upsert", [table, document, options]);
}

/**
 * Reads one document by id; resolves null when there is none. A missing table is a
 * `not_found` error (404), so a misspelt name does not pass for an empty table.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const device = await tables.get<{ id: string; hostname: string }>("devices", "ws-042");
 * if (device) console.log(device.hostname);
 * ```
 */
export function get<T extends { id: string } = Document>(table: string, id: string, options: ScopeOption = {}): Promise<T | null> {
  return call<T | null>("tables.get", [table, id, options], { idempotent: true });
}

/**
 * Merges `patch` into a document (top-level keys replace; other keys stay) and resolves
 * the result. A missing document is a `not_found` error (404); `id` cannot change.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const updated = await tables.update("devices", "ws-042", { ram: 64, lastSeen: new Date().toISOString() });
 * ```
 */
export function update<T extends { id: string } = Document>(table: string, id: string, patch: Record<string, unknown>, options: ScopeOption = {}): Promise<T> {
  return call<T>("tables.update", [table, id, patch, options]);
}

/**
 * Deletes one document; resolves true when it existed.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * if (!(await tables.deleteDocument("devices", "ws-042"))) console.log("already gone");
 * ```
 */
export function deleteDocument(table: string, id: string, options: ScopeOption = {}): Promise<boolean> {
  return call<boolean>("tables.deleteDocument", [table, id, options]);
}

/**
 * Inserts up to 1000 documents, all or none: one invalid or oversized document, or one
 * `id` that is taken (or repeated in the batch), and nothing is written.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const rows = await tables.insertBatch("devices", [
 *   { hostname: "ws-001", ram: 8 },
 *   { hostname: "ws-002", ram: 16 },
 * ]);
 * console.log(rows.map((r) => r.id));
 * ```
 */
export function insertBatch<T extends object = NewDocument>(table: string, documents: (T & { id?: string })[], options: ScopeOption = {}): Promise<(T & { id: string })[]> {
  return call<(T & { id: string })[]>("tables.insertBatch", [table, documents, options]);
}

/**
 * Inserts or replaces up to 1000 documents, all or none.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * await tables.upsertBatch("licenses", [
 *   { id: "m365-e3", assigned: 41, total: 50 },
 *   { id: "m365-e5", assigned: 9, total: 10 },
 * ]);
 * ```
 */
export function upsertBatch<T extends object = NewDocument>(table: string, documents: (T & { id?: string })[], options: ScopeOption = {}): Promise<(T & { id: string })[]> {
  return call<(T & { id: string })[]>("tables.upsertBatch", [table, documents, options]);
}

/**
 * Deletes up to 1000 documents by id in one transaction; ids that do not exist are
 * skipped. Resolves how many were deleted.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const stale = await tables.query("devices", { where: { lastSeen: { lt: "2024-01-01" } }, limit: 1000 });
 * const deleted = await tables.deleteBatch("devices", stale.documents.map((d) => d.id));
 * ```
 */
export function deleteBatch(table: string, ids: string[], options: ScopeOption = {}): Promise<number> {
  return call<number>("tables.deleteBatch", [table, ids, options]);
}

/**
 * Finds documents: filter with `where`, sort with `orderBy`/`orderDir`, page with
 * `limit`/`offset`. `total` counts every match. An unknown operator or a malformed
 * `where` is a `validation_failed` error naming the field.
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const page = await tables.query("devices", {
 *   where: { os: { startsWith: "Windows" }, "specs.ram": { gte: 16 }, tags: { contains: "finance" } },
 *   orderBy: "hostname",
 *   limit: 50,
 * });
 * console.log(`${page.documents.length} of ${page.total}`);
 * ```
 */
export function query<T extends { id: string } = Document>(table: string, options: QueryOptions = {}): Promise<QueryResult<T>> {
  return call<QueryResult<T>>("tables.query", [table, options], { idempotent: true });
}

/**
 * Counts the documents matching `where` (all documents without it).
 *
 * @example
 * ```ts
 * import { tables } from "bifrost";
 *
 * const open = await tables.count("tickets", { where: { status: "open" } });
 * ```
 */
export function count(table: string, options: ScopeOption & { where?: Where } = {}): Promise<number> {
  return call<number>("tables.count", [table, options], { idempotent: true });
}
