import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Connection, Integration, IntegrationMapping, IntegrationsRepo, TokenSet } from "@bifrost/storage/integrations.repo.js";
import { HttpError } from "../../http-error.js";
import { fillEntityId, OAuthError, requestToken } from "./oauth-client.js";

/** An integration's mapping in one scope, and how errors name it ("organization Contoso"). */
export interface Target {
  integration: Integration;
  mapping: IntegrationMapping;
  label: string;
}

export interface TokenBrokerDeps {
  repo: IntegrationsRepo;
  /** Longest wait for a token endpoint. */
  timeoutMs: number;
  /** How long a refresh lease is held at most (longer than `timeoutMs`). Default: timeoutMs + 10 s. */
  leaseMs?: number;
  /** Pause between looks at a connection another process is refreshing. Default 100 ms. */
  pollMs?: number;
  now?: () => number;
}

/** Tokens are renewed when less than this much of their life is left (at most 60 s, at most half their lifetime). */
export const EXPIRY_SKEW_MS = 60_000;

/** How long before `expiresAt` a connection counts as stale. */
export function skewOf(conn: Pick<Connection, "expiresAt" | "obtainedAt">): number {
  if (!conn.expiresAt || !conn.obtainedAt) return EXPIRY_SKEW_MS;
  const lifetime = Date.parse(conn.expiresAt) - Date.parse(conn.obtainedAt);
  return Math.max(0, Math.min(EXPIRY_SKEW_MS, lifetime / 2));
}

const reauthHint = (name: string) => `connect it again: GET /api/oauth/${name}/authorize`;

export const notConnected = (t: Target) =>
  new HttpError(409, "not_connected", `Integration "${t.integration.name}" is not connected for ${t.label}: ${reauthHint(t.integration.name)}`);

export const needsReauth = (t: Target, detail: string | null) =>
  new HttpError(
    409,
    "needs_reauth",
    `Integration "${t.integration.name}" needs re-authorization for ${t.label}${detail ? ` (${detail})` : ""}: ${reauthHint(t.integration.name)}`,
  );

/** A token endpoint failure as the API reports it: 502 (rejected, unreachable, garbled) or 504 (timeout). */
export function oauthFailure(integrationName: string, during: string, error: OAuthError): HttpError {
  const prefix = `Integration "${integrationName}": ${during} failed`;
  switch (error.failure) {
    case "rejected": {
      const hint = error.error === "invalid_client" || error.error === "unauthorized_client" ? "; check the integration's client id and secret" : "";
      return new HttpError(502, "oauth_rejected", `${prefix}: the provider answered ${error.message}${hint}`);
    }
    case "timeout":
      return new HttpError(504, "provider_timeout", `${prefix}: ${error.message}`);
    case "unreachable":
      return new HttpError(502, "provider_unreachable", `${prefix}: ${error.message}`);
    case "invalid_response":
      return new HttpError(502, "oauth_invalid_response", `${prefix}: ${error.message}`);
  }
}

/**
 * Hands out valid access tokens. A stale token is renewed once however many callers ask
 * at the same moment: callers in this process share one promise per mapping, and processes
 * sharing the database take a lease on the connection row first — only the holder spends
 * the refresh token; the others wait for the row's version to change and read the result.
 */
export class TokenBroker {
  private readonly inflight = new Map<string, Promise<Connection>>();
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(private readonly deps: TokenBrokerDeps) {
    this.leaseMs = deps.leaseMs ?? deps.timeoutMs + 10_000;
    this.pollMs = deps.pollMs ?? 100;
    this.now = deps.now ?? Date.now;
  }

  /** Whether a connection's access token can be used now (with the skew to spare). */
  fresh(conn: Connection | null, margin = 0): conn is Connection & { accessToken: string } {
    if (!conn || conn.status !== "connected" || !conn.accessToken) return false;
    if (!conn.expiresAt) return true;
    return Date.parse(conn.expiresAt) - skewOf(conn) - margin > this.now();
  }

  /** The connection with a valid access token: the stored one, or a renewed one. */
  async valid(t: Target): Promise<Connection & { accessToken: string }> {
    const conn = await this.deps.repo.getConnection(t.mapping.id);
    if (this.fresh(conn)) return conn;
    this.checkRenewable(t, conn);
    return this.renew(t, conn?.version ?? -1);
  }

  /**
   * Renews now, whether or not the token is stale — unless `rejectedToken` is given and
   * the stored token is already another, fresh one (someone renewed since the caller read it).
   */
  async refresh(t: Target, rejectedToken?: string): Promise<Connection & { accessToken: string }> {
    const conn = await this.deps.repo.getConnection(t.mapping.id);
    if (rejectedToken !== undefined && this.fresh(conn) && conn.accessToken !== rejectedToken) return conn;
    this.checkRenewable(t, conn);
    return this.renew(t, conn?.version ?? -1);
  }

