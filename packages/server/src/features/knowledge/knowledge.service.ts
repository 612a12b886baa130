import { createHash, randomUUID } from "node:crypto";
import type { ChunkingOptions, KnowledgeDocument, NamespaceInfo, NewDocument, ScopeOption, SearchOptions, SearchResult, SearchResultItem, StoreResult } from "@bifrost/contracts/knowledge.js";
import type { FieldError } from "@bifrost/contracts/execution.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { DocumentState, DocumentWrite, KnowledgeDocumentRow, KnowledgeHitRow, KnowledgeRepo, KnowledgeTarget } from "@bifrost/storage/knowledge.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { InTransaction } from "@bifrost/storage/audit.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Kysely } from "kysely";
import { parseWhere } from "@bifrost/storage/tables-filter.js";
import { HttpError, validationFailed } from "../../http-error.js";
import type { Embedder, Embedding } from "../ai/embedder.js";
import { GLOBAL, resolveScope } from "../sdk/scope.js";
import { chunkText } from "./chunker.js";
import type { KnowledgeHit, KnowledgeSearch } from "./knowledge-search.js";
import { DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, DEFAULT_LIMIT, DEFAULT_NAMESPACE, MAX_CHUNKS_PER_CALL } from "./knowledge.schemas.js";

/** Texts per embedding request. */
export const EMBED_BATCH = 64;
/** Chunks a search embeds (that lack a vector of the current model) before it answers; the rest wait for later searches. */
export const MAX_EMBED_PER_SEARCH = 1024;
/** Query words full-text search looks for. */
const MAX_TERMS = 32;

/** An API change's audit event, written in the change's transaction, told the scope it acted in. */
export type KnowledgeAudit = (db: Kysely<Schema>, scope: string) => Promise<void>;

/** The scope, and (through the API) the change's event; the SDK's calls inside runs have none. */
type Scoped = ScopeOption & { audit?: KnowledgeAudit };

const alsoOf = (options: Scoped, scope: string): InTransaction | undefined => (options.audit ? (db) => options.audit!(db, scope) : undefined);

/** One document of a store, validated and hashed. */
interface Prepared {
  namespace: string;
  key: string;
  content: string;
  metadata: string;
  contentHash: string;
}

const id = (namespace: string, key: string) => `${namespace}\u0000${key}`;

const toDocument = (row: KnowledgeDocumentRow): KnowledgeDocument => ({
  namespace: row.namespace,
  key: row.key,
  scope: row.scope,
  content: row.content,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  chunks: row.chunks,
  models: row.models,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const toResult = (row: KnowledgeHitRow): SearchResultItem => ({
  namespace: row.namespace,
  key: row.key,
  scope: row.scope,
  content: row.content,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  score: row.score,
  chunkIndex: row.seq,
});

/** The words of a query, for full-text search: letters and digits only, never query syntax. */
export function queryTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, MAX_TERMS);
}

const badEmbedding = (message: string) => new HttpError(502, "provider_error", `The embedding provider returned ${message}`);

/** Checks a provider's answer before anything is written from it. */
function checkEmbedding(e: Embedding, count: number, dimensions?: number): void {
  if (!Array.isArray(e.vectors) || e.vectors.length !== count) throw badEmbedding(`${Array.isArray(e.vectors) ? e.vectors.length : "no"} vectors for ${count} texts`);
  const dims = dimensions ?? e.vectors[0]?.length ?? 0;
  for (const v of e.vectors) {
    if (!Array.isArray(v) || v.length === 0 || v.length !== dims) throw badEmbedding(`vectors of differing dimensions (${Array.isArray(v) ? v.length : "none"} and ${dims})`);
    if (!v.every((x) => typeof x === "number" && Number.isFinite(x))) throw badEmbedding("a vector with a value that is not a finite number");
  }
}

/**
 * The knowledge base (SPEC §2 `knowledge`): documents per organization and global ones,
 * chunked, embedded through the `Embedder` port, searched by cosine similarity, or by
 * full-text ranking when no embedding provider is configured. Implements the
 * `KnowledgeSearch` port the AI module uses for `ai.complete({ knowledge })`.
 *
 * Visibility: without `scope`, an organization reads its own documents and the global
 * ones (its own document hides a global one of the same namespace and key) and writes its
 * own; only platform admins write global documents or act in another organization.
 *
 * Embeddings: a document is embedded when stored, with the provider of the scope it is
 * stored in (an organization's, else the global one; global documents the global one).
 * Vectors are kept per model; a search embeds the query with the searching organization's
 * model and first embeds whatever it covers that lacks a vector of that model (stored
 * before a provider was configured, or under another model).
 */
