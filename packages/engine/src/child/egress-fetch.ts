/**
 * The worker child's `fetch`: the child has no network of its own (the worker sandbox
 * gives it none), so `globalThis.fetch` is replaced by one that asks the host to perform
 * the request (contracts/egress.ts). The host resolves the name, applies the egress
 * policy to every address and redirect, and hands the response body back chunk by chunk
 * as it is read here. `data:` and `blob:` URLs stay local.
 */
import { currentScope } from "bifrost/runtime";
import {
  EGRESS_CHUNK_BYTES,
  EgressMethod,
  type EgressFailure,
  type EgressFetchReply,
  type EgressHead,
  type EgressReadReply,
  type EgressRequest,
  type EgressWriteReply,
} from "@bifrost/contracts/egress.js";

type Call = (method: string, args: unknown[]) => Promise<unknown>;

/** Statuses whose responses have no body (a Response cannot be built with one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const noop = () => undefined;
let requestSeq = 0;

/** Ids of the run's requests and connections (one counter: the host keeps both in one space). */
export function nextEgressId(): number {
  return ++requestSeq;
}

/** A response body that nobody can read any more (garbage-collected) releases its host request. */
const unread = new FinalizationRegistry<{ id: number; call: Call; state: { done: boolean } }>(({ id, call, state }) => {
  if (!state.done) void call(EgressMethod.abort, [id]).catch(noop);
});

/** Replaces `globalThis.fetch` with the egress fetch (once, at the child's start). */
export function installEgressFetch(): void {
  const local = globalThis.fetch;
  globalThis.fetch = function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return egressFetch(local, input, init);
  };
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError("Received non-Uint8Array chunk");
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

function fromBase64(data: string): Uint8Array {
  const buffer = Buffer.from(data, "base64");
  // Small Buffers share Node's pool slab: hand out a copy that owns its memory.
  return buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length ? buffer : new Uint8Array(buffer);
}

function rebuild(failure: EgressFailure, signal: AbortSignal): unknown {
  const e = failure.error;
  if (e.kind === "abort") return signal.aborted ? signal.reason : new DOMException("This operation was aborted", "AbortError");
  if (e.kind === "type") return new TypeError(e.message);
  const cause = Object.assign(new Error(e.cause?.message ?? e.message), e.cause ?? {});
  return new TypeError(e.message, { cause });
}

const failedWith = (cause: unknown) => new TypeError("fetch failed", { cause });

