import type {
  ConnectionInfo,
  IntegrationAccess,
  IntegrationMappingInfo,
  IntegrationSummary,
  IntegrationTokens,
} from "@bifrost/contracts/integrations.js";
import { BifrostError } from "./errors.js";
import { call } from "./transport.js";

/**
 * Integrations: the organization's mapping of an external system (Microsoft 365, a PSA, an
 * RMM), its per-organization config and OAuth tokens the platform keeps valid (SPEC §2
 * `integrations`). Full reference: docs/sdk/integrations.md.
 * @module
 */

export type { ConnectionInfo, IntegrationMappingInfo, IntegrationSummary, IntegrationTokens };

export interface ScopeOption {
  /** An organization id or `"global"`. Default: the current organization. Only platform admins name another scope. */
  scope?: string;
}

/** The OAuth tokens of a mapping, with a way to renew them early. */
export interface OAuthTokens extends IntegrationTokens {
  /**
   * Renews the access token now (single-flight on the platform: callers asking at the same
   * moment share one renewal), updates this object and resolves with it.
   */
  refresh(): Promise<OAuthTokens>;
}

/** What `integrations.get` resolves: the organization's mapping, with a valid access token. */
export interface Integration extends Omit<IntegrationAccess, "oauth"> {
  /** null when the integration has no OAuth settings. */
  oauth: OAuthTokens | null;
}

/** The mapping fields an admin sets for an organization. */
export interface MappingInput {
  /** The organization's id in the external system (a tenant id, a company id); fills `{entityId}` in URLs. */
  entityId: string;
  entityName?: string | null;
  /** Checked against the integration's config schema. */
  config?: Record<string, unknown>;
}

function withRefresh(name: string, scope: string | undefined, data: IntegrationAccess): Integration {
  if (!data.oauth) return { ...data, oauth: null };
  const oauth = { ...data.oauth } as OAuthTokens;
  // Not enumerable: the object still serializes (logs, results, variables) as plain data.
  Object.defineProperty(oauth, "refresh", {
    enumerable: false,
    value: async () => {
      const next = await call<IntegrationAccess>("integrations.refresh", [name, scope === undefined ? {} : { scope }]);
      if (next.oauth) Object.assign(oauth, next.oauth);
      return oauth;
    },
  });
  return { ...data, oauth };
}

/**
 * The organization's mapping of an integration: `entityId`, `entityName`, its `config`, and
 * OAuth tokens that are valid now — the platform renews a token about to expire (once,
 * however many runs ask at the same moment). Tokens a run receives are redacted from its
 * logs, result and variables. Fails with `not_mapped` (404) when the organization has no
 * mapping, `not_connected` / `needs_reauth` (409) when someone must (re)authorize the
 * connection, `oauth_rejected` / `provider_unreachable` (502) or `provider_timeout` (504)
 * when the provider fails.
 *
 * @example
 * ```ts
 * import { workflow, integrations } from "bifrost";
 *
 * export const me = workflow({}, async () => {
 *   const m365 = await integrations.get("microsoft365");
 *   const res = await fetch("https://graph.microsoft.com/v1.0/organization", {
 *     headers: { authorization: `Bearer ${m365.oauth!.accessToken}` },
 *   });
 *   return { tenant: m365.entityId, status: res.status };
 * });
 * ```
 */
export async function get(name: string, options: ScopeOption = {}): Promise<Integration> {
  // Not retried on 502/504: those come from the provider here, and repeating a refused request does not help.
  return withRefresh(name, options.scope, await call<IntegrationAccess>("integrations.get", [name, options]));
}

/**
 * Every integration defined on the platform, each with the current organization's
 * mapping (null where it has none) and connection status — never tokens.
 *
 * @example
 * ```ts
 * import { integrations } from "bifrost";
 *
 * for (const i of await integrations.list()) {
 *   console.log(i.name, i.mapping ? i.mapping.connection?.status ?? "mapped" : "not mapped");
 * }
 * ```
 */
export function list(options: ScopeOption = {}): Promise<IntegrationSummary[]> {
  return call<IntegrationSummary[]>("integrations.list", [options], { idempotent: true });
}

