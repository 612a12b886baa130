/**
 * The knowledge base's shapes, shared by the SDK (`packages/sdk/src/knowledge.ts`) and the
 * server that performs the calls (`packages/server/src/features/knowledge`).
 */

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
