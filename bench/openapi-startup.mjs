#!/usr/bin/env node
// Start-up time with the OpenAPI document (docs/api.md#the-openapi-document-and-the-reference):
// `bifrost start` from spawn to the first 200 of /api/health, then the first GET
// /api/openapi.json (generated lazily) and the second (cached), median of RUNS (default 9).
// Give several checkouts (each built with `npm run build`) to compare them; runs alternate:
//   node bench/openapi-startup.mjs /path/to/before /path/to/after
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
const roots = process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL("..", import.meta.url))];
const RUNS = Number(process.env.RUNS ?? 9);
const KEY = "bench-admin-key-0123456789abcdef";
const results = Object.fromEntries(roots.map((r) => [r, { start: [], doc1: [], doc2: [] }]));
let port = 40000 + Math.floor(Math.random() * 20000);
for (let i = 0; i < RUNS; i++) {
  for (const root of roots) {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-startup-"));
    const p = ++port;
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(root, "packages/cli/dist/main.js"), "start"], {
      env: { ...process.env, BIFROST_DATA_DIR: join(dir, "data"), BIFROST_WORKSPACE: join(dir, "ws"), BIFROST_ADMIN_API_KEY: KEY, PORT: String(p), BIFROST_LOG_LEVEL: "silent", BIFROST_WORKERS: "1", BIFROST_WATCH: "false" },
      stdio: "ignore",
    });
    let exited = false;
    child.on("exit", () => (exited = true));
    for (;;) {
      if (exited) throw new Error(`${root}: bifrost start exited before answering (port ${p} taken?)`);
      try { if ((await fetch(`http://127.0.0.1:${p}/api/health`)).ok) break; } catch {}
      await new Promise((r) => setTimeout(r, 10));
    }
    results[root].start.push(performance.now() - t0);
    for (const k of ["doc1", "doc2"]) {
      const t1 = performance.now();
      const res = await fetch(`http://127.0.0.1:${p}/api/openapi.json`, { headers: { authorization: `Bearer ${KEY}` } });
      await res.text();
      results[root][k].push(res.ok ? performance.now() - t1 : NaN);
    }
    child.kill("SIGTERM");
    if (!exited) await new Promise((r) => child.on("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [root, r] of Object.entries(results)) console.log(root, "start-up median", median(r.start).toFixed(0), "ms (runs:", r.start.map((x) => x.toFixed(0)).join(" "), ") openapi.json first", median(r.doc1).toFixed(1), "ms, then", median(r.doc2).toFixed(1), "ms");
