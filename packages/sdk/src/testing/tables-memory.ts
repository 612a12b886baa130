import { BifrostError } from "../errors.js";
import type { Document, NewDocument, QueryOptions, QueryResult, Scalar, TableInfo, Where } from "../tables.js";

/**
 * The `tables` module in memory, in plain TypeScript: the reference the platform's SQL
 * filter compiler is property-tested against, and the store behind an in-memory test
 * platform. Semantics (docs/sdk/tables.md):
 * - a filter value's JS type decides the comparison; a field of another JSON type never
 *   matches `eq`/`gt`/`lt`/… (so `ne` matches it);
 * - `eq: null` / `isNull: true` match a missing field or null;
 * - `contains`: substring of a string, or an element (same typing as `eq`) of an array;
 * - dotted paths descend through objects only, never into arrays;
 * - strings compare by Unicode code point (what SQL's binary collation does on UTF-8);
 * - sorting ranks types: missing/null < booleans < numbers < strings < arrays/objects
 *   (arrays and objects tie), then the value, then the id, all in `orderDir`; without
 *   `orderBy`, insertion time then id.
 */

export const OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startsWith", "endsWith", "isNull", "hasKey"] as const;
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

const invalid = (path: string, message: string) => new BifrostError(`Invalid input: ${path} ${message}`, "validation_failed", 422);

type Json = Scalar | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

function splitPath(field: string, at: string): string[] {
  const segments = field.split(".");
  if (segments.length > 8 || !segments.every((s) => SEGMENT.test(s))) throw invalid(at, "must be a field name or dotted path of letters, digits, _ and -");
  return segments;
}

/** The value at a dotted path; undefined when missing (paths never index into arrays). */
export function valueAt(doc: unknown, path: string[]): unknown {
  let cur: unknown = doc;
  for (const key of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Code point order: the order of UTF-8 bytes, as SQL binary collation compares text. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function eq(field: unknown, value: Scalar): boolean {
  if (value === null) return field === undefined || field === null;
  return typeof field === typeof value && field === value;
}

function compare(field: unknown, value: number | string): number | null {
  if (typeof value === "number") return typeof field === "number" ? field - value : null;
  return typeof field === "string" ? compareStrings(field, value) : null;
}

function scalarOrThrow(v: unknown, at: string): Scalar {
  if (!isScalar(v)) throw invalid(at, "must be a string, a finite number, a boolean or null");
  return v;
}

function stringOrThrow(v: unknown, at: string): string {
  if (typeof v !== "string") throw invalid(at, "must be a string");
  return v;
}

function test(op: string, field: unknown, value: unknown, at: string): boolean {
  switch (op) {
    case "eq":
      return eq(field, scalarOrThrow(value, at));
    case "ne":
      return !eq(field, scalarOrThrow(value, at));
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      if (!(typeof value === "string" || (typeof value === "number" && Number.isFinite(value)))) throw invalid(at, "must be a number or a string");
      const c = compare(field, value);
      if (c === null) return false;
      return op === "gt" ? c > 0 : op === "gte" ? c >= 0 : op === "lt" ? c < 0 : c <= 0;
    }
    case "in": {
      if (!Array.isArray(value)) throw invalid(at, "must be an array");
      const values = value.map((v) => scalarOrThrow(v, at));
      return values.some((v) => eq(field, v));
    }
    case "contains": {
      const v = scalarOrThrow(value, at);
      if (typeof field === "string" && typeof v === "string") return field.includes(v);
      return Array.isArray(field) && field.some((el) => (v === null ? el === null : eq(el, v)));
    }
    case "startsWith": {
      const prefix = stringOrThrow(value, at);
      return typeof field === "string" && field.startsWith(prefix);
    }
    case "endsWith": {
      const suffix = stringOrThrow(value, at);
      return typeof field === "string" && field.endsWith(suffix);
    }
    case "isNull":
      if (typeof value !== "boolean") throw invalid(at, "must be true or false");
      return value === (field === undefined || field === null);
    case "hasKey": {
      const key = stringOrThrow(value, at);
      return isObject(field) && Object.hasOwn(field, key);
    }
    default:
      throw invalid(at, `is not an operator; use one of ${OPERATORS.join(", ")}`);
  }
}

/** Whether a document satisfies `where`; throws `validation_failed` for a malformed one. */
export function matchesWhere(doc: unknown, where: Where | undefined): boolean {
  if (where === undefined || where === null) return true;
  if (!isObject(where)) throw invalid("where", "must be an object of field conditions");
  let ok = true;
  // Evaluates every condition (no short-circuit) so a malformed filter fails on every document.
  for (const [field, spec] of Object.entries(where)) {
    const at = `where.${field}`;
    const path = splitPath(field, at);
    const value = valueAt(doc, path);
    if (isScalar(spec)) {
      ok = eq(value, spec) && ok;
      continue;
    }
    if (!isObject(spec)) throw invalid(at, "must be a scalar or an object of operators");
    const ops = Object.entries(spec);
    if (ops.length === 0) throw invalid(at, "needs at least one operator");
    for (const [op, v] of ops) ok = test(op, value, v, `${at}.${op}`) && ok;
  }
  return ok;
}

function rank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "boolean") return 1;
  if (typeof v === "number") return 2;
  if (typeof v === "string") return 3;
  return 4;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return Number(a) - Number(b);
  if (ra === 2) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 3) return compareStrings(a as string, b as string);
  return 0;
}

