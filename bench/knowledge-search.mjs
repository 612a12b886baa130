#!/usr/bin/env node
// Knowledge search cost per backend: stores N chunks of D-dimension random vectors (10 chunks
// per document) and times vector search (sqlite-vec on SQLite, exact cosine in SQL on
// PostgreSQL) and full-text search over them. Both scan every candidate chunk, so time grows
// linearly with N × D. Run after `npm run build`:
//
//   node bench/knowledge-search.mjs sqlite 10000 1536
//   node bench/knowledge-search.mjs postgres 10000 1536   # BIFROST_TEST_POSTGRES_URL or 127.0.0.1:5432/test
//
// Results on the project's 2-core machine are in docs/sdk/knowledge.md ("Scale").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { openDatabase } from "@bifrost/storage/database.js";
import { KnowledgeRepo } from "@bifrost/storage/knowledge.repo.js";

const [backend = "sqlite", n = "10000", d = "1536"] = process.argv.slice(2);
const N = Number(n);
const D = Number(d);
const PER_DOCUMENT = 10;
let seed = 1;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
const vector = () => Array.from({ length: D }, random);

const dir = mkdtempSync(join(tmpdir(), "bifrost-kbench-"));
const schema = `kbench_${process.pid}`;
const database =
  backend === "postgres"
    ? await openDatabase(process.env.BIFROST_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test", { schema })
    : await openDatabase(join(dir, "bench.db"));
try {
  const repo = new KnowledgeRepo(database);
  let started = Date.now();
  for (let i = 0; i < N / PER_DOCUMENT; i++) {
    const chunks = Array.from({ length: PER_DOCUMENT }, (_, k) => `chunk ${i}-${k} with some words about topic ${k % 7}`);
    await repo.write("org", [
      { kind: "replace", namespace: "ns", key: `d${i}`, content: chunks.join("\n\n"), contentHash: `h${i}`, metadata: "{}", chunks, embedding: { model: "m", vectors: chunks.map(vector) } },
    ]);
  }
  console.log(`${backend} (${repo.vectors.name}): ${N} chunks of ${D} dimensions stored in ${Date.now() - started} ms`);
  const target = { scopes: ["org", "global"], namespaces: ["ns"], metadata: [], shadow: { by: "org", hides: "global" } };
  for (let r = 0; r < 3; r++) {
    started = performance.now();
    await repo.searchVectors(target, vector(), "m", { limit: 5 });
    console.log(`  vector search:    ${(performance.now() - started).toFixed(0)} ms`);
  }
  for (let r = 0; r < 3; r++) {
    started = performance.now();
    await repo.searchText(target, ["topic", "words", "3"], { limit: 5 });
    console.log(`  full-text search: ${(performance.now() - started).toFixed(0)} ms`);
  }
} finally {
  if (backend === "postgres") await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.db);
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
