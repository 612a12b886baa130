/**
 * Workflows' fetch through the host: real worker children, the real egress service,
 * real servers on loopback (HTTP, HTTPS with a certificate for a name, DNS).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEgressMethod } from "@bifrost/contracts/egress.js";
import { compileEntry } from "@bifrost/engine/compiler/compiler.js";
import { EgressService } from "@bifrost/engine/egress/egress-service.js";
import { WorkerPool } from "@bifrost/engine/pool/worker-pool.js";
import { selfSignedCert, startDnsServer, startHttpServer, type DnsServer, type TestHttpServer } from "./egress-servers.js";
import { testContext } from "./context.js";

const dir = mkdtempSync(join(tmpdir(), "bifrost-egress-"));
const ws = join(dir, "ws");
const build = join(dir, "build");

const context = testContext();

const WORKFLOWS = `
import { createHash } from "node:crypto";
import { workflow, z } from "bifrost";
import { currentScope } from "bifrost/runtime";
import http from "node:http";
import https from "node:https";

const failure = (e: unknown) => {
  const err = e as Error & { cause?: Error & { code?: string } };
  return { ok: false, name: err.name, message: err.message, cause: err.cause?.message ?? null, code: err.cause?.code ?? null };
};
const P = z.object({ url: z.string().default(""), init: z.any().optional(), base: z.string().optional() });

export const get = workflow({ params: P }, async ({ url, init }) => {
  try {
    const res = await fetch(url, init);
    return { ok: true, status: res.status, statusText: res.statusText, url: res.url, redirected: res.redirected, location: res.headers.get("location"),
      contentType: res.headers.get("content-type"), cookies: res.headers.getSetCookie(), body: await res.text() };
  } catch (e) { return failure(e); }
});

export const bodies = workflow({ params: P }, async ({ url }) => {
  const form = new FormData();
  form.append("field", "value");
  form.append("file", new Blob(["file contents"], { type: "text/plain" }), "a.txt");
  const sent: Record<string, unknown> = {};
  const cases: [string, BodyInit][] = [
    ["string", "plain text"],
    ["bytes", new TextEncoder().encode("bytes body")],
    ["buffer", new TextEncoder().encode("array buffer").buffer],
    ["blob", new Blob(["blob body"], { type: "application/x-blob" })],
    ["params", new URLSearchParams({ a: "1", b: "two words" })],
    ["form", form],
  ];
  for (const [name, body] of cases) {
    const res = await fetch(url, { method: "POST", body, headers: { "x-case": name } });
    const echo = await res.json() as { method: string; headers: Record<string, string>; body: string };
    sent[name] = { method: echo.method, type: echo.headers["content-type"] ?? null, body: echo.body, header: echo.headers["x-case"] };
  }
  return sent;
});

/** Reads the first chunk of a body the server holds back, then releases the rest: only possible if the body streams. */
export const incremental = workflow({ params: P }, async ({ base }) => {
  const res = await fetch(base + "/gated");
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const first = decoder.decode((await reader.read()).value);
  await (await fetch(base + "/release")).text();
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decoder.decode(r.value);
  return { first, rest };
});

/** Reads one chunk of a 256 MiB body, waits, asks the server how much it could send, then cancels. */
export const backpressure = workflow({ params: P }, async ({ base }) => {
  const res = await fetch(base + "/huge");
  const reader = res.body!.getReader();
  const first = (await reader.read()).value!.length;
  await new Promise((r) => setTimeout(r, 700));
  const written = Number(await (await fetch(base + "/written")).text());
  await reader.cancel();
  return { first, written, heap: process.memoryUsage().rss };
});

// Helpers: the compiler records a workflow body's variables, and megabytes are not worth recording.
async function uploads(base: string) {
  const total = 8 * 1024 * 1024 + 123;
  const hash = createHash("sha256");
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(100_000, total - sent);
      const chunk = new Uint8Array(n).fill(sent % 251);
      hash.update(chunk);
      sent += n;
      controller.enqueue(chunk);
    },
  });
  const streamed = await (await fetch(base + "/hash", { method: "PUT", body: stream, duplex: "half" } as RequestInit)).json();
  const big = new Uint8Array(1024 * 1024 + 1).fill(42);
  const known = await (await fetch(base + "/hash", { method: "PUT", body: big })).json();
  return { streamed, expected: hash.digest("hex"), known, knownExpected: createHash("sha256").update(big).digest("hex") };
}
export const upload = workflow({ params: P }, async ({ base }) => uploads(base!));

