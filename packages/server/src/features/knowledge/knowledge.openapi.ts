import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { Batch, DocParam, ListQuery, NamespaceParam, Put, ScopeQuery, Search, Store } from "./knowledge.routes.js";

const StoreResultSchema = z
  .object({
    namespace: z.string(),
    key: z.string(),
    scope: z.string(),
    status: z.enum(["created", "replaced", "unchanged"]),
    chunks: z.number(),
    embedded: z.boolean(),
    model: z.string().nullable(),
  })
  .meta({ title: "KnowledgeStoreResult" });
const DocumentSchema = z
  .object({
    namespace: z.string(),
    key: z.string(),
    scope: z.string(),
    content: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    chunks: z.number(),
    models: z.array(z.string()),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ title: "KnowledgeDocument" });
const SearchResultSchema = z.object({
  mode: z.enum(["vector", "fulltext"]),
  model: z.string().nullable(),
  results: z.array(z.object({ namespace: z.string(), key: z.string(), scope: z.string(), content: z.string(), metadata: z.record(z.string(), z.unknown()), score: z.number(), chunkIndex: z.number() })),
  pendingChunks: z.number(),
});

export const knowledgeDocs: FeatureDocs = {
  tag: "Knowledge",
  description: "Documents for retrieval (chunked and embedded), in namespaces per organization or global",
  routes: {
    "GET /api/knowledge/namespaces": {
      summary: "List namespaces",
      query: ScopeQuery,
      responses: { 200: z.object({ namespaces: z.array(z.object({ namespace: z.string(), scope: z.string(), documents: z.number(), chunks: z.number(), updatedAt: time })) }) },
    },
    "DELETE /api/knowledge/namespaces/:namespace": { summary: "Delete a namespace's documents", params: NamespaceParam, query: ScopeQuery, responses: { 200: z.object({ deleted: z.number() }) } },
    "GET /api/knowledge/namespaces/:namespace/documents": {
      summary: "List a namespace's documents",
      params: NamespaceParam,
      query: ListQuery,
      responses: { 200: z.object({ scope: z.string(), namespace: z.string(), documents: z.array(z.looseObject({ key: z.string(), metadata: z.record(z.string(), z.unknown()) })), total: z.number(), limit: z.number(), offset: z.number() }) },
    },
    "POST /api/knowledge/namespaces/:namespace/documents": { summary: "Store a document", params: NamespaceParam, query: ScopeQuery, body: Store, responses: { 200: StoreResultSchema.describe("Replaced or unchanged"), 201: StoreResultSchema.describe("Created") } },
    "POST /api/knowledge/namespaces/:namespace/documents/batch": { summary: "Store up to 100 documents", params: NamespaceParam, query: ScopeQuery, body: Batch, responses: { 200: z.object({ documents: z.array(StoreResultSchema) }) } },
    "GET /api/knowledge/namespaces/:namespace/documents/:key": { summary: "Get a document", params: DocParam, query: ScopeQuery, responses: { 200: DocumentSchema } },
    "PUT /api/knowledge/namespaces/:namespace/documents/:key": { summary: "Store a document under a key", params: DocParam, query: ScopeQuery, body: Put, responses: { 200: StoreResultSchema.describe("Replaced or unchanged"), 201: StoreResultSchema.describe("Created") } },
    "DELETE /api/knowledge/namespaces/:namespace/documents/:key": { summary: "Delete a document", params: DocParam, query: ScopeQuery, responses: { 204: null } },
    "POST /api/knowledge/search": { summary: "Search by meaning (or by words without an embedding provider)", query: ScopeQuery, body: Search, responses: { 200: SearchResultSchema } },
  },
};
