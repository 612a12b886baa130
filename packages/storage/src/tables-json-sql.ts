import { sql, type RawBuilder } from "kysely";
import type { DatabaseDialect } from "./database.js";

/**
 * What the tables filter compiler (tables-filter.ts) needs from a dialect to read JSON
 * documents stored as text: one implementation per database, the same semantics in each
 * (the property tests compare both with the in-memory reference). JSON paths are always
 * bound parameters; segments passed FIELD_SEGMENT, so they need no quoting.
 */

export type Sql = RawBuilder<unknown>;

/** JSON types as SQLite's `json_type` names them. */
export type JsonType = "null" | "true" | "false" | "integer" | "real" | "text" | "array" | "object";

export interface JsonSql {
  /** Whether the value at `path` is one of `types`: SQL NULL (never true) when the path does not exist. */
  typeIs(path: string[], types: JsonType[]): Sql;
  /** Whether the path is missing or holds JSON null. */
  isNull(path: string[]): Sql;
  /** The number at `path`, to compare with `number(value)`; meaningful only where `typeIs` number holds. */
  numberAt(path: string[]): Sql;
  /** A bound number to compare with `numberAt`. */
  number(value: number): Sql;
  /** The string at `path`, compared by code point; meaningful only where `typeIs` text holds. */
  textAt(path: string[]): Sql;
  /** Whether the array at `path` has an element of one of `types` (and equal to `value`, if given). */
  arrayHas(path: string[], types: JsonType[], value?: string | number): Sql;
  /** Whether the object at `path` has the key. */
  objectHasKey(path: string[], key: string): Sql;
  /** Null-safe negation: NOT of a condition that may be SQL NULL is true. */
  not(condition: Sql): Sql;
  /** Case-sensitive substring / prefix / suffix tests on text. */
  includes(text: Sql, needle: string): Sql;
  startsWith(text: Sql, prefix: string): Sql;
  endsWith(text: Sql, suffix: string): Sql;
  /**
   * Sort keys for a field, to be used in one direction: first the JSON type's rank
   * (missing/null < booleans < numbers < strings < arrays and objects), then the value
   * within the rank (arrays and objects tie).
   */
  orderKeys(path: string[]): Sql[];
  readonly false: Sql;
}

export function jsonSql(dialect: DatabaseDialect, data: Sql): JsonSql {
  switch (dialect) {
    case "sqlite":
      return sqliteJson(data);
    case "postgres":
      return postgresJson(data);
    default: {
      const exhaustive: never = dialect;
      return exhaustive;
    }
  }
}

/** SQLite's JSON1 functions over the text column. The path is bound as `$."a"."b"`. */
function sqliteJson(data: Sql): JsonSql {
  const jsonPath = (path: string[]) => "$" + path.map((s) => `."${s}"`).join("");
  const types = (t: JsonType[]) => sql.join(t.map((x) => sql.val(x)));
  const type = (path: string[]) => sql`json_type(${data}, ${jsonPath(path)})`;
  const value = (path: string[]) => sql`json_extract(${data}, ${jsonPath(path)})`;
  return {
    typeIs: (path, t) => sql`(${type(path)} IN (${types(t)}))`,
    isNull: (path) => sql`(${type(path)} IS NULL OR ${type(path)} = 'null')`,
    numberAt: value,
    number: (v) => sql`${v}`,
    textAt: value,
    arrayHas: (path, t, v) =>
      sql`(json_type(${data}, ${jsonPath(path)}) = 'array' AND EXISTS (SELECT 1 FROM json_each(${data}, ${jsonPath(path)}) AS e WHERE e.type IN (${types(t)})${
        v === undefined ? sql`` : sql` AND e.value = ${v}`
      }))`,
    objectHasKey: (path, key) =>
      sql`(json_type(${data}, ${jsonPath(path)}) = 'object' AND EXISTS (SELECT 1 FROM json_each(${data}, ${jsonPath(path)}) AS e WHERE e.key = ${key}))`,
    not: (c) => sql`(NOT coalesce(${c}, 0))`,
    includes: (text, needle) => sql`(instr(${text}, ${needle}) > 0)`,
    startsWith: (text, prefix) => sql`(substr(${text}, 1, length(${prefix})) = ${prefix})`,
    endsWith: (text, suffix) => sql`(length(${text}) >= length(${suffix}) AND substr(${text}, length(${text}) - length(${suffix}) + 1) = ${suffix})`,
    orderKeys: (path) => {
      const t = type(path);
      return [
        sql`CASE ${t} WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 4 ELSE 0 END`,
        // One key of mixed SQL types: SQLite orders NULL < numbers < text, and the rank comes first.
        sql`CASE WHEN ${t} IN ('array', 'object') THEN NULL ELSE ${value(path)} END`,
      ];
    },
    false: sql`0`,
  };
}

