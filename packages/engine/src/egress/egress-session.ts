import type { Socket } from "node:net";
import {
  EGRESS_CHUNK_BYTES,
  EgressMethod,
  type EgressConnectReply,
  type EgressFetchReply,
  type EgressReadReply,
  type EgressRequest,
  type EgressWriteReply,
} from "@bifrost/contracts/egress.js";
import { fetch as undiciFetch, type Agent } from "undici";
import { causeOf, failed, failureOf, MAX_B64, parseRequest, protocolError } from "./egress-wire.js";
import { Tunnel } from "./tunnel.js";
import { UploadPipe } from "./upload-pipe.js";

export interface SessionLimits {
  /** Requests of one run open at once (a response counts until its body is read or cancelled). */
  maxConcurrent: number;
  /** Requests of one run waiting for a free slot; past that a fetch fails at once. */
  maxQueued: number;
  /** node:http/https connections of one run open at once; past that a connection fails. */
  maxTunnels: number;
}

/** What a session performs requests with: the process's connection pool, and its dialer for tunnels. */
export interface SessionTransport {
  agent: Agent;
  dial: (host: string, port: number) => Promise<Socket>;
}

interface Flight {
  id: number;
  controller: AbortController;
  holdsSlot: boolean;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
  leftover: Uint8Array | null;
  /** A read of the body already under way (started to see whether the body ends now). */
  pending: Promise<Settled> | null;
  reading: Promise<unknown>;
  upload: UploadPipe | null;
}

/** One read of a response body, never rejecting. */
type Settled = { ok: true; done: true } | { ok: true; done: false; value: Uint8Array } | { ok: false; error: unknown };

/**
 * The requests of one run (task): what the child's `egress.*` calls act on. Requests wait
 * for one of `maxConcurrent` slots; `close()` — called when the task ends, however it
 * ends — aborts every request still open, and later calls fail.
 */
export class EgressSession {
  private readonly flights = new Map<number, Flight>();
  private readonly tunnels = new Map<number, Tunnel>();
  private readonly queue: { grant: () => void }[] = [];
  private active = 0;
  private closed = false;

  constructor(
    private readonly transport: SessionTransport,
    private readonly limits: SessionLimits,
    private readonly onClose?: () => void,
  ) {}

  /** Requests open now (for tests and health). */
  get open(): number {
    return this.flights.size + this.tunnels.size;
  }

  /** Performs one `egress.*` call of the child (never throws synchronously: the child's input is untrusted). */
  async handle(method: string, args: unknown[]): Promise<unknown> {
    if (!Array.isArray(args)) throw protocolError("arguments must be a list");
    switch (method) {
      case EgressMethod.fetch:
        return this.fetch(parseRequest(args[0]));
      case EgressMethod.read: {
        const flight = this.flightOf(args[0]);
        return flight ? this.read(flight) : failed("the request is no longer open (aborted, or the run ended)");
      }
      case EgressMethod.write: {
        const flight = this.flightOf(args[0]);
        // The server may answer before the body's end was written: the request is over then.
        return flight ? this.write(flight, args[1]) : failed("the request is no longer open");
      }
      case EgressMethod.abort:
        this.abort(args[0]);
        return null;
      case EgressMethod.connect:
        return this.connect(args[0]);
      case EgressMethod.send: {
        const tunnel = this.tunnelOf(args[0]);
        const data = args[1];
        if (data !== null && (typeof data !== "string" || data.length > MAX_B64)) throw protocolError("a chunk is base64 of at most one chunk, or null for the end");
        return tunnel ? tunnel.send(data === null ? null : Buffer.from(data, "base64")) : failed("the connection is closed");
      }
      case EgressMethod.recv: {
        const tunnel = this.tunnelOf(args[0]);
        return tunnel ? tunnel.recv() : failed("the connection is closed");
      }
      default:
        throw protocolError(`unknown call ${method}`);
    }
  }

  /** The task ended: every open request is aborted, waiting ones fail. */
  close(): void {
    if (!this.closed) this.onClose?.();
    this.closed = true;
    for (const id of [...this.flights.keys()]) this.abort(id, "the run ended");
    for (const id of [...this.tunnels.keys()]) this.abort(id);
  }

  private tunnelOf(id: unknown): Tunnel | undefined {
    if (!Number.isSafeInteger(id)) throw protocolError("the connection id must be an integer");
    return this.tunnels.get(id as number);
  }

