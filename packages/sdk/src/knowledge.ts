import { call } from "./transport.js";

import type { ScopeOption, ChunkingOptions, StoreOptions, NewDocument, StoreResult, SearchOptions, SearchResultItem, SearchResult, KnowledgeDocument, NamespaceInfo } from "@bifrost/contracts/knowledge.js";
export type { ScopeOption, ChunkingOptions, StoreOptions, NewDocument, StoreResult, SearchOptions, SearchResultItem, SearchResult, KnowledgeDocument, NamespaceInfo } from "@bifrost/contracts/knowledge.js";

/**
 * Stores a document: splits it into chunks, embeds them with the embedding provider and
 * keeps them for `search`. Storing an existing key replaces the document (its old chunks
 * are gone); storing the same content again only updates the metadata and embeds nothing.
 * Without an embedding provider the document is kept for full-text search and embedded
 * later. A provider failure is an error (`provider_error` 502, `provider_timeout` 504)
 * and nothing is stored.
 *
 * @example
 * ```ts
 * import { workflow, z, knowledge } from "bifrost";
 *
 * export const saveRunbook = workflow(
 *   { params: z.object({ title: z.string(), body: z.string() }) },
 *   async ({ title, body }) => {
 *     const stored = await knowledge.store(body, { namespace: "runbooks", key: title, metadata: { team: "desk" } });
 *     return { status: stored.status, chunks: stored.chunks };
 *   },
 * );
 * ```
 */
export function store(content: string, options: StoreOptions = {}): Promise<StoreResult> {
  return call<StoreResult>("knowledge.store", [content, options]);
}

/**
 * Stores several documents (up to 100) at once: all of them or, when one is invalid or
 * the provider fails, none. Results are in the order given.
 *
 * @example
 * ```ts
 * import { knowledge } from "bifrost";
 *
 * await knowledge.storeMany(
 *   [
 *     { key: "vpn", content: "Connect to the VPN before opening the file share.", metadata: { team: "network" } },
 *     { key: "printer", content: "Reset the printer queue when jobs are stuck.", metadata: { team: "desk" } },
 *   ],
 *   { namespace: "faq" },
 * );
 * ```
 */
export function storeMany(documents: NewDocument[], options: ScopeOption & ChunkingOptions & { namespace?: string } = {}): Promise<StoreResult[]> {
  return call<StoreResult[]>("knowledge.storeMany", [documents, options]);
}

/**
 * Finds the documents that best match `query`: one result per document (its best chunk),
 * best first. `mode` says how: by meaning when an embedding provider is configured, by
 * words otherwise. Reads the organization's documents and the global ones.
 *
 * @example
 * ```ts
 * import { workflow, z, knowledge } from "bifrost";
 *
 * export const suggest = workflow({ params: z.object({ ticket: z.string() }) }, async ({ ticket }) => {
 *   const { mode, results } = await knowledge.search(ticket, { namespace: ["runbooks", "faq"], limit: 3, minScore: 0.3 });
 *   return { mode, suggestions: results.map((r) => ({ key: r.key, excerpt: r.content, score: r.score })) };
 * });
 * ```
 */
export function search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
  return call<SearchResult>("knowledge.search", [query, options], { idempotent: true });
}

/**
 * Reads a document (the organization's, else the global one), or null.
 *
 * @example
 * ```ts
 * import { knowledge } from "bifrost";
 *
 * const doc = await knowledge.get("vpn", { namespace: "faq" });
 * if (doc) console.log(doc.content, doc.metadata);
 * ```
 */
export function get(key: string, options: ScopeOption & { namespace?: string } = {}): Promise<KnowledgeDocument | null> {
  return call<KnowledgeDocument | null>("knowledge.get", [key, options], { idempotent: true });
}

/**
 * Deletes a document of the organization (or of `scope`); resolves true when it existed.
 *
 * @example
 * ```ts
 * import { knowledge } from "bifrost";
 *
 * await knowledge.delete("printer", { namespace: "faq" });
 * ```
 */
function remove(key: string, options: ScopeOption & { namespace?: string } = {}): Promise<boolean> {
  return call<boolean>("knowledge.delete", [key, options]);
}
export { remove as delete };

/**
 * Deletes every document of a namespace of the organization (or of `scope`); resolves how many there were.
 *
 * @example
 * ```ts
 * import { knowledge } from "bifrost";
 *
 * const removed = await knowledge.deleteNamespace("old-runbooks");
 * ```
 */
export function deleteNamespace(namespace: string, options: ScopeOption = {}): Promise<number> {
  return call<number>("knowledge.deleteNamespace", [namespace, options]);
}

/**
 * Lists the namespaces the organization reads — its own and the global ones — with their
 * document and chunk counts.
 *
 * @example
 * ```ts
 * import { knowledge } from "bifrost";
 *
 * for (const ns of await knowledge.listNamespaces()) console.log(ns.scope, ns.namespace, ns.documents);
 * ```
 */
export function listNamespaces(options: ScopeOption = {}): Promise<NamespaceInfo[]> {
  return call<NamespaceInfo[]>("knowledge.listNamespaces", [options], { idempotent: true });
}
