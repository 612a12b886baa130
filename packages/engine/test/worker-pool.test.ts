import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileEntry } from "@bifrost/engine/compiler/compiler.js";
import { WorkerPool } from "@bifrost/engine/pool/worker-pool.js";
import { testContext } from "./context.js";

const dir = mkdtempSync(join(tmpdir(), "bifrost-pool-"));
const ws = join(dir, "ws");
const build = join(dir, "build");

async function compile(name: string, source: string): Promise<string> {
  const { mkdirSync } = await import("node:fs");
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, `${name}.ts`), source);
  return (await compileEntry({ entryPath: join(ws, `${name}.ts`), mode: "module", rootDir: ws, outDir: build })).modulePath;
}

const context = testContext();

const WORKFLOWS = `
import { workflow, z, logger } from "bifrost";
// One id per child process (children run in PID namespaces: process.pid is the same in each).
const instance = crypto.randomUUID();
export const ok = workflow({}, async () => ({ pid: instance }));
export const exit = workflow({}, async () => { process.exit(3); });
export const hang = workflow({}, async () => { while (true) {} });
export const hog = workflow({}, async () => { const a: unknown[] = []; while (true) a.push(new Array(1e5).fill(Math.random())); });
export const buffers = workflow({}, async () => { const a: Buffer[] = []; for (let i = 0; i < 400; i++) { a.push(Buffer.alloc(8 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 5)); } return a.length; });
export const slow = workflow({}, async () => { logger.info("started"); await new Promise((r) => setTimeout(r, 10_000)); });
export const stray = workflow({}, async () => { setTimeout(() => { throw new Error("stray async error"); }, 10); await new Promise((r) => setTimeout(r, 2000)); });
`;

let modulePath = "";
let brokenPath = "";
let pool: WorkerPool;

const run = (exportName: string, timeoutMs = 5000, extra: Partial<Parameters<WorkerPool["run"]>[1]> = {}, path = modulePath) =>
  pool.run({ type: "run", modulePath: path, exportName, params: {}, context, maxVariableChars: 1000 }, { timeoutMs, ...extra });

/** The id of the child process that serves the next run. */
async function pidOfNextRun(): Promise<string> {
  const r = await run("ok");
  if (r.kind !== "done" || !r.outcome.ok) throw new Error(`ok run failed: ${JSON.stringify(r)}`);
  return (r.outcome.result as { pid: string }).pid;
}

beforeAll(async () => {
  modulePath = await compile("workflows", WORKFLOWS);
  brokenPath = await compile("broken", `import { workflow } from "bifrost";\nthrow new Error("cannot load me");\nexport const x = workflow({}, async () => 1);`);
  pool = new WorkerPool({ size: 1, memoryLimitMb: 64, rssHeadroomMb: 128, maxRunsPerChild: 1000 });
  await pool.start();
});

