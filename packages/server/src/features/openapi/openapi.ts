import type { FastifyInstance } from "fastify";
import fastifySwagger from "@fastify/swagger";
import { z } from "zod";
import { CSRF_HEADER, SESSION_COOKIE } from "../../cookies.js";
import { ApiErrorSchema, type FeatureDocs, type RouteDoc } from "./route-docs.js";

type Json = Record<string, unknown>;

/** The tag of the per-workflow operations under /api/endpoints/{name}. */
export const ENDPOINTS_TAG = "Workflow endpoints";

/** The reusable error answers, each `{ error: { code, message, fields? } }`. */
const ERRORS: Record<number, { name: string; description: string }> = {
  400: { name: "BadRequest", description: "Malformed request (invalid JSON, a bad parameter)" },
  401: { name: "Unauthorized", description: "Missing or invalid credentials" },
  403: { name: "Forbidden", description: "Authenticated, but this level or organization may not do this" },
  404: { name: "NotFound", description: "No such object (or it belongs to another organization)" },
  405: { name: "MethodNotAllowed", description: "The endpoint does not accept this method" },
  409: { name: "Conflict", description: "The request conflicts with the current state" },
  410: { name: "Gone", description: "The link expired or was used" },
  413: { name: "PayloadTooLarge", description: "The body is larger than BIFROST_BODY_LIMIT_BYTES" },
  415: { name: "UnsupportedMediaType", description: "The body is not application/json" },
  422: { name: "ValidationFailed", description: "Invalid input: one entry per field in `error.fields`" },
  429: { name: "TooManyRequests", description: "Rate limited: retry after the Retry-After header's seconds" },
  500: { name: "ServerError", description: "The run failed or the server erred" },
  502: { name: "BadGateway", description: "An upstream service failed" },
  504: { name: "Timeout", description: "The run timed out" },
};

/** zod → JSON Schema (draft 2020-12, as OpenAPI 3.1 uses), without the `$schema` line. */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  return rest;
}

/** `GET /api/workflows/:id` → `/api/workflows/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*$/, "{wildcard}");

/** `getWorkflowsById` from `GET /api/workflows/{id}`: unique per method and path. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s && s !== "api")
    .map((s) => (s.startsWith("{") ? `by-${s.slice(1, -1)}` : s))
    .join("-")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join("");
}

const methodsOf = (method: string | string[]): string[] => [method].flat().filter((m) => m !== "HEAD");

/** Looks a route up in the features' tables: by its methods and URL as Fastify registered them. */
function lookUp(features: readonly FeatureDocs[], methods: string[], url: string): { doc: RouteDoc; tag: string } | null {
  const keys = [`${methods.join(",")} ${url}`, ...(methods.length === 1 ? [] : methods.map((m) => `${m} ${url}`))];
  for (const f of features) for (const key of keys) if (f.routes[key]) return { doc: f.routes[key], tag: f.tag };
  return null;
}

function securityOf(auth: RouteDoc["auth"], methods: string[]): Json[] {
  if (auth === "public") return [];
  // An endpoint key, or none for a public endpoint.
  if (auth === "endpoint") return [{ endpointKey: [] }, {}];
  const reads = methods.every((m) => m === "GET");
  return [{ bearerKey: [] }, reads ? { sessionCookie: [] } : { sessionCookie: [], csrfHeader: [] }];
}

/** The implied error statuses of a route, plus the ones its description names. */
function errorStatuses(doc: RouteDoc, url: string): number[] {
  const statuses = new Set(doc.errors ?? []);
  if ((doc.auth ?? "api") === "api") [401, 403].forEach((s) => statuses.add(s));
  if (doc.body) [400, 413, 415, 422].forEach((s) => statuses.add(s));
  if (doc.query) statuses.add(422);
  if (url.includes(":")) statuses.add(404);
  return [...statuses].filter((s) => !(s in doc.responses)).sort();
}

