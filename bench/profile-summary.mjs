#!/usr/bin/env node
// Summarizes V8 .cpuprofile files (from `node --cpu-prof`): the top functions by self time
// and by total (inclusive) time, and self time per file. Positions in the built packages
// (packages/*/dist/*.js) are mapped back to their TypeScript sources through the source maps.
//
//   node bench/profile-summary.mjs <file.cpuprofile>... [--top 15]
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const sourceMaps = new Map();

function sourceMapFor(file) {
  if (sourceMaps.has(file)) return sourceMaps.get(file);
  let map = null;
  try {
    const mapFile = `${file}.map`;
    if (existsSync(mapFile)) map = new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")));
  } catch {}
  sourceMaps.set(file, map);
  return map;
}

/** "file:line" for a call frame (1-based line), through the source map when there is one. */
function position(frame, root) {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return "";
  let file = url;
  if (url.startsWith("file://")) {
    try {
      file = fileURLToPath(url);
    } catch {}
  }
  let line = lineNumber + 1;
  if (file.startsWith("/") && lineNumber >= 0) {
    const map = sourceMapFor(file);
    const entry = map?.findEntry(lineNumber, Math.max(0, columnNumber));
    if (entry && entry.originalSource) {
      const src = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
      file = src;
      line = entry.originalLine + 1;
    }
  }
  if (file.startsWith("/")) {
    const rel = relative(root, file);
    if (!rel.startsWith("..")) file = rel;
  }
  return `${file}:${line}`;
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

function analyze(profile, root, window) {
  const byId = new Map();
  for (const node of profile.nodes) byId.set(node.id, node);
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);

  const keyOf = new Map(); // node id → function key
  const info = new Map(); // key → { name, where }
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = f.functionName || (f.url ? "(anonymous)" : "(native)");
    const key = `${name}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
    keyOf.set(node.id, key);
    if (!info.has(key)) info.set(key, { name, where: SPECIAL.has(name) ? "" : position(f, root), url: f.url });
  }

  // Sample i lasts until sample i+1 (timeDeltas are in microseconds).
  const { samples, timeDeltas } = profile;
  const self = new Map();
  const total = new Map();
  const callers = new Map(); // key → Map(caller key → ms)
  let idle = 0;
  let busy = 0;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    const dt = (i + 1 < timeDeltas.length ? timeDeltas[i + 1] : timeDeltas[i]) / 1000;
    if (!(dt > 0)) continue;
    if (window?.from && window?.to && (t < window.from || t > window.to)) continue;
    const id = samples[i];
    const key = keyOf.get(id);
    if (info.get(key).name === "(idle)") {
      idle += dt;
      continue;
    }
    busy += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
    const up = parent.get(id);
    if (up !== undefined) {
      const byCaller = callers.get(key) ?? new Map();
      callers.set(key, byCaller);
      const ck = keyOf.get(up);
      byCaller.set(ck, (byCaller.get(ck) ?? 0) + dt);
    }
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const k = keyOf.get(n);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  return { info, self, total, callers, idle, busy };
}

function merge(results) {
  const out = { info: new Map(), self: new Map(), total: new Map(), callers: new Map(), idle: 0, busy: 0 };
  for (const r of results) {
    for (const [k, v] of r.info) out.info.set(k, v);
    for (const [k, v] of r.self) out.self.set(k, (out.self.get(k) ?? 0) + v);
    for (const [k, v] of r.total) out.total.set(k, (out.total.get(k) ?? 0) + v);
    for (const [k, m] of r.callers) {
      const into = out.callers.get(k) ?? new Map();
      out.callers.set(k, into);
      for (const [c, v] of m) into.set(c, (into.get(c) ?? 0) + v);
    }
    out.idle += r.idle;
    out.busy += r.busy;
  }
  return out;
}

const ms = (n) => n.toFixed(0).padStart(8);
const pct = (n, of) => `${((100 * n) / of).toFixed(1).padStart(5)} %`;

export function summarizeProfiles(files, { top = 15, root = process.cwd(), window = null } = {}) {
  const r = merge(files.map((f) => analyze(JSON.parse(readFileSync(f, "utf8")), root, window)));
  const lines = [];
  lines.push(`  ${files.length} profile(s); busy ${r.busy.toFixed(0)} ms, idle ${r.idle.toFixed(0)} ms (${pct(r.busy, r.busy + r.idle).trim()} busy)`);
  lines.push("");
  lines.push(`  Top ${top} functions by self time (% of busy time):`);
  const selfRows = [...r.self].sort((a, b) => b[1] - a[1]).slice(0, top);
  selfRows.forEach(([k, v], i) => {
    const { name, where } = r.info.get(k);
    lines.push(`  ${String(i + 1).padStart(3)}. ${ms(v)} ms ${pct(v, r.busy)}  ${name}${where ? `  ${where}` : ""}`);
  });

  lines.push("");
  lines.push("  Direct callers of the top 5 (share of that function's self time):");
  for (const [k, v] of selfRows.slice(0, 5)) {
    const callers = [...(r.callers.get(k) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3);
    if (callers.length === 0) continue;
    lines.push(`       ${r.info.get(k).name}:`);
    for (const [c, cv] of callers) {
      const { name, where } = r.info.get(c);
      lines.push(`         ${pct(cv, v)}  ${name}${where ? `  ${where}` : ""}`);
    }
  }

  lines.push("");
  lines.push(`  Self time by file (top ${top}):`);
  const byFile = new Map();
  for (const [k, v] of r.self) {
    const { name, where } = r.info.get(k);
    const file = where ? where.replace(/:\d+$/, "") : name;
    byFile.set(file, (byFile.get(file) ?? 0) + v);
  }
  [...byFile]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([file, v]) => lines.push(`       ${ms(v)} ms ${pct(v, r.busy)}  ${file}`));

  lines.push("");
  lines.push(`  Top ${top} project functions (packages/) by total time, callees included:`);
  [...r.total]
    .filter(([k]) => r.info.get(k).where.startsWith("packages/"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, v], i) => {
      const { name, where } = r.info.get(k);
      lines.push(`  ${String(i + 1).padStart(3)}. ${ms(v)} ms ${pct(v, r.busy)}  ${name}  ${where}`);
    });
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  let top = 15;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--top") top = Number(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0) {
    console.error("usage: node bench/profile-summary.mjs <file.cpuprofile>... [--top 15]");
    process.exit(2);
  }
  console.log(summarizeProfiles(files, { top, root: join(dirname(fileURLToPath(import.meta.url)), "..") }));
}
