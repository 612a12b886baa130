import { z } from "zod";
import { validationFailed } from "./http-error.js";

/** Parses a request body with zod; failures become a 422 with one message per field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw validationFailed(
    parsed.error.issues.map((i) => ({
      path: i.path.map(String).join(".") || "(body)",
      message: i.code === "unrecognized_keys" ? unknownFields((i as { keys: string[] }).keys) : i.message,
    })),
  );
}

/** At most the first 20 unknown names: a body of 100,000 keys does not get an answer of them all. */
function unknownFields(keys: string[]): string {
  const shown = keys.slice(0, 20).map((k) => (k.length > 100 ? `${k.slice(0, 100)}…` : k));
  return `unknown field(s): ${shown.join(", ")}${keys.length > shown.length ? ` and ${keys.length - shown.length} more` : ""}`;
}

/** An ISO-8601 date or time in a query or body, normalized to UTC ISO text. */
export const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date or time")
  .transform((s) => new Date(s).toISOString());