/** A route's description as @fastify/swagger reads a route schema (JSON Schema throughout). */
function fastifySchemaOf(doc: RouteDoc, tag: string, url: string, methods: string[]): Json {
  const params = doc.params ?? (url.includes(":") ? z.object(Object.fromEntries([...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => [m[1]!, z.string()]))) : undefined);
  const response: Json = {};
  for (const [status, entry] of Object.entries(doc.responses)) {
    const { schema, description, contentType } =
      entry && typeof entry === "object" && "description" in entry && !(entry instanceof z.ZodType) ? entry : { schema: entry as z.ZodType | null, description: undefined, contentType: undefined };
    const text = description ?? (schema?.description || (status === "204" ? "No content" : "Success"));
    if (!schema) response[status] = { type: "null", description: text };
    else if (contentType) response[status] = { description: text, content: { [contentType]: { schema: jsonSchemaOf(schema, "output") } } };
    else response[status] = { ...jsonSchemaOf(schema, "output"), description: text };
  }
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [tag],
    security: securityOf(doc.auth, methods),
    ...(params ? { params: jsonSchemaOf(params, "input") } : {}),
    ...(doc.query ? { querystring: jsonSchemaOf(doc.query, "input") } : {}),
    ...(doc.body ? { body: jsonSchemaOf(doc.body, "input") } : {}),
    response,
  };
}

/**
 * Registers @fastify/swagger (before any route, so it sees them all). Routes are described
 * from `features` when the document is first asked for (not at start-up); a route under
 * /api or /mcp that no feature describes is left out (a test fails on it), and so is
 * everything else (the web app's files). Error answers reference shared components.
 */
export async function registerOpenApi(app: FastifyInstance, features: readonly FeatureDocs[], version: string): Promise<void> {
  const errorsOf = new Map<string, number[]>();
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Bifrost API",
        version,
        description:
          "The Bifrost platform's HTTP API. Authenticate with an API key (`Authorization: Bearer <key>`) or a sign-in session (cookie; writes also send the session's CSRF token). `X-Bifrost-Org` picks the organization to act in. Every error is `{ error: { code, message, fields? } }`.",
      },
      tags: [
        ...features.map((f) => ({ name: f.tag, description: f.description })),
        { name: ENDPOINTS_TAG, description: "Each endpoint-enabled workflow the caller may use, with its params as the body (call with X-Bifrost-Key)" },
      ],
      components: {
        securitySchemes: {
          bearerKey: { type: "http", scheme: "bearer", description: "An API key (personal, organization or platform key)" },
          sessionCookie: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "The session cookie set by POST /api/auth/login" },
          csrfHeader: { type: "apiKey", in: "header", name: CSRF_HEADER, description: "The session's CSRF token (GET /api/auth/me returns it): required with the cookie on writes" },
          endpointKey: { type: "apiKey", in: "header", name: "X-Bifrost-Key", description: "An endpoint key: a workflow's own key, or its scope's global endpoint key" },
        },
      },
    },
    transform: ({ route, url }) => {
      const methods = methodsOf(route.method);
      const found = url.startsWith("/api/") || url === "/mcp" ? lookUp(features, methods, url) : null;
      if (!found) return { schema: { hide: true } as never, url };
      const path = openApiPath(url);
      for (const m of methods) errorsOf.set(`${m} ${path}`, errorStatuses(found.doc, url));
      return { schema: fastifySchemaOf(found.doc, found.tag, url, methods) as never, url: path };
    },
    transformObject: (generated) => {
      const doc = (generated as { openapiObject: unknown }).openapiObject as Json & { paths: Record<string, Record<string, Json & { responses: Json }>>; components: Json };
      doc.components.schemas = { ...(doc.components.schemas as Json), ApiError: jsonSchemaOf(ApiErrorSchema, "output") };
      doc.components.responses = Object.fromEntries(
        Object.values(ERRORS).map((e) => [e.name, { description: e.description, content: { "application/json": { schema: { $ref: "#/components/schemas/ApiError" } } } }]),
      );
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, shared] of Object.entries(item)) {
          // A route of several methods shares one operation object: each method gets its own.
          const op: Json & { responses: Json } = { ...shared, responses: { ...shared.responses } };
          item[method] = op;
          op.operationId = operationIdOf(method, path);
          for (const status of errorsOf.get(`${method.toUpperCase()} ${path}`) ?? []) op.responses[status] = { $ref: `#/components/responses/${ERRORS[status]!.name}` };
        }
      }
      return doc;
    },
  });
}