export const abortable = workflow({ params: P }, async ({ base }) => {
  const started = Date.now();
  try {
    await fetch(base + "/hang", { signal: AbortSignal.timeout(200) });
    return { ok: true };
  } catch (e) {
    const controller = new AbortController();
    const res = await fetch(base + "/gated", { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort(new Error("stop reading"));
    let bodyError = null;
    try { await reader.read(); } catch (err) { bodyError = (err as Error).message; }
    await (await fetch(base + "/release")).text();
    return { name: (e as Error).name, ms: Date.now() - started, bodyError };
  }
});

/** Leaves a request open and returns: the host aborts it when the run ends. */
export const leak = workflow({ params: P }, async ({ base }) => {
  void fetch(base + "/hang").catch(() => undefined);
  await new Promise((r) => setTimeout(r, 100));
  return "returned";
});

export const crashes = workflow({ params: P }, async ({ base }) => {
  void fetch(base + "/hang").catch(() => undefined);
  await new Promise((r) => setTimeout(r, 150));
  process.exit(9);
});

export const hangs = workflow({ params: P }, async ({ base }) => {
  await fetch(base + "/hang");
  return "never";
});

/** Talks to the host's egress calls directly, as hostile code could. */
export const forged = workflow({ params: P }, async () => {
  const call = currentScope()!.call!;
  const out: string[] = [];
  for (const [method, args] of [
    ["egress.fetch", [null]],
    ["egress.fetch", [{ id: 1, url: "http://x", method: "GET\\r\\nX: y", headers: [], redirect: "follow", body: null }]],
    ["egress.fetch", [{ id: 2, url: "file:///etc/passwd", method: "GET", headers: [], redirect: "follow", body: null }]],
    ["egress.read", ["not-a-number"]],
    ["egress.read", [12345]],
    ["egress.write", [12345, "AAAA"]],
    ["egress.nothing", []],
    ["egress.read", "not a list"],
  ] as [string, unknown[]][]) {
    try { out.push(method + " -> " + JSON.stringify(await call(method, args))); } catch (e) { out.push(method + " !! " + (e as Error).message); }
  }
  return out;
});

type Answer = { status: number; headers: Record<string, unknown>; body: string };
function httpCall(url: string, options: https.RequestOptions = {}, body?: string): Promise<Answer> {
  const mod = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
const H = z.object({ url: z.string().default(""), base: z.string().default(""), ca: z.string().optional(), method: z.string().optional(), body: z.string().optional() });

export const nodeHttp = workflow({ params: H }, async ({ url, ca, method, body }) => {
  try {
    return { ok: true, ...(await httpCall(url, { method: method ?? "GET", ...(ca ? { ca } : {}) }, body)) };
  } catch (e) {
    return { ok: false, message: (e as Error).message, code: (e as { code?: string }).code ?? null };
  }
});

/** A keep-alive agent: two requests on one connection; then a body read before the server sent the rest. */
export const nodeHttpMore = workflow({ params: H }, async ({ base }) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const a = await httpCall(base + "/echo", { agent });
  const b = await httpCall(base + "/echo", { agent });
  agent.destroy();
  const first = await new Promise<string>((resolve, reject) => {
    http.get(base + "/gated", (res) => {
      res.setEncoding("utf8");
      let seen = "";
      res.on("data", (c: string) => {
        if (!seen) { seen = c; void httpCall(base + "/release"); }
        else seen += "|" + c;
      });
      res.on("end", () => resolve(seen));
    }).on("error", reject);
  });
  return { statuses: [a.status, b.status], first };
});

/** A raw connection that does not speak HTTP (SMTP-style) is closed by the host. */
export const rawTunnel = workflow({ params: H }, async ({ base }) => {
  const { port } = new URL(base);
  const socket = new http.Agent().createConnection({ host: "127.0.0.1", port: Number(port) }) as unknown as import("node:net").Socket;
  return new Promise((resolve) => {
    socket.on("error", (e) => resolve((e as Error).message));
    socket.write("EHLO mail.example\\r\\n");
  });
});

export const nodeHttpLeak = workflow({ params: H }, async ({ base }) => {
  http.get(base + "/hang").on("error", () => undefined);
  await new Promise((r) => setTimeout(r, 150));
  return "returned";
});

export const many = workflow({ params: P }, async ({ base }) => {
  const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => fetch(base + "/slow-echo?i=" + i, { method: "POST", body: String(i) }).then((r) => r.json() as Promise<{ body: string }>)));
  return answers.map((a) => a.body).join(",");
});

