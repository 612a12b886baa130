/**
 * The worker child's node:http and node:https: their agents get their connections from
 * the host (contracts/egress.ts, `egress.connect`), which opens the TCP connection under
 * the egress policy. HTTP and TLS run here, over that tunnel, so the libraries built on
 * node:http (axios, got, node-fetch, SOAP clients) work unchanged; certificates are
 * verified here, with the child's CA store (NODE_EXTRA_CA_CERTS applies).
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { Duplex } from "node:stream";
import tls from "node:tls";
import { currentScope } from "bifrost/runtime";
import { EGRESS_CHUNK_BYTES, EgressMethod, type EgressConnectReply, type EgressFailure, type EgressReadReply, type EgressWriteReply } from "@bifrost/contracts/egress.js";
import { nextEgressId } from "./egress-fetch.js";

type Call = (method: string, args: unknown[]) => Promise<unknown>;

/** The run a connection belongs to (its scope): the host closes it when that run ends. */
const RUN = Symbol("bifrost.egress.run");
type Tagged = { [RUN]?: object | undefined; destroyed: boolean; destroy(): void };

function errorOf(failure: EgressFailure): Error {
  const cause = failure.error.cause;
  return Object.assign(new Error(cause?.message ?? failure.error.message), cause ? { code: cause.code, syscall: cause.syscall, address: cause.address, port: cause.port } : {});
}

/**
 * A socket whose bytes travel over the host's tunnel. It answers the parts of the
 * net.Socket interface node:http and node:tls use (timeouts, keep-alive, ref, addresses).
 */
class TunnelSocket extends Duplex {
  connecting = true;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  readonly localAddress = "0.0.0.0";
  readonly localPort = 0;
  bytesRead = 0;
  bytesWritten = 0;
  private readonly ready: Promise<boolean>;
  private reading = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly call: Call,
    private readonly id: number,
    host: string,
    port: number,
  ) {
    super({ allowHalfOpen: false });
    this.ready = (call(EgressMethod.connect, [{ id, host, port }]) as Promise<EgressConnectReply>).then(
      (reply) => {
        if ("error" in reply) {
          this.destroy(errorOf(reply));
          return false;
        }
        this.connecting = false;
        this.remoteAddress = reply.remoteAddress;
        this.remotePort = reply.remotePort;
        this.remoteFamily = reply.remoteFamily;
        this.emit("connect");
        this.emit("ready");
        this.touch();
        return true;
      },
      (error: unknown) => {
        this.destroy(error as Error);
        return false;
      },
    );
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    void this.ready.then(async (ok) => {
      if (!ok) return;
      let reply: EgressReadReply;
      try {
        reply = (await this.call(EgressMethod.recv, [this.id])) as EgressReadReply;
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      this.reading = false;
      if ("error" in reply) return void this.destroy(errorOf(reply));
      this.touch();
      if (reply.data) {
        const bytes = Buffer.from(reply.data, "base64");
        this.bytesRead += bytes.length;
        this.push(bytes);
      }
      if (reply.done) this.push(null);
      else if (!reply.data) this._read();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    void this.ready.then(async (ok) => {
      if (!ok) return callback(new Error("the connection failed"));
      try {
        for (let at = 0; at < chunk.length; at += EGRESS_CHUNK_BYTES) {
          const piece = chunk.subarray(at, at + EGRESS_CHUNK_BYTES);
          const reply = (await this.call(EgressMethod.send, [this.id, piece.toString("base64")])) as EgressWriteReply;
          if ("error" in reply) return callback(errorOf(reply));
          this.bytesWritten += piece.length;
        }
        this.touch();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    void this.ready.then(async (ok) => {
      if (!ok) return callback();
      const reply = (await this.call(EgressMethod.send, [this.id, null]).catch(() => null)) as EgressWriteReply | null;
      callback(reply && "error" in reply ? errorOf(reply) : null);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    void this.call(EgressMethod.abort, [this.id]).catch(() => undefined);
    callback(error);
  }

  /** Like net.Socket: 'timeout' after `ms` without traffic (0 = off). */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.idleMs = ms;
    if (onTimeout) {
      if (ms === 0) this.removeListener("timeout", onTimeout);
      else this.once("timeout", onTimeout);
    }
    this.touch();
    return this;
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.idleMs > 0 && !this.destroyed) this.idleTimer = setTimeout(() => this.emit("timeout"), this.idleMs);
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: "IPv4", port: this.localPort };
  }
}

function tunnel(options: { host?: string | null; hostname?: string | null; port?: number | string | null }, defaultPort: number): TunnelSocket {
  const host = (options.hostname ?? options.host ?? "localhost").replace(/^\[(.*)\]$/, "$1");
  const port = Number(options.port) || defaultPort;
  const scope = currentScope();
  const call = scope?.call?.bind(scope);
  const socket = call
    ? new TunnelSocket(call, nextEgressId(), host, port)
    : new TunnelSocket(() => Promise.reject(new Error(`a connection to ${host}:${port} was opened outside a workflow run (at a module's top level, or after its run ended): worker processes have no network of their own`)), 0, host, port);
  (socket as unknown as Tagged)[RUN] = scope;
  return socket;
}

/**
 * Keep-alive agents keep idle connections for the next request, but a connection ends
 * with the run that opened it (the host closes its tunnel): before an agent picks an idle
 * connection, the ones of another run are dropped, so the request opens a fresh one.
 */
function dropOtherRunsSockets(agent: http.Agent): void {
  const scope = currentScope();
  const free = agent.freeSockets as Record<string, unknown[] | undefined>;
  for (const [name, sockets] of Object.entries(free)) {
    if (!sockets) continue;
    const keep = sockets.filter((socket) => {
      const tagged = socket as unknown as Tagged;
      if (!(RUN in tagged) || tagged[RUN] === scope) return !tagged.destroyed;
      tagged.destroy();
      return false;
    });
    if (keep.length > 0) free[name] = keep;
    else delete free[name];
  }
}

/** Points node:http's and node:https's agents (the global ones and every new one) at the host's tunnels. */
export function installEgressHttp(): void {
  const proto = http.Agent.prototype as http.Agent & { addRequest(req: unknown, options: unknown): void };
  const addRequest = proto.addRequest;
  proto.addRequest = function (this: http.Agent, req: unknown, options: unknown) {
    dropOtherRunsSockets(this);
    return addRequest.call(this, req, options);
  };
  http.Agent.prototype.createConnection = function createConnection(options: http.ClientRequestArgs) {
    return tunnel(options, 80);
  } as typeof http.Agent.prototype.createConnection;
  https.Agent.prototype.createConnection = function createConnection(options: https.RequestOptions & tls.ConnectionOptions) {
    const raw = tunnel(options, 443);
    const host = (options.hostname ?? options.host ?? "localhost").replace(/^\[(.*)\]$/, "$1");
    // TLS runs here, over the tunnel; SNI and the certificate check use the URL's name.
    const secure = tls.connect({ ...options, socket: raw, servername: options.servername ?? (isIP(host) ? undefined : host) });
    (secure as unknown as Tagged)[RUN] = (raw as unknown as Tagged)[RUN];
    return secure;
  } as unknown as typeof http.Agent.prototype.createConnection;
}
