/**
 * The client surface every generated module carries, after its types (openapi-typescript's
 * `paths`). It is fixed text: nothing from the document is spliced into it, so a document
 * cannot change what it does. It is written without template literals and `${`, so it
 * fits in the raw string below; the generated-module tests compile it under the project's
 * strict tsconfig.
 */
export const RUNTIME = String.raw`
// ---- Client runtime (fixed code of the Bifrost SDK generator) ---------------------------

/** A bearer token (or a function returning the current one). */
export interface BearerAuth { type: "bearer"; token: string | (() => string | Promise<string>) }
/** An API key sent as a header or a query parameter. */
export interface ApiKeyAuth { type: "apiKey"; in: "header" | "query"; name: string; value: string }
/** HTTP Basic authentication. */
export interface BasicAuth { type: "basic"; username: string; password: string }
/**
 * OAuth 2: the client-credentials grant, or the refresh-token grant when refreshToken is
 * given. Tokens are cached and renewed before they expire; calls racing for a token share
 * one request to the token endpoint.
 */
export interface OAuth2Auth {
  type: "oauth2";
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[];
  refreshToken?: string;
  /** How the client authenticates at the token endpoint: form fields (default) or HTTP Basic. */
  clientAuth?: "post" | "basic";
}
/** Inside a Bifrost workflow: the run's organization's tokens from integrations.get(name). */
export interface IntegrationAuth { type: "integration"; name: string; scope?: string }
export interface NoAuth { type: "none" }
export type Auth = BearerAuth | ApiKeyAuth | BasicAuth | OAuth2Auth | IntegrationAuth | NoAuth;

export interface ClientOptions {
  /** Default: the integration's base URL (integration auth), else the document's first server. */
  baseUrl?: string;
  /** Default: the auth the module was generated with, else none. */
  auth?: Auth;
  fetch?: typeof fetch;
  /** Per request (each retry gets its own). Default 30000. */
  timeoutMs?: number;
  /** Retries after 429 or 503 (Retry-After honoured, waits of at most 60 s). Default 2. */
  retries?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

export interface CallOptions { headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number }

/** A non-2xx answer: the operation, the status and the body (parsed JSON when it was JSON). */
export class ApiError<TBody = unknown> extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly operation: OperationName,
    readonly status: number,
    readonly body: TBody,
    readonly headers: Headers,
    message: string,
  ) {
    super(message);
  }
}

type QueryValue = string | number | boolean | null | undefined;
interface Spec {
  name: string;
  method: string;
  path: string;
  query: readonly string[];
  headers: readonly string[];
  body: "json" | "form" | "multipart" | "binary" | "text" | null;
  bodyType: string | null;
  response: "json" | "text" | "binary" | "none";
  pages: Pagination | null;
}
type Pagination =
  | { kind: "cursor"; param: string; next: readonly string[]; items: readonly string[] }
  | { kind: "nextLink"; next: readonly string[]; items: readonly string[] }
  | { kind: "page"; param: string; size: string | null; items: readonly string[] };
interface Raw { data: unknown; response: Response }
interface Args { path?: Record<string, unknown>; query?: Record<string, unknown>; headers?: Record<string, unknown>; body?: unknown }

type Call<A, R> = {} extends A ? (args?: A, options?: CallOptions) => Promise<R> : (args: A, options?: CallOptions) => Promise<R>;
/** An operation that paginate() can walk; I is the type of one item. */
export interface Pages<I, A> { readonly pagination: { readonly kind: string; readonly __types?: [I, A] } }
type Method<A, R> = Call<A, R> & { readonly operation: OperationName };
type PagedMethod<A, R, I> = Method<A, R> & Pages<I, A>;
type Step<T, K> = K extends keyof NonNullable<T> ? NonNullable<T>[K] : unknown;
type Items<T> = NonNullable<T> extends readonly (infer I)[] ? I : unknown;

const SPEC = Symbol("spec");
const RAW = Symbol("raw");
const MAX_RETRY_WAIT_MS = 60_000;

class TokenCache {
  private token: { value: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;
  constructor(private readonly auth: OAuth2Auth, private readonly doFetch: typeof fetch) {}

  /** The cached token while it is valid; otherwise one shared request for a new one. */
  get(stale?: string): Promise<string> {
    const t = this.token;
    if (t && t.value !== stale && Date.now() < t.expiresAt) return Promise.resolve(t.value);
    if (!this.pending) this.pending = this.request().finally(() => { this.pending = null; });
    return this.pending;
  }

  private async request(): Promise<string> {
    const a = this.auth;
    const form = new URLSearchParams();
    const refresh = this.refreshToken ?? a.refreshToken;
    form.set("grant_type", refresh ? "refresh_token" : "client_credentials");
    if (refresh) form.set("refresh_token", refresh);
    if (a.scopes && a.scopes.length > 0) form.set("scope", a.scopes.join(" "));
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    if (a.clientAuth === "basic") headers.authorization = basic(encodeURIComponent(a.clientId), encodeURIComponent(a.clientSecret));
    else { form.set("client_id", a.clientId); form.set("client_secret", a.clientSecret); }
    const res = await this.doFetch(a.tokenUrl, { method: "POST", headers, body: form, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let data: { access_token?: unknown; expires_in?: unknown; refresh_token?: unknown; error?: unknown; error_description?: unknown } = {};
    try { data = JSON.parse(text) as typeof data; } catch { /* reported below */ }
    if (!res.ok || typeof data.access_token !== "string") {
      const why = typeof data.error === "string" ? data.error + (typeof data.error_description === "string" ? ": " + data.error_description : "") : "HTTP " + res.status;
      throw new Error("OAuth token request to " + a.tokenUrl + " failed (" + why + ")");
    }
    if (typeof data.refresh_token === "string") this.refreshToken = data.refresh_token;
    const lifetime = typeof data.expires_in === "number" ? data.expires_in * 1000 : 3600_000;
    // Renewed a little before it expires: a request never leaves with a token about to lapse.
    this.token = { value: data.access_token, expiresAt: Date.now() + lifetime - Math.min(60_000, lifetime / 10) };
    return data.access_token;
  }
  private refreshToken: string | undefined;
}

function basic(user: string, password: string): string {
  return "Basic " + Buffer.from(user + ":" + password, "utf8").toString("base64");
}

function appendQuery(params: URLSearchParams, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) { for (const v of value) appendQuery(params, key, v); return; }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) appendQuery(params, key + "[" + k + "]", v);
    return;
  }
  params.append(key, String(value as QueryValue));
}

function encodeBody(kind: Spec["body"], body: unknown, headers: Record<string, string>): RequestInit["body"] | undefined {
  if (body === undefined || kind === null) return undefined;
  switch (kind) {
    case "json":
      headers["content-type"] = "application/json";
      return JSON.stringify(body);
    case "form": {
      headers["content-type"] = "application/x-www-form-urlencoded";
      if (body instanceof URLSearchParams) return body;
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) appendQuery(p, k, v);
      return p;
    }
    case "multipart": {
      // fetch writes the boundary into content-type itself.
      if (body instanceof FormData) return body;
      const f = new FormData();
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        for (const item of Array.isArray(v) ? v : [v]) {
          if (item === undefined || item === null) continue;
          if (item instanceof Blob) f.append(k, item);
          else if (item instanceof Uint8Array || item instanceof ArrayBuffer) f.append(k, new Blob([item as unknown as ArrayBuffer]));
          else f.append(k, typeof item === "object" ? JSON.stringify(item) : String(item));
        }
      }
      return f;
    }
    case "binary":
      if (!headers["content-type"]) headers["content-type"] = "application/octet-stream";
      return body as RequestInit["body"];
    case "text":
      headers["content-type"] = "text/plain; charset=utf-8";
      return String(body);
  }
}

async function readBody(res: Response, kind: Spec["response"]): Promise<unknown> {
  if (res.status === 204 || res.status === 205) return undefined;
  if (kind === "binary") return res.arrayBuffer();
  const text = await res.text();
  if (text === "") return undefined;
  const type = res.headers.get("content-type") ?? "";
  if (kind === "json" || /[/+]json\b/.test(type)) {
    try { return JSON.parse(text) as unknown; } catch { return text; }
  }
  return text;
}

function retryWaitMs(res: Response, attempt: number): number {
  const header = res.headers.get("retry-after");
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return 500 * 2 ** attempt;
}

function errorMessage(spec: Spec, status: number, body: unknown): string {
  let detail = "";
  if (typeof body === "string") detail = body;
  else if (body && typeof body === "object") {
    const b = body as { message?: unknown; error?: unknown; title?: unknown; error_description?: unknown };
    const e = b.error && typeof b.error === "object" ? (b.error as { message?: unknown }).message : b.error;
    for (const c of [b.message, e, b.error_description, b.title]) if (typeof c === "string") { detail = c; break; }
  }
  return spec.name + " (" + spec.method.toUpperCase() + " " + spec.path + ") failed: HTTP " + status + (detail ? ": " + detail.slice(0, 300) : "");
}

function nextLinkHeader(res: Response): string | null {
  const link = res.headers.get("link");
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel="?next"?/.test(m[2] ?? "")) return m[1] ?? null;
  }
  return null;
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

function makeClient(options: ClientOptions = {}): Client {
  const doFetch = options.fetch ?? fetch;
  const auth: Auth = options.auth ?? DEFAULT_AUTH;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = Math.max(0, Math.min(options.retries ?? 2, 10));
  const tokens = auth.type === "oauth2" ? new TokenCache(auth, doFetch) : null;

  /** The base URL and credentials of one request; "again" asks for fresh ones after a 401. */
  async function credentials(again: string | null): Promise<{ base: string; token: string | null; apply: (h: Record<string, string>, q: URLSearchParams) => void }> {
    let base = options.baseUrl ?? null;
    let token: string | null = null;
    let apply = (_h: Record<string, string>, _q: URLSearchParams) => {};
    switch (auth.type) {
      case "bearer":
        token = typeof auth.token === "function" ? await auth.token() : auth.token;
        break;
      case "apiKey": {
        const { name, value } = auth;
        apply = auth.in === "query" ? (_h, q) => q.set(name, value) : (h) => { h[name.toLowerCase()] = value; };
        break;
      }
      case "basic": {
        const value = basic(auth.username, auth.password);
        apply = (h) => { h.authorization = value; };
        break;
      }
      case "oauth2":
        token = await tokens!.get(again ?? undefined);
        break;
      case "integration": {
        const { integrations } = await import("bifrost");
        const i = await integrations.get(auth.name, auth.scope === undefined ? {} : { scope: auth.scope });
        if (!i.oauth) throw new Error("Integration \"" + auth.name + "\" has no OAuth connection: its token cannot authenticate " + TITLE);
        if (again !== null && i.oauth.accessToken === again) await i.oauth.refresh();
        token = i.oauth.accessToken;
        base ??= i.baseUrl;
        break;
      }
      case "none":
        break;
    }
    const root = (base ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    if (root === "") throw new Error(TITLE + ": no base URL (the document names no server): pass baseUrl to createClient");
    return { base: root, token, apply };
  }

  async function send(spec: Spec, args: Args, call: CallOptions | undefined, url: string | null): Promise<Raw> {
    let again: string | null = null;
    for (let attempt = 0; ; attempt++) {
      const c = await credentials(again);
      let target: URL;
      if (url !== null) {
        target = new URL(url, c.base + "/");
        // A next-page link elsewhere would get this client's credentials: refused.
        if (target.origin !== new URL(c.base + "/").origin) throw new Error(spec.name + ": the next-page link " + target.origin + " is not on " + c.base);
      } else {
        const path = spec.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
          const v = args.path?.[name];
          if (v === undefined || v === null) throw new TypeError(spec.name + ": path parameter \"" + name + "\" is required");
          return encodeURIComponent(String(v as QueryValue));
        });
        target = new URL(c.base + path);
        for (const name of spec.query) appendQuery(target.searchParams, name, args.query?.[name]);
      }
      const headers: Record<string, string> = { accept: spec.response === "json" ? "application/json" : "*/*" };
      for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
      for (const [k, v] of Object.entries(args.headers ?? {})) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v as QueryValue);
      for (const [k, v] of Object.entries(call?.headers ?? {})) headers[k.toLowerCase()] = v;
      const body = url === null ? encodeBody(spec.body, args.body, headers) : undefined;
      if (spec.bodyType && spec.body === "binary" && body !== undefined) headers["content-type"] = spec.bodyType;
      c.apply(headers, target.searchParams);
      if (c.token !== null) headers.authorization = "Bearer " + c.token;
      const timeout = AbortSignal.timeout(call?.timeoutMs ?? timeoutMs);
      const res = await doFetch(target, { method: spec.method.toUpperCase(), headers, body, signal: call?.signal ? AbortSignal.any([call.signal, timeout]) : timeout });
      if (res.ok) return { data: await readBody(res, spec.response), response: res };
      if (res.status === 401 && again === null && c.token !== null && (auth.type === "oauth2" || auth.type === "integration")) {
        await res.body?.cancel();
        again = c.token;
        continue;
      }
      if ((res.status === 429 || res.status === 503) && attempt < retries) {
        const wait = retryWaitMs(res, attempt);
        if (wait <= MAX_RETRY_WAIT_MS) {
          await res.body?.cancel();
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
      }
      const data = await readBody(res, "json").catch(() => undefined);
      throw new ApiError(spec.name as OperationName, res.status, data, res.headers, errorMessage(spec, res.status, data));
    }
  }

  const client = {} as Record<string, unknown>;
  for (const spec of OPERATIONS) {
    const method = (args?: Args, call?: CallOptions) => send(spec, args ?? {}, call, null).then((r) => r.data);
    Object.defineProperty(method, "operation", { value: spec.name });
    if (spec.pages) Object.defineProperty(method, "pagination", { value: spec.pages });
    Object.defineProperty(method, SPEC, { value: spec });
    Object.defineProperty(method, RAW, { value: (args: Args, url: string | null) => send(spec, args, undefined, url) });
    client[spec.name] = method;
  }
  return client as unknown as Client;
}

/**
 * The client: one async method per operation of the document.
 *
 * @example
 * const api = createClient({ auth: { type: "bearer", token: process.env.TOKEN! } });
 */
export function createClient(options: ClientOptions = {}): Client {
  return makeClient(options);
}

/**
 * Every item of a paginated operation, page after page (cursor, next link or page number,
 * as the document shows; a Link: rel="next" header is followed too).
 *
 * @example
 * for await (const ticket of paginate(api.listTickets, { query: { pageSize: 100 } })) console.log(ticket);
 */
export async function* paginate<I, A>(operation: Pages<I, A>, ...rest: {} extends A ? [args?: A] : [args: A]): AsyncGenerator<I, void, undefined> {
  const op = operation as unknown as { [SPEC]?: Spec; [RAW]?: (args: Args, url: string | null) => Promise<Raw> };
  const spec = op[SPEC];
  const raw = op[RAW];
  if (!spec || !raw || !spec.pages) throw new TypeError("paginate() takes a paginated method of a generated client");
  const pages = spec.pages;
  let args: Args = (rest[0] ?? {}) as Args;
  let url: string | null = null;
  let page = pages.kind === "page" ? Number(args.query?.[pages.param] ?? 1) : 0;
  const seen = new Set<string>();
  let linked = false;
  for (;;) {
    const { data, response } = await raw(args, url);
    const items = at(data, pages.items);
    const list = Array.isArray(items) ? (items as I[]) : [];
    yield* list;
    const link = nextLinkHeader(response);
    let next: string | null = null;
    if (link) { url = link; next = "link:" + link; linked = true; }
    else if (linked) return;
    else if (pages.kind === "cursor") {
      const cursor = at(data, pages.next);
      if (cursor === undefined || cursor === null || cursor === "" || list.length === 0) return;
      args = { ...args, query: { ...args.query, [pages.param]: cursor } };
      next = "cursor:" + String(cursor as QueryValue);
    } else if (pages.kind === "nextLink") {
      const l = at(data, pages.next);
      if (typeof l !== "string" || l === "") return;
      url = l;
      next = "link:" + l;
    } else {
      const size = pages.size ? Number(args.query?.[pages.size]) : NaN;
      if (list.length === 0 || (Number.isFinite(size) && list.length < size)) return;
      page += 1;
      args = { ...args, query: { ...args.query, [pages.param]: page } };
      next = "page:" + page;
    }
    // A server answering the same cursor again would loop for ever.
    if (seen.has(next)) return;
    seen.add(next);
  }
}
`;
