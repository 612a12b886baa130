import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { ClientAuthMethod, ConnectionStatus, OAuthFlow, OAuthSettings } from "@bifrost/contracts/integrations.js";
import { transactionFor, type InTransaction } from "./audit.repo.js";
import type { Schema } from "./schema.js";
import type { SecretBox } from "./secret-box.js";

export type { ClientAuthMethod, ConnectionStatus, OAuthFlow };

/**
 * Integrations (SPEC §2 `integrations`): definitions, one mapping per organization (or
 * "global"), each mapping's OAuth connection, and the authorization requests in flight.
 * Every secret — the client secret, access and refresh tokens, PKCE verifiers — is sealed
 * here with the SecretBox before it reaches a column, and opened only on the way out.
 */

export type { OAuthSettings };

export interface Integration {
  id: string;
  name: string;
  description: string | null;
  configSchema: Record<string, unknown> | null;
  baseUrl: string | null;
  oauth: OAuthSettings | null;
  /** Whether a client secret is stored (the secret itself never leaves through this type). */
  hasClientSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface IntegrationInput {
  name: string;
  description: string | null;
  configSchema: Record<string, unknown> | null;
  baseUrl: string | null;
  oauth: OAuthSettings | null;
  /** A new client secret; `undefined` keeps the stored one, null removes it. */
  clientSecret?: string | null;
}

export interface IntegrationMapping {
  id: string;
  integrationId: string;
  /** An organization id, or "global". */
  scope: string;
  entityId: string;
  entityName: string | null;
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface MappingInput {
  entityId: string;
  entityName: string | null;
  config: Record<string, unknown>;
}

export interface Connection {
  mappingId: string;
  status: ConnectionStatus;
  accessToken: string | null;
  refreshToken: string | null;
  tokenType: string | null;
  scopes: string | null;
  expiresAt: string | null;
  obtainedAt: string | null;
  lastError: string | null;
  /** Incremented on every change of tokens or status. */
  version: number;
  leaseOwner: string | null;
  leaseUntil: string | null;
  updatedAt: string;
}

/** Tokens as a token endpoint returned them. */
export interface TokenSet {
  accessToken: string;
  /** null keeps the stored refresh token (providers that do not rotate it omit it). */
  refreshToken: string | null;
  tokenType: string | null;
  scopes: string | null;
  expiresAt: string | null;
  obtainedAt: string;
}

export interface OAuthState {
  mappingId: string;
  codeVerifier: string;
  redirectUri: string;
  createdBy: string | null;
  expiresAt: string;
}

const GLOBAL = "global";

export class IntegrationsRepo {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly box: SecretBox,
  ) {}

  private toIntegration(r: Schema["integrations"]): Integration {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      configSchema: r.config_schema === null ? null : (JSON.parse(r.config_schema) as Record<string, unknown>),
      baseUrl: r.base_url,
      oauth: r.oauth === null ? null : (JSON.parse(r.oauth) as OAuthSettings),
      hasClientSecret: r.client_secret !== null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private toMapping(r: Schema["integration_mappings"]): IntegrationMapping {
    return {
      id: r.id,
      integrationId: r.integration_id,
      scope: r.scope,
      entityId: r.entity_id,
      entityName: r.entity_name,
      config: JSON.parse(r.config) as Record<string, unknown>,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private toConnection(r: Schema["integration_connections"]): Connection {
    return {
      mappingId: r.mapping_id,
      status: r.status as ConnectionStatus,
      accessToken: r.access_token === null ? null : this.box.open(r.access_token),
      refreshToken: r.refresh_token === null ? null : this.box.open(r.refresh_token),
      tokenType: r.token_type,
      scopes: r.scopes,
      expiresAt: r.expires_at,
      obtainedAt: r.obtained_at,
      lastError: r.last_error,
      version: r.version,
      leaseOwner: r.lease_owner,
      leaseUntil: r.lease_until,
      updatedAt: r.updated_at,
    };
  }

  // ---- definitions -------------------------------------------------------------------

  /** Creates a definition; null when the name is taken. */
  /** `also` (the audit event: never the secret) commits with each change, or neither does. */
  async create(input: IntegrationInput, now = new Date().toISOString(), also?: (db: Kysely<Schema>, created: Integration) => Promise<void>): Promise<Integration | null> {
    const row = {
      id: randomUUID(),
      name: input.name,
      description: input.description,
      config_schema: input.configSchema === null ? null : JSON.stringify(input.configSchema),
      base_url: input.baseUrl,
      oauth: input.oauth === null ? null : JSON.stringify(input.oauth),
      client_secret: input.clientSecret ? this.box.seal(input.clientSecret) : null,
      created_at: now,
      updated_at: now,
    };
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.insertInto("integrations").values(row).onConflict((oc) => oc.column("name").doNothing()).executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) return null;
      const created = this.toIntegration(row);
      await also?.(trx, created);
      return created;
    });
  }

