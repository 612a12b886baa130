import { sql, type RawBuilder } from "kysely";
import type { FieldError } from "@bifrost/contracts/execution.js";
import type { DatabaseDialect } from "./database.js";
import { jsonSql, type JsonSql, type JsonType, type Sql } from "./tables-json-sql.js";

/**
 * The `where` language of `tables.query` / `tables.count`, parsed into conditions and
 * compiled to SQL over the documents' JSON text. Values and JSON paths are always bound
 * parameters; the only SQL text produced here is fixed by this file.
 *
 * Semantics (the in-memory reference in `bifrost/testing/tables-memory` is the oracle the
 * property tests compare against):
 * - a filter value's JS type decides the comparison: a number only ever matches JSON
 *   numbers, a string only JSON strings, a boolean only true/false;
 * - `eq: null` / `isNull: true` match a missing field or JSON null; `ne` is `NOT eq`, so it
 *   matches missing fields and fields of another type;
 * - `contains` is substring on strings and element membership (same typing) on arrays;
 * - paths descend through objects only (`a.b`), never into arrays.
 */

export const FILTER_OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startsWith", "endsWith", "isNull", "hasKey"] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export type Scalar = string | number | boolean | null;

export type Condition =
  | { path: string[]; op: "eq" | "ne" | "contains"; value: Scalar }
  | { path: string[]; op: "gt" | "gte" | "lt" | "lte"; value: number | string }
  | { path: string[]; op: "in"; value: Scalar[] }
  | { path: string[]; op: "startsWith" | "endsWith" | "hasKey"; value: string }
  | { path: string[]; op: "isNull"; value: boolean };

export interface Order {
  /** Field path; null = insertion order (created_at, then id). */
  path: string[] | null;
  dir: "asc" | "desc";
}

/** One segment of a dotted field path. Strict so a path can never carry JSON-path syntax. */
export const FIELD_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_PATH_SEGMENTS = 8;
export const MAX_CONDITIONS = 100;
export const MAX_IN_VALUES = 1000;
const MAX_FILTER_STRING = 4096;

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Splits `device.ram` into segments, or says why it is not a field path. */
export function parseFieldPath(field: string): string[] | string {
  const segments = field.split(".");
  if (segments.length > MAX_PATH_SEGMENTS) return `may have at most ${MAX_PATH_SEGMENTS} dotted segments`;
  for (const s of segments) {
    if (!FIELD_SEGMENT.test(s)) return "must be a field name or dotted path of letters, digits, _ and - (up to 64 each)";
  }
  return segments;
}

const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

function checkString(v: unknown): string | null {
  if (typeof v !== "string") return "must be a string";
  if (v.length > MAX_FILTER_STRING) return `must be at most ${MAX_FILTER_STRING} characters`;
  return null;
}

function checkScalar(v: unknown): string | null {
  if (!isScalar(v)) return "must be a string, a finite number, a boolean or null";
  return typeof v === "string" ? checkString(v) : null;
}