  private async connect(raw: unknown): Promise<EgressConnectReply> {
    const r = raw as { id?: unknown; host?: unknown; port?: unknown } | null;
    if (!r || !Number.isSafeInteger(r.id) || (r.id as number) <= 0) throw protocolError("id must be a positive integer");
    if (typeof r.host !== "string" || r.host.length === 0 || r.host.length > 255) throw protocolError("host must be a name or an IP address");
    if (!Number.isInteger(r.port) || (r.port as number) < 1 || (r.port as number) > 65535) throw protocolError("port must be 1–65535");
    const id = r.id as number;
    if (this.closed) return failed("the run has ended");
    if (this.tunnels.has(id) || this.flights.has(id)) throw protocolError(`${id} is already open`);
    if (this.tunnels.size >= this.limits.maxTunnels) return failed(`too many connections at once (${this.limits.maxTunnels}): close the ones you do not need`);
    let socket: Socket;
    try {
      socket = await this.transport.dial(r.host, r.port as number);
    } catch (error) {
      return { error: { kind: "network", message: (error as Error).message, cause: causeOf(error) } };
    }
    if (this.closed) {
      socket.destroy();
      return failed("the run has ended");
    }
    const tunnel = new Tunnel(socket);
    this.tunnels.set(id, tunnel);
    socket.once("close", () => {
      if (this.tunnels.get(id) === tunnel) this.tunnels.delete(id);
    });
    return { ok: true, remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0, remoteFamily: socket.remoteFamily === "IPv6" ? "IPv6" : "IPv4" };
  }

  private flightOf(id: unknown): Flight | undefined {
    if (!Number.isSafeInteger(id)) throw protocolError("the request id must be an integer");
    return this.flights.get(id as number);
  }

