import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { CreateKey } from "./api-keys.routes.js";

export const ApiKeySchema = z
  .object({
    id: z.string(),
    orgId: z.string().nullable(),
    name: z.string(),
    prefix: z.string().describe("The key's first characters, to tell keys apart"),
    createdAt: time,
    revokedAt: time.nullable(),
    userId: z.string().nullable().describe("A personal key's user; null = an organization or platform key"),
  })
  .meta({ title: "ApiKey" });

export const apiKeysDocs: FeatureDocs = {
  tag: "API keys",
  description: "Personal, organization and platform API keys (the secret is shown once)",
  routes: {
    "POST /api/api-keys": { summary: "Create an API key", body: CreateKey, responses: { 201: ApiKeySchema.extend({ key: z.string().describe("The secret: shown only here") }) } },
    "GET /api/api-keys": {
      summary: "List API keys (without secrets)",
      query: z.object({ organizationId: z.string().optional().describe('"null" = platform keys'), mine: z.enum(["true", "false"]).optional() }),
      responses: { 200: z.object({ apiKeys: z.array(ApiKeySchema) }) },
    },
    "DELETE /api/api-keys/:id": { summary: "Revoke an API key", responses: { 204: null } },
  },
};