afterAll(async () => {
  await pool.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("worker pool failure paths", () => {
  it("runs a task in a child, not in this process", async () => {
    const pid = await pidOfNextRun();
    expect(pool.childPids()).not.toContain(process.pid);
    expect(pool.childPids()).toHaveLength(1);
    expect(await pidOfNextRun()).toBe(pid); // the same warm child serves the next run
  });

  it("a child that exits mid-run fails that run and is replaced", async () => {
    const before = await pidOfNextRun();
    const r = await run("exit");
    expect(r).toMatchObject({ kind: "crashed", exitCode: 3 });
    const after = await pidOfNextRun();
    expect(after).not.toBe(before);
  });

  it("a synchronous infinite loop is stopped at the timeout and the pool keeps serving", async () => {
    const started = Date.now();
    const r = await run("hang", 500);
    expect(r.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await pidOfNextRun()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a heap blow-up ends as a memory failure, not a crash of the host", async () => {
    const r = await run("hog", 20_000);
    expect(r.kind).toBe("memory");
    expect(await pidOfNextRun()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("memory outside the V8 heap (Buffers) is caught by the RSS cap", async () => {
    const r = await run("buffers", 20_000);
    expect(r).toMatchObject({ kind: "memory" });
    if (r.kind === "memory") expect(r.detail).toMatch(/MiB/);
  });

  it("kill -9 of a child mid-run fails the run as crashed", async () => {
    const pid = await pidOfNextRun();
    const pending = run("slow", 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const [hostPid] = pool.childPids();
    process.kill(hostPid!, "SIGKILL");
    const r = await pending;
    expect(r).toMatchObject({ kind: "crashed", signal: "SIGKILL" });
    expect(await pidOfNextRun()).not.toBe(pid);
  });

  it("cancelling a running task kills its child", async () => {
    const controller = new AbortController();
    const pending = run("slow", 15_000, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    expect((await pending).kind).toBe("cancelled");
  });

  it("cancelling a task still waiting for a child never runs it", async () => {
    const busyController = new AbortController();
    const busy = run("slow", 15_000, { signal: busyController.signal });
    const controller = new AbortController();
    let started = false;
    const waiting = run("ok", 5000, { signal: controller.signal, onStart: () => (started = true) });
    controller.abort();
    expect((await waiting).kind).toBe("cancelled");
    expect(started).toBe(false);
    busyController.abort();
    expect((await busy).kind).toBe("cancelled");
  });

  it("a module that fails to import fails the run and its child is never reused", async () => {
    const before = await pidOfNextRun();
    const r = await run("x", 5000, {}, brokenPath);
    expect(r.kind).toBe("done");
    if (r.kind === "done" && !r.outcome.ok) {
      expect(r.outcome.error.code).toBe("import");
      expect(r.outcome.error.message).toContain("cannot load me");
    } else throw new Error("expected an import failure");
    expect(await pidOfNextRun()).not.toBe(before);
  });

  it("an async error thrown outside the handler fails the run and retires the child", async () => {
    const before = await pidOfNextRun();
    const r = await run("stray");
    expect(r.kind).toBe("done");
    if (r.kind === "done") expect(r.outcome.ok ? "" : r.outcome.error.message).toContain("stray async error");
    expect(await pidOfNextRun()).not.toBe(before);
  });
});

describe("tenant isolation", () => {
  it("a child that ran one tenant's code never runs another tenant's task", async () => {
    const spy = await compile(
      "spy",
      `import { workflow } from "bifrost";
const seen: unknown[] = [];
process.on("message", (m) => seen.push(m));
const instance = crypto.randomUUID();
export const plant = workflow({}, async () => ({ pid: instance }));
export const report = workflow({}, async () => ({ pid: instance, seen: seen.length }));`,
    );
    const one = new WorkerPool({ size: 1, memoryLimitMb: 64, maxRunsPerChild: 100 });
    await one.start();
    try {
      const runAs = async (tenant: string, exportName: string) => {
        const r = await one.run({ type: "run", modulePath: spy, exportName, params: {}, context, maxVariableChars: 100 }, { timeoutMs: 5000, tenant });
        if (r.kind !== "done" || !r.outcome.ok) throw new Error(JSON.stringify(r));
        return r.outcome.result as { pid: string; seen?: number };
      };
      const a1 = await runAs("org:a", "plant");
      const a2 = await runAs("org:a", "report");
      expect(a2.pid).toBe(a1.pid); // the same tenant keeps its warm child…
      expect(a2.seen).toBe(1); // …where resident code does see later tasks (the attack this prevents)
      const b = await runAs("org:b", "report");
      expect(b.pid).not.toBe(a1.pid); // another tenant gets a fresh process…
      expect(b.seen).toBe(0); // …where nothing of tenant a's was ever resident
      const admin = await runAs("admin:a", "report");
      expect([a1.pid, b.pid]).not.toContain(admin.pid);
    } finally {
      await one.stop();
    }
  });
});

describe("worker pool lifecycle", () => {
  it("recycles a child after maxRunsPerChild runs", async () => {
    const small = new WorkerPool({ size: 1, memoryLimitMb: 64, maxRunsPerChild: 3 });
    await small.start();
    try {
      const pids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await small.run({ type: "run", modulePath, exportName: "ok", params: {}, context, maxVariableChars: 100 }, { timeoutMs: 5000 });
        if (r.kind !== "done" || !r.outcome.ok) throw new Error("run failed");
        pids.push((r.outcome.result as { pid: string }).pid);
      }
      expect(new Set(pids.slice(0, 3)).size).toBe(1);
      expect(new Set(pids.slice(3)).size).toBe(1);
      expect(pids[3]).not.toBe(pids[0]);
    } finally {
      await small.stop();
    }
  });

  it("a child that fails to start is not used, and respawns back off", async () => {
    const entry = join(dir, "dies.mjs");
    writeFileSync(entry, "process.exit(1);\n");
    const broken = new WorkerPool({ size: 1, memoryLimitMb: 64, maxRunsPerChild: 10, childEntry: entry, maxBackoffMs: 400 });
    await broken.start();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const failures = broken.stats().startFailures;
      // 100, 200, 400, 400 ms…: about 5 tries in 1.5 s, not hundreds.
      expect(failures).toBeGreaterThanOrEqual(3);
      expect(failures).toBeLessThanOrEqual(8);
      expect(broken.stats().idle).toBe(0);
      const controller = new AbortController();
      const pending = broken.run({ type: "run", modulePath, exportName: "ok", params: {}, context, maxVariableChars: 100 }, { timeoutMs: 1000, signal: controller.signal });
      setTimeout(() => controller.abort(), 3000);
      // No child is alive: the task fails clearly instead of waiting forever.
      const result = await pending;
      expect(result.kind).toBe("crashed");
      if (result.kind === "crashed") expect(result.stderr).toContain("no worker process could be started");
    } finally {
      await broken.stop();
    }
  });
});
