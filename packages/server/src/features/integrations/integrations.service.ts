import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";
import type {
  ConnectionInfo,
  IntegrationAccess,
  IntegrationInfo,
  IntegrationMappingInfo,
  IntegrationSummary,
} from "@bifrost/contracts/integrations.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { InputValidator } from "@bifrost/engine/executor/input-validator.js";
import type { Redactor } from "@bifrost/engine/executor/redactor.js";
import type { Connection, Integration, IntegrationInput, IntegrationMapping, IntegrationsRepo } from "@bifrost/storage/integrations.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { forbidden, HttpError, notFound, validationFailed } from "../../http-error.js";
import { GLOBAL, resolveScope, visibleOrgOf } from "../sdk/scope.js";
import type { IntegrationBody, MappingBody } from "./integrations.schemas.js";
import { fillEntityId, OAuthError, requestToken } from "./oauth-client.js";
import { oauthFailure, type Target, type TokenBroker } from "./token-broker.js";

/** How long an authorization request (its state and PKCE verifier) stays usable. */
export const STATE_TTL_MS = 10 * 60_000;

export interface IntegrationsServiceDeps {
  repo: IntegrationsRepo;
  broker: TokenBroker;
  organizations: OrganizationsRepo;
  /** Validates mapping configs against the integration's JSON Schema (the engine's, shared cache). */
  validator: InputValidator;
  redactor: Redactor;
  /** Longest wait for a token endpoint. */
  timeoutMs: number;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

function info(i: Integration): IntegrationInfo {
  return {
    id: i.id,
    name: i.name,
    description: i.description,
    configSchema: i.configSchema,
    baseUrl: i.baseUrl,
    oauth: i.oauth ? { ...i.oauth, clientSecretSet: i.hasClientSecret } : null,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

function connectionInfo(c: Connection | null): ConnectionInfo {
  if (!c) return { status: "not_connected", expiresAt: null, scopes: null, hasRefreshToken: false, lastError: null, updatedAt: null };
  return {
    status: c.status,
    expiresAt: c.expiresAt,
    scopes: c.scopes,
    hasRefreshToken: c.refreshToken !== null,
    lastError: c.lastError,
    updatedAt: c.status === "not_connected" ? null : c.updatedAt,
  };
}

function mappingInfo(i: Integration, m: IntegrationMapping, c: Connection | null): IntegrationMappingInfo {
  return {
    id: m.id,
    integrationId: i.id,
    integration: i.name,
    scope: m.scope,
    entityId: m.entityId,
    entityName: m.entityName,
    config: m.config,
    connection: i.oauth ? connectionInfo(c) : null,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/**
 * Integrations (SPEC §2 `integrations`): admins define them and map them per organization;
 * an organization's callers (its keys, its runs) see and use only their own mapping and
 * connection. Tokens come from the `TokenBroker`, which renews them once however many
 * callers ask.
 */
/** Appends an integration change's audit event in its transaction (scope: the mapping's, null for definitions). */
export type IntegrationAudit = (db: Kysely<Schema>, integration: { id: string; name: string; scope: string | null }) => Promise<void>;

export class IntegrationsService {
  constructor(private readonly deps: IntegrationsServiceDeps) {}

  // ---- definitions (platform admins) -------------------------------------------------

  private requireAdmin(caller: SdkCaller, what: string): void {
    if (!caller.isPlatformAdmin) throw forbidden(`Only platform admins may ${what}`);
  }

  private async integration(name: string): Promise<Integration> {
    const found = await this.deps.repo.findByName(name);
    if (!found) throw notFound(`Integration "${name}"`);
    return found;
  }

  /** Refuses a config schema the validator cannot compile. */
  private checkSchema(schema: Record<string, unknown> | null | undefined): void {
    if (!schema) return;
    try {
      this.deps.validator.validate(`integration-schema:${sha256(JSON.stringify(schema))}`, schema, {});
    } catch (error) {
      throw validationFailed([{ path: "configSchema", message: `is not a valid JSON Schema: ${(error as Error).message}` }]);
    }
  }

  private input(body: IntegrationBody): IntegrationInput {
    this.checkSchema(body.configSchema);
    const o = body.oauth;
    return {
      name: body.name,
      description: body.description ?? null,
      configSchema: body.configSchema ?? null,
      baseUrl: body.baseUrl ?? null,
      oauth: o
        ? {
            flow: o.flow,
            authorizeUrl: o.authorizeUrl ?? null,
            tokenUrl: o.tokenUrl,
            scopes: o.scopes,
            clientId: o.clientId,
            clientAuth: o.clientAuth,
            authorizeParams: o.authorizeParams,
          }
        : null,
      // Without OAuth there is no secret to keep.
      clientSecret: o ? o.clientSecret : null,
    };
  }

  async list(): Promise<IntegrationInfo[]> {
    return (await this.deps.repo.list()).map(info);
  }

  async describe(name: string): Promise<IntegrationInfo> {
    return info(await this.integration(name));
  }

  /** `audit` (given the integration's id, name and scope; never a secret) commits with the change. */
  async create(caller: SdkCaller, body: IntegrationBody, audit?: IntegrationAudit): Promise<IntegrationInfo> {
    this.requireAdmin(caller, "define integrations");
    const created = await this.deps.repo.create(this.input(body), undefined, audit ? (db, i) => audit(db, { id: i.id, name: i.name, scope: null }) : undefined);
    if (!created) throw new HttpError(409, "conflict", `Integration "${body.name}" already exists`);
    return info(created);
  }

  async update(caller: SdkCaller, name: string, body: IntegrationBody, audit?: IntegrationAudit): Promise<IntegrationInfo> {
    this.requireAdmin(caller, "change integrations");
    const existing = await this.integration(name);
    const updated = await this.deps.repo.update(existing.id, this.input(body), undefined, audit ? (db) => audit(db, { id: existing.id, name: body.name, scope: null }) : undefined);
    if (!updated) throw new HttpError(409, "conflict", `Integration "${body.name}" already exists`);
    return info(updated);
  }

  async delete(caller: SdkCaller, name: string, audit?: IntegrationAudit): Promise<boolean> {
    this.requireAdmin(caller, "delete integrations");
    const found = await this.deps.repo.findByName(name);
    return found ? this.deps.repo.delete(found.id, audit ? (db) => audit(db, { id: found.id, name, scope: null }) : undefined) : false;
  }

  // ---- mappings ----------------------------------------------------------------------

  /** Where a mapping call acts: the caller's organization, or (platform admins) any scope. */
  private scopeOf(caller: SdkCaller, scope: string | undefined): Promise<string> {
    return resolveScope(caller, scope, "write", this.deps.organizations);
  }

  private async label(caller: SdkCaller, scope: string): Promise<string> {
    if (scope === GLOBAL) return "the global scope";
    const name = scope === caller.orgId ? caller.orgName : ((await this.deps.organizations.get(scope))?.name ?? null);
    return name ? `organization "${name}"` : `organization ${scope}`;
  }

  private async target(caller: SdkCaller, name: string, scope: string | undefined): Promise<Target & { scope: string }> {
    const integration = await this.integration(name);
    const where = await this.scopeOf(caller, scope);
    const mapping = await this.deps.repo.getMapping(integration.id, where);
    const label = await this.label(caller, where);
    if (!mapping) {
      throw new HttpError(404, "not_mapped", `Integration "${name}" is not mapped for ${label}: a platform admin maps it first (PUT /api/integrations/${name}/mappings/${where})`);
    }
    return { integration, mapping, label, scope: where };
  }

  /** Mappings of an integration the caller may see: every one for platform admins (or one scope's), else its organization's. */
  async listMappings(caller: SdkCaller, name: string, options: { scope?: string } = {}): Promise<IntegrationMappingInfo[]> {
    const integration = await this.integration(name);
    const visible = visibleOrgOf(caller);
    const scopes = options.scope !== undefined || visible !== undefined ? [await this.scopeOf(caller, options.scope)] : undefined;
    const mappings = await this.deps.repo.listMappings(integration.id, scopes);
    const connections = new Map((await this.deps.repo.connectionsOf(mappings.map((m) => m.id))).map((c) => [c.mappingId, c]));
    return mappings.map((m) => mappingInfo(integration, m, connections.get(m.id) ?? null));
  }

  async getMapping(caller: SdkCaller, name: string, options: { scope?: string } = {}): Promise<IntegrationMappingInfo | null> {
    const integration = await this.integration(name);
    const mapping = await this.deps.repo.getMapping(integration.id, await this.scopeOf(caller, options.scope));
    return mapping ? mappingInfo(integration, mapping, await this.deps.repo.getConnection(mapping.id)) : null;
  }

  async upsertMapping(caller: SdkCaller, name: string, body: MappingBody, options: { scope?: string } = {}, audit?: IntegrationAudit): Promise<{ mapping: IntegrationMappingInfo; created: boolean }> {
    this.requireAdmin(caller, "map integrations to organizations");
    const integration = await this.integration(name);
    const scope = await this.scopeOf(caller, options.scope);
    if (integration.configSchema) {
      let errors;
      try {
        errors = this.deps.validator.validate(`integration:${integration.id}:${integration.updatedAt}`, integration.configSchema, body.config);
      } catch (error) {
        throw validationFailed([{ path: "config", message: `cannot be checked: the integration's config schema is invalid (${(error as Error).message})` }]);
      }
      if (errors) throw validationFailed(errors.map((e) => ({ path: e.path === "(root)" ? "config" : `config.${e.path}`, message: e.message })));
    }
    const { mapping, created } = await this.deps.repo.upsertMapping(integration.id, scope, {
      entityId: body.entityId,
      entityName: body.entityName ?? null,
      config: body.config,
    }, undefined, audit ? (db) => audit(db, { id: integration.id, name, scope }) : undefined);
    return { mapping: mappingInfo(integration, mapping, await this.deps.repo.getConnection(mapping.id)), created };
  }

  async deleteMapping(caller: SdkCaller, name: string, options: { scope?: string } = {}, audit?: IntegrationAudit): Promise<boolean> {
    this.requireAdmin(caller, "remove integration mappings");
    const integration = await this.integration(name);
    const scope = await this.scopeOf(caller, options.scope);
    return this.deps.repo.deleteMapping(integration.id, scope, audit ? (db) => audit(db, { id: integration.id, name, scope }) : undefined);
  }

  /** Every integration with the caller's mapping in a scope (null where unmapped). */
  async summaries(caller: SdkCaller, options: { scope?: string } = {}): Promise<IntegrationSummary[]> {
    const scope = await this.scopeOf(caller, options.scope);
    const integrations = await this.deps.repo.list();
    const mappings = new Map((await this.deps.repo.mappingsOfScope(scope)).map((m) => [m.integrationId, m]));
    const connections = new Map((await this.deps.repo.connectionsOf([...mappings.values()].map((m) => m.id))).map((c) => [c.mappingId, c]));
    return integrations.map((i) => {
      const m = mappings.get(i.id);
      return { ...info(i), mapping: m ? mappingInfo(i, m, connections.get(m.id) ?? null) : null };
    });
  }

  // ---- tokens ------------------------------------------------------------------------

  private async accessOf(caller: SdkCaller, t: Target & { scope: string }, conn: Connection | null): Promise<IntegrationAccess> {
    const { integration, mapping } = t;
    const configured = typeof mapping.config.baseUrl === "string" ? mapping.config.baseUrl : integration.baseUrl;
    if (caller.executionId) {
      // Whatever reaches a run is redacted from its logs, result, variables and errors.
      if (conn?.accessToken) this.deps.redactor.add(caller.executionId, conn.accessToken);
      if (conn?.refreshToken) this.deps.redactor.add(caller.executionId, conn.refreshToken);
      if (integration.hasClientSecret) {
        const secret = await this.deps.repo.clientSecret(integration.id);
        if (secret) this.deps.redactor.add(caller.executionId, secret);
      }
    }
    return {
      integrationId: integration.id,
      name: integration.name,
      scope: t.scope,
      entityId: mapping.entityId,
      entityName: mapping.entityName,
      config: mapping.config,
      baseUrl: configured ? fillEntityId(configured, mapping.entityId) : null,
      oauth:
        conn?.accessToken
          ? { accessToken: conn.accessToken, refreshToken: conn.refreshToken, tokenType: conn.tokenType ?? "Bearer", expiresAt: conn.expiresAt, scopes: conn.scopes }
          : null,
    };
  }

  /** `integrations.get`: the mapping with a valid access token (renewed when stale). */
  async access(caller: SdkCaller, name: string, options: { scope?: string } = {}): Promise<IntegrationAccess> {
    const t = await this.target(caller, name, options.scope);
    const conn = t.integration.oauth ? await this.deps.broker.valid(t) : null;
    return this.accessOf(caller, t, conn);
  }

  /** Renews the token now (`rejectedToken`: only if the stored token is still that one). */
  async refresh(caller: SdkCaller, name: string, options: { scope?: string; rejectedToken?: string } = {}): Promise<IntegrationAccess> {
    const t = await this.target(caller, name, options.scope);
    if (!t.integration.oauth) throw new HttpError(409, "no_oauth", `Integration "${name}" has no OAuth settings: there is no token to refresh`);
    return this.accessOf(caller, t, await this.deps.broker.refresh(t, options.rejectedToken));
  }

  /** The manual refresh endpoint: renews, and answers with the mapping (no tokens). */
  async refreshMapping(caller: SdkCaller, name: string, options: { scope?: string } = {}): Promise<IntegrationMappingInfo> {
    const t = await this.target(caller, name, options.scope);
    if (!t.integration.oauth) throw new HttpError(409, "no_oauth", `Integration "${name}" has no OAuth settings: there is no token to refresh`);
    const conn = await this.deps.broker.refresh(t);
    return mappingInfo(t.integration, t.mapping, conn);
  }

  /** Forgets a mapping's tokens (the mapping stays). */
  async disconnect(caller: SdkCaller, name: string, options: { scope?: string } = {}, audit?: IntegrationAudit): Promise<boolean> {
    const t = await this.target(caller, name, options.scope);
    return this.deps.repo.deleteConnection(t.mapping.id, audit ? (db) => audit(db, { id: t.integration.id, name, scope: t.scope }) : undefined);
  }

  // ---- authorization code flow -------------------------------------------------------

  /** Starts an authorization: a single-use state bound to the mapping, and a PKCE (S256) challenge. */
  async startAuthorization(
    caller: SdkCaller,
    name: string,
    options: { scope?: string; redirectUri: string },
  ): Promise<{ authorizeUrl: string; state: string; redirectUri: string; expiresAt: string }> {
    const t = await this.target(caller, name, options.scope);
    const oauth = t.integration.oauth;
    if (!oauth) throw new HttpError(409, "no_oauth", `Integration "${name}" has no OAuth settings: there is nothing to authorize`);
    if (oauth.flow !== "authorization_code" || !oauth.authorizeUrl) {
      throw new HttpError(409, "wrong_flow", `Integration "${name}" uses the ${oauth.flow} flow: its tokens are fetched on demand, there is nothing to authorize`);
    }
    await this.deps.repo.pruneStates();
    const state = randomBytes(32).toString("base64url");
    const verifier = randomBytes(48).toString("base64url");
    const expiresAt = new Date(Date.now() + STATE_TTL_MS).toISOString();
    await this.deps.repo.createState(sha256(state), { mappingId: t.mapping.id, codeVerifier: verifier, redirectUri: options.redirectUri, createdBy: caller.keyId, expiresAt });
    const url = new URL(fillEntityId(oauth.authorizeUrl, t.mapping.entityId));
    for (const [k, v] of Object.entries(oauth.authorizeParams)) url.searchParams.set(k, v);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", oauth.clientId);
    url.searchParams.set("redirect_uri", options.redirectUri);
    if (oauth.scopes.length > 0) url.searchParams.set("scope", oauth.scopes.join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", createHash("sha256").update(verifier).digest("base64url"));
    url.searchParams.set("code_challenge_method", "S256");
    return { authorizeUrl: url.toString(), state, redirectUri: options.redirectUri, expiresAt };
  }

  /**
   * The provider's redirect back (`/api/oauth/callback`): checks the state (known, unused,
   * unexpired), exchanges the code with the PKCE verifier and stores the tokens. The state
   * alone says which organization and integration this is; it is consumed whatever happens.
   */
  async completeAuthorization(
    query: Record<string, string | undefined>,
    /** The connection's event, committed with its tokens (told who started the authorization). */
    audit?: (db: Kysely<Schema>, connected: { id: string; name: string; scope: string; startedBy: string | null }) => Promise<void>,
  ): Promise<{ integration: string; scope: string; entityId: string; connection: ConnectionInfo }> {
    const bad = (message: string, code = "invalid_state") => new HttpError(400, code, message);
    if (!query.state) throw bad("The authorization response carries no state: start again from GET /api/oauth/{integration}/authorize");
    const state = await this.deps.repo.consumeState(sha256(query.state));
    if (!state) throw bad("Unknown or already used OAuth state: start the authorization again");
    if (Date.parse(state.expiresAt) < Date.now()) throw bad("This OAuth state expired: start the authorization again");
    const mapping = await this.deps.repo.getMappingById(state.mappingId);
    const integration = mapping ? await this.deps.repo.get(mapping.integrationId) : null;
    if (!mapping || !integration?.oauth) throw bad("The integration or mapping of this authorization no longer exists");
    if (query.error) {
      const description = query.error_description ? ` (${query.error_description})` : "";
      throw bad(`Integration "${integration.name}": the provider did not authorize: ${query.error}${description}`, "authorization_failed");
    }
    if (!query.code) throw bad(`Integration "${integration.name}": the authorization response carries no code`, "authorization_failed");
    let tokens;
    try {
      tokens = await requestToken({
        tokenUrl: fillEntityId(integration.oauth.tokenUrl, mapping.entityId),
        clientId: integration.oauth.clientId,
        clientSecret: await this.deps.repo.clientSecret(integration.id),
        clientAuth: integration.oauth.clientAuth,
        params: { grant_type: "authorization_code", code: query.code, redirect_uri: state.redirectUri, code_verifier: state.codeVerifier },
        timeoutMs: this.deps.timeoutMs,
      });
    } catch (error) {
      if (error instanceof OAuthError) throw oauthFailure(integration.name, "exchanging the authorization code", error);
      throw error;
    }
    const conn = await this.deps.repo.connect(mapping.id, tokens, undefined, audit ? (db) => audit(db, { id: integration.id, name: integration.name, scope: mapping.scope, startedBy: state.createdBy }) : undefined);
    return { integration: integration.name, scope: mapping.scope, entityId: mapping.entityId, connection: connectionInfo(conn) };
  }

  // ---- background refresh ------------------------------------------------------------

  /**
   * Renews tokens that would go stale within `marginMs`; failures are reported, not thrown
   * (a refused refresh token marks its connection `needs_reauth`). Returns how many renewed.
   */
  async refreshExpiring(marginMs: number, report: (message: string) => void): Promise<number> {
    const due = await this.deps.repo.expiringConnections(new Date(Date.now() + marginMs + 60_000).toISOString());
    let renewed = 0;
    for (const { mappingId } of due) {
      const mapping = await this.deps.repo.getMappingById(mappingId);
      const integration = mapping ? await this.deps.repo.get(mapping.integrationId) : null;
      if (!mapping || !integration?.oauth) continue;
      const label = mapping.scope === GLOBAL ? "the global scope" : `organization ${mapping.scope}`;
      try {
        if (await this.deps.broker.renewIfExpiring({ integration, mapping, label }, marginMs)) renewed++;
      } catch (error) {
        report(`integrations: background refresh of "${integration.name}" for ${label} failed: ${(error as Error).message}`);
      }
    }
    return renewed;
  }
}
