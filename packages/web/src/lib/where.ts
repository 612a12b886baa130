/** The filter builder of the tables page: rows of (field, operator, value) → the API's `where`. */

/** The operators of `where` (docs/sdk/tables.md, packages/server/src/features/tables). */
export const OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startsWith", "endsWith", "isNull", "hasKey"] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  field: string;
  op: Operator;
  /** As typed: JSON scalars (`8`, `true`, `null`, `"8"`) are read as such, anything else is text. */
  value: string;
}

/** A typed value: `16` is a number, `"16"` (quoted) or `sixteen` a string, `true`/`false`/`null` themselves. */
export function parseScalar(text: string): unknown {
  const t = text.trim();
  try {
    const v: unknown = JSON.parse(t);
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) return v;
  } catch {
    // not JSON: the text itself
  }
  return text;
}

/** The operator's value: text for the string operators, a boolean for isNull, a list for in. */
export function conditionValue(op: Operator, text: string): unknown {
  if (op === "startsWith" || op === "endsWith" || op === "hasKey") return text;
  if (op === "isNull") return text.trim() !== "false";
  if (op === "in") {
    const t = text.trim();
    if (t.startsWith("[")) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return t; // the server names the field
      }
    }
    return t === "" ? [] : t.split(",").map((s) => parseScalar(s.trim()));
  }
  return parseScalar(text);
}

/** The `where` object: each row `{ field: { op: value } }`; rows on one field AND together. */
export function buildWhere(conditions: Condition[]): Record<string, Record<string, unknown>> {
  const where: Record<string, Record<string, unknown>> = {};
  for (const c of conditions) {
    const field = c.field.trim();
    if (!field) continue;
    (where[field] ??= {})[c.op] = conditionValue(c.op, c.value);
  }
  return where;
}
