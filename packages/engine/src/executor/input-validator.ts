import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { FieldError } from "@bifrost/contracts/execution.js";

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

function path(e: ErrorObject): string {
  const base = e.instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (e.keyword === "required") base.push(String((e.params as { missingProperty: string }).missingProperty));
  if (e.keyword === "additionalProperties") base.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return base.join(".") || "(root)";
}

function message(e: ErrorObject): string {
  switch (e.keyword) {
    case "required":
      return "is required";
    case "additionalProperties":
      return "is not a known field";
    case "format":
      return `must be a valid ${String((e.params as { format: string }).format)}`;
    case "pattern": {
      // zod emits a pattern next to formats such as email: name the format, not the regex.
      const format = (e.parentSchema as { format?: string } | undefined)?.format;
      return format ? `must be a valid ${format}` : `must match the pattern ${String((e.params as { pattern: string }).pattern)}`;
    }
    case "enum":
      return `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return e.message ?? "is invalid";
  }
}

/**
 * Validates input against a workflow's JSON Schema in the API process, before any
 * execution exists: one message per field. Compiled validators are cached by schema.
 */
export class InputValidator {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, verbose: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
  }

  validate(cacheKey: string, schema: Record<string, unknown>, input: unknown): FieldError[] | null {
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile({ ...schema, $schema: undefined });
      this.cache.set(cacheKey, validate);
      if (this.cache.size > 5000) {
        const [oldest, evicted] = this.cache.entries().next().value!;
        this.cache.delete(oldest);
        this.ajv.removeSchema(evicted.schema as object); // Ajv keeps its own copy otherwise
      }
    }
    return fieldErrors(validate, input);
  }

  /**
   * A validator for a schema from an untrusted caller (e.g. `ai.complete`'s responseFormat):
   * compiled in an Ajv of its own, so its `$id`s and `$ref`s never meet other schemas (of
   * the platform or of another organization) and nothing of it stays cached.
   */
  isolated(schema: Record<string, unknown>): (input: unknown) => FieldError[] | null {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, verbose: true });
    addFormats(ajv);
    const validate = ajv.compile({ ...schema, $schema: undefined });
    return (input) => fieldErrors(validate, input);
  }
}

function fieldErrors(validate: ValidateFunction, input: unknown): FieldError[] | null {
  if (validate(input)) return null;
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of validate.errors ?? []) {
    const p = path(e);
    if (seen.has(p)) continue; // one message per field
    seen.add(p);
    out.push({ path: p, message: message(e) });
  }
  return out;
}