`;

let modulePath = "";
let topLevelPath = "";
let pool: WorkerPool;
let egress: EgressService;
let allowed: TestHttpServer;
let other: TestHttpServer;
let secure: TestHttpServer;
let dns: DnsServer;
let tls: { key: string; cert: string };

async function compile(name: string, source: string): Promise<string> {
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, `${name}.ts`), source);
  return (await compileEntry({ entryPath: join(ws, `${name}.ts`), mode: "module", rootDir: ws, outDir: build })).modulePath;
}

/** Runs an export with the egress session wired as the executor wires it; closes the session when the task ends. */
async function run(exportName: string, params: Record<string, unknown> = {}, timeoutMs = 15_000, path = modulePath) {
  const session = egress.session();
  const result = await pool.run(
    { type: "run", modulePath: path, exportName, params, context, maxVariableChars: 1000 },
    { timeoutMs, onRpc: (method, args) => (isEgressMethod(method) ? session.handle(method, args) : Promise.reject(new Error(`no SDK here: ${method}`))) },
  );
  session.close();
  return result;
}

async function result<T = Record<string, unknown>>(exportName: string, params: Record<string, unknown> = {}): Promise<T> {
  const r = await run(exportName, params);
  if (r.kind !== "done" || !r.outcome.ok) throw new Error(`${exportName} did not succeed: ${JSON.stringify(r)}`);
  return r.outcome.result as T;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  tls = selfSignedCert("api.example.test");
  [allowed, other, secure] = await Promise.all([startHttpServer(), startHttpServer(), startHttpServer({ tls })]);
  dns = await startDnsServer({
    "rebind.example.com": ["127.0.0.1"],
    "mixed.example.com": ["93.184.216.34", "127.0.0.1"],
    "api.example.test": ["127.0.0.1"],
    localhost: ["127.0.0.1"],
  });
  egress = new EgressService({
    allow: [`127.0.0.1:${allowed.port}`, `api.example.test:${secure.port}`],
    dnsServers: [`127.0.0.1:${dns.port}`],
    ca: tls.cert,
    maxConcurrentPerRun: 4,
    connectTimeoutMs: 2000,
  });
  modulePath = await compile("workflows", WORKFLOWS);
  topLevelPath = await compile(
    "toplevel",
    `import { workflow } from "bifrost";
