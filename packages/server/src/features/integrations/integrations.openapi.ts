import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { IntegrationBody, MappingBody, ScopeOptions } from "./integrations.schemas.js";
import { AuthorizeQuery } from "./integrations.routes.js";

const ConnectionSchema = z
  .object({ status: z.enum(["not_connected", "connected", "needs_reauth"]), expiresAt: time.nullable(), scopes: z.string().nullable(), hasRefreshToken: z.boolean(), lastError: z.string().nullable(), updatedAt: time.nullable() })
  .meta({ title: "Connection" });
const IntegrationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    configSchema: z.record(z.string(), z.unknown()).nullable(),
    baseUrl: z.string().nullable(),
    oauth: z.looseObject({ clientSecretSet: z.boolean() }).nullable().describe("OAuth settings; the client secret only as a flag"),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ title: "Integration" });
const MappingSchema = z
  .object({
    id: z.string(),
    integrationId: z.string(),
    integration: z.string(),
    scope: z.string(),
    entityId: z.string(),
    entityName: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
    connection: ConnectionSchema.nullable(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ title: "IntegrationMapping" });
const Started = z.object({ authorizeUrl: z.string(), state: z.string(), redirectUri: z.string(), expiresAt: time });

export const integrationsDocs: FeatureDocs = {
  tag: "Integrations",
  description: "Third-party integrations, their per-organization mappings and OAuth connections",
  routes: {
    "GET /api/integrations": { summary: "List integrations", responses: { 200: z.object({ integrations: z.array(IntegrationSchema) }) } },
    "POST /api/integrations": { summary: "Define an integration", body: IntegrationBody, responses: { 201: IntegrationSchema }, errors: [409] },
    "GET /api/integrations/:name": { summary: "Get an integration", responses: { 200: IntegrationSchema } },
    "PUT /api/integrations/:name": { summary: "Replace an integration's definition", body: IntegrationBody, responses: { 200: IntegrationSchema }, errors: [409] },
    "DELETE /api/integrations/:name": { summary: "Delete an integration and its mappings", responses: { 204: null } },
    "GET /api/integrations/:name/mappings": { summary: "An integration's mappings", query: ScopeOptions, responses: { 200: z.object({ mappings: z.array(MappingSchema) }) } },
    "GET /api/integrations/:name/mappings/:scope": { summary: "The mapping for one scope", responses: { 200: MappingSchema } },
    "PUT /api/integrations/:name/mappings/:scope": { summary: "Create or replace the mapping for one scope", body: MappingBody, responses: { 200: MappingSchema.describe("Replaced"), 201: MappingSchema.describe("Created") } },
    "DELETE /api/integrations/:name/mappings/:scope": { summary: "Delete the mapping for one scope", responses: { 204: null } },
    "POST /api/integrations/:name/refresh": { summary: "Refresh the mapping's OAuth tokens now", query: ScopeOptions, responses: { 200: MappingSchema }, errors: [409, 502] },
    "DELETE /api/integrations/:name/connection": { summary: "Disconnect (forget the OAuth tokens)", query: ScopeOptions, responses: { 204: null } },
    "GET /api/oauth/:name/authorize": {
      summary: "Start connecting: redirect to the provider's consent page",
      query: AuthorizeQuery,
      responses: { 200: Started.describe("With format=json"), 302: { schema: null, description: "Redirect to the provider" } },
      errors: [409],
    },
    "POST /api/oauth/:name/authorize": { summary: "Start connecting: the provider's consent URL as JSON", query: AuthorizeQuery, responses: { 200: Started, 302: { schema: null, description: "With format=redirect" } }, errors: [409] },
    "GET /api/oauth/callback": {
      summary: "The provider's redirect back: stores the tokens",
      auth: "public",
      query: z.object({ code: z.string().optional(), state: z.string().optional(), error: z.string().optional(), error_description: z.string().optional() }),
      responses: {
        200: z
          .object({ integration: z.string(), scope: z.string(), entityId: z.string(), connection: ConnectionSchema })
          .describe("Connected (browsers that accept text/html get a short page instead)"),
      },
      errors: [400, 404, 410, 502],
    },
  },
};
