import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { callerOf, GLOBAL } from "../sdk/scope.js";
import { Content, Documents, Key, Metadata, Namespace, Query, SearchShape, StoreManyOptions } from "./knowledge.schemas.js";
import type { KnowledgeAudit, KnowledgeService } from "./knowledge.service.js";

export const ScopeQuery = z.object({ scope: z.string().min(1).optional() }).strict();
export const ListQuery = z
  .object({
    scope: z.string().min(1).optional(),
    limit: z.coerce.number().pipe(z.int().min(0).max(1000)).optional(),
    offset: z.coerce.number().pipe(z.int().min(0)).optional(),
  })
  .strict();
export const Store = z
  .object({ content: Content, key: Key.optional(), metadata: Metadata.optional(), chunkSize: z.unknown().optional(), chunkOverlap: z.unknown().optional() })
  .strict();
export const Put = z.object({ content: Content, metadata: Metadata.optional(), chunkSize: z.unknown().optional(), chunkOverlap: z.unknown().optional() }).strict();
export const Batch = z.object({ documents: Documents, chunkSize: z.unknown().optional(), chunkOverlap: z.unknown().optional() }).strict();
export const Search = z.object({ query: Query, ...SearchShape }).strict();

export const NamespaceParam = z.object({ namespace: Namespace });
export const DocParam = z.object({ namespace: Namespace, key: Key });

type NsParams = { Params: { namespace: string } };
type DocParams = { Params: { namespace: string; key: string } };

/**
 * `/api/knowledge`: the same operations as the SDK's `knowledge` module, `?scope=` picking
 * the scope (an organization id or "global") everywhere.
 */
export function knowledgeRoutes(app: FastifyInstance, deps: { knowledge: KnowledgeService; audit: AuditRepo }): void {
  const { knowledge } = deps;
  const caller = (req: FastifyRequest) => callerOf(principalOf(req));
  const scopeOf = (req: FastifyRequest) => parseBody(ScopeQuery, req.query);
  /** The scope, and the change's event (namespace and keys, never content) committed with it. */
  const writing = (req: FastifyRequest, action: string, target: string, details?: Record<string, unknown>) => {
    // This route writes its own event (with the change, or none when nothing changed).
    req.audited = true;
    const audited: KnowledgeAudit = (db, scope) => audit(deps.audit, req, { action, target, orgId: scope === GLOBAL ? null : scope, details: { scope, ...details } }, db);
    return { ...scopeOf(req), audit: audited };
  };
  const namespaceOf = (req: FastifyRequest<NsParams>) => parseBody(NamespaceParam, req.params).namespace;
  const docOf = (req: FastifyRequest<DocParams>) => parseBody(DocParam, req.params);
  /** The chunking options of a body, checked like the SDK's (overlap at most half the size). */
  const chunking = (body: { chunkSize?: unknown; chunkOverlap?: unknown }) => {
    const { chunkSize, chunkOverlap } = parseBody(StoreManyOptions, { chunkSize: body.chunkSize, chunkOverlap: body.chunkOverlap });
    return { chunkSize, chunkOverlap };
  };

  app.get("/api/knowledge/namespaces", async (req) => ({ namespaces: await knowledge.listNamespaces(caller(req), scopeOf(req)) }));

  app.delete<NsParams>("/api/knowledge/namespaces/:namespace", async (req) => {
    const namespace = namespaceOf(req);
    const deleted = await knowledge.deleteNamespace(caller(req), namespace, writing(req, "knowledge.remove_namespace", namespace));
    if (deleted === 0) throw notFound(`Namespace "${namespace}"`);
    return { deleted };
  });

  app.get<NsParams>("/api/knowledge/namespaces/:namespace/documents", async (req) => {
    const { scope, limit, offset } = parseBody(ListQuery, req.query);
    return knowledge.listDocuments(caller(req), namespaceOf(req), { scope, limit, offset });
  });

  app.post<NsParams>("/api/knowledge/namespaces/:namespace/documents", async (req, reply) => {
    const namespace = namespaceOf(req);
    const { content, key, metadata, ...rest } = parseBody(Store, req.body);
    const result = await knowledge.store(caller(req), content, { namespace, key, metadata, ...chunking(rest), ...writing(req, "knowledge.store", key ? `${namespace}/${key}` : namespace) });
    return reply.status(result.status === "created" ? 201 : 200).send(result);
  });

  app.post<NsParams>("/api/knowledge/namespaces/:namespace/documents/batch", async (req) => {
    const namespace = namespaceOf(req);
    const { documents, ...rest } = parseBody(Batch, req.body);
    const keys = documents.map((d) => d.key).filter((k): k is string => typeof k === "string");
    return { documents: await knowledge.storeMany(caller(req), documents, { namespace, ...chunking(rest), ...writing(req, "knowledge.store", namespace, { count: documents.length, keys: keys.slice(0, 100) }) }) };
  });

  app.get<DocParams>("/api/knowledge/namespaces/:namespace/documents/:key", async (req) => {
    const { namespace, key } = docOf(req);
    const doc = await knowledge.get(caller(req), key, { namespace, ...scopeOf(req) });
    if (!doc) throw notFound(`Document "${key}" in namespace "${namespace}"`);
    return doc;
  });

  app.put<DocParams>("/api/knowledge/namespaces/:namespace/documents/:key", async (req, reply) => {
    const { namespace, key } = docOf(req);
    const { content, metadata, ...rest } = parseBody(Put, req.body);
    const result = await knowledge.store(caller(req), content, { namespace, key, metadata, ...chunking(rest), ...writing(req, "knowledge.store", `${namespace}/${key}`) });
    return reply.status(result.status === "created" ? 201 : 200).send(result);
  });

  app.delete<DocParams>("/api/knowledge/namespaces/:namespace/documents/:key", async (req, reply) => {
    const { namespace, key } = docOf(req);
    if (!(await knowledge.delete(caller(req), key, { namespace, ...writing(req, "knowledge.remove", `${namespace}/${key}`) }))) throw notFound(`Document "${key}" in namespace "${namespace}"`);
    return reply.status(204).send();
  });

  app.post("/api/knowledge/search", async (req) => {
    const { query, ...options } = parseBody(Search, req.body);
    return knowledge.searchDocuments(caller(req), query, { ...options, ...scopeOf(req) });
  });
}