const early = await fetch("${allowed.url}/echo").then(() => "fetched", (e: Error & { cause?: Error }) => e.name + ": " + e.message + ": " + e.cause?.message);
export const topLevel = workflow({}, async () => early);`,
  );
  pool = new WorkerPool({ size: 2, memoryLimitMb: 128, maxRunsPerChild: 1000, allowRead: [build] });
  await pool.start();
});

afterAll(async () => {
  await pool?.stop();
  await egress?.close();
  await Promise.all([allowed?.close(), other?.close(), secure?.close(), dns?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("what a workflow cannot reach", () => {
  it("PostgreSQL, Redis, RabbitMQ and the cloud metadata address are refused with an error that says why", async () => {
    for (const [url, where, why] of [
      ["http://127.0.0.1:5432/", "127.0.0.1:5432", "loopback"],
      ["http://127.0.0.1:6379/", "127.0.0.1:6379", "loopback"],
      ["http://127.0.0.1:5672/", "127.0.0.1:5672", "loopback"],
      ["http://169.254.169.254/latest/meta-data/", "169.254.169.254:80", "link-local: the cloud metadata service"],
    ]) {
      const r = await result("get", { url });
      expect(r, url).toEqual({
        ok: false,
        name: "TypeError",
        message: "fetch failed",
        cause: `egress to ${where} is not allowed (${why}); allow it with BIFROST_EGRESS_ALLOW`,
        code: "EGRESS_DENIED",
      });
    }
  });

  it("every spelling of loopback is refused: IPv6, IPv4-mapped, numeric, localhost, another port", async () => {
    const cases: [string, RegExp][] = [
      [`http://[::1]:${allowed.port}/`, /^egress to \[::1\]:\d+ is not allowed \(loopback\)/],
      [`http://[::ffff:127.0.0.1]:${other.port}/`, /^egress to \[::ffff:7f00:1\]:\d+ is not allowed \(loopback, IPv4-mapped\)/],
      [`http://0x7f000001:${other.port}/`, /^egress to 127\.0\.0\.1:\d+ is not allowed \(loopback\)/],
      [`http://127.1:${other.port}/`, /^egress to 127\.0\.0\.1:\d+ is not allowed/],
      [`http://localhost:${other.port}/`, /^egress to localhost:\d+ \(resolved to 127\.0\.0\.1\) is not allowed \(loopback\)/],
      [`${other.url}/echo`, new RegExp(`^egress to 127\\.0\\.0\\.1:${other.port} is not allowed \\(loopback\\)`)],
      ["http://10.255.255.1/", /^egress to 10\.255\.255\.1:80 is not allowed \(private\)/],
      ["http://[fe80::1]/", /^egress to \[fe80::1\]:80 is not allowed \(link-local\)/],
      ["http://0.0.0.0:5432/", /^egress to 0\.0\.0\.0:5432 is not allowed \(unspecified/],
    ];
    for (const [url, cause] of cases) {
      const r = await result<{ ok: boolean; cause: string }>("get", { url });
      expect(r.ok, url).toBe(false);
      expect(r.cause, url).toMatch(cause);
    }
    expect(other.hits).toEqual([]); // the refused server never saw a request
  });

  it("a public-looking name that resolves to 127.0.0.1 is refused (DNS rebinding), and so is one with a loopback answer among others", async () => {
    const rebound = await result("get", { url: `http://rebind.example.com:${other.port}/echo` });
    expect(rebound).toMatchObject({
      ok: false,
      message: "fetch failed",
      cause: `egress to rebind.example.com:${other.port} (resolved to 127.0.0.1) is not allowed (loopback); allow it with BIFROST_EGRESS_ALLOW`,
    });
    const mixed = await result("get", { url: `http://mixed.example.com:${other.port}/echo` });
    expect(mixed).toMatchObject({ ok: false, cause: expect.stringMatching(/^egress to mixed\.example\.com:\d+ \(resolved to 127\.0\.0\.1\) is not allowed/) });
    expect(dns.asked).toContain("rebind.example.com/A"); // resolved on the host, by the configured server
    expect(other.hits).toEqual([]);
    // An allowed address is allowed whatever name leads to it (the allow-list names 127.0.0.1:<port>).
    expect(await result("get", { url: `http://rebind.example.com:${allowed.port}/status/200` })).toMatchObject({ ok: true, status: 200 });
  });

  it("a redirect from an allowed server to a refused address is refused; manual and error modes behave as fetch does", async () => {
    const to = "http://127.0.0.1:5432/";
    const followed = await result("get", { url: `${allowed.url}/redirect?to=${encodeURIComponent(to)}` });
    expect(followed).toMatchObject({ ok: false, message: "fetch failed", cause: "egress to 127.0.0.1:5432 is not allowed (loopback); allow it with BIFROST_EGRESS_ALLOW" });
    const metadata = await result("get", { url: `${allowed.url}/redirect?status=307&to=${encodeURIComponent("http://169.254.169.254/latest")}` });
    expect(metadata).toMatchObject({ ok: false, cause: expect.stringMatching(/^egress to 169\.254\.169\.254:80 is not allowed/) });
    const manual = await result("get", { url: `${allowed.url}/redirect?to=${encodeURIComponent(to)}`, init: { redirect: "manual" } });
    expect(manual).toMatchObject({ ok: true, status: 302, location: to, redirected: false });
    const error = await result("get", { url: `${allowed.url}/redirect?to=/echo`, init: { redirect: "error" } });
    expect(error).toMatchObject({ ok: false, name: "TypeError", message: "fetch failed", cause: expect.stringMatching(/redirect/i) });
    const ok = await result("get", { url: `${allowed.url}/redirect?to=/status/200` });
    expect(ok).toMatchObject({ ok: true, status: 200, redirected: true, url: `${allowed.url}/status/200`, body: "status 200" });
  });

  it("malformed egress calls (hostile code talking to the host directly) are refused without harming the host", async () => {
    const out = await result<string[]>("forged");
    expect(out).toEqual([
      "egress.fetch !! egress: the request must be an object",
      "egress.fetch !! egress: method must be an HTTP token",
      expect.stringMatching(/^egress\.fetch -> .*only http: and https: URLs go through the egress path, not file:/),
      "egress.read !! egress: the request id must be an integer",
      expect.stringMatching(/^egress\.read -> .*no longer open/),
      expect.stringMatching(/^egress\.write -> .*no longer open/),
      "egress.nothing !! egress: unknown call egress.nothing",
      "egress.read !! egress: arguments must be a list",
    ]);
    // A method that is not even a string never reaches the egress session (nor throws in the host).
    expect([isEgressMethod(5), isEgressMethod(null), isEgressMethod("egress.fetch")]).toEqual([false, false, true]);
    expect(await result("get", { url: `${allowed.url}/status/200` })).toMatchObject({ ok: true });
  });

  it("fetch at a module's top level (outside a run) fails clearly", async () => {
    const r = await run("topLevel", {}, 15_000, topLevelPath);
    expect(r).toMatchObject({ kind: "done", outcome: { ok: true } });
    if (r.kind === "done" && r.outcome.ok) {
      expect(r.outcome.result).toMatch(/^TypeError: fetch failed: fetch\(http:\/\/127\.0\.0\.1:\d+\) ran outside a workflow run .*no network of their own/);
    }
  });
});

