import { z } from "zod";
import type { FeatureDocs } from "./route-docs.js";

export const openApiDocs: FeatureDocs = {
  tag: "Platform",
  description: "Health and this description of the API",
  routes: {
    "GET /api/health": { summary: "Whether the server is up, with its worker pool", auth: "public", responses: { 200: z.object({ status: z.literal("ok"), workers: z.record(z.string(), z.unknown()) }) } },
    "GET /api/openapi.json": {
      summary: "This OpenAPI 3.1 document, as the caller sees it",
      description: "With one operation per endpoint-enabled workflow the caller may use (tag “Workflow endpoints”). The interactive reference is at /api/docs.",
      responses: { 200: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) }).describe("An OpenAPI 3.1 document") },
    },
  },
};
