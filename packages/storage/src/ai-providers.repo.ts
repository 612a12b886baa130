import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { transactionFor, type InTransaction } from "./audit.repo.js";
import type { Schema } from "./schema.js";

export const AI_PROVIDER_KINDS = ["openai-compatible", "anthropic"] as const;
export type AiProviderKind = (typeof AI_PROVIDER_KINDS)[number];

/**
 * A configured LLM provider as stored. `apiKey` and `headers` are SecretBox envelopes:
 * the repository never sees them in clear (the AI service seals and opens them).
 */
export interface StoredAiProvider {
  id: string;
  /** An organization id, or "global". */
  scope: string;
  name: string;
  kind: AiProviderKind;
  baseUrl: string | null;
  apiKey: string | null;
  headers: string | null;
  queryParams: Record<string, string> | null;
  chatModel: string | null;
  embeddingModel: string | null;
  timeoutMs: number;
  createdAt: string;
  updatedAt: string;
}

export type AiProviderInput = Omit<StoredAiProvider, "id" | "scope" | "createdAt" | "updatedAt">;

/** Which provider a scope uses for chat and for embeddings (null = not chosen here). */
export interface AiSettings {
  scope: string;
  chatProviderId: string | null;
  embeddingProviderId: string | null;
  updatedAt: string | null;
}

const toProvider = (r: Schema["ai_providers"]): StoredAiProvider => ({
  id: r.id,
  scope: r.scope,
  name: r.name,
  kind: r.kind as AiProviderKind,
  baseUrl: r.base_url,
  apiKey: r.api_key,
  headers: r.headers,
  queryParams: r.query_params === null ? null : (JSON.parse(r.query_params) as Record<string, string>),
  chatModel: r.chat_model,
  embeddingModel: r.embedding_model,
  timeoutMs: Number(r.timeout_ms),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const columns = (input: AiProviderInput) => ({
  name: input.name,
  kind: input.kind,
  base_url: input.baseUrl,
  api_key: input.apiKey,
  headers: input.headers,
  query_params: input.queryParams === null ? null : JSON.stringify(input.queryParams),
  chat_model: input.chatModel,
  embedding_model: input.embeddingModel,
  timeout_ms: input.timeoutMs,
});

/** LLM providers per scope ("global" or an organization id), and each scope's default choice. */
export class AiProvidersRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  /** `also` (its audit event: never the key) commits with the change, or neither does. */
  async create(scope: string, input: AiProviderInput, now = new Date().toISOString(), also?: (db: Kysely<Schema>, created: StoredAiProvider) => Promise<void>): Promise<StoredAiProvider> {
    const row = { id: randomUUID(), scope, ...columns(input), created_at: now, updated_at: now };
    const created = toProvider(row);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("ai_providers").values(row).execute();
      await also?.(trx, created);
    });
    return created;
  }

  async get(id: string): Promise<StoredAiProvider | null> {
    const r = await this.db.selectFrom("ai_providers").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toProvider(r) : null;
  }

  async findByName(scope: string, name: string): Promise<StoredAiProvider | null> {
    const r = await this.db.selectFrom("ai_providers").selectAll().where("scope", "=", scope).where("name", "=", name).executeTakeFirst();
    return r ? toProvider(r) : null;
  }

  /** Providers of these scopes (undefined = every scope), by scope then name. */
  async list(scopes?: string[]): Promise<StoredAiProvider[]> {
    if (scopes && scopes.length === 0) return [];
    let q = this.db.selectFrom("ai_providers").selectAll().orderBy("scope").orderBy("name");
    if (scopes) q = q.where("scope", "in", scopes);
    return (await q.execute()).map(toProvider);
  }

  async update(id: string, input: AiProviderInput, now = new Date().toISOString(), also?: InTransaction): Promise<StoredAiProvider | null> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable("ai_providers").set({ ...columns(input), updated_at: now }).where("id", "=", id).execute();
      await also?.(trx);
    });
    return this.get(id);
  }

  /** Deletes a provider and clears every default that pointed at it, atomically. */
  async delete(id: string, now = new Date().toISOString(), also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom("ai_providers").where("id", "=", id).executeTakeFirst();
      if (r.numDeletedRows === 0n) return false;
      await trx.updateTable("ai_settings").set({ chat_provider_id: null, updated_at: now }).where("chat_provider_id", "=", id).execute();
      await trx.updateTable("ai_settings").set({ embedding_provider_id: null, updated_at: now }).where("embedding_provider_id", "=", id).execute();
      await also?.(trx);
      return true;
    });
  }

  async getSettings(scope: string): Promise<AiSettings> {
    const r = await this.db.selectFrom("ai_settings").selectAll().where("scope", "=", scope).executeTakeFirst();
    return { scope, chatProviderId: r?.chat_provider_id ?? null, embeddingProviderId: r?.embedding_provider_id ?? null, updatedAt: r?.updated_at ?? null };
  }

  /** Replaces the scope's choices (null clears one). */
  async setSettings(scope: string, settings: { chatProviderId: string | null; embeddingProviderId: string | null }, now = new Date().toISOString(), also?: InTransaction): Promise<AiSettings> {
    const values = { chat_provider_id: settings.chatProviderId, embedding_provider_id: settings.embeddingProviderId, updated_at: now };
    await transactionFor(this.db, also, async (trx) => {
      await trx
        .insertInto("ai_settings")
        .values({ scope, ...values })
        .onConflict((oc) => oc.column("scope").doUpdateSet(values))
        .execute();
      await also?.(trx);
    });
    return { scope, chatProviderId: settings.chatProviderId, embeddingProviderId: settings.embeddingProviderId, updatedAt: now };
  }
}