describe("what a workflow can do with an allowed server", () => {
  it("GET, status codes, headers, set-cookie, gzip and HEAD work as with Node's fetch", async () => {
    const echo = await result<{ ok: boolean; body: string; contentType: string }>("get", { url: `${allowed.url}/echo`, init: { headers: { "x-one": "1" } } });
    expect(echo).toMatchObject({ ok: true, status: 200, contentType: "application/json", url: `${allowed.url}/echo`, redirected: false });
    expect(JSON.parse(echo.body)).toMatchObject({ method: "GET", headers: { "x-one": "1", host: `127.0.0.1:${allowed.port}` } });
    expect(await result("get", { url: `${allowed.url}/status/404` })).toMatchObject({ ok: true, status: 404, body: "status 404" });
    expect(await result("get", { url: `${allowed.url}/status/204` })).toMatchObject({ ok: true, status: 204, body: "" });
    expect(await result("get", { url: `${allowed.url}/status/503` })).toMatchObject({ ok: true, status: 503, statusText: "Service Unavailable" });
    expect(await result("get", { url: `${allowed.url}/cookies` })).toMatchObject({ ok: true, cookies: ["a=1", "b=2"] });
    expect(await result("get", { url: `${allowed.url}/gzip` })).toMatchObject({ ok: true, body: "unzipped text" });
    expect(await result("get", { url: `${allowed.url}/echo`, init: { method: "HEAD" } })).toMatchObject({ ok: true, status: 200, body: "" });
    expect(await result("get", { url: "data:text/plain,local" })).toMatchObject({ ok: true, body: "local" });
  });

  it("HTTPS to an allowed name keeps the name for SNI, the certificate check and the Host header", async () => {
    const r = await result<{ ok: boolean; body: string }>("get", { url: `https://api.example.test:${secure.port}/echo` });
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.body)).toMatchObject({ servername: "api.example.test", headers: { host: `api.example.test:${secure.port}` } });
    // Streamed both ways over HTTPS: a body read before the server sent the rest, and an 8 MiB streamed upload.
    const base = `https://api.example.test:${secure.port}`;
    expect(await result("incremental", { base })).toEqual({ first: "first;", rest: "second" });
    const up = await result<{ streamed: { sha256: string; bytes: number }; expected: string }>("upload", { base });
    expect(up.streamed).toMatchObject({ bytes: 8 * 1024 * 1024 + 123, sha256: up.expected });
    // The same server by its address: the certificate does not name 127.0.0.1 (and the address is not allowed anyway).
    const byIp = await result("get", { url: `https://127.0.0.1:${secure.port}/echo` });
    expect(byIp).toMatchObject({ ok: false, cause: expect.stringMatching(/^egress to 127\.0\.0\.1:\d+ is not allowed/) });
  });

  it("request bodies of every kind arrive as sent", async () => {
    const sent = await result<Record<string, { method: string; type: string; body: string; header: string }>>("bodies", { url: `${allowed.url}/echo` });
    expect(sent.string).toEqual({ method: "POST", type: "text/plain;charset=UTF-8", body: "plain text", header: "string" });
    expect(sent.bytes).toMatchObject({ body: "bytes body", type: null });
    expect(sent.buffer).toMatchObject({ body: "array buffer" });
    expect(sent.blob).toMatchObject({ body: "blob body", type: "application/x-blob" });
    expect(sent.params).toMatchObject({ body: "a=1&b=two+words", type: "application/x-www-form-urlencoded;charset=UTF-8" });
    expect(sent.form!.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.form!.body).toContain('name="field"\r\n\r\nvalue');
    expect(sent.form!.body).toContain('filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile contents');
  });

  it("a response body streams: the first chunk is read before the server sent the rest", async () => {
    expect(await result("incremental", { base: allowed.url })).toEqual({ first: "first;", rest: "second" });
  });

  it("the host reads a large body only as fast as the workflow does (backpressure), and cancelling closes the download", async () => {
    const r = await result<{ first: number; written: number }>("backpressure", { base: allowed.url });
    expect(r.first).toBeGreaterThan(0);
    // 256 MiB offered; what left the server is what the kernel and undici buffer, not the whole body.
    expect(r.written).toBeLessThan(24 * 1024 * 1024);
    await eventually(() => allowed.hugeClosed, "the download to be closed");
  });

  it("a streamed request body (8 MiB, chunked) and a large in-memory one (with Content-Length) arrive intact", async () => {
    const r = await result<{ streamed: Record<string, unknown>; expected: string; known: Record<string, unknown>; knownExpected: string }>("upload", { base: allowed.url });
    expect(r.streamed).toEqual({ bytes: 8 * 1024 * 1024 + 123, sha256: r.expected, contentLength: null, transferEncoding: "chunked" });
    expect(r.known).toEqual({ bytes: 1024 * 1024 + 1, sha256: r.knownExpected, contentLength: String(1024 * 1024 + 1), transferEncoding: null });
  });

  it("an AbortSignal aborts the request on the host, before and after the response head", async () => {
    const closedBefore = allowed.hangClosed;
    const r = await result<{ name: string; ms: number; bodyError: string }>("abortable", { base: allowed.url });
    expect(r.name).toBe("TimeoutError");
    expect(r.ms).toBeLessThan(3000);
    expect(r.bodyError).toBe("stop reading");
    await eventually(() => allowed.hangClosed > closedBefore, "the aborted request's connection to close");
  });

  it("requests beyond the per-run cap wait for a slot instead of failing", async () => {
    allowed.maxInFlight = 0;
    expect(await result("many", { base: allowed.url })).toBe(Array.from({ length: 24 }, (_, i) => String(i)).join(","));
    expect(allowed.maxInFlight).toBeLessThanOrEqual(4);
  });
});

