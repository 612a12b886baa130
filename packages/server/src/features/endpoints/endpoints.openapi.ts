import { z } from "zod";
import { QueuedSchema } from "@bifrost/contracts/api-schemas.js";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs, RouteDoc } from "../openapi/route-docs.js";
import { CreateKey } from "./endpoints.routes.js";

const EndpointKeySchema = z
  .object({
    id: z.string(),
    scope: z.string().describe('An organization id, or "global"'),
    workflowId: z.string().nullable().describe("Only this workflow; null = the scope's global endpoint key"),
    name: z.string(),
    prefix: z.string(),
    createdAt: time,
    rotatedAt: time.nullable(),
    revokedAt: time.nullable(),
  })
  .meta({ title: "EndpointKey" });
const WithSecret = EndpointKeySchema.extend({ key: z.string().describe("The secret: shown only here") });

const call = (summary: string, description: string): RouteDoc => ({
  summary,
  description,
  auth: "endpoint",
  body: z.record(z.string(), z.unknown()).describe("The workflow's params (query parameters are merged in)"),
  responses: { 200: z.unknown().describe("The workflow's result (JSON)"), 202: QueuedSchema.describe("An asynchronous workflow: queued") },
  errors: [401, 404, 405, 429, 500, 504],
});

export const endpointsDocs: FeatureDocs = {
  tag: "Endpoint keys",
  description: "Endpoint keys and calling endpoint-enabled workflows over HTTP",
  routes: {
    "GET,POST,PUT,PATCH,DELETE /api/endpoints/:name": call(
      "Call an endpoint-enabled workflow by name",
      "Each workflow the caller may use also has its own operation below (tag “Workflow endpoints”), with its params as the body. Public endpoints need no key.",
    ),
    "GET,POST,PUT,PATCH,DELETE /api/execute/:key": { ...call("Call a workflow with its own key in the path", "For callers that cannot send headers."), auth: "public" },
    "POST /api/endpoint-keys": { summary: "Create an endpoint key", body: CreateKey, responses: { 201: WithSecret } },
    "GET /api/endpoint-keys": { summary: "List endpoint keys", responses: { 200: z.object({ endpointKeys: z.array(EndpointKeySchema) }) } },
    "POST /api/endpoint-keys/:id/rotate": { summary: "Rotate an endpoint key (the old secret stops working)", responses: { 200: WithSecret } },
    "DELETE /api/endpoint-keys/:id": { summary: "Revoke an endpoint key", responses: { 204: null } },
  },
};
