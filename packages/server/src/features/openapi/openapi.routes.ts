import type { FastifyInstance, FastifyRequest } from "fastify";
import fastifySwaggerUi, { type FastifySwaggerUiOptions } from "@fastify/swagger-ui";
import { z } from "zod";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { principalOf } from "../../auth.js";
import { callerOf, visibleOrgOf } from "../sdk/scope.js";
import { canUse } from "../workflows/workflows.service.js";
import { ENDPOINTS_TAG, jsonSchemaOf, operationIdOf } from "./openapi.js";

type Json = Record<string, unknown>;
interface Document {
  paths: Record<string, Json>;
  tags?: Json[];
  components: { schemas?: Json } & Json;
}


const Queued = z.object({ executionId: z.string(), status: z.string() });

/**
 * A workflow's params schema inside the document: its own `$defs` (recursive or shared
 * parts) move to `components.schemas` under the workflow's name, and its references follow.
 */
function hoist(schema: Json, prefix: string, components: Json): Json {
  const { $schema: _, $defs, ...rest } = schema as Json & { $defs?: Json };
  const text = JSON.stringify(rest).replaceAll('"#/$defs/', `"#/components/schemas/${prefix}`);
  for (const [name, def] of Object.entries($defs ?? {})) components[`${prefix}${name}`] = JSON.parse(JSON.stringify(def).replaceAll('"#/$defs/', `"#/components/schemas/${prefix}`));
  return JSON.parse(text) as Json;
}

/** One operation per method for an endpoint-enabled workflow, its params schema as the body (or the query, for GET). */
function endpointOperations(w: StoredWorkflow, components: Json): Json {
  const params = hoist(w.paramsSchema, `Endpoint_${w.name.replace(/[^A-Za-z0-9_]/g, "_")}_`, components);
  const properties = (params.properties ?? {}) as Record<string, Json>;
  const required = new Set((params.required ?? []) as string[]);
  const ok =
    w.executionMode === "async"
      ? { 202: { description: "Queued: poll GET /api/executions/{id}", content: { "application/json": { schema: jsonSchemaOf(Queued, "output") } } } }
      : { 200: { description: "The workflow's result, as JSON", headers: { "X-Bifrost-Execution-Id": { schema: { type: "string" } } }, content: { "application/json": { schema: {} } } } };
  const errors = Object.fromEntries(
    [
      [401, "Unauthorized"],
      [404, "NotFound"],
      [405, "MethodNotAllowed"],
      [413, "PayloadTooLarge"],
      [422, "ValidationFailed"],
      [429, "TooManyRequests"],
      [500, "ServerError"],
      [504, "Timeout"],
    ].map(([status, name]) => [status, { $ref: `#/components/responses/${name}` }]),
  );
  const path = `/api/endpoints/${w.name}`;
  const ops: Json = {};
  for (const method of w.allowedMethods) {
    const withBody = method !== "GET" && method !== "DELETE";
    ops[method.toLowerCase()] = {
      tags: [ENDPOINTS_TAG],
      operationId: operationIdOf(method, path),
      summary: w.description ?? `Run ${w.name}`,
      description: `Runs the workflow \`${w.name}\`${w.orgId ? "" : " (global)"} with the endpoint key's organization${w.executionMode === "async" ? "; answers at once with the queued execution" : ""}.`,
      security: w.publicEndpoint ? [{}, { endpointKey: [] }] : [{ endpointKey: [] }],
      ...(withBody
        ? { requestBody: { required: required.size > 0, content: { "application/json": { schema: params } } } }
        : { parameters: Object.entries(properties).map(([name, schema]) => ({ name, in: "query", required: required.has(name), schema })) }),
      responses: { ...ok, ...errors },
    };
  }
  return ops;
}

/**
 * The document as one caller sees it: the platform's routes (generated once, on first
 * use) and one operation per endpoint-enabled workflow the caller may see and use — its
 * organization's and the global ones (a platform admin without X-Bifrost-Org: the global
 * ones), hiding role-restricted workflows from callers without the role, as GET /api/workflows does.
 */
export function documentFor(app: FastifyInstance, engine: Engine, request: FastifyRequest): Document {
  const base = app.swagger() as unknown as Document;
  const caller = callerOf(principalOf(request));
  const org = visibleOrgOf(caller) ?? null;
  const byName = new Map<string, StoredWorkflow>();
  for (const w of engine.registry.list({ orgId: org })) {
    if (!w.endpointEnabled || w.kind === "data_provider" || !canUse(caller, w.access)) continue;
    // An organization's workflow answers its name before a global one of the same name.
    if (!byName.has(w.name) || w.orgId !== null) byName.set(w.name, w);
  }
  const components = { ...(base.components.schemas ?? {}) };
  const paths = { ...base.paths };
  for (const w of [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))) paths[`/api/endpoints/${w.name}`] = endpointOperations(w, components);
  return { ...base, paths, components: { ...base.components, schemas: components } };
}

/** Swagger UI's light badges and links, darkened to WCAG AA contrast. */
const REFERENCE_CSS = [
  ".swagger-ui .info .title small { background: #4a5160; }",
  ".swagger-ui .info .title small.version-stamp { background: #2f6300; }",
  ".swagger-ui .info a, .swagger-ui .info .url { color: #1f4f99; }",
  ".swagger-ui .parameter__in, .swagger-ui .parameter__deprecated { color: #4a5160; }",
  ".swagger-ui .btn.authorize { color: #17603c; border-color: #17603c; } .swagger-ui .btn.authorize svg { fill: #17603c; }",
  ...Object.entries({ get: "#1c5a96", post: "#17603c", put: "#8a4b00", patch: "#0f6b5c", delete: "#a4231b", head: "#5b2d91", options: "#1c5a96" }).map(
    ([method, color]) => `.swagger-ui .opblock.opblock-${method} .opblock-summary-method { background: ${color}; }`,
  ),
].join("\n");

/** Scrollable example blocks can be reached with the keyboard. */
const REFERENCE_JS = `new MutationObserver(() => {
  for (const el of document.querySelectorAll(".microlight:not([tabindex]), .highlight-code pre:not([tabindex])")) el.setAttribute("tabindex", "0");
}).observe(document.documentElement, { childList: true, subtree: true });`;

/**
 * GET /api/openapi.json and the interactive reference at /api/docs (Swagger UI, every
 * asset served from this process). Both need a signed-in user or an API key (any level).
 */
export async function openApiRoutes(app: FastifyInstance, deps: { engine: Engine }): Promise<void> {
  app.get("/api/openapi.json", async (request) => documentFor(app, deps.engine, request));
  const options: FastifySwaggerUiOptions = {
    routePrefix: "/api/docs",
    // The reference shows the same document as /api/openapi.json, for the same caller.
    transformSpecification: (_spec, request) => documentFor(app, deps.engine, request),
    transformSpecificationClone: false,
    // No top bar (its logo and URL box), no deep-link anchors inside the operation buttons:
    // the page passes axe's WCAG A/AA checks with the few fixes of REFERENCE_CSS and REFERENCE_JS.
    uiConfig: { deepLinking: false, docExpansion: "none", layout: "BaseLayout", syntaxHighlight: false },
    theme: { title: "Bifrost API reference", css: [{ filename: "bifrost.css", content: REFERENCE_CSS }], js: [{ filename: "bifrost.js", content: REFERENCE_JS }] },
  };
  // (Its declared plugin type trips over Fastify's overloads; the options are checked above.)
  await app.register(fastifySwaggerUi as never, options);
}