describe("node:http and node:https", () => {
  it("reach an allowed server through the host's tunnel, with TLS and SNI in the child", async () => {
    const plain = await result<{ ok: boolean; status: number; body: string }>("nodeHttp", { url: `${allowed.url}/echo` });
    expect(plain).toMatchObject({ ok: true, status: 200 });
    expect(JSON.parse(plain.body)).toMatchObject({ method: "GET", headers: { host: `127.0.0.1:${allowed.port}` } });
    const secured = await result<{ ok: boolean; body: string }>("nodeHttp", { url: `https://api.example.test:${secure.port}/echo`, ca: tls.cert });
    expect(secured.ok).toBe(true);
    expect(JSON.parse(secured.body)).toMatchObject({ servername: "api.example.test", headers: { host: `api.example.test:${secure.port}` } });
    const untrusted = await result("nodeHttp", { url: `https://api.example.test:${secure.port}/echo` });
    expect(untrusted).toMatchObject({ ok: false, code: "DEPTH_ZERO_SELF_SIGNED_CERT" }); // verified in the child, with its CA store
    const posted = await result<{ ok: boolean; body: string }>("nodeHttp", { url: `${allowed.url}/hash`, method: "PUT", body: "x".repeat(200_000) });
    expect(JSON.parse(posted.body)).toMatchObject({ bytes: 200_000 });
  });

  it("are refused the same addresses as fetch, with the same message", async () => {
    expect(await result("nodeHttp", { url: "http://127.0.0.1:5432/" })).toEqual({
      ok: false,
      message: "egress to 127.0.0.1:5432 is not allowed (loopback); allow it with BIFROST_EGRESS_ALLOW",
      code: "EGRESS_DENIED",
    });
    expect(await result("nodeHttp", { url: "http://169.254.169.254/latest/meta-data/" })).toMatchObject({ ok: false, code: "EGRESS_DENIED" });
    expect(await result("nodeHttp", { url: `http://rebind.example.com:${other.port}/` })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^egress to rebind\.example\.com:\d+ \(resolved to 127\.0\.0\.1\) is not allowed/),
    });
    expect(other.hits).toEqual([]);
  });

  it("keep-alive agents reuse a connection, bodies stream, and a connection that does not speak HTTP or TLS is closed", async () => {
    expect(await result("nodeHttpMore", { base: allowed.url })).toEqual({ statuses: [200, 200], first: "first;|second" });
    // The global agent keeps connections alive; one kept by an earlier run (its tunnel closed with it) is never reused.
    for (let i = 0; i < 4; i++) expect(await result("nodeHttp", { url: `${allowed.url}/status/200` }), `run ${i}`).toMatchObject({ ok: true, status: 200 });
    expect(await result("rawTunnel", { base: allowed.url })).toMatch(/may carry HTTP or TLS only/);
  });

  it("a connection left open when the run ends is closed by the host", async () => {
    const closedBefore = allowed.hangClosed;
    expect(await result("nodeHttpLeak", { base: allowed.url })).toBe("returned");
    await eventually(() => allowed.hangClosed > closedBefore && allowed.hangOpen === 0, "the tunnel to be closed");
  });
});

