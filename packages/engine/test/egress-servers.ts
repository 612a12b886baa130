/**
 * Real servers for the egress tests: a tiny DNS server on loopback UDP (so a
 * public-looking name can resolve to 127.0.0.1, as in DNS rebinding) and an HTTP server
 * whose routes exercise bodies, streaming, redirects and hanging requests.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface DnsServer {
  port: number;
  /** Every question asked, as `name/type`. */
  asked: string[];
  close(): Promise<void>;
}

/** Answers A queries for the names in `records` (several addresses = several answers); NXDOMAIN for others. */
export async function startDnsServer(records: Record<string, string[]>): Promise<DnsServer> {
  const socket: Socket = createSocket("udp4");
  const asked: string[] = [];
  socket.on("message", (query, peer) => {
    if (query.length < 12) return;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const len = query[at]!;
      labels.push(query.subarray(at + 1, at + 1 + len).toString("ascii"));
      at += len + 1;
    }
    const questionEnd = at + 5; // zero byte, qtype, qclass
    const name = labels.join(".").toLowerCase();
    const qtype = query.readUInt16BE(at + 1);
    asked.push(`${name}/${qtype === 1 ? "A" : qtype === 28 ? "AAAA" : qtype}`);
    const addresses = records[name];
    const answers = qtype === 1 && addresses ? addresses : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180 | (addresses ? 0 : 3), 2); // response, recursion available; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records_ = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0, as a rebinding attacker would answer
      rr.writeUInt16BE(4, 10);
      ip.split(".").forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      return rr;
    });
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), ...records_]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    asked,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A self-signed certificate for `name` (openssl), PEM. */
export function selfSignedCert(name: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-cert-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
      "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`,
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestHttpServer {
  port: number;
  url: string;
  /** Requests to /hang whose connection has closed (the client went away). */
  hangClosed: number;
  hangOpen: number;
  /** Bytes /huge has handed to the kernel so far. */
  hugeWritten: number;
  hugeClosed: boolean;
  /** Most requests in progress at once (for the concurrency cap). */
  maxInFlight: number;
  hits: string[];
  close(): Promise<void>;
}

/**
 * Routes: /echo (method, headers, body back as JSON), /hash (length and SHA-256 of the
 * body), /gated (a first chunk, the rest after /release), /huge (256 MiB, written only
 * as fast as it is read), /hang (never answers), /redirect?to=…&status=…, /status/<n>,
 * /gzip, /cookies, /slow-echo (answers after 50 ms).
 */
export async function startHttpServer(options: { tls?: { key: string; cert: string } } = {}): Promise<TestHttpServer> {
  let releaseGate: (() => void) | null = null;
  let inFlight = 0;
  const state: TestHttpServer = { port: 0, url: "", hangClosed: 0, hangOpen: 0, hugeWritten: 0, hugeClosed: false, maxInFlight: 0, hits: [], close: async () => undefined };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    state.hits.push(url.pathname);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    const collect = (done: (body: Buffer) => void) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => done(Buffer.concat(parts)));
    };
    switch (url.pathname) {
      case "/echo":
      case "/slow-echo":
        return collect((body) => {
          const answer = () =>
            res.writeHead(200, { "content-type": "application/json" }).end(
              JSON.stringify({
                method: req.method,
                headers: req.headers,
                body: body.toString("utf8"),
                servername: (req.socket as { servername?: string }).servername ?? null,
              }),
            );
          if (url.pathname === "/slow-echo") setTimeout(answer, 50);
          else answer();
        });
      case "/hash":
        return collect((body) =>
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              bytes: body.length,
              sha256: createHash("sha256").update(body).digest("hex"),
              contentLength: req.headers["content-length"] ?? null,
              transferEncoding: req.headers["transfer-encoding"] ?? null,
            }),
          ),
        );
      case "/gated":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first;");
        releaseGate = () => res.end("second");
        return;
      case "/release":
        releaseGate?.();
        releaseGate = null;
        return res.end("released");
      case "/huge": {
        state.hugeWritten = 0;
        state.hugeClosed = false;
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = () => {
          while (state.hugeWritten < 256 * 1024 * 1024) {
            state.hugeWritten += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end();
        };
        res.on("close", () => (state.hugeClosed = true));
        pump();
        return;
      }
      case "/written":
        return res.end(String(state.hugeWritten));
      case "/hang":
        state.hangOpen++;
        res.on("close", () => {
          state.hangOpen--;
          state.hangClosed++;
        });
        return;
      case "/redirect":
        return res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: url.searchParams.get("to") ?? "/echo" }).end();
      case "/gzip":
        return res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" }).end(gzipSync("unzipped text"));
      case "/cookies":
        return res.writeHead(200, [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["content-type", "text/plain"]]).end("ok");
      default: {
        const status = /^\/status\/(\d{3})$/.exec(url.pathname);
        if (status) return res.writeHead(Number(status[1])).end(Number(status[1]) === 204 ? undefined : `status ${status[1]}`);
        return res.writeHead(404).end("not found");
      }
    }
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as { port: number }).port;
  state.url = `${options.tls ? "https" : "http"}://127.0.0.1:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
