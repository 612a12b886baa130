import { ApiError, csrfToken, currentOrg, type FieldProblem } from "./api.js";

/**
 * POSTs `body` and calls `onLine` with each JSON line of the streamed (NDJSON) answer as it
 * arrives. An error answer (not 2xx) is thrown as ApiError, like `api()`; `signal` stops it.
 */
export async function postNdjson(path: string, body: unknown, onLine: (value: unknown) => void, signal?: AbortSignal): Promise<void> {
  const headers: Record<string, string> = { accept: "application/x-ndjson", "content-type": "application/json" };
  const org = currentOrg();
  if (org) headers["x-bifrost-org"] = org;
  const token = csrfToken();
  if (token) headers["x-bifrost-csrf"] = token;
  const res = await fetch(path, { method: "POST", headers, credentials: "same-origin", body: JSON.stringify(body), signal });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let error: { code?: string; message?: string; fields?: FieldProblem[] } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      error = { message: text.slice(0, 200) };
    }
    throw new ApiError(res.status, error?.code ?? "http_error", error?.message ?? `${res.status} ${res.statusText}`, error?.fields ?? []);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffered += value;
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      if (line) onLine(JSON.parse(line));
    }
    if (done) break;
  }
  if (buffered.trim()) onLine(JSON.parse(buffered));
}