function parseOperator(path: string[], op: string, value: unknown): Condition | string {
  switch (op as FilterOperator) {
    case "eq":
    case "ne":
    case "contains": {
      const bad = checkScalar(value);
      return bad ?? { path, op: op as "eq" | "ne" | "contains", value: value as Scalar };
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if (typeof value === "number" && Number.isFinite(value)) return { path, op: op as "gt", value };
      if (typeof value === "string") return checkString(value) ?? { path, op: op as "gt", value };
      return "must be a number or a string (numbers compare as numbers, strings as strings)";
    case "in": {
      if (!Array.isArray(value)) return "must be an array of strings, numbers, booleans or null";
      if (value.length > MAX_IN_VALUES) return `may list at most ${MAX_IN_VALUES} values`;
      for (const v of value) {
        const bad = checkScalar(v);
        if (bad) return `values ${bad}`;
      }
      return { path, op: "in", value: value as Scalar[] };
    }
    case "startsWith":
    case "endsWith":
    case "hasKey": {
      const bad = checkString(value);
      return bad ?? { path, op: op as "startsWith", value: value as string };
    }
    case "isNull":
      return typeof value === "boolean" ? { path, op: "isNull", value } : "must be true or false";
    default:
      return `is not an operator; use one of ${FILTER_OPERATORS.join(", ")}`;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates a `where` object: `{ field: value }` means eq, `{ field: { op: value, … } }`
 * applies each operator; all conditions must hold. Anything unknown is an error.
 */
export function parseWhere(where: unknown): Parsed<Condition[]> {
  if (where === undefined || where === null) return { ok: true, value: [] };
  if (!isPlainObject(where)) return { ok: false, errors: [{ path: "where", message: "must be an object of field conditions" }] };
  const errors: FieldError[] = [];
  const conditions: Condition[] = [];
  for (const [field, spec] of Object.entries(where)) {
    const at = `where.${field}`;
    const path = parseFieldPath(field);
    if (typeof path === "string") {
      errors.push({ path: at, message: path });
      continue;
    }
    if (isScalar(spec)) {
      const bad = checkScalar(spec);
      if (bad) errors.push({ path: at, message: bad });
      else conditions.push({ path, op: "eq", value: spec });
      continue;
    }
    if (!isPlainObject(spec)) {
      errors.push({ path: at, message: "must be a string, number, boolean, null, or an object of operators such as { gt: 5 } (use { in: [...] } for lists)" });
      continue;
    }
    const ops = Object.entries(spec);
    if (ops.length === 0) errors.push({ path: at, message: "needs at least one operator" });
    for (const [op, value] of ops) {
      const parsed = parseOperator(path, op, value);
      if (typeof parsed === "string") errors.push({ path: `${at}.${op}`, message: parsed });
      else conditions.push(parsed);
    }
  }
  if (conditions.length > MAX_CONDITIONS) errors.push({ path: "where", message: `may have at most ${MAX_CONDITIONS} conditions` });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: conditions };
}

/** Validates `orderBy` / `orderDir`. */
export function parseOrder(orderBy: string | undefined, orderDir: string | undefined): Parsed<Order> {
  const errors: FieldError[] = [];
  let path: string[] | null = null;
  if (orderBy !== undefined) {
    const parsed = parseFieldPath(orderBy);
    if (typeof parsed === "string") errors.push({ path: "orderBy", message: parsed });
    else path = parsed;
  }
  if (orderDir !== undefined && orderDir !== "asc" && orderDir !== "desc") errors.push({ path: "orderDir", message: 'must be "asc" or "desc"' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { path, dir: orderDir === "desc" ? "desc" : "asc" } };
}

// ---------------------------------------------------------------------------------------
// SQL. Everything a dialect must provide is in `JsonSql` (tables-json-sql.ts); the rest is shared.

const NUMBER: JsonType[] = ["integer", "real"];
const COMPARE = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

function eq(j: JsonSql, path: string[], value: Scalar): Sql {
  if (value === null) return j.isNull(path);
  if (typeof value === "boolean") return j.typeIs(path, [value ? "true" : "false"]);
  if (typeof value === "number") return sql`(${j.typeIs(path, NUMBER)} AND ${j.numberAt(path)} = ${j.number(value)})`;
  return sql`(${j.typeIs(path, ["text"])} AND ${j.textAt(path)} = ${value})`;
}

function elementTypes(value: Scalar): JsonType[] {
  if (value === null) return ["null"];
  if (typeof value === "boolean") return [value ? "true" : "false"];
  return typeof value === "number" ? NUMBER : ["text"];
}

function compileCondition(j: JsonSql, c: Condition): Sql {
  switch (c.op) {
    case "eq":
      return eq(j, c.path, c.value);
    case "ne":
      return j.not(eq(j, c.path, c.value));
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const op = sql.raw(COMPARE[c.op]);
      return typeof c.value === "number"
        ? sql`(${j.typeIs(c.path, NUMBER)} AND ${j.numberAt(c.path)} ${op} ${j.number(c.value)})`
        : sql`(${j.typeIs(c.path, ["text"])} AND ${j.textAt(c.path)} ${op} ${c.value})`;
    }
    case "in":
      return c.value.length === 0 ? j.false : sql`(${sql.join(c.value.map((v) => eq(j, c.path, v)), sql` OR `)})`;
    case "contains": {
      const v = c.value;
      const inArray = j.arrayHas(c.path, elementTypes(v), typeof v === "string" || typeof v === "number" ? v : undefined);
      if (typeof v !== "string") return inArray;
      return sql`((${j.typeIs(c.path, ["text"])} AND ${j.includes(j.textAt(c.path), v)}) OR ${inArray})`;
    }
    case "startsWith":
      return sql`(${j.typeIs(c.path, ["text"])} AND ${j.startsWith(j.textAt(c.path), c.value)})`;
    case "endsWith":
      return sql`(${j.typeIs(c.path, ["text"])} AND ${j.endsWith(j.textAt(c.path), c.value)})`;
    case "isNull":
      return c.value ? j.isNull(c.path) : j.not(j.isNull(c.path));
    case "hasKey":
      return j.objectHasKey(c.path, c.value);
    default: {
      const exhaustive: never = c;
      return exhaustive;
    }
  }
}

/** All conditions ANDed, as one SQL boolean over the `data` column; an empty list is true. */
export function compileWhere(conditions: Condition[], dialect: DatabaseDialect, data: Sql): RawBuilder<boolean> {
  if (conditions.length === 0) return sql<boolean>`1 = 1`;
  const j = jsonSql(dialect, data);
  return sql<boolean>`(${sql.join(conditions.map((c) => compileCondition(j, c)), sql` AND `)})`;
}

/**
 * ORDER BY terms for a field: first the JSON type's rank (missing/null < booleans <
 * numbers < strings < arrays and objects), then the value within the rank (arrays and
 * objects tie), then the document id. All in the same direction.
 */
export function compileOrder(order: Order, dialect: DatabaseDialect, cols: { data: Sql; id: Sql; createdAt: Sql }): Sql[] {
  const dir = sql.raw(order.dir === "desc" ? "DESC" : "ASC");
  if (order.path === null) return [sql`${cols.createdAt} ${dir}`, sql`${cols.id} ${dir}`];
  const keys = jsonSql(dialect, cols.data).orderKeys(order.path);
  return [...keys.map((k) => sql`${k} ${dir}`), sql`${cols.id} ${dir}`];
}