/**
 * The mappings of an integration the caller may see: platform admins every organization's
 * (or one scope's with `scope`), an organization only its own.
 *
 * @example
 * ```ts
 * import { integrations } from "bifrost";
 *
 * const mapped = await integrations.listMappings("microsoft365");
 * const broken = mapped.filter((m) => m.connection?.status === "needs_reauth").map((m) => m.scope);
 * ```
 */
export function listMappings(name: string, options: ScopeOption = {}): Promise<IntegrationMappingInfo[]> {
  return call<IntegrationMappingInfo[]>("integrations.listMappings", [name, options], { idempotent: true });
}

/**
 * The mapping of an integration in a scope (the current organization by default), or null.
 *
 * @example
 * ```ts
 * import { integrations } from "bifrost";
 *
 * const mapping = await integrations.getMapping("halopsa");
 * if (!mapping) throw new Error("HaloPSA is not set up for this customer");
 * console.log(mapping.entityName, mapping.config);
 * ```
 */
export function getMapping(name: string, options: ScopeOption = {}): Promise<IntegrationMappingInfo | null> {
  return call<IntegrationMappingInfo | null>("integrations.getMapping", [name, options], { idempotent: true });
}

/**
 * Creates or replaces the mapping of an integration for an organization (platform admins).
 * `config` is validated against the integration's config schema (errors name the field,
 * e.g. `config.region`). Changing `entityId` drops the stored connection.
 *
 * @example
 * ```ts
 * import { integrations } from "bifrost";
 *
 * await integrations.upsertMapping(
 *   "microsoft365",
 *   { entityId: "72f988bf-86f1-41af-91ab-2d7cd011db47", entityName: "Contoso", config: { licenseSku: "SPE_E3" } },
 *   { scope: contosoOrgId },
 * );
 * ```
 */
export function upsertMapping(name: string, mapping: MappingInput, options: ScopeOption = {}): Promise<IntegrationMappingInfo> {
  return call<IntegrationMappingInfo>("integrations.upsertMapping", [name, mapping, options]);
}

/**
 * Removes the mapping of an integration (and its connection) from a scope (platform
 * admins); resolves true when it existed.
 *
 * @example
 * ```ts
 * import { integrations } from "bifrost";
 *
 * await integrations.deleteMapping("microsoft365", { scope: formerCustomerOrgId });
 * ```
 */
export function deleteMapping(name: string, options: ScopeOption = {}): Promise<boolean> {
  return call<boolean>("integrations.deleteMapping", [name, options]);
}

// ---- getClient ---------------------------------------------------------------------------

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  /** Query parameters added to the URL (null/undefined skipped; arrays repeat the key). */
  query?: Record<string, QueryValue | QueryValue[]>;
  headers?: Record<string, string>;
  /** A body sent as JSON (`content-type: application/json`). */
  json?: unknown;
  /** A raw body; must be re-sendable (the request may be sent twice). */
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | Blob | FormData;
  /** Default 30000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A non-2xx answer to one of the client's JSON helpers. */
export class IntegrationHttpError extends BifrostError {
  constructor(
    message: string,
    status: number,
    readonly method: string,
    readonly url: string,
    /** The response body: parsed JSON when it was JSON, else text. */
    readonly body: unknown,
  ) {
    super(message, "http_error", status);
    this.name = "IntegrationHttpError";
  }
}

/** An HTTP client bound to an integration: base URL, bearer token, one retry on 401. */
export interface IntegrationClient {
  /** `config.baseUrl` of the mapping, else the integration's `baseUrl` (`{entityId}` filled in). */
  readonly baseUrl: string | null;
  /** The mapping as `integrations.get` returned it (tokens updated as they are renewed). */
  readonly integration: Integration;
  /** Sends a request and resolves the raw `Response`, whatever its status. */
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** GET; resolves the parsed JSON (text when not JSON, null when empty); a non-2xx status throws `IntegrationHttpError`. */
  get<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /** POST with `body` sent as JSON (a string, bytes, form or URLSearchParams as is). */
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
}

/** A token this close to expiry is renewed before a request (the platform renews with up to 60 s to spare). */
const CLIENT_SKEW_MS = 30_000;

const isRaw = (b: unknown) =>
  typeof b === "string" || b instanceof Uint8Array || b instanceof ArrayBuffer || b instanceof URLSearchParams || b instanceof Blob || b instanceof FormData;

