import type { IncomingMessage } from "node:http";
import { ApiError, CliError, type FieldError } from "./errors.js";
import type { Connection } from "./profiles.js";

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Give up after this long (connection and answer); default: no limit. */
  timeoutMs?: number;
}

/**
 * An HTTP answer read through node:http. The CLI does not use `fetch`: loading undici
 * costs ~50 ms of start-up, and its pooled connections keep the process alive ~250 ms
 * after the last request — a quarter of a second on every `bifrost whoami`.
 */
export class HttpResponse {
  constructor(private readonly message: IncomingMessage) {}

  get status(): number {
    return this.message.statusCode ?? 0;
  }

  get statusText(): string {
    return this.message.statusMessage ?? "";
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  header(name: string): string | null {
    const value = this.message.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
  }

  headerEntries(): [string, string][] {
    const raw = this.message.rawHeaders;
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
    return out;
  }

  /** The body as it arrives. */
  stream(): AsyncIterable<Buffer> {
    return this.message;
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.message) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  /** Stops reading (and closes the connection). */
  cancel(): void {
    this.message.destroy();
  }
}

/** Connections are reused within a command (watch pushes many files) and closed when it ends. */
const agents: { destroy(): void }[] = [];
let httpAgent: import("node:http").Agent | null = null;
let httpsAgent: import("node:https").Agent | null = null;

async function request(method: string, url: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<HttpResponse> {
  const secure = url.startsWith("https:");
  let send: typeof import("node:http").request;
  let agent: import("node:http").Agent;
  if (secure) {
    const https = await import("node:https");
    agent = httpsAgent ??= new https.Agent({ keepAlive: true });
    send = https.request;
  } else {
    const http = await import("node:http");
    agent = httpAgent ??= new http.Agent({ keepAlive: true });
    send = http.request;
  }
  if (!agents.includes(agent)) agents.push(agent);
  return new Promise((resolve, reject) => {
    const req = send(url, { method, agent, headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) }, signal }, (res) => resolve(new HttpResponse(res)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Closes every kept-alive connection, so the process can end once a command is done. */
export function closeConnections(): void {
  for (const agent of agents.splice(0)) agent.destroy();
}

/** The platform's HTTP API with one connection's key and organization. */
export class Client {
  constructor(readonly connection: Pick<Connection, "url" | "apiKey" | "org"> & Partial<Connection>) {}

  get url(): string {
    return this.connection.url;
  }

  /** `/api/x` + query → absolute URL on the instance. */
  href(path: string, query: Query = {}): string {
    const url = new URL(this.connection.url + (path.startsWith("/") ? path : `/${path}`));
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** The raw response, whatever its status; only a network failure throws. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.connection.apiKey}`, accept: "application/json", ...options.headers };
    if (this.connection.org && !Object.keys(headers).some((h) => h.toLowerCase() === "x-bifrost-org")) headers["x-bifrost-org"] = this.connection.org;
    let body: Buffer | undefined;
    if (options.body !== undefined) {
      body = Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body), "utf8");
      if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    }
    const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
    try {
      return await request(method.toUpperCase(), this.href(path, options.query), headers, body, signals.length ? AbortSignal.any(signals) : undefined);
    } catch (error) {
      throw unreachable(this.connection.url, error, options.signal);
    }
  }

  /** A JSON call: the parsed body of a 2xx answer, or an ApiError with the server's message. */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (!res.ok) throw await apiError(res, this);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${this.url} answered ${method} ${path} with something that is not JSON (is it a Bifrost instance?)`);
    }
  }
}

/** A failed fetch: say which URL could not be reached, and why. */
export function unreachable(url: string, error: unknown, own?: AbortSignal): CliError {
  const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (own?.aborted) return new CliError("Interrupted");
  if (e.name === "TimeoutError" || (e.name === "AbortError" && (e.cause as { name?: string } | undefined)?.name === "TimeoutError")) return new CliError(`${url} did not answer in time`);
  const why = e.code ?? e.cause?.code ?? e.cause?.message ?? e.message;
  return new CliError(`Cannot reach ${url} (${why}): is the platform running there?`);
}

/** The server's error envelope as an ApiError, with a hint where one helps. */
export async function apiError(res: HttpResponse, client: Client): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let body: unknown = text;
  let code = `http_${res.status}`;
  let message = `${client.url} answered HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ""}`;
  let fields: FieldError[] = [];
  try {
    body = JSON.parse(text);
    const error = (body as { error?: { code?: string; message?: string; fields?: FieldError[] } }).error;
    if (error?.message) {
      code = error.code ?? code;
      message = error.message;
      fields = Array.isArray(error.fields) ? error.fields : [];
    }
  } catch {
    // not JSON: keep the text
  }
  if (res.status === 401) {
    const where = client.connection.fromProfile === false ? "BIFROST_API_KEY" : `profile "${client.connection.profile ?? "default"}"`;
    message = `${message} (the key of ${where} on ${client.url}: run "bifrost login" with a valid key)`;
  }
  return new ApiError(res.status, code, message, fields, body);
}