  async get(id: string): Promise<Integration | null> {
    const r = await this.db.selectFrom("integrations").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? this.toIntegration(r) : null;
  }

  async findByName(name: string): Promise<Integration | null> {
    const r = await this.db.selectFrom("integrations").selectAll().where("name", "=", name).executeTakeFirst();
    return r ? this.toIntegration(r) : null;
  }

  async list(): Promise<Integration[]> {
    const rows = await this.db.selectFrom("integrations").selectAll().orderBy("name").execute();
    return rows.map((r) => this.toIntegration(r));
  }

  /** Replaces a definition (the client secret only when `input.clientSecret` is given); null when missing or the new name is taken. */
  async update(id: string, input: IntegrationInput, now = new Date().toISOString(), also?: InTransaction): Promise<Integration | null> {
    const taken = await this.db.selectFrom("integrations").select("id").where("name", "=", input.name).where("id", "!=", id).executeTakeFirst();
    if (taken) return null;
    await this.db.transaction().execute(async (trx) => {
      await trx
      .updateTable("integrations")
      .set({
        name: input.name,
        description: input.description,
        config_schema: input.configSchema === null ? null : JSON.stringify(input.configSchema),
        base_url: input.baseUrl,
        oauth: input.oauth === null ? null : JSON.stringify(input.oauth),
        ...(input.clientSecret !== undefined ? { client_secret: input.clientSecret ? this.box.seal(input.clientSecret) : null } : {}),
        updated_at: now,
      })
      .where("id", "=", id)
      .execute();
      await also?.(trx);
    });
    return this.get(id);
  }