  private async fetch(request: EgressRequest): Promise<EgressFetchReply> {
    if (this.closed) return failed("the run has ended");
    if (this.flights.has(request.id)) throw protocolError(`request ${request.id} is already open`);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return { error: { kind: "type", message: `Failed to parse URL from ${request.url}` } };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return failed(`only http: and https: URLs go through the egress path, not ${url.protocol}`);
    const flight: Flight = { id: request.id, controller: new AbortController(), holdsSlot: false, reader: null, leftover: null, pending: null, reading: Promise.resolve(), upload: null };
    this.flights.set(request.id, flight);
    try {
      await this.acquire(flight);
    } catch (error) {
      this.flights.delete(request.id);
      return error instanceof Error && error.name === "AbortError" ? failureOf(error) : failed(String((error as Error).message));
    }
    const headers = request.headers;
    let body: Uint8Array | ReadableStream<Uint8Array> | undefined;
    if (request.body && "data" in request.body) body = Buffer.from(request.body.data, "base64");
    else if (request.body) {
      flight.upload = new UploadPipe();
      body = flight.upload.stream;
      const length = request.body.length;
      if (length !== null) {
        // A known length goes out as Content-Length, not chunked (some servers need it).
        for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0].toLowerCase() === "content-length") headers.splice(i, 1);
        headers.push(["content-length", String(length)]);
      }
    }
    try {
      const res = await undiciFetch(url, {
        method: request.method,
        headers,
        redirect: request.redirect,
        signal: flight.controller.signal,
        dispatcher: this.transport.agent,
        ...(body !== undefined ? { body, duplex: "half" as const } : {}),
      });
      const head = {
        status: res.status,
        statusText: res.statusText,
        headers: [...res.headers],
        url: res.url,
        redirected: res.redirected,
        body: res.body !== null,
      };
      if (!res.body) {
        this.finish(request.id, flight);
        return { head };
      }
      flight.reader = res.body.getReader();
      // A small body goes with the head (one round trip for a small answer): when it is
      // announced as at most one chunk, or when it has already arrived. Never more than
      // one chunk is read ahead (a compressed body announced small is cut there too).
      const length = Number(res.headers.get("content-length") ?? NaN);
      const inline = await this.readAhead(flight, length >= 0 && length <= EGRESS_CHUNK_BYTES);
      if (inline !== null) return { head: { ...head, body: false, inline } };
      return { head };
    } catch (error) {
      this.finish(request.id, flight);
      return failureOf(error);
    }
  }

  /** The body's next read: the one under way, or a new one. */
  private take(flight: Flight): Promise<Settled> {
    const pending = flight.pending;
    flight.pending = null;
    return (
      pending ??
      flight.reader!.read().then(
        (r): Settled => (r.done ? { ok: true, done: true } : { ok: true, done: false, value: r.value }),
        (error: unknown): Settled => ({ ok: false, error }),
      )
    );
  }

  /** The next read if it completes before the event loop's next turn (the data is here), else null (it stays under way). */
  private async soon(flight: Flight): Promise<Settled | null> {
    const read = this.take(flight);
    let timer: NodeJS.Immediate | undefined;
    const late = new Promise<null>((resolve) => (timer = setImmediate(() => resolve(null))));
    const settled = await Promise.race([read, late]);
    clearImmediate(timer);
    if (settled === null) flight.pending = read;
    return settled;
  }

  /**
   * The whole body as base64 when it ends within one chunk (the request is then over);
   * `wait`: wait for it (announced small), else take only what has arrived. Null when it
   * continues: what was read stays for `egress.read`.
   */
  private async readAhead(flight: Flight, wait: boolean): Promise<string | null> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const r = wait ? await this.take(flight) : await this.soon(flight);
      if (r === null) break;
      if (!r.ok) throw r.error;
      if (r.done) {
        this.finish(flight.id, flight);
        return Buffer.concat(parts).toString("base64");
      }
      parts.push(r.value);
      size += r.value.length;
      if (size > EGRESS_CHUNK_BYTES) break;
    }
    if (parts.length > 0) flight.leftover = Buffer.concat(parts);
    return null;
  }

  private read(flight: Flight): Promise<EgressReadReply> {
    const next = flight.reading.then(() => this.readNext(flight));
    flight.reading = next.catch(() => undefined);
    return next;
  }

  private async readNext(flight: Flight): Promise<EgressReadReply> {
    const id = flight.id;
    if (this.flights.get(id) !== flight || !flight.reader) return failed("the request was aborted");
    let chunk: Uint8Array;
    if (flight.leftover) {
      chunk = flight.leftover;
      flight.leftover = null;
    } else {
      const r = await this.take(flight);
      if (!r.ok || r.done) {
        this.finish(id, flight);
        return r.ok ? { data: "", done: true } : failureOf(r.error);
      }
      chunk = r.value;
    }
    if (chunk.length > EGRESS_CHUNK_BYTES) {
      flight.leftover = chunk.subarray(EGRESS_CHUNK_BYTES);
      chunk = chunk.subarray(0, EGRESS_CHUNK_BYTES);
    }
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString("base64");
    if (!flight.leftover) {
      // Does the body end right here? Then say so now, saving the child a round trip.
      const next = await this.soon(flight);
      if (next?.ok && next.done) {
        this.finish(id, flight);
        return { data, done: true };
      }
      if (next?.ok) flight.leftover = next.value;
      else if (next) flight.pending = Promise.resolve(next); // the error is reported by the next read
    }
    return { data, done: false };
  }

  private write(flight: Flight, data: unknown): Promise<EgressWriteReply> {
    if (!flight.upload) throw protocolError("this request has no streamed body");
    if (data !== null && (typeof data !== "string" || data.length > MAX_B64)) throw protocolError("a body chunk is base64 of at most one chunk, or null for the end");
    return flight.upload.write(data === null ? null : Buffer.from(data, "base64"));
  }

  private abort(id: unknown, reason = "the request was aborted"): void {
    const tunnel = typeof id === "number" ? this.tunnels.get(id) : undefined;
    if (tunnel) {
      this.tunnels.delete(id as number);
      tunnel.close();
      return;
    }
    const flight = typeof id === "number" ? this.flights.get(id) : undefined;
    if (!flight) return;
    flight.controller.abort();
    flight.upload?.fail(reason);
    flight.reader?.cancel().catch(() => undefined);
    this.finish(id as number, flight);
  }

  /** The request is over: its slot goes to the next waiting one. */
  private finish(id: number, flight: Flight): void {
    if (this.flights.get(id) === flight) this.flights.delete(id);
    flight.upload?.fail("the request ended");
    if (!flight.holdsSlot) return;
    flight.holdsSlot = false;
    this.active--;
    this.queue.shift()?.grant();
  }

  private acquire(flight: Flight): Promise<void> {
    if (this.active < this.limits.maxConcurrent) {
      this.active++;
      flight.holdsSlot = true;
      return Promise.resolve();
    }
    if (this.queue.length >= this.limits.maxQueued) {
      return Promise.reject(new Error(`too many requests at once: ${this.limits.maxConcurrent} open and ${this.limits.maxQueued} waiting (read or cancel response bodies you do not need)`));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          flight.controller.signal.removeEventListener("abort", onAbort);
          this.active++;
          flight.holdsSlot = true;
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject(Object.assign(new Error("This operation was aborted"), { name: "AbortError" }));
      };
      flight.controller.signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
    });
  }
}
