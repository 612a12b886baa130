import { z } from "zod";
import { validationFailed } from "./http-error.js";

/** Parses a request body with zod; failures become a 422 with one message per field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw validationFailed(
    parsed.error.issues.map((i) => ({
      path: i.path.map(String).join(".") || "(body)",
      message: i.code === "unrecognized_keys" ? `unknown field(s): ${(i as { keys: string[] }).keys.join(", ")}` : i.message,
    })),
  );
}

/** An ISO-8601 date or time in a query or body, normalized to UTC ISO text. */
export const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date or time")
  .transform((s) => new Date(s).toISOString());