/**
 * PostgreSQL's jsonb operators over the text column cast to jsonb; the path is bound as a
 * `text[]` for `#>` / `#>>`. Where SQLite's JSON functions are lenient PostgreSQL raises
 * (jsonb to numeric of a string, array elements of a scalar), so every such read is
 * guarded by a CASE on `jsonb_typeof`: AND gives no evaluation order.
 *
 * - Numbers compare as `numeric`: documents hold JSON.stringify output, the shortest
 *   decimal that round-trips to its double, and that mapping keeps order and equality,
 *   so exact decimal comparison is double comparison (and never fails on a range).
 * - Strings compare and sort under `COLLATE "C"` (bytes of UTF-8 = code points), as
 *   SQLite's BINARY collation and the reference do, whatever the database's locale.
 * - A CASE has one result type, so sorting uses one key per type (boolean, numeric, text),
 *   each NULL outside its type's rank; the rank comes first, so those NULLs only ever tie.
 */
function postgresJson(data: Sql): JsonSql {
  const doc = sql`(${data})::jsonb`;
  const at = (path: string[]) => sql`(${doc} #> cast(${path} as text[]))`;
  const textParam = (v: string) => sql`cast(${v} as text)`;

  /** `jsonb_typeof` names for `types`; true and false alone are compared as values. */
  const typeTest = (x: Sql, types: JsonType[]): Sql => {
    const names = new Set<string>();
    const tests: Sql[] = [];
    const hasTrue = types.includes("true");
    const hasFalse = types.includes("false");
    if (hasTrue && hasFalse) names.add("boolean");
    else if (hasTrue) tests.push(sql`${x} = 'true'::jsonb`);
    else if (hasFalse) tests.push(sql`${x} = 'false'::jsonb`);
    for (const t of types) {
      if (t === "integer" || t === "real") names.add("number");
      else if (t === "text") names.add("string");
      else if (t === "null" || t === "array" || t === "object") names.add(t);
    }
    if (names.size > 0) tests.unshift(sql`jsonb_typeof(${x}) IN (${sql.join([...names].map((n) => sql.lit(n)))})`);
    return tests.length === 0 ? sql`false` : sql`(${sql.join(tests, sql` OR `)})`;
  };
  const numberOf = (x: Sql) => sql`(CASE WHEN jsonb_typeof(${x}) = 'number' THEN (${x})::numeric END)`;
  const number = (v: number) => sql`cast(${v} as numeric)`;

  return {
    typeIs: (path, types) => typeTest(at(path), types),
    isNull: (path) => sql`(${at(path)} IS NULL OR jsonb_typeof(${at(path)}) = 'null')`,
    numberAt: (path) => numberOf(at(path)),
    number,
    textAt: (path) => sql`((${doc} #>> cast(${path} as text[])) COLLATE "C")`,
    arrayHas: (path, types, v) => {
      const x = at(path);
      const e = sql.ref("e.v");
      const match =
        v === undefined
          ? sql``
          : typeof v === "number"
            ? sql` AND ${numberOf(e)} = ${number(v)}`
            : sql` AND (${e} #>> '{}') = ${textParam(v)}`;
      return sql`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${x}) = 'array' THEN ${x} END) AS e(v) WHERE ${typeTest(e, types)}${match})`;
    },
    objectHasKey: (path, key) => sql`(jsonb_typeof(${at(path)}) = 'object' AND ${at(path)} ? ${textParam(key)})`,
    not: (c) => sql`(NOT coalesce(${c}, false))`,
    includes: (text, needle) => sql`(strpos(${text}, ${textParam(needle)}) > 0)`,
    startsWith: (text, prefix) => sql`starts_with(${text}, ${textParam(prefix)})`,
    endsWith: (text, suffix) => sql`(right(${text}, char_length(${textParam(suffix)})) = ${textParam(suffix)})`,
    orderKeys: (path) => {
      const x = at(path);
      const t = sql`jsonb_typeof(${x})`;
      return [
        sql`CASE ${t} WHEN 'boolean' THEN 1 WHEN 'number' THEN 2 WHEN 'string' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 4 ELSE 0 END`,
        sql`(CASE WHEN ${t} = 'boolean' THEN (${x})::boolean END)`,
        numberOf(x),
        sql`((CASE WHEN ${t} = 'string' THEN ${x} #>> '{}' END) COLLATE "C")`,
      ];
    },
    false: sql`false`,
  };
}
