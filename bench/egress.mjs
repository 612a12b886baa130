// What a workflow's fetch costs when the host performs it (the egress path), next to
// Node's own fetch from the host process, against a loopback server. Standalone (not in
// `npm run bench`): `npm run build --silent && node bench/egress.mjs`.
//
//   BENCH_EGRESS_N=200          sequential small requests per side (after 100 warm-up ones)
//   BENCH_EGRESS_MB=32          size of the download and of the upload
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { compileEntry } = await import("../packages/engine/dist/compiler/compiler.js");
const { EgressService } = await import("../packages/engine/dist/egress/egress-service.js");
const { WorkerPool } = await import("../packages/engine/dist/pool/worker-pool.js");
const { isEgressMethod } = await import("../packages/contracts/dist/egress.js");

const N = Number(process.env.BENCH_EGRESS_N ?? 200);
const MB = Number(process.env.BENCH_EGRESS_MB ?? 32);

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/bytes") {
    const total = Number(url.searchParams.get("n"));
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const pump = () => {
      while (sent < total) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        sent += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      res.end();
    };
    return pump();
  }
  if (url.pathname === "/sink") {
    let n = 0;
    req.on("data", (c) => (n += c.length));
    req.on("end", () => res.end(String(n)));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const dir = mkdtempSync(join(tmpdir(), "bifrost-bench-egress-"));
const build = join(dir, "build");
writeFileSync(
  join(dir, "bench.ts"),
  `import http from "node:http";
import { workflow, z } from "bifrost";
import { currentScope } from "bifrost/runtime";
const P = z.object({ base: z.string(), n: z.number().default(0), bytes: z.number().default(0) });
export const small = workflow({ params: P }, async ({ base, n }) => {
  const started = performance.now();
  for (let i = 0; i < n; i++) await (await fetch(base + "/small")).json();
  return performance.now() - started;
});
const get = (url: string) => new Promise<string>((resolve, reject) => {
  http.get(url, (res) => { let t = ""; res.setEncoding("utf8"); res.on("data", (c: string) => (t += c)); res.on("end", () => resolve(t)); }).on("error", reject);
});
export const smallHttp = workflow({ params: P }, async ({ base, n }) => {
  const started = performance.now();
  for (let i = 0; i < n; i++) JSON.parse(await get(base + "/small"));
  return performance.now() - started;
});
/** The floor: one IPC round trip to the host that does nothing (aborting a request that is not open). */
export const roundTrip = workflow({ params: P }, async ({ n }) => {
  const call = currentScope()!.call!;
  const started = performance.now();
  for (let i = 0; i < n; i++) await call("egress.abort", [1e9]);
  return performance.now() - started;
});
export const download = workflow({ params: P }, async ({ base, bytes }) => {
  const started = performance.now();
  const got = (await (await fetch(base + "/bytes?n=" + bytes)).arrayBuffer()).byteLength;
  return { ms: performance.now() - started, got };
});
// In a helper: the compiler records a workflow body's variables, and a 32 MiB array is not one to record.
async function send(base: string, bytes: number) {
  const body = new Uint8Array(bytes).fill(2);
  const started = performance.now();
  const got = Number(await (await fetch(base + "/sink", { method: "POST", body })).text());
  return { ms: performance.now() - started, got };
}
export const upload = workflow({ params: P }, async ({ base, bytes }) => send(base, bytes));`,
);
const modulePath = (await compileEntry({ entryPath: join(dir, "bench.ts"), mode: "module", rootDir: dir, outDir: build })).modulePath;
const egress = new EgressService({ allow: [`127.0.0.1:${server.address().port}`] });
const pool = new WorkerPool({ size: 1, memoryLimitMb: 512, maxRunsPerChild: 1000, allowRead: [build] });
await pool.start();
const context = { executionId: "bench", workflowId: null, workflowName: "bench", orgId: null, orgName: null, userId: null, email: null, userName: null, isPlatformAdmin: true, isGlobalScope: true, parameters: {}, trigger: "api", roi: { timeSaved: 0, value: 0 }, attempt: 1 };

async function inWorkflow(exportName, params) {
  const session = egress.session();
  const r = await pool.run(
    { type: "run", modulePath, exportName, params: { base, ...params }, context, maxVariableChars: 100 },
    { timeoutMs: 120_000, onRpc: (m, a) => (isEgressMethod(m) ? session.handle(m, a) : Promise.reject(new Error(m))) },
  );
  session.close();
  if (r.kind !== "done" || !r.outcome.ok) throw new Error(`${exportName}: ${JSON.stringify(r)}`);
  return r.outcome.result;
}

async function direct(n) {
  const started = performance.now();
  for (let i = 0; i < n; i++) await (await fetch(base + "/small")).json();
  return performance.now() - started;
}

await direct(100);
await inWorkflow("small", { n: 100 });
await inWorkflow("smallHttp", { n: 100 });
const directMs = await direct(N);
const egressMs = await inWorkflow("small", { n: N });
const httpMs = await inWorkflow("smallHttp", { n: N });
const ipcMs = await inWorkflow("roundTrip", { n: N });
const bytes = MB * 1024 * 1024;
const t0 = performance.now();
await (await fetch(`${base}/bytes?n=${bytes}`)).arrayBuffer();
const directDownMs = performance.now() - t0;
const down = await inWorkflow("download", { bytes });
const t1 = performance.now();
await (await fetch(`${base}/sink`, { method: "POST", body: new Uint8Array(bytes).fill(2) })).text();
const directUpMs = performance.now() - t1;
const up = await inWorkflow("upload", { bytes });

const us = (ms) => ((ms * 1000) / N).toFixed(0).padStart(7);
const mbps = (ms) => (MB / (ms / 1000)).toFixed(0).padStart(7);
console.log(`\n  ${N} sequential small GETs (JSON {"ok":true}), loopback, one worker child`);
console.log(`                                   µs/request`);
console.log(`  Node fetch in the host process     ${us(directMs)}`);
console.log(`  workflow fetch via the host        ${us(egressMs)}    ratio ${(egressMs / directMs).toFixed(2)}×`);
console.log(`  workflow node:http via a tunnel    ${us(httpMs)}    ratio ${(httpMs / directMs).toFixed(2)}×  (keep-alive)`);
console.log(`  (one empty IPC round trip          ${us(ipcMs)})`);
console.log(`\n  ${MB} MiB body                         MiB/s direct   MiB/s egress`);
console.log(`  download (res.arrayBuffer())        ${mbps(directDownMs)}        ${mbps(down.ms)}`);
console.log(`  upload (Uint8Array body)            ${mbps(directUpMs)}        ${mbps(up.ms)}`);
if (down.got !== bytes || up.got !== bytes) console.log(`  size mismatch: ${down.got} / ${up.got} of ${bytes}`);

await pool.stop();
await egress.close();
server.close();
rmSync(dir, { recursive: true, force: true });