/** A document with the times the store keeps beside it. */
export interface StoredDocument {
  document: Document;
  createdAt: string;
}

/** Filters, sorts and pages like `tables.query` (validating `limit`, `offset`, `orderBy`). */
export function queryDocuments<T extends { id: string } = Document>(rows: StoredDocument[], options: Omit<QueryOptions, "scope"> = {}): QueryResult<T> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) throw invalid("limit", `must be a whole number from 0 to ${MAX_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) throw invalid("offset", "must be a whole number, 0 or more");
  const path = options.orderBy === undefined ? null : splitPath(options.orderBy, "orderBy");
  const dir = options.orderDir === "desc" ? -1 : 1;
  const matching = rows.filter((r) => matchesWhere(r.document, options.where));
  matching.sort((a, b) => {
    const c = path === null ? compareStrings(a.createdAt, b.createdAt) : compareValues(valueAt(a.document, path), valueAt(b.document, path));
    return dir * (c !== 0 ? c : compareStrings(a.document.id, b.document.id));
  });
  return {
    documents: matching.slice(offset, offset + limit).map((r) => structuredClone(r.document) as unknown as T),
    total: matching.length,
    limit,
    offset,
  };
}

interface MemoryTable {
  createdAt: string;
  documents: Map<string, StoredDocument & { updatedAt: string }>;
}

/**
 * The whole `tables` API over Maps, one namespace per scope. It does no permission
 * checks: `scope` selects the namespace (default: the one given to the constructor).
 *
 * @example
 * ```ts
 * import { MemoryTables } from "bifrost/testing/tables-memory";
 *
 * const tables = new MemoryTables("org-1");
 * await tables.create("devices");
 * await tables.insert("devices", { id: "a", ram: 16 });
 * const { total } = await tables.query("devices", { where: { ram: { gte: 8 } } });
 * ```
 */
export class MemoryTables {
  private readonly scopes = new Map<string, Map<string, MemoryTable>>();
  constructor(
    private readonly defaultScope = "global",
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  private space(scope: string | undefined): Map<string, MemoryTable> {
    const key = scope ?? this.defaultScope;
    let s = this.scopes.get(key);
    if (!s) this.scopes.set(key, (s = new Map()));
    return s;
  }

  private table(name: string, scope: string | undefined): MemoryTable {
    checkTableName(name);
    const t = this.space(scope).get(name);
    if (!t) throw new BifrostError(`Table "${name}" not found`, "not_found", 404);
    return t;
  }

  private info(name: string, t: MemoryTable, scope: string | undefined): TableInfo {
    return { name, scope: scope ?? this.defaultScope, documentCount: t.documents.size, createdAt: t.createdAt };
  }

  async create(name: string, options: { scope?: string; ifNotExists?: boolean } = {}): Promise<TableInfo> {
    checkTableName(name);
    const space = this.space(options.scope);
    const existing = space.get(name);
    if (existing) {
      if (options.ifNotExists) return this.info(name, existing, options.scope);
      throw new BifrostError(`Table "${name}" already exists`, "conflict", 409);
    }
    const t: MemoryTable = { createdAt: this.now(), documents: new Map() };
    space.set(name, t);
    return this.info(name, t, options.scope);
  }

  async list(options: { scope?: string } = {}): Promise<TableInfo[]> {
    return [...this.space(options.scope)].sort(([a], [b]) => compareStrings(a, b)).map(([name, t]) => this.info(name, t, options.scope));
  }

  async drop(name: string, options: { scope?: string } = {}): Promise<boolean> {
    checkTableName(name);
    return this.space(options.scope).delete(name);
  }

  async insert<T extends object = NewDocument>(table: string, document: T & { id?: string }, options: { scope?: string } = {}): Promise<T & { id: string }> {
    return (await this.insertBatch(table, [document], options))[0]!;
  }

  async upsert<T extends object = NewDocument>(table: string, document: T & { id?: string }, options: { scope?: string } = {}): Promise<T & { id: string }> {
    return (await this.upsertBatch(table, [document], options))[0]!;
  }

  async get<T extends { id: string } = Document>(table: string, id: string, options: { scope?: string } = {}): Promise<T | null> {
    const row = this.table(table, options.scope).documents.get(id);
    return row ? (structuredClone(row.document) as unknown as T) : null;
  }

  async update<T extends { id: string } = Document>(table: string, id: string, patch: Record<string, unknown>, options: { scope?: string } = {}): Promise<T> {
    const t = this.table(table, options.scope);
    const row = t.documents.get(id);
    if (!row) throw new BifrostError(`Document "${id}" not found in table "${table}"`, "not_found", 404);
    if (patch.id !== undefined && patch.id !== id) throw invalid("patch.id", "cannot change a document's id");
    const merged = toDocument({ ...row.document, ...patch, id }, "patch");
    t.documents.set(id, { ...row, document: merged, updatedAt: this.now() });
    return structuredClone(merged) as unknown as T;
  }

  async deleteDocument(table: string, id: string, options: { scope?: string } = {}): Promise<boolean> {
    return this.table(table, options.scope).documents.delete(id);
  }

  async insertBatch<T extends object = NewDocument>(table: string, documents: (T & { id?: string })[], options: { scope?: string } = {}): Promise<(T & { id: string })[]> {
    const t = this.table(table, options.scope);
    const docs = documents.map((d, i) => toDocument(d, `documents.${i}`));
    const seen = new Set<string>();
    for (const d of docs) {
      if (t.documents.has(d.id) || seen.has(d.id)) throw new BifrostError(`A document with id "${d.id}" already exists in table "${table}"`, "conflict", 409);
      seen.add(d.id);
    }
    const now = this.now();
    for (const d of docs) t.documents.set(d.id, { document: d, createdAt: now, updatedAt: now });
    return structuredClone(docs) as unknown as (T & { id: string })[];
  }

  async upsertBatch<T extends object = NewDocument>(table: string, documents: (T & { id?: string })[], options: { scope?: string } = {}): Promise<(T & { id: string })[]> {
    const t = this.table(table, options.scope);
    const docs = documents.map((d, i) => toDocument(d, `documents.${i}`));
    const now = this.now();
    for (const d of docs) t.documents.set(d.id, { document: d, createdAt: t.documents.get(d.id)?.createdAt ?? now, updatedAt: now });
    return structuredClone(docs) as unknown as (T & { id: string })[];
  }

  async deleteBatch(table: string, ids: string[], options: { scope?: string } = {}): Promise<number> {
    const t = this.table(table, options.scope);
    let deleted = 0;
    for (const id of new Set(ids)) if (t.documents.delete(id)) deleted++;
    return deleted;
  }

  async query<T extends { id: string } = Document>(table: string, options: QueryOptions = {}): Promise<QueryResult<T>> {
    const { scope, ...rest } = options;
    return queryDocuments<T>([...this.table(table, scope).documents.values()], rest);
  }

  async count(table: string, options: { scope?: string; where?: Where } = {}): Promise<number> {
    const rows = [...this.table(table, options.scope).documents.values()];
    return rows.filter((r) => matchesWhere(r.document, options.where)).length;
  }
}

function checkTableName(name: string): void {
  if (!TABLE_NAME.test(name)) throw invalid("table", "must start with a letter and use letters, digits, _ and - (up to 64)");
}

/** A JSON copy of the document with its id (generated when absent), within the size limit. */
function toDocument(input: unknown, at: string): Document {
  if (!isObject(input)) throw invalid(at, "must be an object");
  const id = input.id ?? globalThis.crypto.randomUUID();
  if (typeof id !== "string" || id.length === 0 || id.length > 256) throw invalid(`${at}.id`, "must be a string of 1 to 256 characters");
  const json = JSON.stringify({ ...input, id });
  if (new TextEncoder().encode(json).length > MAX_DOCUMENT_BYTES) throw new BifrostError(`${at} is larger than 1 MiB of JSON`, "payload_too_large", 413);
  return JSON.parse(json) as Json as Document;
}
