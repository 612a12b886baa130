import { REDACTED } from "@bifrost/contracts/sdk.js";
import type { ClientAuthMethod } from "@bifrost/contracts/integrations.js";
import type { TokenSet } from "@bifrost/storage/integrations.repo.js";

/** Why a token request failed: what the caller is told, and whether re-authorizing helps. */
export type OAuthFailure =
  /** The provider answered with an OAuth error (`error` is its code, e.g. invalid_grant). */
  | "rejected"
  | "unreachable"
  | "timeout"
  /** The provider answered, but not with a token response. */
  | "invalid_response";

export class OAuthError extends Error {
  constructor(
    readonly failure: OAuthFailure,
    message: string,
    /** The provider's `error` code, for `rejected`. */
    readonly error: string | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "OAuthError";
  }
}

/** Replaces `{entityId}` in a URL template with the mapping's entity id (URL-encoded). */
export function fillEntityId(template: string, entityId: string): string {
  return template.replaceAll("{entityId}", encodeURIComponent(entityId));
}

export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string | null;
  clientAuth: ClientAuthMethod;
  /** grant_type and the grant's parameters. */
  params: Record<string, string>;
  timeoutMs: number;
}

/** RFC 6749 §2.3.1: the Basic credentials are the form-encoded id and secret. */
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");

const snippet = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * Calls a token endpoint (RFC 6749 §3.2): a form POST authenticated with the client's
 * credentials. Resolves with the tokens; rejects with an `OAuthError` saying what went wrong.
 */
export async function requestToken(req: TokenRequest): Promise<TokenSet> {
  const body = new URLSearchParams(req.params);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (req.clientAuth === "basic") {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(req.clientId)}:${formEncode(req.clientSecret ?? "")}`).toString("base64")}`;
  } else {
    body.set("client_id", req.clientId);
    if (req.clientSecret !== null) body.set("client_secret", req.clientSecret);
  }
  const host = (() => {
    try {
      return new URL(req.tokenUrl).host;
    } catch {
      throw new OAuthError("unreachable", `the token URL ${JSON.stringify(req.tokenUrl)} is not a valid URL`);
    }
  })();
  const obtainedAt = Date.now();
  let res: Response;
  try {
    res = await fetch(req.tokenUrl, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(req.timeoutMs) });
  } catch (error) {
    if ((error as Error).name === "TimeoutError") {
      throw new OAuthError("timeout", `the token endpoint at ${host} did not answer within ${req.timeoutMs} ms`);
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new OAuthError("unreachable", `the token endpoint at ${host} could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message})`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    throw new OAuthError((error as Error).name === "TimeoutError" ? "timeout" : "unreachable", `the token endpoint at ${host} broke off its answer`);
  }
  let json: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // not JSON: reported below
  }
  // What the endpoint says goes back to callers and into run errors: an endpoint (or a
  // proxy) that echoes the request must not hand out the secret, the code or the token.
  const secrets = [req.clientSecret, req.params.refresh_token, req.params.code, req.params.code_verifier, headers.authorization?.slice(6)].filter(
    (v): v is string => typeof v === "string" && v.length >= 4,
  );
  const scrub = (m: string) => secrets.reduce((out, secret) => out.split(secret).join(REDACTED), m);
  if (!res.ok) {
    if (json && typeof json.error === "string") {
      const description = typeof json.error_description === "string" ? ` (${json.error_description})` : "";
      throw new OAuthError("rejected", scrub(`${json.error}${description}`), scrub(json.error), res.status);
    }
    throw new OAuthError("invalid_response", `the token endpoint at ${host} answered HTTP ${res.status}: ${snippet(scrub(text)) || "(empty body)"}`, null, res.status);
  }
  if (!json || typeof json.access_token !== "string" || json.access_token === "") {
    throw new OAuthError("invalid_response", `the token endpoint at ${host} answered without an access_token`, null, res.status);
  }
  const expiresIn = typeof json.expires_in === "number" ? json.expires_in : typeof json.expires_in === "string" ? Number(json.expires_in) : NaN;
  return {
    accessToken: json.access_token,
    refreshToken: typeof json.refresh_token === "string" && json.refresh_token !== "" ? json.refresh_token : null,
    tokenType: typeof json.token_type === "string" ? json.token_type : "Bearer",
    scopes: typeof json.scope === "string" ? json.scope : null,
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(obtainedAt + expiresIn * 1000).toISOString() : null,
    obtainedAt: new Date(obtainedAt).toISOString(),
  };
}