describe("the run ending ends its requests", () => {
  it("a request left open when the workflow returns is aborted on the host", async () => {
    const closedBefore = allowed.hangClosed;
    expect(await result("leak", { base: allowed.url })).toBe("returned");
    await eventually(() => allowed.hangClosed > closedBefore && allowed.hangOpen === 0, "the leaked request to be aborted");
  });

  it("a run that times out while waiting for a response has its request aborted", async () => {
    const closedBefore = allowed.hangClosed;
    const r = await run("hangs", { base: allowed.url }, 800);
    expect(r.kind).toBe("timeout");
    await eventually(() => allowed.hangClosed > closedBefore && allowed.hangOpen === 0, "the timed-out run's request to be aborted");
  });

  it("a run whose process crashes has its request aborted", async () => {
    const closedBefore = allowed.hangClosed;
    const r = await run("crashes", { base: allowed.url });
    expect(r).toMatchObject({ kind: "crashed", exitCode: 9 });
    await eventually(() => allowed.hangClosed > closedBefore && allowed.hangOpen === 0, "the crashed run's request to be aborted");
  });

  it("a cancelled run has its request aborted", async () => {
    const closedBefore = allowed.hangClosed;
    const controller = new AbortController();
    const session = egress.session();
    const pending = pool.run(
      { type: "run", modulePath, exportName: "hangs", params: { base: allowed.url }, context, maxVariableChars: 1000 },
      { timeoutMs: 15_000, signal: controller.signal, onRpc: (m, a) => session.handle(m, a) },
    );
    await eventually(() => allowed.hangOpen > 0, "the request to reach the server");
    controller.abort();
    expect((await pending).kind).toBe("cancelled");
    session.close();
    await eventually(() => allowed.hangClosed > closedBefore && allowed.hangOpen === 0, "the cancelled run's request to be aborted");
  });
});
