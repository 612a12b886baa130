import type { z } from "zod";
import type { Kysely } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { AiProviderInput, AiProvidersRepo, StoredAiProvider } from "@bifrost/storage/ai-providers.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { SecretBox } from "@bifrost/storage/secret-box.js";
import { forbidden, HttpError, notFound, validationFailed } from "../../http-error.js";
import { GLOBAL, resolveScope } from "../sdk/scope.js";
import { DEFAULT_TIMEOUT_MS, type CreateProvider, type UpdateProvider, type UpdateSettings } from "./ai.schemas.js";

/** A provider as the API shows it: the API key and header values never leave the server. */
export interface PublicAiProvider {
  id: string;
  scope: string;
  name: string;
  kind: StoredAiProvider["kind"];
  baseUrl: string | null;
  hasApiKey: boolean;
  /** Names of the extra headers sent (their values are secret). */
  headerNames: string[];
  queryParams: Record<string, string> | null;
  chatModel: string | null;
  embeddingModel: string | null;
  timeoutMs: number;
  createdAt: string;
  updatedAt: string;
}

/** A provider ready to call: its secrets opened, in memory only. */
export interface ResolvedProvider {
  row: StoredAiProvider;
  apiKey: string | null;
  headers: Record<string, string>;
}

export interface ProviderRef {
  id: string;
  name: string;
  scope: string;
}

/**
 * LLM providers (openai-compatible or anthropic) configured by platform admins, globally
 * or for one organization, and which one each scope uses for chat and for embeddings. An
 * organization's choice overrides the global one. API keys and headers are sealed with
 * SecretBox at rest and never returned.
 */
/** Appends a provider change's audit event in its transaction. */
export type ProviderAudit = (db: Kysely<Schema>, provider: { id: string; scope: string; name: string }) => Promise<void>;

export class AiProvidersService {
  constructor(private readonly deps: { repo: AiProvidersRepo; box: SecretBox; organizations: OrganizationsRepo }) {}

  private admin(caller: SdkCaller): void {
    if (!caller.isPlatformAdmin) throw forbidden("Only platform admins configure AI providers");
  }

  view(p: StoredAiProvider): PublicAiProvider {
    const headers = p.headers ? (JSON.parse(this.deps.box.open(p.headers)) as Record<string, string>) : {};
    return {
      id: p.id,
      scope: p.scope,
      name: p.name,
      kind: p.kind,
      baseUrl: p.baseUrl,
      hasApiKey: p.apiKey !== null,
      headerNames: Object.keys(headers).sort(),
      queryParams: p.queryParams,
      chatModel: p.chatModel,
      embeddingModel: p.embeddingModel,
      timeoutMs: p.timeoutMs,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    };
  }

  open(row: StoredAiProvider): ResolvedProvider {
    return {
      row,
      apiKey: row.apiKey ? this.deps.box.open(row.apiKey) : null,
      headers: row.headers ? (JSON.parse(this.deps.box.open(row.headers)) as Record<string, string>) : {},
    };
  }

  private check(input: AiProviderInput): void {
    const fields: { path: string; message: string }[] = [];
    if (input.kind === "openai-compatible" && !input.baseUrl) fields.push({ path: "baseUrl", message: "is required for an openai-compatible provider (e.g. https://api.openai.com/v1)" });
    if (input.kind === "anthropic" && !input.apiKey) fields.push({ path: "apiKey", message: "is required for an anthropic provider" });
    if (input.kind === "anthropic" && input.embeddingModel) fields.push({ path: "embeddingModel", message: "anthropic has no embedding models: configure an openai-compatible provider for embeddings" });
    if (fields.length > 0) throw validationFailed(fields);
  }

  private async get(caller: SdkCaller, id: string): Promise<StoredAiProvider> {
    this.admin(caller);
    const p = await this.deps.repo.get(id);
    // An admin acting in one organization sees that organization's providers and global ones.
    if (!p || (caller.orgId !== null && p.scope !== caller.orgId && p.scope !== GLOBAL)) throw notFound(`AI provider ${id}`);
    return p;
  }

  async list(caller: SdkCaller, scope?: string): Promise<PublicAiProvider[]> {
    this.admin(caller);
    const scopes = scope !== undefined ? [await resolveScope(caller, scope, "read", this.deps.organizations)] : caller.orgId ? [caller.orgId, GLOBAL] : undefined;
    return (await this.deps.repo.list(scopes)).map((p) => this.view(p));
  }

  async describe(caller: SdkCaller, id: string): Promise<PublicAiProvider> {
    return this.view(await this.get(caller, id));
  }