  /** Renews a connection if it goes stale within `marginMs` (the background refresher). */
  async renewIfExpiring(t: Target, marginMs: number): Promise<boolean> {
    const conn = await this.deps.repo.getConnection(t.mapping.id);
    if (!conn || conn.status !== "connected" || !conn.refreshToken || this.fresh(conn, marginMs)) return false;
    await this.renew(t, conn.version);
    return true;
  }

  /** An authorization-code connection can only be renewed with a refresh token. */
  private checkRenewable(t: Target, conn: Connection | null): void {
    if (t.integration.oauth?.flow !== "authorization_code") return;
    if (conn?.status === "needs_reauth") throw needsReauth(t, conn.lastError);
    if (!conn || conn.status === "not_connected" || (!conn.accessToken && !conn.refreshToken)) throw notConnected(t);
    if (!conn.refreshToken) throw needsReauth(t, "the access token expired and the provider issued no refresh token");
  }

  private renew(t: Target, seenVersion: number): Promise<Connection & { accessToken: string }> {
    const running = this.inflight.get(t.mapping.id);
    if (running) return running as Promise<Connection & { accessToken: string }>;
    const p = this.renewShared(t, seenVersion).finally(() => this.inflight.delete(t.mapping.id));
    this.inflight.set(t.mapping.id, p);
    return p;
  }

  /** Renewal under the connection row's lease, so processes sharing the database renew once. */
  private async renewShared(t: Target, seenVersion: number): Promise<Connection & { accessToken: string }> {
    const { repo } = this.deps;
    const deadline = this.now() + this.leaseMs + 5_000;
    for (;;) {
      const owner = `${this.owner}:${randomUUID().slice(0, 8)}`;
      if (await repo.acquireLease(t.mapping.id, owner, new Date(this.now() + this.leaseMs).toISOString(), new Date(this.now()).toISOString())) {
        try {
          return await this.renewHolding(t, owner, seenVersion);
        } finally {
          await repo.releaseLease(t.mapping.id, owner);
        }
      }
      // Another process holds the lease: wait for its result (a new version) or the lease's end.
      await new Promise((r) => setTimeout(r, this.pollMs));
      const conn = await repo.getConnection(t.mapping.id);
      if (conn && conn.version !== seenVersion) {
        if (this.fresh(conn)) return conn;
        if (conn.status === "needs_reauth") throw needsReauth(t, conn.lastError);
      }
      if (this.now() > deadline) {
        throw new HttpError(504, "provider_timeout", `Integration "${t.integration.name}": timed out waiting for another process to renew the token for ${t.label}`);
      }
    }
  }

  private async renewHolding(t: Target, owner: string, seenVersion: number): Promise<Connection & { accessToken: string }> {
    const { repo } = this.deps;
    const oauth = t.integration.oauth;
    if (!oauth) throw new HttpError(409, "no_oauth", `Integration "${t.integration.name}" has no OAuth settings`);
    // Read again under the lease: another process may have renewed since we looked.
    const conn = await repo.getConnection(t.mapping.id);
    if (conn && conn.version !== seenVersion && this.fresh(conn)) return conn;
    const clientCredentials = oauth.flow === "client_credentials";
    if (!clientCredentials) this.checkRenewable(t, conn);
    const params: Record<string, string> = clientCredentials
      ? { grant_type: "client_credentials", ...(oauth.scopes.length > 0 ? { scope: oauth.scopes.join(" ") } : {}) }
      : { grant_type: "refresh_token", refresh_token: conn!.refreshToken! };
    let tokens: TokenSet;
    try {
      tokens = await requestToken({
        tokenUrl: fillEntityId(oauth.tokenUrl, t.mapping.entityId),
        clientId: oauth.clientId,
        clientSecret: await repo.clientSecret(t.integration.id),
        clientAuth: oauth.clientAuth,
        params,
        timeoutMs: this.deps.timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (!clientCredentials && error.failure === "rejected" && error.error === "invalid_grant") {
        // The refresh token is revoked or expired: only a new authorization helps.
        const detail = `the provider refused the refresh token: ${error.message}`;
        await repo.markNeedsReauth(t.mapping.id, owner, detail);
        throw needsReauth(t, detail);
      }
      throw oauthFailure(t.integration.name, clientCredentials ? "fetching a client-credentials token" : "refreshing the access token", error);
    }
    if (!(await repo.storeRefreshed(t.mapping.id, owner, tokens))) {
      // The lease was broken (a new authorization landed meanwhile): that connection wins.
      const now = await repo.getConnection(t.mapping.id);
      if (this.fresh(now)) return now;
      throw new HttpError(409, "conflict", `Integration "${t.integration.name}": the connection for ${t.label} changed while its token was renewed; try again`);
    }
    const stored = await repo.getConnection(t.mapping.id);
    if (!stored?.accessToken) throw new HttpError(409, "conflict", `Integration "${t.integration.name}": the connection for ${t.label} was removed while its token was renewed`);
    return stored as Connection & { accessToken: string };
  }
}
