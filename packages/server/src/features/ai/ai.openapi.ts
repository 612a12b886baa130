import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { CompleteOptions, CreateProvider, ScopeQuery, UpdateProvider, UpdateSettings } from "./ai.schemas.js";

const ProviderSchema = z
  .object({
    id: z.string(),
    scope: z.string(),
    name: z.string(),
    kind: z.string(),
    baseUrl: z.string().nullable(),
    hasApiKey: z.boolean(),
    headerNames: z.array(z.string()).describe("Names of the extra headers sent (their values are secret)"),
    queryParams: z.record(z.string(), z.string()).nullable(),
    chatModel: z.string().nullable(),
    embeddingModel: z.string().nullable(),
    timeoutMs: z.number(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ title: "AiProvider" });
const Ref = z.object({ id: z.string(), name: z.string(), scope: z.string() }).nullable();
const Settings = z.object({ scope: z.string(), chatProvider: Ref, embeddingProvider: Ref, updatedAt: time.nullable() });
const Used = z.object({ provider: z.string(), kind: z.string(), scope: z.string(), model: z.string().nullable() }).nullable();

export const aiDocs: FeatureDocs = {
  tag: "AI",
  description: "AI providers, per-scope defaults, and completions",
  routes: {
    "GET /api/ai/providers": { summary: "List AI providers (without keys)", query: ScopeQuery, responses: { 200: z.object({ providers: z.array(ProviderSchema) }) } },
    "POST /api/ai/providers": { summary: "Add an AI provider", body: CreateProvider, responses: { 201: ProviderSchema }, errors: [409] },
    "GET /api/ai/providers/:id": { summary: "Get an AI provider", responses: { 200: ProviderSchema } },
    "PUT /api/ai/providers/:id": { summary: "Change an AI provider", body: UpdateProvider, responses: { 200: ProviderSchema }, errors: [409] },
    "DELETE /api/ai/providers/:id": { summary: "Remove an AI provider", responses: { 204: null }, errors: [409] },
    "GET /api/ai/settings": { summary: "The scope's chat and embedding providers", query: ScopeQuery, responses: { 200: Settings } },
    "PUT /api/ai/settings": { summary: "Choose the scope's chat and embedding providers", body: UpdateSettings, responses: { 200: Settings } },
    "GET /api/ai/model-info": { summary: "The models the caller's organization uses", responses: { 200: z.object({ chat: Used, embedding: Used }) } },
    "POST /api/ai/stream": {
      summary: "A streamed completion, as NDJSON lines",
      description: 'Lines `{"type":"text","text":…}`, then `{"type":"done",…}` with the usage, or `{"type":"error","error":{…}}`.',
      body: CompleteOptions,
      responses: { 200: { schema: z.string(), description: "Newline-delimited JSON", contentType: "application/x-ndjson" } },
      errors: [409, 429, 502],
    },
  },
};
