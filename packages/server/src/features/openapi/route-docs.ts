import { z } from "zod";

/**
 * How a route is described in the OpenAPI document (GET /api/openapi.json). Each feature
 * keeps its routes' descriptions in its own `<feature>.openapi.ts`, keyed by the route as
 * Fastify registers it (`"GET /api/workflows/:id"`; a route registered for several methods
 * is keyed `"GET,POST /api/…"`). Request schemas are the handlers' own zod schemas (never
 * a copy); response schemas are written here. The schemas are for documentation only:
 * Fastify does not validate or serialize with them, so handlers behave as before.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** Who may call it: the authenticated API (default), anyone, or an endpoint key. */
  auth?: "api" | "public" | "endpoint";
  /** The handler's zod schema of the query string. */
  query?: z.ZodType;
  /** The handler's zod schema of the JSON body. */
  body?: z.ZodType;
  /** Path parameters (default: each `:name` of the URL, a string). */
  params?: z.ZodType;
  /** Success (and other non-error) answers by status; null = no body (204, redirects). */
  responses: Record<number, z.ZodType | null | { schema: z.ZodType | null; description: string; contentType?: string }>;
  /** Error statuses beyond those implied (401/403 for the API, 400/413/415/422 with a body, 404 with path parameters). */
  errors?: number[];
}

export type RouteDocs = Record<string, RouteDoc>;

/** A feature's route descriptions under one tag (the feature's section of the reference). */
export interface FeatureDocs {
  tag: string;
  description: string;
  routes: RouteDocs;
}

/** The error every route answers with: `{ error: { code, message, fields? } }`. */
export const ApiErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().describe("Stable, machine-readable code, e.g. `validation_failed`, `not_found`"),
        message: z.string().describe("Readable explanation"),
        fields: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe("One entry per invalid field (422)"),
      })
      .loose(),
  })
  .meta({ title: "ApiError" });

/** Shorthands for the shapes many routes share. */
export const isoTime = z.string().describe("ISO-8601 time (UTC)");
export const jsonObject = z.record(z.string(), z.unknown());
/** A row whose every field is not spelled out here: its named fields are documented, others may follow. */
export const row = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);
