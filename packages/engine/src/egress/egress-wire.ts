/**
 * The egress calls as they cross from the child: validation of what the (untrusted)
 * child sends, and how host errors travel back (contracts/egress.ts).
 */
import { EGRESS_CHUNK_BYTES, type EgressCause, type EgressFailure, type EgressRedirect, type EgressRequest } from "@bifrost/contracts/egress.js";

const REDIRECTS: ReadonlySet<string> = new Set(["follow", "manual", "error"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
/** Longest base64 text of one chunk. */
export const MAX_B64 = Math.ceil(EGRESS_CHUNK_BYTES / 3) * 4;
const MAX_URL = 64 * 1024;
const MAX_HEADER_BYTES = 256 * 1024;

/** A call the child should never make (malformed, unknown): rejected, never thrown in the host. */
export function protocolError(message: string): Error {
  return Object.assign(new Error(`egress: ${message}`), { name: "EgressProtocolError" });
}

/** A failure the child rebuilds as `TypeError: fetch failed` with this cause. */
export const failed = (message: string, cause?: EgressCause): EgressFailure => ({ error: { kind: "network", message: "fetch failed", cause: cause ?? { name: "Error", message } } });

export function causeOf(error: unknown): EgressCause {
  const e = (error ?? {}) as Partial<NodeJS.ErrnoException> & { name?: string; message?: string; port?: unknown; address?: unknown };
  return {
    name: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
    ...(typeof e.code === "string" ? { code: e.code } : {}),
    ...(typeof e.syscall === "string" ? { syscall: e.syscall } : {}),
    ...(typeof e.address === "string" ? { address: e.address } : {}),
    ...(typeof e.port === "number" ? { port: e.port } : {}),
  };
}

/** How a fetch or body error crosses to the child. */
export function failureOf(error: unknown): EgressFailure {
  const e = error as { name?: string; message?: string; cause?: unknown };
  if (e?.name === "AbortError") return { error: { kind: "abort", message: e.message ?? "This operation was aborted" } };
  if (error instanceof TypeError) {
    if (e.cause !== undefined) return { error: { kind: "network", message: error.message, cause: causeOf(e.cause) } };
    return { error: { kind: "type", message: error.message } };
  }
  return failed("", causeOf(error));
}

/** Checks an `egress.fetch` request from the (untrusted) child. */
export function parseRequest(raw: unknown): EgressRequest {
  const r = raw as Partial<EgressRequest> | null;
  if (!r || typeof r !== "object") throw protocolError("the request must be an object");
  if (!Number.isSafeInteger(r.id) || r.id! <= 0) throw protocolError("id must be a positive integer");
  if (typeof r.url !== "string" || r.url.length > MAX_URL) throw protocolError("url must be a string of at most 64 KiB");
  if (typeof r.method !== "string" || !TOKEN.test(r.method)) throw protocolError("method must be an HTTP token");
  if (typeof r.redirect !== "string" || !REDIRECTS.has(r.redirect)) throw protocolError("redirect must be follow, manual or error");
  if (!Array.isArray(r.headers)) throw protocolError("headers must be a list of [name, value] pairs");
  let size = 0;
  for (const pair of r.headers) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") throw protocolError("headers must be a list of [name, value] pairs");
    size += pair[0].length + pair[1].length;
  }
  if (size > MAX_HEADER_BYTES) throw protocolError("the request headers exceed 256 KiB");
  const body = r.body;
  if (body !== null) {
    if (!body || typeof body !== "object") throw protocolError("body must be null, { data } or { stream: true, length }");
    if ("data" in body) {
      if (typeof body.data !== "string" || body.data.length > MAX_B64) throw protocolError("an inline body is base64 of at most one chunk");
    } else if (!("stream" in body) || body.stream !== true || !(body.length === null || (Number.isSafeInteger(body.length) && body.length >= 0))) {
      throw protocolError("body must be null, { data } or { stream: true, length }");
    }
  }
  return { id: r.id!, url: r.url, method: r.method, headers: r.headers, redirect: r.redirect as EgressRedirect, body: body ?? null };
}
