import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from "node:crypto";

/** A configured OpenID Connect provider (e.g. Microsoft Entra ID): issuer + confidential client. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  timeoutMs: number;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
  jwks_uri: string;
}

/** What the provider says about the person, after the ID token is checked. */
export interface OidcIdentity {
  sub: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

export class OidcError extends Error {
  override name = "OidcError";
}

const b64url = (b: Buffer) => b.toString("base64url");

/**
 * The relying party: authorization code with PKCE (S256), `state` and `nonce`; the ID
 * token's signature (RS256 or ES256, from the provider's JWKS), issuer, audience, expiry
 * and nonce are checked; e-mail and its verification come from the ID token or UserInfo.
 */
export class OidcClient {
  private discovery: Promise<Discovery> | null = null;

  constructor(private readonly settings: OidcSettings) {}

  private async get<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url, { headers: { accept: "application/json", ...headers }, signal: AbortSignal.timeout(this.settings.timeoutMs) });
    if (!res.ok) throw new OidcError(`${url} answered HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= this.get<Discovery>(`${this.settings.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`).catch((error: unknown) => {
      this.discovery = null;
      throw new OidcError(`OpenID discovery at ${this.settings.issuer} failed: ${(error as Error).message}`);
    });
    return this.discovery;
  }

  /** Where to send the browser, and what to keep (sealed in a cookie) until it comes back. */
  async start(redirectUri: string): Promise<{ url: string; pending: { state: string; verifier: string; nonce: string; redirectUri: string } }> {
    const d = await this.discover();
    const state = b64url(randomBytes(24));
    const nonce = b64url(randomBytes(24));
    const verifier = b64url(randomBytes(32));
    const url = new URL(d.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: this.settings.clientId,
      redirect_uri: redirectUri,
      scope: this.settings.scopes,
      state,
      nonce,
      code_challenge: b64url(createHash("sha256").update(verifier).digest()),
      code_challenge_method: "S256",
    }).toString();
    return { url: url.toString(), pending: { state, verifier, nonce, redirectUri } };
  }

  /** Exchanges the code and checks the ID token; the person's verified e-mail, if any. */
  async finish(code: string, pending: { verifier: string; nonce: string; redirectUri: string }): Promise<OidcIdentity> {
    const d = await this.discover();
    const res = await fetch(d.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: pending.redirectUri,
        code_verifier: pending.verifier,
        client_id: this.settings.clientId,
        client_secret: this.settings.clientSecret,
      }),
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    const tokens = (await res.json().catch(() => ({}))) as { id_token?: string; access_token?: string; error?: string; error_description?: string };
    if (!res.ok || !tokens.id_token) throw new OidcError(`the provider refused the code: ${tokens.error ?? `HTTP ${res.status}`}${tokens.error_description ? ` (${tokens.error_description})` : ""}`);
    const claims = await this.checkIdToken(tokens.id_token, d, pending.nonce);
    let info: Record<string, unknown> = {};
    if ((claims.email === undefined || claims.email_verified === undefined) && d.userinfo_endpoint && tokens.access_token) {
      info = await this.get<Record<string, unknown>>(d.userinfo_endpoint, { authorization: `Bearer ${tokens.access_token}` });
      if (info.sub !== claims.sub) throw new OidcError("UserInfo is about someone else than the ID token");
    }
    const all = { ...info, ...claims };
    return {
      sub: String(claims.sub),
      email: typeof all.email === "string" ? all.email : null,
      emailVerified: all.email_verified === true || all.email_verified === "true",
      name: typeof all.name === "string" ? all.name : null,
    };
  }

  private async checkIdToken(jwt: string, d: Discovery, nonce: string): Promise<Record<string, unknown>> {
    const [h, p, s] = jwt.split(".");
    if (!h || !p || !s) throw new OidcError("the ID token is not a JWT");
    const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: string; kid?: string };
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
    const { keys } = await this.get<{ keys: (JsonWebKey & { kid?: string; use?: string })[] }>(d.jwks_uri);
    const jwk = keys.find((k) => (header.kid ? k.kid === header.kid : k.use !== "enc"));
    if (!jwk) throw new OidcError("the ID token's signing key is not in the provider's JWKS");
    const key = createPublicKey({ key: jwk, format: "jwk" });
    const data = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, "base64url");
    const ok =
      header.alg === "RS256"
        ? verify("sha256", data, key, signature)
        : header.alg === "ES256"
          ? verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature)
          : false;
    if (!ok) throw new OidcError(`the ID token's signature (${header.alg ?? "none"}) does not verify`);
    const now = Date.now() / 1000;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== d.issuer) throw new OidcError("the ID token is from another issuer");
    if (!aud.includes(this.settings.clientId)) throw new OidcError("the ID token is for another client");
    if (typeof claims.exp !== "number" || claims.exp < now - 60) throw new OidcError("the ID token has expired");
    if (claims.nonce !== nonce) throw new OidcError("the ID token's nonce does not match this sign-in");
    if (typeof claims.sub !== "string") throw new OidcError("the ID token names no subject");
    return claims;
  }
}