export class KnowledgeService implements KnowledgeSearch {
  constructor(private readonly deps: { repo: KnowledgeRepo; organizations: OrganizationsRepo; embedder: Embedder }) {}

  /** Stores one document (replacing one with the same namespace and key). */
  async store(caller: SdkCaller, content: string, options: Scoped & ChunkingOptions & { namespace?: string; key?: string; metadata?: Record<string, unknown> } = {}): Promise<StoreResult> {
    const { key, metadata, namespace, ...rest } = options;
    const [result] = await this.storeMany(caller, [{ content, key, metadata, namespace }], rest);
    return result!;
  }

  /** Stores documents all or none: nothing is written when one is invalid or the provider fails. */
  async storeMany(caller: SdkCaller, documents: NewDocument[], options: Scoped & ChunkingOptions & { namespace?: string } = {}): Promise<StoreResult[]> {
    const scope = await resolveScope(caller, options.scope, "write", this.deps.organizations);
    const size = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const overlap = options.chunkOverlap ?? Math.min(DEFAULT_CHUNK_OVERLAP, Math.floor(size / 2));
    const docs: Prepared[] = documents.map((d) => ({
      namespace: d.namespace ?? options.namespace ?? DEFAULT_NAMESPACE,
      key: d.key ?? randomUUID(),
      content: d.content,
      metadata: JSON.stringify(d.metadata ?? {}),
      contentHash: createHash("sha256").update(`${size}:${overlap}\n`).update(d.content).digest("hex"),
    }));
    const seen = new Map<string, number>();
    const duplicates: FieldError[] = [];
    docs.forEach((d, i) => {
      const first = seen.get(id(d.namespace, d.key));
      if (first !== undefined) duplicates.push({ path: `documents.${i}.key`, message: `"${d.key}" is also document ${first} of the batch (namespace "${d.namespace}")` });
      else seen.set(id(d.namespace, d.key), i);
    });
    if (duplicates.length > 0) throw validationFailed(duplicates);

    const owner = scope === GLOBAL ? null : scope;
    const chunks = new Map<string, string[]>();
    const chunksOf = (d: Prepared) => {
      let c = chunks.get(id(d.namespace, d.key));
      if (!c) chunks.set(id(d.namespace, d.key), (c = chunkText(d.content, { size, overlap })));
      return c;
    };
    // Bound what one call may chunk and embed (memory and provider spend): a 1 MiB
    // document at the smallest chunk size would be tens of thousands of chunks.
    let total = 0;
    for (const d of docs) total += chunksOf(d).length;
    if (total > MAX_CHUNKS_PER_CALL) {
      throw validationFailed([
        {
          path: documents.length === 1 ? "content" : "documents",
          message: `would make ${total} chunks at chunkSize ${size}; one call may store at most ${MAX_CHUNKS_PER_CALL}: use a larger chunkSize, or store fewer or shorter documents per call`,
        },
      ]);
    }
    /** Embeddings computed so far (kept across attempts); `null` = no provider. */
    const embedded = new Map<string, { model: string; vectors: number[][] } | null>();
    let states = await this.states(scope, docs);

    for (let attempt = 1; ; attempt++) {
      const needed = docs.filter((d) => {
        const st = states.get(id(d.namespace, d.key));
        return !(st && st.contentHash === d.contentHash && st.embedded) && !embedded.has(id(d.namespace, d.key));
      });
      await this.embedDocuments(owner, needed, chunksOf, embedded, caller.executionId);

      const writes: DocumentWrite[] = docs.map((d) => {
        const st = states.get(id(d.namespace, d.key));
        const embedding = embedded.get(id(d.namespace, d.key)) ?? null;
        // Same content: keep the stored chunks (and their vectors) unless this call has vectors they lack.
        if (st && st.contentHash === d.contentHash && (st.embedded || embedding === null)) {
          return { kind: "metadata", namespace: d.namespace, key: d.key, contentHash: d.contentHash, metadata: d.metadata };
        }
        return { kind: "replace", ...d, chunks: chunksOf(d), embedding };
      });
      const outcome = await this.deps.repo.write(scope, writes, undefined, alsoOf(options, scope));
      if (outcome.ok) {
        return docs.map((d, i) => {
          const w = writes[i]!;
          const st = states.get(id(d.namespace, d.key));
          const embedding = w.kind === "replace" ? w.embedding : null;
          return {
            namespace: d.namespace,
            key: d.key,
            scope,
            status: outcome.statuses[i]!,
            chunks: w.kind === "replace" ? w.chunks.length : (st?.chunks ?? 0),
            embedded: w.kind === "replace" ? embedding !== null : (st?.embedded ?? false),
            model: embedding?.model ?? null,
          };
        });
      }
      // A document changed between reading its state and writing: read again and redo (its new content needs vectors).
      if (attempt >= 3) throw new HttpError(409, "conflict", `Documents ${outcome.stale.map((s) => `"${s.namespace}/${s.key}"`).join(", ")} kept changing while being stored; store again`);
      states = await this.states(scope, docs);
    }
  }

