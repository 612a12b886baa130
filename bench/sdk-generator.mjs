#!/usr/bin/env node
// SDK generator speed on GitHub's full REST description (@octokit/openapi, ≈1,200
// operations, 13 MB of JSON): the time to generate the module (parse excluded: the
// document is read once), and the time for tsc to type-check it under the project's strict
// tsconfig (tsconfig.base.json, noEmit). Goals: generate < 10 s, type-check < 30 s.
// Run after `npm run build`:
//
//   node bench/sdk-generator.mjs            # 3 generation rounds, 1 type-check
//   BENCH_SDK_ROUNDS=5 node bench/sdk-generator.mjs
//
// Results on the project's 2-core machine are in docs/sdk-generator.md ("Speed").
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { generateSdk } from "@bifrost/server/features/sdk-generator/generator.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rounds = Number(process.env.BENCH_SDK_ROUNDS ?? 3);
const document = JSON.parse(readFileSync(join(root, "node_modules/@octokit/openapi/generated/api.github.com.json"), "utf8"));

// Wall time, and this process's CPU time: on a shared, loaded machine the two differ a lot.
const times = [];
const cpu = [];
let sdk;
for (let i = 0; i < rounds; i++) {
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  sdk = await generateSdk({ name: "github", document });
  times.push(performance.now() - started);
  const used = process.cpuUsage(startedCpu);
  cpu.push((used.user + used.system) / 1000);
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`GitHub REST description: ${sdk.operations} operations (${sdk.paginated} paginated), module ${(Buffer.byteLength(sdk.source) / 1024 / 1024).toFixed(1)} MB`);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.availableParallelism()} cores`);
console.log(`generate: median ${s(times[Math.floor(times.length / 2)])}, best ${s(times[0])}, worst ${s(times.at(-1))} wall over ${rounds} rounds; CPU median ${s(cpu[Math.floor(cpu.length / 2)])} (goal < 10 s)`);

// Inside the repository, so the module resolves "bifrost" and @types/node as a workspace does.
const dir = mkdtempSync(join(root, ".bench-sdk-"));
try {
  writeFileSync(join(dir, "github.ts"), sdk.source);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../tsconfig.base.json", compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, sourceMap: false, incremental: false }, files: ["github.ts"] }),
  );
  // In this process (the TypeScript API tsc itself uses), so its CPU time can be measured too.
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const config = ts.getParsedCommandLineOfConfigFile(join(dir, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
  const program = ts.createProgram(config.fileNames, config.options);
  const problems = ts.getPreEmitDiagnostics(program);
  const used = process.cpuUsage(startedCpu);
  if (problems.length > 0) throw new Error(ts.formatDiagnostics(problems.slice(0, 5), { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => "\n" }));
  console.log(`type-check (strict, noEmit, no errors): ${s(performance.now() - started)} wall, CPU ${s((used.user + used.system) / 1000)} (goal < 30 s)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
