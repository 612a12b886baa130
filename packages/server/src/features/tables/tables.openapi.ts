import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { DocumentBody, QueryShape } from "./tables.schemas.js";
import { Batch, Count, Create, DeleteBatch, DocParam, ListQuery, ScopeQuery, TableParam } from "./tables.routes.js";

const TableSchema = z.object({ name: z.string(), scope: z.string().describe('"global" or the organization id'), documentCount: z.number(), createdAt: time }).meta({ title: "Table" });
const DocumentSchema = z.looseObject({ id: z.string() }).describe("The document's fields and its id").meta({ title: "TableDocument" });
const Page = z.object({ documents: z.array(DocumentSchema), total: z.number(), limit: z.number(), offset: z.number() });
const tableRoute = { params: TableParam, query: ScopeQuery };
const docRoute = { params: DocParam, query: ScopeQuery };

export const tablesDocs: FeatureDocs = {
  tag: "Tables",
  description: "JSON document tables, per organization or global (`?scope=` picks the scope)",
  routes: {
    "GET /api/tables": { summary: "List tables", query: ScopeQuery, responses: { 200: z.object({ tables: z.array(TableSchema) }) } },
    "POST /api/tables": { summary: "Create a table", query: ScopeQuery, body: Create, responses: { 200: TableSchema.describe("Existed (ifNotExists)"), 201: TableSchema.describe("Created") }, errors: [409] },
    "GET /api/tables/:table": { summary: "Describe a table", ...tableRoute, responses: { 200: TableSchema } },
    "DELETE /api/tables/:table": { summary: "Drop a table", ...tableRoute, responses: { 204: null } },
    "GET /api/tables/:table/documents": { summary: "List documents", params: TableParam, query: ListQuery, responses: { 200: Page } },
    "POST /api/tables/:table/documents": { summary: "Insert a document", ...tableRoute, body: DocumentBody, responses: { 201: DocumentSchema }, errors: [409] },
    "GET /api/tables/:table/documents/:id": { summary: "Get a document", ...docRoute, responses: { 200: DocumentSchema } },
    "PUT /api/tables/:table/documents/:id": { summary: "Insert or replace a document", ...docRoute, body: DocumentBody, responses: { 200: DocumentSchema } },
    "PATCH /api/tables/:table/documents/:id": { summary: "Change some fields of a document", ...docRoute, body: DocumentBody, responses: { 200: DocumentSchema } },
    "DELETE /api/tables/:table/documents/:id": { summary: "Delete a document", ...docRoute, responses: { 204: null } },
    "POST /api/tables/:table/batch/insert": { summary: "Insert up to 1000 documents", ...tableRoute, body: Batch, responses: { 201: z.object({ documents: z.array(DocumentSchema) }) }, errors: [409] },
    "POST /api/tables/:table/batch/upsert": { summary: "Insert or replace up to 1000 documents", ...tableRoute, body: Batch, responses: { 200: z.object({ documents: z.array(DocumentSchema) }) } },
    "POST /api/tables/:table/batch/delete": { summary: "Delete up to 1000 documents", ...tableRoute, body: DeleteBatch, responses: { 200: z.object({ deleted: z.number() }) } },
    "POST /api/tables/:table/query": { summary: "Query with conditions, order and paging", ...tableRoute, body: QueryShape, responses: { 200: Page } },
    "POST /api/tables/:table/count": { summary: "Count matching documents", ...tableRoute, body: Count, responses: { 200: z.object({ count: z.number() }) } },
  },
};