  /** Deletes a definition with its mappings, connections and pending authorizations. */
  async delete(id: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom("integrations").where("id", "=", id).executeTakeFirst();
      if (r.numDeletedRows === 0n) return false;
      await also?.(trx);
      return true;
    });
  }

  /** The client secret, opened (for the token endpoint only). */
  async clientSecret(id: string): Promise<string | null> {
    const r = await this.db.selectFrom("integrations").select("client_secret").where("id", "=", id).executeTakeFirst();
    return r?.client_secret ? this.box.open(r.client_secret) : null;
  }

  // ---- mappings ----------------------------------------------------------------------

  /**
   * Creates or replaces the mapping of an integration in a scope. A new entity id drops the
   * connection: its tokens were issued for the old entity.
   */
  async upsertMapping(integrationId: string, scope: string, input: MappingInput, now = new Date().toISOString(), also?: InTransaction): Promise<{ mapping: IntegrationMapping; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      await also?.(trx);
      const existing = await trx.selectFrom("integration_mappings").selectAll().where("integration_id", "=", integrationId).where("scope", "=", scope).executeTakeFirst();
      const config = JSON.stringify(input.config);
      if (existing) {
        await trx
          .updateTable("integration_mappings")
          .set({ entity_id: input.entityId, entity_name: input.entityName, config, updated_at: now })
          .where("id", "=", existing.id)
          .execute();
        if (existing.entity_id !== input.entityId) {
          await trx.deleteFrom("integration_connections").where("mapping_id", "=", existing.id).execute();
          await trx.deleteFrom("oauth_states").where("mapping_id", "=", existing.id).execute();
        }
        return {
          mapping: this.toMapping({ ...existing, entity_id: input.entityId, entity_name: input.entityName, config, updated_at: now }),
          created: false,
        };
      }
      const row = {
        id: randomUUID(),
        integration_id: integrationId,
        scope,
        organization_id: scope === GLOBAL ? null : scope,
        entity_id: input.entityId,
        entity_name: input.entityName,
        config,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("integration_mappings").values(row).execute();
      return { mapping: this.toMapping(row), created: true };
    });
  }

  async getMapping(integrationId: string, scope: string): Promise<IntegrationMapping | null> {
    const r = await this.db.selectFrom("integration_mappings").selectAll().where("integration_id", "=", integrationId).where("scope", "=", scope).executeTakeFirst();
    return r ? this.toMapping(r) : null;
  }

  async getMappingById(id: string): Promise<IntegrationMapping | null> {
    const r = await this.db.selectFrom("integration_mappings").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? this.toMapping(r) : null;
  }

  /** Mappings of an integration, in these scopes (undefined = every scope), by scope. */
  async listMappings(integrationId: string, scopes?: string[]): Promise<IntegrationMapping[]> {
    if (scopes && scopes.length === 0) return [];
    let q = this.db.selectFrom("integration_mappings").selectAll().where("integration_id", "=", integrationId).orderBy("scope");
    if (scopes) q = q.where("scope", "in", scopes);
    return (await q.execute()).map((r) => this.toMapping(r));
  }

  /** Every mapping of one scope, whatever the integration. */
  async mappingsOfScope(scope: string): Promise<IntegrationMapping[]> {
    const rows = await this.db.selectFrom("integration_mappings").selectAll().where("scope", "=", scope).execute();
    return rows.map((r) => this.toMapping(r));
  }

  async deleteMapping(integrationId: string, scope: string, also?: InTransaction): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom("integration_mappings").where("integration_id", "=", integrationId).where("scope", "=", scope).executeTakeFirst();
      if (r.numDeletedRows === 0n) return false;
      await also?.(trx);
      return true;
    });
  }

  // ---- connections -------------------------------------------------------------------

  async getConnection(mappingId: string): Promise<Connection | null> {
    const r = await this.db.selectFrom("integration_connections").selectAll().where("mapping_id", "=", mappingId).executeTakeFirst();
    return r ? this.toConnection(r) : null;
  }

  /** Connections of these mappings (statuses only matter to callers; tokens are opened too). */
  async connectionsOf(mappingIds: string[]): Promise<Connection[]> {
    if (mappingIds.length === 0) return [];
    const rows = await this.db.selectFrom("integration_connections").selectAll().where("mapping_id", "in", mappingIds).execute();
    return rows.map((r) => this.toConnection(r));
  }

  /**
   * Stores tokens from an authorization (a new connection, or a reconnection): status
   * `connected`, error cleared, any refresh lease broken — a refresh in flight with the old
   * refresh token will find it has lost its lease and discard its result.
   */
  async connect(mappingId: string, tokens: TokenSet, now = new Date().toISOString(), also?: InTransaction): Promise<Connection> {
    const values = {
      status: "connected",
      access_token: this.box.seal(tokens.accessToken),
      refresh_token: tokens.refreshToken === null ? null : this.box.seal(tokens.refreshToken),
      token_type: tokens.tokenType,
      scopes: tokens.scopes,
      expires_at: tokens.expiresAt,
      obtained_at: tokens.obtainedAt,
      last_error: null,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    };
    await transactionFor(this.db, also, async (trx) => {
      await trx
        .insertInto("integration_connections")
        .values({ mapping_id: mappingId, ...values, version: 1, created_at: now })
        .onConflict((oc) => oc.column("mapping_id").doUpdateSet((eb) => ({ ...values, version: eb("integration_connections.version", "+", 1) })))
        .execute();
      await also?.(trx);
    });
    return (await this.getConnection(mappingId))!;
  }

  /**
   * Takes the refresh lease of a mapping's connection until `until`, unless another holder's
   * lease is still running. Creates the (empty) connection row when there is none, so
   * client-credentials tokens are fetched under a lease as well. True when taken.
   */
  async acquireLease(mappingId: string, owner: string, until: string, now = new Date().toISOString()): Promise<boolean> {
    await this.db
      .insertInto("integration_connections")
      .values({ mapping_id: mappingId, status: "not_connected", version: 0, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column("mapping_id").doNothing())
      .execute();
    const r = await this.db
      .updateTable("integration_connections")
      .set({ lease_owner: owner, lease_until: until })
      .where("mapping_id", "=", mappingId)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now)]))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async releaseLease(mappingId: string, owner: string): Promise<void> {
    await this.db
      .updateTable("integration_connections")
      .set({ lease_owner: null, lease_until: null })
      .where("mapping_id", "=", mappingId)
      .where("lease_owner", "=", owner)
      .execute();
  }

  /**
   * Stores refreshed tokens, only while `owner` still holds the lease (false otherwise: the
   * result is stale and must be discarded). Releases the lease.
   */
  async storeRefreshed(mappingId: string, owner: string, tokens: TokenSet, now = new Date().toISOString()): Promise<boolean> {
    return this.endLease(mappingId, owner, now, {
      status: "connected",
      access_token: this.box.seal(tokens.accessToken),
      ...(tokens.refreshToken !== null ? { refresh_token: this.box.seal(tokens.refreshToken) } : {}),
      token_type: tokens.tokenType,
      scopes: tokens.scopes,
      expires_at: tokens.expiresAt,
      obtained_at: tokens.obtainedAt,
      last_error: null,
    });
  }

  /** The provider refused the refresh token: keep nothing usable, say why, release the lease. */
  async markNeedsReauth(mappingId: string, owner: string, error: string, now = new Date().toISOString()): Promise<boolean> {
    return this.endLease(mappingId, owner, now, { status: "needs_reauth", access_token: null, refresh_token: null, expires_at: null, last_error: error });
  }

  /** Applies `changes` and releases the lease, only while `owner` still holds it; bumps the version. */
  private async endLease(
    mappingId: string,
    owner: string,
    now: string,
    changes: Partial<Omit<Schema["integration_connections"], "version">>,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable("integration_connections")
      .set((eb) => ({ ...changes, lease_owner: null, lease_until: null, version: eb("version", "+", 1), updated_at: now }))
      .where("mapping_id", "=", mappingId)
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }


  async deleteConnection(mappingId: string, also?: InTransaction): Promise<boolean> {
    return transactionFor(this.db, also, async (trx) => {
      const r = await trx.deleteFrom("integration_connections").where("mapping_id", "=", mappingId).executeTakeFirst();
      if (r.numDeletedRows > 0n) await also?.(trx);
      return r.numDeletedRows > 0n;
    });
  }

  /**
   * Connected mappings with a refresh token whose access token expires before `before`
   * (soonest first): what the background refresher renews.
   */
  async expiringConnections(before: string, limit = 100): Promise<{ mappingId: string; expiresAt: string }[]> {
    const rows = await this.db
      .selectFrom("integration_connections")
      .select(["mapping_id", "expires_at"])
      .where("status", "=", "connected")
      .where("refresh_token", "is not", null)
      .where("expires_at", "is not", null)
      .where("expires_at", "<", before)
      .orderBy("expires_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ mappingId: r.mapping_id, expiresAt: r.expires_at! }));
  }

  // ---- authorization requests --------------------------------------------------------

  async createState(stateHash: string, state: OAuthState, now = new Date().toISOString()): Promise<void> {
    await this.db
      .insertInto("oauth_states")
      .values({
        state_hash: stateHash,
        mapping_id: state.mappingId,
        code_verifier: this.box.seal(state.codeVerifier),
        redirect_uri: state.redirectUri,
        created_by: state.createdBy,
        expires_at: state.expiresAt,
        created_at: now,
      })
      .execute();
  }

  /**
   * Takes a state out (it can be used once): its record, or null when unknown or already
   * used. An expired state is consumed too and comes back with its `expiresAt` in the past.
   */
  async consumeState(stateHash: string): Promise<OAuthState | null> {
    const r = await this.db.deleteFrom("oauth_states").where("state_hash", "=", stateHash).returningAll().executeTakeFirst();
    if (!r) return null;
    return { mappingId: r.mapping_id, codeVerifier: this.box.open(r.code_verifier), redirectUri: r.redirect_uri, createdBy: r.created_by, expiresAt: r.expires_at };
  }

  /** Removes states that expired before `now`. */
  async pruneStates(now = new Date().toISOString()): Promise<number> {
    const r = await this.db.deleteFrom("oauth_states").where("expires_at", "<", now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

}