  /** What is stored for the documents (by namespace and key). */
  private async states(scope: string, docs: Prepared[]): Promise<Map<string, DocumentState>> {
    const byNamespace = new Map<string, string[]>();
    for (const d of docs) byNamespace.set(d.namespace, [...(byNamespace.get(d.namespace) ?? []), d.key]);
    const out = new Map<string, DocumentState>();
    for (const [namespace, keys] of byNamespace) {
      for (const [key, state] of await this.deps.repo.states(scope, namespace, keys)) out.set(id(namespace, key), state);
    }
    return out;
  }

  /** Embeds the chunks of `docs` into `into`, in batches; without a provider every one gets null. */
  private async embedDocuments(
    owner: string | null,
    docs: Prepared[],
    chunksOf: (d: Prepared) => string[],
    into: Map<string, { model: string; vectors: number[][] } | null>,
    executionId: string | null,
  ): Promise<void> {
    const texts = docs.flatMap((d) => chunksOf(d));
    const vectors: number[][] = [];
    let model: string | null = null;
    for (let i = 0; i < texts.length; i += EMBED_BATCH) {
      const batch = texts.slice(i, i + EMBED_BATCH);
      const e = await this.deps.embedder.embed(owner, batch, executionId);
      if (!e) {
        model = null;
        break;
      }
      if (model !== null && e.model !== model) throw new HttpError(409, "conflict", `The embedding model changed from ${model} to ${e.model} while the documents were embedded; store them again`);
      checkEmbedding(e, batch.length, vectors[0]?.length);
      model = e.model;
      vectors.push(...e.vectors);
    }
    let at = 0;
    for (const d of docs) {
      const n = chunksOf(d).length;
      into.set(id(d.namespace, d.key), model === null ? null : { model, vectors: vectors.slice(at, at + n) });
      at += n;
    }
  }

  /** Where a read looks: its scopes (organization first), which hides which, and whose embedding model the query uses. */
  private async readTarget(caller: SdkCaller, scope: string | undefined): Promise<{ scopes: string[]; shadow: KnowledgeTarget["shadow"]; owner: string | null }> {
    if (scope === undefined) {
      return caller.orgId ? { scopes: [caller.orgId, GLOBAL], shadow: { by: caller.orgId, hides: GLOBAL }, owner: caller.orgId } : { scopes: [GLOBAL], shadow: null, owner: null };
    }
    const resolved = await resolveScope(caller, scope, "read", this.deps.organizations);
    return { scopes: [resolved], shadow: null, owner: resolved === GLOBAL ? caller.orgId : resolved };
  }

  /**
   * The best matching chunk of each document, best first. By cosine similarity when an
   * embedding provider is configured, by full-text ranking otherwise (`mode` says which).
   */
  async searchDocuments(caller: SdkCaller, query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const parsed = parseWhere(options.metadataFilter);
    if (!parsed.ok) throw validationFailed(parsed.errors.map((e) => ({ ...e, path: e.path.replace(/^where/, "metadataFilter") })));
    const { scopes, shadow, owner } = await this.readTarget(caller, options.scope);
    const namespaces = [...new Set(typeof options.namespace === "string" ? [options.namespace] : (options.namespace ?? [DEFAULT_NAMESPACE]))];
    const target: KnowledgeTarget = { scopes, namespaces, metadata: parsed.value, shadow };
    const limits = { limit: options.limit ?? DEFAULT_LIMIT, minScore: options.minScore };

    const q = await this.deps.embedder.embed(owner, [query], caller.executionId);
    if (!q) {
      const rows = await this.deps.repo.searchText(target, queryTerms(query), limits);
      return { mode: "fulltext", model: null, results: rows.map(toResult), pendingChunks: 0 };
    }
    checkEmbedding(q, 1);
    const vector = q.vectors[0]!;
    const pendingChunks = await this.embedMissing(target, owner, q.model, vector.length, caller.executionId);
    const rows = await this.deps.repo.searchVectors(target, vector, q.model, limits);
    return { mode: "vector", model: q.model, results: rows.map(toResult), pendingChunks };
  }