  /** `audit` commits with the change (see AiProvidersRepo); it is never given the key. */
  async create(caller: SdkCaller, body: z.output<typeof CreateProvider>, audit?: ProviderAudit): Promise<PublicAiProvider> {
    this.admin(caller);
    const scope = await resolveScope(caller, body.scope, "write", this.deps.organizations);
    const input: AiProviderInput = {
      name: body.name,
      kind: body.kind,
      baseUrl: body.baseUrl ?? null,
      apiKey: body.apiKey ? this.deps.box.seal(body.apiKey) : null,
      headers: body.headers && Object.keys(body.headers).length > 0 ? this.deps.box.seal(JSON.stringify(body.headers)) : null,
      queryParams: body.queryParams ?? null,
      chatModel: body.chatModel ?? null,
      embeddingModel: body.embeddingModel ?? null,
      timeoutMs: body.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    this.check({ ...input, apiKey: body.apiKey ?? null });
    if (await this.deps.repo.findByName(scope, body.name)) throw new HttpError(409, "conflict", `An AI provider named "${body.name}" already exists in this scope`);
    const created = await this.deps.repo.create(scope, input, undefined, audit ? (db, p) => audit(db, p) : undefined);
    // The first provider of a scope able to chat (or embed) becomes its default for it.
    const settings = await this.deps.repo.getSettings(scope);
    const chat = settings.chatProviderId ?? (created.chatModel ? created.id : null);
    const embedding = settings.embeddingProviderId ?? (created.embeddingModel ? created.id : null);
    if (chat !== settings.chatProviderId || embedding !== settings.embeddingProviderId) {
      await this.deps.repo.setSettings(scope, { chatProviderId: chat, embeddingProviderId: embedding });
    }
    return this.view(created);
  }

  async update(caller: SdkCaller, id: string, body: z.output<typeof UpdateProvider>, audit?: ProviderAudit): Promise<PublicAiProvider> {
    const current = await this.get(caller, id);
    const pick = <T>(given: T | undefined, kept: T): T => (given === undefined ? kept : given);
    const headers = body.headers === undefined ? current.headers : body.headers && Object.keys(body.headers).length > 0 ? this.deps.box.seal(JSON.stringify(body.headers)) : null;
    const apiKey = body.apiKey === undefined ? current.apiKey : body.apiKey === null ? null : this.deps.box.seal(body.apiKey);
    const input: AiProviderInput = {
      name: pick(body.name, current.name),
      kind: current.kind,
      baseUrl: pick(body.baseUrl, current.baseUrl),
      apiKey,
      headers,
      queryParams: pick(body.queryParams, current.queryParams),
      chatModel: pick(body.chatModel, current.chatModel),
      embeddingModel: pick(body.embeddingModel, current.embeddingModel),
      timeoutMs: pick(body.timeoutMs, current.timeoutMs),
    };
    this.check(input);
    if (input.name !== current.name && (await this.deps.repo.findByName(current.scope, input.name))) {
      throw new HttpError(409, "conflict", `An AI provider named "${input.name}" already exists in this scope`);
    }
    return this.view((await this.deps.repo.update(id, input, undefined, audit ? (db) => audit(db, current) : undefined))!);
  }

  async delete(caller: SdkCaller, id: string, audit?: ProviderAudit): Promise<void> {
    const current = await this.get(caller, id);
    await this.deps.repo.delete(id, undefined, audit ? (db) => audit(db, current) : undefined);
  }

  /** A provider by id or name, as seen from `scope`: its own first, then global. */
  private async find(scope: string, ref: string): Promise<StoredAiProvider | null> {
    const byId = await this.deps.repo.get(ref);
    if (byId && (byId.scope === scope || byId.scope === GLOBAL)) return byId;
    return (await this.deps.repo.findByName(scope, ref)) ?? (scope !== GLOBAL ? await this.deps.repo.findByName(GLOBAL, ref) : null);
  }

  private async ref(id: string | null): Promise<ProviderRef | null> {
    const p = id ? await this.deps.repo.get(id) : null;
    return p ? { id: p.id, name: p.name, scope: p.scope } : null;
  }

  async settings(caller: SdkCaller, scope?: string) {
    this.admin(caller);
    const s = await this.deps.repo.getSettings(await resolveScope(caller, scope, "read", this.deps.organizations));
    return { scope: s.scope, chatProvider: await this.ref(s.chatProviderId), embeddingProvider: await this.ref(s.embeddingProviderId), updatedAt: s.updatedAt };
  }

  /** `audit` (the change's event) commits with the settings. */
  async updateSettings(caller: SdkCaller, body: z.output<typeof UpdateSettings>, audit?: (db: Kysely<Schema>, scope: string, settings: { chatProviderId: string | null; embeddingProviderId: string | null }) => Promise<void>) {
    this.admin(caller);
    const scope = await resolveScope(caller, body.scope, "write", this.deps.organizations);
    const current = await this.deps.repo.getSettings(scope);
    const choose = async (ref: string | null | undefined, kept: string | null, field: string, need: "chatModel" | "embeddingModel") => {
      if (ref === undefined) return kept;
      if (ref === null) return null;
      const p = await this.find(scope, ref);
      if (!p) throw validationFailed([{ path: field, message: `no AI provider "${ref}" in this scope or globally` }]);
      if (!p[need]) throw validationFailed([{ path: field, message: `provider "${p.name}" has no ${need}: set one first` }]);
      return p.id;
    };
    const chatProviderId = await choose(body.chatProvider, current.chatProviderId, "chatProvider", "chatModel");
    const embeddingProviderId = await choose(body.embeddingProvider, current.embeddingProviderId, "embeddingProvider", "embeddingModel");
    const chosen = { chatProviderId, embeddingProviderId };
    await this.deps.repo.setSettings(scope, chosen, undefined, audit ? (db) => audit(db, scope, chosen) : undefined);
    return this.settings(caller, scope);
  }

  /**
   * The provider `orgId` uses for `purpose`: the one named, else the organization's
   * choice, else the global one. Null when none is configured.
   */
  async resolve(orgId: string | null, purpose: "chat" | "embeddings", name?: string): Promise<ResolvedProvider | null> {
    const scope = orgId ?? GLOBAL;
    if (name !== undefined) {
      const p = (await this.deps.repo.findByName(scope, name)) ?? (scope !== GLOBAL ? await this.deps.repo.findByName(GLOBAL, name) : null);
      if (!p) throw notFound(`AI provider "${name}"`);
      return this.open(p);
    }
    const own = await this.deps.repo.getSettings(scope);
    const global = scope === GLOBAL ? own : await this.deps.repo.getSettings(GLOBAL);
    const id = purpose === "chat" ? (own.chatProviderId ?? global.chatProviderId) : (own.embeddingProviderId ?? global.embeddingProviderId);
    const p = id ? await this.deps.repo.get(id) : null;
    return p ? this.open(p) : null;
  }
}
