/** The one way the UI talks to the server: same-origin fetch with the session cookie. */

export interface FieldProblem {
  path: string;
  message: string;
}

/** A non-2xx answer, with the server's `{ error: { code, message, fields } }` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const ORG_KEY = "bifrost.org";

/** The organization an MSP user acts in (X-Bifrost-Org); null = every organization. */
export function currentOrg(): string | null {
  return localStorage.getItem(ORG_KEY);
}

export function setCurrentOrg(id: string | null): void {
  if (id) localStorage.setItem(ORG_KEY, id);
  else localStorage.removeItem(ORG_KEY);
}

/** The session's CSRF token, from the script-readable `bifrost_csrf` cookie (double submit). */
export function csrfToken(cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "bifrost_csrf") return decodeURIComponent(rest.join("=")) || null;
  }
  return null;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; org?: string | null } = {}): Promise<T> {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json" };
  const org = init.org === undefined ? currentOrg() : init.org;
  if (org) headers["x-bifrost-org"] = org;
  if (method !== "GET" && method !== "HEAD") {
    const token = csrfToken();
    if (token) headers["x-bifrost-csrf"] = token;
  }
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string; fields?: FieldProblem[] } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? "http_error", error?.message ?? `${res.status} ${res.statusText}`, error?.fields ?? []);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: "bad_answer", message: text.slice(0, 200) } };
  }
}

/** Query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