  /**
   * Gives the target's chunks that lack one a vector of `model`, up to MAX_EMBED_PER_SEARCH
   * chunks; resolves how many still lack one. An organization's chunks keep only their
   * current model's vector; global chunks keep one per model that searched them.
   */
  private async embedMissing(target: KnowledgeTarget, owner: string | null, model: string, dimensions: number, executionId: string | null): Promise<number> {
    let done = 0;
    while (done < MAX_EMBED_PER_SEARCH) {
      const batch = await this.deps.repo.chunksWithoutVectors(target, model, dimensions, Math.min(EMBED_BATCH, MAX_EMBED_PER_SEARCH - done));
      if (batch.length === 0) return 0;
      const e = await this.deps.embedder.embed(
        owner,
        batch.map((c) => c.content),
        executionId,
      );
      // The provider went or changed model since the query was embedded: search what matches.
      if (!e || e.model !== model) break;
      checkEmbedding(e, batch.length, dimensions);
      await this.deps.repo.setVectors(
        model,
        batch.map((c, i) => ({ id: c.id, vector: e.vectors[i]!, exclusive: c.scope !== GLOBAL })),
      );
      done += batch.length;
    }
    return this.deps.repo.countWithoutVectors(target, model, dimensions);
  }

  /** `KnowledgeSearch`: the hits alone, for `ai.complete({ knowledge })` and agents. */
  async search(caller: SdkCaller, query: string, options: { namespace: string | string[]; limit?: number }): Promise<KnowledgeHit[]> {
    const { results } = await this.searchDocuments(caller, query, options);
    return results.map((r) => ({ namespace: r.namespace, key: r.key, content: r.content, metadata: r.metadata, score: r.score }));
  }

  /** The document (the organization's, else the global one), or null. */
  async get(caller: SdkCaller, key: string, options: Scoped & { namespace?: string } = {}): Promise<KnowledgeDocument | null> {
    const { scopes } = await this.readTarget(caller, options.scope);
    for (const scope of scopes) {
      const row = await this.deps.repo.getDocument(scope, options.namespace ?? DEFAULT_NAMESPACE, key);
      if (row) return toDocument(row);
    }
    return null;
  }

  /** Deletes one document of the caller's scope; resolves whether it existed. */
  async delete(caller: SdkCaller, key: string, options: Scoped & { namespace?: string } = {}): Promise<boolean> {
    const scope = await resolveScope(caller, options.scope, "write", this.deps.organizations);
    return this.deps.repo.deleteDocument(scope, options.namespace ?? DEFAULT_NAMESPACE, key, alsoOf(options, scope));
  }

  /** Deletes every document of a namespace in the caller's scope; resolves how many. */
  async deleteNamespace(caller: SdkCaller, namespace: string, options: Scoped = {}): Promise<number> {
    const scope = await resolveScope(caller, options.scope, "write", this.deps.organizations);
    return this.deps.repo.deleteNamespace(scope, namespace, alsoOf(options, scope));
  }

  /** The namespaces the caller reads: its organization's and the global ones (or one scope's). */
  async listNamespaces(caller: SdkCaller, options: Scoped = {}): Promise<NamespaceInfo[]> {
    const { scopes } = await this.readTarget(caller, options.scope);
    return this.deps.repo.listNamespaces(scopes);
  }

  /** One page of a namespace's documents in one scope (the caller's unless named), without content. */
  async listDocuments(caller: SdkCaller, namespace: string, options: Scoped & { limit?: number; offset?: number } = {}) {
    const scope = await resolveScope(caller, options.scope, "read", this.deps.organizations);
    const limit = options.limit ?? 100;
    const offset = options.offset ?? 0;
    const page = await this.deps.repo.listDocuments(scope, namespace, limit, offset);
    return {
      scope,
      namespace,
      documents: page.documents.map((d) => ({ ...d, metadata: JSON.parse(d.metadata) as Record<string, unknown> })),
      total: page.total,
      limit,
      offset,
    };
  }
}
