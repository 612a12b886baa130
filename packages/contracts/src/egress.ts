/**
 * The egress protocol: a workflow's `fetch` performed by the worker host. Worker children
 * have no network of their own; their `fetch` sends the request to the host as SDK calls
 * (`rpc` messages, see ipc.ts) named below, and the host resolves the name, applies the
 * egress policy to every address and redirect, and streams the body back on demand.
 *
 * 1. `egress.fetch [EgressRequest]` → `EgressFetchReply` once the response head arrived.
 *    A body larger than one chunk (or a stream) is announced as `{ stream: true }` and
 *    sent with `egress.write [id, base64 | null]` calls (null = end), each answered when
 *    the host took the chunk, so the child never runs ahead of the upload.
 * 2. `egress.read [id]` → `EgressReadReply`: the next chunk of the response body, read
 *    from the server only now (backpressure: nothing is read ahead).
 * 3. `egress.abort [id]` → null: the child's AbortSignal fired or the body was cancelled.
 *
 * `node:http`/`node:https` in the child use a tunnel instead (their HTTP and TLS run in
 * the child, over a TCP connection the host opened under the same policy):
 * `egress.connect [{ id, host, port }]` → `EgressConnectReply`; `egress.send [id, base64 |
 * null]` (null: end of the child's side) → `EgressWriteReply` once written;
 * `egress.recv [id]` → `EgressReadReply`; `egress.abort [id]` closes it. The first bytes
 * sent must be an HTTP/1.x request line or a TLS handshake: a tunnel carries HTTP(S), not
 * mail or other protocols.
 *
 * The host ties every request to the task that made it and aborts them when the task
 * ends (done, timeout, cancel, crash). Binary data is base64 (IPC is JSON).
 */
export const EgressMethod = {
  fetch: "egress.fetch",
  read: "egress.read",
  write: "egress.write",
  abort: "egress.abort",
  connect: "egress.connect",
  send: "egress.send",
  recv: "egress.recv",
} as const;

/** Largest piece of a body in one message (before base64). */
export const EGRESS_CHUNK_BYTES = 64 * 1024;

export type EgressRedirect = "follow" | "manual" | "error";

export interface EgressRequest {
  /** Chosen by the child, unique among its open requests. */
  id: number;
  /** An absolute http: or https: URL. */
  url: string;
  method: string;
  /** In order; a name may repeat. */
  headers: [string, string][];
  redirect: EgressRedirect;
  /**
   * null: no body. `data`: the whole body (base64, at most one chunk). `stream`: chunks
   * follow with `egress.write`; `length` when known (sent as Content-Length).
   */
  body: null | { data: string } | { stream: true; length: number | null };
}

export interface EgressHead {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The final URL (after redirects). */
  url: string;
  redirected: boolean;
  /** Whether the response has a body to read with `egress.read`. */
  body: boolean;
  /** A small body read with the head (at most one chunk, Content-Length known): no `egress.read` needed. */
  inline?: string;
}

/** The error behind a failure, as the child rebuilds it for `TypeError.cause`. */
export interface EgressCause {
  name: string;
  message: string;
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

/**
 * `network`: rejected as `TypeError: <message>` with `cause` (fetch failed, terminated);
 * `type`: a plain TypeError (invalid header, method); `abort`: the request was aborted.
 */
export interface EgressFailure {
  error: { kind: "network" | "type" | "abort"; message: string; cause?: EgressCause };
}

export type EgressFetchReply = { head: EgressHead } | EgressFailure;
export type EgressReadReply = { data: string; done: boolean } | EgressFailure;
export type EgressWriteReply = { ok: true } | EgressFailure;

export interface EgressConnect {
  /** Chosen by the child, from the same counter as request ids. */
  id: number;
  /** A name or an IP literal (brackets allowed), as in the URL. */
  host: string;
  port: number;
}

export type EgressConnectReply = { ok: true; remoteAddress: string; remotePort: number; remoteFamily: "IPv4" | "IPv6" } | EgressFailure;

/** Whether an `rpc` call is an egress call (the child is untrusted: `method` may be anything). */
export function isEgressMethod(method: unknown): boolean {
  return typeof method === "string" && method.startsWith("egress.");
}
