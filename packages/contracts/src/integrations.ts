/**
 * What the integrations API and the SDK's `integrations` module exchange (SPEC §2
 * `integrations`). Secrets never appear here except the tokens `integrations.get` hands
 * to its caller.
 */

export const OAUTH_FLOWS = ["authorization_code", "client_credentials"] as const;
export type OAuthFlow = (typeof OAUTH_FLOWS)[number];

/** How the client authenticates at the token endpoint: form fields (`post`) or HTTP Basic. */
export const CLIENT_AUTH_METHODS = ["post", "basic"] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** An integration's OAuth settings (the client secret is kept apart, sealed). */
export interface OAuthSettings {
  flow: OAuthFlow;
  /** Required for `authorization_code`; may contain `{entityId}`. */
  authorizeUrl: string | null;
  /** May contain `{entityId}`, replaced with the mapping's entity id. */
  tokenUrl: string;
  scopes: string[];
  clientId: string;
  clientAuth: ClientAuthMethod;
  /** Extra query parameters for the authorize URL (e.g. `prompt`). */
  authorizeParams: Record<string, string>;
}

/** An integration's OAuth settings as the API shows them: the client secret only as a flag. */
export interface OAuthSettingsInfo extends OAuthSettings {
  clientSecretSet: boolean;
}

export interface IntegrationInfo {
  id: string;
  name: string;
  description: string | null;
  /** JSON Schema each mapping's `config` must satisfy (null = any object). */
  configSchema: Record<string, unknown> | null;
  /** Default base URL of `getClient` (may contain `{entityId}`). */
  baseUrl: string | null;
  oauth: OAuthSettingsInfo | null;
  createdAt: string;
  updatedAt: string;
}

export type ConnectionStatus = "not_connected" | "connected" | "needs_reauth";

/** The state of a mapping's OAuth connection (never its tokens). */
export interface ConnectionInfo {
  status: ConnectionStatus;
  /** When the current access token expires (null: unknown, or no token). */
  expiresAt: string | null;
  /** Scopes the provider granted, space-separated. */
  scopes: string | null;
  hasRefreshToken: boolean;
  /** Why the connection needs re-authorization, when it does. */
  lastError: string | null;
  updatedAt: string | null;
}

export interface IntegrationMappingInfo {
  id: string;
  integrationId: string;
  /** The integration's name. */
  integration: string;
  /** The organization id the mapping belongs to, or "global". */
  scope: string;
  entityId: string;
  entityName: string | null;
  config: Record<string, unknown>;
  /** null when the integration has no OAuth settings. */
  connection: ConnectionInfo | null;
  createdAt: string;
  updatedAt: string;
}

/** `integrations.list()`: each integration with its mapping in the scope asked about. */
export interface IntegrationSummary extends IntegrationInfo {
  mapping: IntegrationMappingInfo | null;
}

export interface IntegrationTokens {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  /** ISO time the access token expires (null when the provider did not say). */
  expiresAt: string | null;
  scopes: string | null;
}

/** What `integrations.get` returns over the wire (the SDK adds `oauth.refresh()`). */
export interface IntegrationAccess {
  integrationId: string;
  name: string;
  scope: string;
  entityId: string;
  entityName: string | null;
  config: Record<string, unknown>;
  /** `config.baseUrl` of the mapping, else the integration's `baseUrl`, `{entityId}` filled in. */
  baseUrl: string | null;
  oauth: IntegrationTokens | null;
}
