import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { notFound, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { callerOf, GLOBAL } from "../sdk/scope.js";
import { DocumentBody, DocumentId, Documents, Ids, Limit, Offset, QueryShape, TableName, WhereShape } from "./tables.schemas.js";
import type { TableAudit, TablesService } from "./tables.service.js";

export const ScopeQuery = z.object({ scope: z.string().min(1).optional() }).strict();
export const Create = z.object({ name: TableName, ifNotExists: z.boolean().optional() }).strict();
export const Batch = z.object({ documents: Documents }).strict();
export const DeleteBatch = z.object({ ids: Ids }).strict();
export const Count = z.object({ where: WhereShape.optional() }).strict();
/** Query-string paging for GET /documents: numbers arrive as text. */
export const ListQuery = z
  .object({
    scope: z.string().min(1).optional(),
    orderBy: z.string().optional(),
    orderDir: z.enum(["asc", "desc"]).optional(),
    limit: z.coerce.number().pipe(Limit).optional(),
    offset: z.coerce.number().pipe(Offset).optional(),
  })
  .strict();

export const TableParam = z.object({ table: TableName });
export const DocParam = z.object({ table: TableName, id: DocumentId });

type TableParams = { Params: { table: string } };
type DocParams = { Params: { table: string; id: string } };

/** `/api/tables`: the same operations as the SDK's `tables` module; `?scope=` picks the scope everywhere. */
export function tablesRoutes(app: FastifyInstance, deps: { tables: TablesService; audit: AuditRepo }): void {
  const { tables } = deps;
  const caller = (req: FastifyRequest) => callerOf(principalOf(req));
  const scopeOf = (req: FastifyRequest) => parseBody(ScopeQuery, req.query);
  /** The scope, and the change's event (names and ids, never a document) committed with it. */
  const writing = (req: FastifyRequest, action: string, target: string, details?: Record<string, unknown>) => {
    // This route writes its own event (with the change, or none when nothing changed).
    req.audited = true;
    return {
      ...scopeOf(req),
      audit: ((db, scope) => audit(deps.audit, req, { action, target, orgId: scope === GLOBAL ? null : scope, details: { scope, ...details } }, db)) satisfies TableAudit,
    };
  };
  const tableOf = (req: FastifyRequest<TableParams>) => parseBody(TableParam, req.params).table;
  const idOf = (req: FastifyRequest<DocParams>) => parseBody(DocParam, req.params).id;

  app.get("/api/tables", async (req) => ({ tables: await tables.list(caller(req), scopeOf(req)) }));

  app.post("/api/tables", async (req, reply) => {
    const { name, ifNotExists } = parseBody(Create, req.body);
    const { table, created } = await tables.create(caller(req), name, { ...writing(req, "table.create", name), ifNotExists });
    return reply.status(created ? 201 : 200).send(table);
  });

  app.get<TableParams>("/api/tables/:table", async (req) => tables.describe(caller(req), tableOf(req), scopeOf(req)));

  app.delete<TableParams>("/api/tables/:table", async (req, reply) => {
    const name = tableOf(req);
    if (!(await tables.drop(caller(req), name, writing(req, "table.drop", name)))) throw notFound(`Table "${name}"`);
    return reply.status(204).send();
  });

  app.get<TableParams>("/api/tables/:table/documents", async (req) => {
    const { scope, ...query } = parseBody(ListQuery, req.query);
    return tables.query(caller(req), tableOf(req), { ...query, scope });
  });

  app.post<TableParams>("/api/tables/:table/documents", async (req, reply) => {
    const table = tableOf(req);
    const body = parseBody(DocumentBody, req.body);
    const doc = await tables.insert(caller(req), table, body, writing(req, "table.insert", table, { count: 1 }));
    return reply.status(201).send(doc);
  });

  app.get<DocParams>("/api/tables/:table/documents/:id", async (req) => {
    const id = idOf(req);
    const doc = await tables.get(caller(req), tableOf(req), id, scopeOf(req));
    if (!doc) throw notFound(`Document "${id}"`);
    return doc;
  });

  app.put<DocParams>("/api/tables/:table/documents/:id", async (req) => {
    const id = idOf(req);
    const body = parseBody(DocumentBody, req.body);
    if (body.id !== undefined && body.id !== id) throw validationFailed([{ path: "id", message: "must match the id in the URL" }]);
    const table = tableOf(req);
    return tables.upsert(caller(req), table, { ...body, id }, writing(req, "table.upsert", `${table}/${id}`));
  });

  app.patch<DocParams>("/api/tables/:table/documents/:id", async (req) => {
    const [table, id] = [tableOf(req), idOf(req)];
    return tables.update(caller(req), table, id, parseBody(DocumentBody, req.body), writing(req, "table.update", `${table}/${id}`));
  });

  app.delete<DocParams>("/api/tables/:table/documents/:id", async (req, reply) => {
    const id = idOf(req);
    const table = tableOf(req);
    if (!(await tables.deleteDocument(caller(req), table, id, writing(req, "table.delete", `${table}/${id}`)))) throw notFound(`Document "${id}"`);
    return reply.status(204).send();
  });

  app.post<TableParams>("/api/tables/:table/batch/insert", async (req, reply) => {
    const { documents } = parseBody(Batch, req.body);
    const table = tableOf(req);
    return reply.status(201).send({ documents: await tables.insertBatch(caller(req), table, documents, writing(req, "table.insert", table, { count: documents.length })) });
  });

  app.post<TableParams>("/api/tables/:table/batch/upsert", async (req) => {
    const { documents } = parseBody(Batch, req.body);
    const table = tableOf(req);
    return { documents: await tables.upsertBatch(caller(req), table, documents, writing(req, "table.upsert", table, { count: documents.length })) };
  });

  app.post<TableParams>("/api/tables/:table/batch/delete", async (req) => {
    const { ids } = parseBody(DeleteBatch, req.body);
    const table = tableOf(req);
    return { deleted: await tables.deleteBatch(caller(req), table, ids, writing(req, "table.delete", table, { ids: ids.slice(0, 100), count: ids.length })) };
  });

  app.post<TableParams>("/api/tables/:table/query", async (req) =>
    tables.query(caller(req), tableOf(req), { ...parseBody(QueryShape, req.body), ...scopeOf(req) }),
  );

  app.post<TableParams>("/api/tables/:table/count", async (req) => {
    const { where } = parseBody(Count, req.body);
    return { count: await tables.count(caller(req), tableOf(req), { where, ...scopeOf(req) }) };
  });
}