function snippet(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  if (!text) return "";
  return `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === "") return null;
  if ((res.headers.get("content-type") ?? "").includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * An HTTP client for an integration (fetch underneath): relative paths resolve against the
 * mapping's base URL, every request carries `Authorization: Bearer <token>` with a token
 * renewed before it expires, and a 401 answer is retried once after a forced refresh.
 * `get/post/put/patch/delete` parse JSON and throw `IntegrationHttpError` on a non-2xx
 * status; `request` hands back the raw `Response`.
 *
 * @example
 * ```ts
 * import { workflow, integrations } from "bifrost";
 *
 * export const listUsers = workflow({}, async () => {
 *   const graph = await integrations.getClient("microsoft365"); // baseUrl https://graph.microsoft.com/v1.0
 *   const page = await graph.get<{ value: { userPrincipalName: string }[] }>("/users", { query: { $top: 50 } });
 *   await graph.patch(`/users/${page.value[0]!.userPrincipalName}`, { department: "Finance" });
 *   return page.value.map((u) => u.userPrincipalName);
 * });
 * ```
 */
export async function getClient(name: string, options: ScopeOption = {}): Promise<IntegrationClient> {
  const integration = await get(name, options);
  let renewing: Promise<void> | null = null;
  const stale = (o: OAuthTokens) => o.expiresAt !== null && Date.parse(o.expiresAt) - Date.now() < CLIENT_SKEW_MS;

  /**
   * Gets the client a usable token: `rejected` = the token a 401 refused (a forced refresh,
   * unless another request already renewed it), else a fresh read when the token is stale.
   * Concurrent requests share one renewal.
   */
  async function renew(oauth: OAuthTokens, rejected?: string): Promise<void> {
    if (renewing) await renewing;
    if (rejected !== undefined ? oauth.accessToken !== rejected : !stale(oauth)) return;
    renewing ??= (async () => {
      const next = rejected
        ? await call<IntegrationAccess>("integrations.refresh", [name, { ...(options.scope ? { scope: options.scope } : {}), rejectedToken: rejected }])
        : await call<IntegrationAccess>("integrations.get", [name, options]);
      if (next.oauth) Object.assign(oauth, next.oauth);
    })().finally(() => {
      renewing = null;
    });
    await renewing;
  }

  const urlOf = (path: string, query: RequestOptions["query"]) => {
    let url: URL;
    if (/^https?:\/\//i.test(path)) url = new URL(path);
    else if (integration.baseUrl) url = new URL(`${integration.baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`);
    else throw new BifrostError(`Integration "${name}" has no base URL: pass an absolute URL, or set baseUrl on the integration or in the mapping's config`, "no_base_url");
    for (const [k, v] of Object.entries(query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v]) if (item !== null && item !== undefined) url.searchParams.append(k, String(item));
    }
    return url.toString();
  };

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = urlOf(path, opts.query);
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    let body: RequestOptions["body"];
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    } else body = opts.body;
    const send = (token: string | null) => {
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
      return fetch(url, {
        method: method.toUpperCase(),
        headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers,
        body,
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      });
    };
    const oauth = integration.oauth;
    if (!oauth) return send(null);
    await renew(oauth);
    const used = oauth.accessToken;
    const first = await send(used);
    if (first.status !== 401) return first;
    await first.body?.cancel().catch(() => undefined);
    await renew(oauth, used);
    return send(oauth.accessToken);
  }

  async function json<T>(method: string, path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    const res = await request(method, path, body === undefined ? opts : isRaw(body) ? { ...opts, body: body as RequestOptions["body"] } : { ...opts, json: body });
    const parsed = await parse(res);
    if (!res.ok) {
      throw new IntegrationHttpError(`${method} ${res.url || path} answered HTTP ${res.status}${snippet(parsed)}`, res.status, method, res.url, parsed);
    }
    return parsed as T;
  }

  return {
    get baseUrl() {
      return integration.baseUrl;
    },
    integration,
    request,
    get: (path, opts) => json("GET", path, undefined, opts),
    post: (path, body, opts) => json("POST", path, body, opts),
    put: (path, body, opts) => json("PUT", path, body, opts),
    patch: (path, body, opts) => json("PATCH", path, body, opts),
    delete: (path, opts) => json("DELETE", path, undefined, opts),
  };
}
