import type { ErrorSchema } from "@rjsf/utils";
import { ApiError, type FieldProblem } from "./api.js";

/**
 * The server's 422 field list (`devices.0`, `email`) as the error tree rjsf shows beside
 * each field; a problem without a path goes on the form itself.
 */
export function fieldErrorsToErrorSchema(fields: FieldProblem[]): ErrorSchema {
  const root: Record<string, unknown> = {};
  for (const { path, message } of fields) {
    let node = root;
    for (const part of path.split(".").filter(Boolean)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    ((node.__errors ??= []) as string[]).push(message);
  }
  return root as ErrorSchema;
}

/** Workflow schemas are JSON Schema 2020-12 from zod; rjsf is given them without `$schema`. */
export function formSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = schema;
  return rest;
}

/** The server's 422 message for one field (`oauth.tokenUrl`), to show beside it; undefined otherwise. */
export function fieldError(error: unknown, path: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.fields.find((f) => f.path === path || f.path.startsWith(`${path}.`))?.message;
}

/** What of an error no field shows: the message, or the 422 problems whose field is not in `shown`. */
export function formLevelError(error: unknown, shown: readonly string[] = []): string | null {
  if (!error) return null;
  if (!(error instanceof ApiError) || error.fields.length === 0) return error instanceof Error ? error.message : String(error);
  const rest = error.fields.filter((f) => !shown.some((p) => f.path === p || f.path.startsWith(`${p}.`)));
  return rest.length ? rest.map((f) => `${f.path}: ${f.message}`).join("; ") : null;
}
