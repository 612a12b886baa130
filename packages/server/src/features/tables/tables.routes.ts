import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { notFound, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { callerOf } from "../sdk/scope.js";
import { DocumentBody, DocumentId, Documents, Ids, Limit, Offset, QueryShape, TableName, WhereShape } from "./tables.schemas.js";
import type { TablesService } from "./tables.service.js";

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
export function tablesRoutes(app: FastifyInstance, deps: { tables: TablesService }): void {
  const { tables } = deps;
  const caller = (req: FastifyRequest) => callerOf(principalOf(req));
  const scopeOf = (req: FastifyRequest) => parseBody(ScopeQuery, req.query);
  const tableOf = (req: FastifyRequest<TableParams>) => parseBody(TableParam, req.params).table;
  const idOf = (req: FastifyRequest<DocParams>) => parseBody(DocParam, req.params).id;

  app.get("/api/tables", async (req) => ({ tables: await tables.list(caller(req), scopeOf(req)) }));

  app.post("/api/tables", async (req, reply) => {
    const { name, ifNotExists } = parseBody(Create, req.body);
    const { table, created } = await tables.create(caller(req), name, { ...scopeOf(req), ifNotExists });
    return reply.status(created ? 201 : 200).send(table);
  });

  app.get<TableParams>("/api/tables/:table", async (req) => tables.describe(caller(req), tableOf(req), scopeOf(req)));

  app.delete<TableParams>("/api/tables/:table", async (req, reply) => {
    const name = tableOf(req);
    if (!(await tables.drop(caller(req), name, scopeOf(req)))) throw notFound(`Table "${name}"`);
    return reply.status(204).send();
  });

  app.get<TableParams>("/api/tables/:table/documents", async (req) => {
    const { scope, ...query } = parseBody(ListQuery, req.query);
    return tables.query(caller(req), tableOf(req), { ...query, scope });
  });

  app.post<TableParams>("/api/tables/:table/documents", async (req, reply) => {
    const doc = await tables.insert(caller(req), tableOf(req), parseBody(DocumentBody, req.body), scopeOf(req));
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
    return tables.upsert(caller(req), tableOf(req), { ...body, id }, scopeOf(req));
  });

  app.patch<DocParams>("/api/tables/:table/documents/:id", async (req) =>
    tables.update(caller(req), tableOf(req), idOf(req), parseBody(DocumentBody, req.body), scopeOf(req)),
  );

  app.delete<DocParams>("/api/tables/:table/documents/:id", async (req, reply) => {
    const id = idOf(req);
    if (!(await tables.deleteDocument(caller(req), tableOf(req), id, scopeOf(req)))) throw notFound(`Document "${id}"`);
    return reply.status(204).send();
  });

  app.post<TableParams>("/api/tables/:table/batch/insert", async (req, reply) => {
    const { documents } = parseBody(Batch, req.body);
    return reply.status(201).send({ documents: await tables.insertBatch(caller(req), tableOf(req), documents, scopeOf(req)) });
  });

  app.post<TableParams>("/api/tables/:table/batch/upsert", async (req) => {
    const { documents } = parseBody(Batch, req.body);
    return { documents: await tables.upsertBatch(caller(req), tableOf(req), documents, scopeOf(req)) };
  });

  app.post<TableParams>("/api/tables/:table/batch/delete", async (req) => {
    const { ids } = parseBody(DeleteBatch, req.body);
    return { deleted: await tables.deleteBatch(caller(req), tableOf(req), ids, scopeOf(req)) };
  });

  app.post<TableParams>("/api/tables/:table/query", async (req) =>
    tables.query(caller(req), tableOf(req), { ...parseBody(QueryShape, req.body), ...scopeOf(req) }),
  );

  app.post<TableParams>("/api/tables/:table/count", async (req) => {
    const { where } = parseBody(Count, req.body);
    return { count: await tables.count(caller(req), tableOf(req), { where, ...scopeOf(req) }) };
  });
}
