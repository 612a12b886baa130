import type { ErrorSchema } from "@rjsf/utils";
import type { FieldProblem } from "./api.js";

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
