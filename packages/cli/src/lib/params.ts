import { CliError, EXIT } from "./errors.js";

/** The slice of JSON Schema the parameter parser reads. */
export interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
  description?: string;
  format?: string;
  [key: string]: unknown;
}

/** Every JSON type a schema admits (through anyOf/oneOf, enum and const values too). */
export function schemaTypes(schema: JsonSchema | undefined): Set<string> {
  const types = new Set<string>();
  if (!schema) return types;
  if (typeof schema.type === "string") types.add(schema.type);
  if (Array.isArray(schema.type)) for (const t of schema.type) types.add(t);
  for (const sub of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) for (const t of schemaTypes(sub)) types.add(t);
  for (const v of [...(schema.enum ?? []), ...("const" in schema ? [schema.const] : [])]) {
    types.add(v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v);
  }
  return types;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TRUE = new Set(["true", "yes", "on", "1"]);
const FALSE = new Set(["false", "no", "off", "0"]);

function itemsOf(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  if (schema.items) return schema.items;
  for (const sub of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) if (sub.items) return sub.items;
  return undefined;
}

/**
 * Turns the text of `--param key=value` into the JSON value the workflow's schema
 * expects: `licenses=3` is a number for an integer field, `excited=true` a boolean,
 * `devices=pc-1,pc-2` or `devices=["pc-1"]` an array, `settings={"a":1}` an object.
 * Text that fits no declared type stays a string, so the server's 422 names the field.
 */
export function coerceParam(raw: string, schema: JsonSchema | undefined): unknown {
  const types = schemaTypes(schema);
  if (types.size === 0) {
    // No declared type (a `json` field, or no schema): JSON when it parses, else text.
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (types.has("null") && raw === "null") return null;
  if ((types.has("integer") || types.has("number")) && NUMBER.test(raw.trim())) return Number(raw);
  if (types.has("boolean")) {
    const lower = raw.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
  }
  if (types.has("array")) {
    const trimmed = raw.trim();
    if (trimmed.startsWith("[")) {
      try {
        return JSON.parse(trimmed);
      } catch (error) {
        throw new CliError(`not a JSON array: ${raw} (${(error as Error).message})`, EXIT.badInput);
      }
    }
    return trimmed === "" ? [] : trimmed.split(",").map((item) => coerceParam(item.trim(), itemsOf(schema)));
  }
  if (types.has("object") && raw.trim().startsWith("{")) {
    try {
      return JSON.parse(raw);
    } catch (error) {
      throw new CliError(`not a JSON object: ${raw} (${(error as Error).message})`, EXIT.badInput);
    }
  }
  return raw;
}

/**
 * `--param k=v …` on top of an `--input` object, each value typed by the schema. Unknown
 * names are refused here when the schema allows no others, with the names it takes.
 */
export function buildParams(pairs: string[], schema: JsonSchema | undefined, base: Record<string, unknown> = {}, workflow = "the workflow"): Record<string, unknown> {
  const params: Record<string, unknown> = { ...base };
  const properties = schema?.properties ?? {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`--param ${pair}: write it as name=value`, EXIT.badInput);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (schema?.properties && !(key in properties) && schema.additionalProperties === false) {
      const known = Object.keys(properties);
      throw new CliError(`Unknown parameter "${key}": ${workflow} takes ${known.length ? known.join(", ") : "no parameters"}`, EXIT.badInput);
    }
    try {
      params[key] = coerceParam(raw, properties[key]);
    } catch (error) {
      if (error instanceof CliError) throw new CliError(`--param ${key}: ${error.message}`, EXIT.badInput);
      throw error;
    }
  }
  return params;
}

/** The JSON type a parameter takes, for help and `workflows get`: `integer`, `string[]`, `"a" | "b"`. */
export function describeType(schema: JsonSchema | undefined): string {
  if (!schema) return "any";
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (alternatives.length) return alternatives.map(describeType).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array") return `${describeType(schema.items)}[]`;
  if (type === "string" && schema.format) return `string (${schema.format})`;
  return type ?? "any";
}