function isStreamSource(body: unknown): boolean {
  if (body instanceof ReadableStream) return true;
  if (body === null || typeof body !== "object") return false;
  if (body instanceof Blob || body instanceof FormData || body instanceof URLSearchParams || ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return false;
  return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/** The request body as it crosses: inline, or announced and then written chunk by chunk. */
async function bodyOf(
  request: Request,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<{ wire: EgressRequest["body"]; next: (() => Promise<Uint8Array | null>) | null }> {
  if (request.body === null) return { wire: null, next: null };
  const streamed = init?.body !== undefined && init.body !== null ? isStreamSource(init.body) : input instanceof Request;
  if (!streamed) {
    // In memory already (string, bytes, Blob, FormData, URLSearchParams): its length is known.
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length <= EGRESS_CHUNK_BYTES) return { wire: { data: base64(bytes) }, next: null };
    let at = 0;
    return {
      wire: { stream: true, length: bytes.length },
      next: async () => {
        if (at >= bytes.length) return null;
        const chunk = bytes.subarray(at, at + EGRESS_CHUNK_BYTES);
        at += chunk.length;
        return chunk;
      },
    };
  }
  const reader = request.body.getReader();
  let pending: Uint8Array | null = null;
  return {
    wire: { stream: true, length: null },
    next: async () => {
      while (!pending || pending.length === 0) {
        const r = await reader.read();
        if (r.done) return null;
        pending = toBytes(r.value);
      }
      const chunk = pending.subarray(0, EGRESS_CHUNK_BYTES);
      pending = pending.subarray(chunk.length);
      return chunk;
    },
  };
}

async function egressFetch(local: typeof fetch, input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") return local(input, init);
  const scope = currentScope();
  if (!scope?.call) {
    throw failedWith(
      new Error(
        `fetch(${url.origin}) ran outside a workflow run (at a module's top level, or after its run ended): ` +
          "worker processes have no network of their own, and the platform performs a workflow's requests only while it runs",
      ),
    );
  }
  const call: Call = scope.call.bind(scope);
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  const id = nextEgressId();
  const { wire, next } = await bodyOf(request, input, init);
  const message: EgressRequest = { id, url: url.href, method: request.method, headers: [...request.headers], redirect: request.redirect, body: wire };

  let uploadError: unknown = null;
  const abortHost = () => void call(EgressMethod.abort, [id]).catch(noop);
  const pump = async (read: () => Promise<Uint8Array | null>) => {
    try {
      for (;;) {
        const chunk = await read();
        const reply = (await call(EgressMethod.write, [id, chunk === null ? null : base64(chunk)])) as EgressWriteReply;
        if ("error" in reply || chunk === null) return; // stopped: the fetch's answer says why
      }
    } catch (error) {
      uploadError = error; // the caller's body stream failed
      abortHost();
    }
  };

  let onAbort: () => void = noop;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      abortHost();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(noop);
  let reply: EgressFetchReply;
  try {
    const answer = call(EgressMethod.fetch, [message]) as Promise<EgressFetchReply>;
    if (next) void pump(next);
    reply = await Promise.race([answer, aborted]);
  } catch (error) {
    signal.removeEventListener("abort", onAbort);
    if (signal.aborted) throw signal.reason;
    throw failedWith(error); // the host refused the call itself (malformed, the run ended)
  }
  signal.removeEventListener("abort", onAbort);
  if ("error" in reply) {
    if (uploadError !== null) throw failedWith(uploadError);
    throw rebuild(reply, signal);
  }
  return toResponse(reply.head, id, call, signal);
}

function toResponse(head: EgressHead, id: number, call: Call, signal: AbortSignal): Response {
  const state = { done: !head.body };
  let body: Uint8Array | ReadableStream<Uint8Array> | null = null;
  if (head.inline !== undefined) body = fromBase64(head.inline);
  else if (head.body) body = bodyStream(id, call, signal, state);
  if (NULL_BODY.has(head.status)) {
    if (body instanceof ReadableStream) void body.cancel().catch(noop);
    body = null;
  }
  const response = new Response(body, { status: head.status, statusText: head.statusText, headers: head.headers });
  Object.defineProperties(response, {
    url: { value: head.url },
    redirected: { value: head.redirected },
    type: { value: "basic" },
  });
  // The stream, not the response: a caller may keep only the body's reader.
  if (body instanceof ReadableStream && !state.done) unread.register(body, { id, call, state });
  return response;
}

/** The response body: each read asks the host for the next chunk, which it reads from the server only then. */
function bodyStream(id: number, call: Call, signal: AbortSignal, state: { done: boolean }): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const onAbort = () => {
    if (state.done) return;
    state.done = true;
    void call(EgressMethod.abort, [id]).catch(noop);
    controller.error(signal.reason);
  };
  const end = () => {
    state.done = true;
    signal.removeEventListener("abort", onAbort);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        if (signal.aborted) onAbort(); // aborted between the head's arrival and now
        else signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(c) {
        for (;;) {
          let reply: EgressReadReply;
          try {
            reply = (await call(EgressMethod.read, [id])) as EgressReadReply;
          } catch (error) {
            if (state.done) return;
            end();
            c.error(new TypeError("terminated", { cause: error }));
            return;
          }
          if (state.done) return; // aborted while the read was on its way
          if ("error" in reply) {
            end();
            c.error(rebuild(reply, signal));
            return;
          }
          if (reply.data) c.enqueue(fromBase64(reply.data));
          if (reply.done) {
            end();
            c.close();
            return;
          }
          if (reply.data) return;
        }
      },
      cancel() {
        if (state.done) return;
        end();
        void call(EgressMethod.abort, [id]).catch(noop);
      },
    },
    { highWaterMark: 0 },
  );
}
