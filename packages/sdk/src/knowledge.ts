import { call } from "./transport.js";

/**
 * The knowledge base: text documents per organization (and global ones every organization
 * reads), split into chunks, embedded with the configured embedding provider and searched
 * by meaning (SPEC §2 `knowledge`). Full reference: docs/sdk/knowledge.md.
 * @module
 */

export interface ScopeOption {
  /**
   * An organization id or `"global"`. Default: the current organization — reads see its
   * documents and the global ones, writes go to it. Only platform admins write global
   * documents or act in another organization.
   */
  scope?: string;
}

export interface ChunkingOptions {
  /** Longest chunk, in characters (50 to 8000). Default 1000. */
  chunkSize?: number;
  /** Characters a chunk may repeat from the previous one (at most half of `chunkSize`). Default 150. */
  chunkOverlap?: number;
}

export interface StoreOptions extends ScopeOption, ChunkingOptions {
  /** Default `"default"`. Letters, digits, `_ . : -`, up to 128. */
  namespace?: string;
  /** The document's key in its namespace (up to 512 characters). Default: a new UUID. Storing an existing key replaces the document. */
  key?: string;
  /** A JSON object kept with the document, returned with results and filterable in `search`. At most 16 KiB. */
  metadata?: Record<string, unknown>;
}

export interface NewDocument {
  /** The text (at most 1 MiB). */
  content: string;
  key?: string;
  metadata?: Record<string, unknown>;
  /** Default: `options.namespace`, else `"default"`. */
  namespace?: string;
}

export interface StoreResult {
  namespace: string;
  key: string;
  /** `"global"` or the organization id the document belongs to. */
  scope: string;
  /** `"unchanged"`: the same content was stored already; only the metadata was written and nothing re-embedded. */
  status: "created" | "replaced" | "unchanged";
  /** How many chunks the document has. */
  chunks: number;
  /** Whether every chunk has a vector (false while no embedding provider is configured). */
  embedded: boolean;
  /** The embedding model this call embedded with; null when it embedded nothing. */
  model: string | null;
}

export interface SearchOptions extends ScopeOption {
  /** One namespace or several (up to 20). Default `"default"`. */
  namespace?: string | string[];
  /** Most results (1 to 100). Default 5. */
  limit?: number;
  /** Lowest score kept (-1 to 1): cosine similarity in `vector` mode, relative rank in `fulltext` mode. */
  minScore?: number;
  /** Conditions on the documents' metadata, in the `tables` filter language: `{ team: "desk", level: { gte: 2 } }`. */
  metadataFilter?: Record<string, unknown>;
}

export interface SearchResultItem {
  namespace: string;
  key: string;
  /** `"global"` or the organization id of the document. */
  scope: string;
  /** The best matching chunk of the document. */
  content: string;
  metadata: Record<string, unknown>;
  /** Cosine similarity (`vector` mode) or rank relative to the best match, which scores 1 (`fulltext` mode). */
  score: number;
  /** Position of the chunk in its document (0-based). */
  chunkIndex: number;
}

export interface SearchResult {
  /** `"vector"`: by meaning (embeddings); `"fulltext"`: no embedding provider is configured, so by words. */
  mode: "vector" | "fulltext";
  /** The embedding model of the query in `vector` mode; null in `fulltext` mode. */
  model: string | null;
  /** One result per document (its best chunk), best first. */
  results: SearchResultItem[];
  /** Chunks not searched by meaning yet because they still wait for a vector (0 normally; see the docs). */
  pendingChunks: number;
}

export interface KnowledgeDocument {
  namespace: string;
  key: string;
  scope: string;
  content: string;
  metadata: Record<string, unknown>;
  chunks: number;
  /** The embedding models every chunk has a vector of. */
  models: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NamespaceInfo {
  namespace: string;
  /** `"global"` or the organization id. */
  scope: string;
  documents: number;
  chunks: number;
  updatedAt: string;
}

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
