import { BifrostError } from "./errors.js";
import { currentScope } from "./runtime.js";

/** Where the external SDK finds the platform. Defaults come from the environment. */
export interface ClientOptions {
  /** The platform's base URL. Default: BIFROST_URL. */
  url?: string;
  /** An API key. Default: BIFROST_API_KEY. */
  apiKey?: string;
  /** Act in this organization (platform-admin keys). Default: BIFROST_ORG_ID. */
  orgId?: string;
  /** Longest wait for one call, in milliseconds. Default: BIFROST_TIMEOUT_MS or 30000. */
  timeoutMs?: number;
  /** Attempts for reads that meet 502/503/504 or a network error. Default 3. */
  retries?: number;
}

let configured: ClientOptions = {};

/**
 * Points the SDK at a platform when it runs outside one (a script, a developer's laptop).
 * Inside a running workflow it is not needed and not used.
 *
 * @example
 * ```ts
 * import { configure, workflows } from "bifrost";
 *
 * configure({ url: "https://bifrost.example.com", apiKey: process.env.MY_KEY });
 * const all = await workflows.list();
 * ```
 */
export function configure(options: ClientOptions): void {
  configured = { ...configured, ...options };
}

const RETRY_STATUS = new Set([502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Performs an SDK call: over IPC inside a running workflow (the host checks it against
 * the execution's principal), otherwise over HTTP to `POST /api/sdk/call`.
 */
export async function call<T>(method: string, args: unknown[], options: { idempotent?: boolean; minTimeoutMs?: number } = {}): Promise<T> {
  const scope = currentScope();
  if (scope?.call) return (await scope.call(method, args)) as T;
  return httpCall<T>(method, args, options.idempotent ?? false, options.minTimeoutMs ?? 0);
}

/**
 * Internal: where the external SDK sends `method` (for transports other than
 * `/api/sdk/call`, such as the AI stream endpoint). Throws a clear error when unset.
 */
export function httpTarget(method: string): { url: string; apiKey: string; orgId: string | undefined; timeoutMs: number; headers: Record<string, string> } {
  const url = configured.url ?? process.env.BIFROST_URL;
  const apiKey = configured.apiKey ?? process.env.BIFROST_API_KEY;
  if (!url || !apiKey) {
    throw new BifrostError(
      `${method}() needs the platform: call it inside a running workflow, or set BIFROST_URL and BIFROST_API_KEY (or call configure()) to use the SDK from outside`,
      "not_configured",
    );
  }
  const orgId = configured.orgId ?? process.env.BIFROST_ORG_ID;
  const timeoutMs = configured.timeoutMs ?? (Number(process.env.BIFROST_TIMEOUT_MS) || 30_000);
  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}`, ...(orgId ? { "x-bifrost-org": orgId } : {}) };
  return { url: url.replace(/\/+$/, ""), apiKey, orgId, timeoutMs, headers };
}

async function httpCall<T>(method: string, args: unknown[], idempotent: boolean, minTimeoutMs: number): Promise<T> {
  const target = httpTarget(method);
  const { url, headers } = target;
  // Some calls (an LLM completion) legitimately take longer than the usual wait.
  const timeoutMs = Math.max(target.timeoutMs, minTimeoutMs);
  const attempts = idempotent ? Math.max(1, configured.retries ?? 3) : 1;
  const endpoint = `${url}/api/sdk/call`;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({ method, args }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      lastError = new BifrostError(
        timedOut ? `${method}() got no answer from ${url} within ${timeoutMs} ms` : `${method}() could not reach ${url}: ${(error as Error).message}`,
        timedOut ? "timeout" : "unreachable",
      );
      if (timedOut || attempt === attempts) throw lastError;
      await sleep(250 * 2 ** (attempt - 1));
      continue;
    }
    if (RETRY_STATUS.has(res.status) && attempt < attempts) {
      await sleep(250 * 2 ** (attempt - 1));
      continue;
    }
    const body = (await res.json().catch(() => null)) as { value?: unknown; error?: { code?: string; message?: string } } | null;
    if (res.ok) return (body?.value ?? null) as T;
    if (res.status === 401) throw new BifrostError(`${method}(): the platform at ${url} rejected the API key (401): check BIFROST_API_KEY`, "unauthorized", 401);
    throw new BifrostError(body?.error?.message ?? `${method}() failed with HTTP ${res.status}`, body?.error?.code ?? "http_error", res.status);
  }
  throw lastError;
}
