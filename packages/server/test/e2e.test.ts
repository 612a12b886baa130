import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, startTestPlatform, type TestPlatform, freePort } from "./helpers.js";

const CLI = join(import.meta.dirname, "../../cli/dist/main.js");

/** The environment of a CLI process on one temp folder (data in `dir/data`, workspace in `dir/ws`). */
const cliEnv = (dir: string, port: number) => ({
  ...process.env,
  PORT: String(port),
  BIFROST_DATA_DIR: join(dir, "data"),
  BIFROST_WORKSPACE: join(dir, "ws"),
  BIFROST_ADMIN_API_KEY: ADMIN_KEY,
  BIFROST_WORKERS: "1",
  BIFROST_WATCH: "false",
});

/**
 * Waits until a spawned CLI process prints `ready`: up to 30 s, as the CLI's own tests
 * allow `bifrost start` (about 2.5 s on a quiet machine, several times that under load).
 * Fails at once if the process exits, and says what it printed either way.
 */
async function printed(proc: ChildProcess, output: () => string, ready: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output().includes(ready)) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}) before printing "${ready}": ${output() || "(nothing)"}`);
    if (Date.now() > deadline) throw new Error(`${what} printed no "${ready}" within ${timeoutMs} ms: ${output() || "(nothing)"}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** Waits until an execution reaches `status` and returns its record. */
function runReaching(base: string, id: string, status: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const r = (await api(base, "GET", `/api/executions/${id}`)).json;
    return r.status === status ? r : undefined;
  }, timeoutMs, `execution ${id} to be ${status}`);
}

/**
 * Waits until a queued run has started in a worker child. Running alone is not enough: a
 * run is Running from its claim, and one claimed but not yet taken by a child when the
 * host dies is queued again as the same attempt (recovery), not marked Stuck or retried.
 */
function runStarted(base: string, id: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const r = (await api(base, "GET", `/api/executions/${id}`)).json;
    return r.status === "Running" && r.startedAt ? r : undefined;
  }, timeoutMs, `execution ${id} to start in a worker child`);
}

/** Reads an SSE response into events until the stream ends. */
async function readSse(res: Response, onEvent?: (e: { id?: string; event: string; data: any }) => void) {
  const events: { id?: string; event: string; data: any }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let idx;
    while ((idx = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      const e: { id?: string; event: string; data: any } = { event: "message", data: null };
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) e.id = line.slice(4);
        else if (line.startsWith("event: ")) e.event = line.slice(7);
        else if (line.startsWith("data: ")) e.data = JSON.parse(line.slice(6));
      }
      if (e.data !== null) {
        events.push(e);
        onEvent?.(e);
      }
    }
  }
  return events;
}

describe("live server", () => {
  let t: TestPlatform;
  let base: string;

  beforeAll(async () => {
    t = await startTestPlatform(
      {
        "stream.ts": `
import { workflow, z, logger } from "bifrost";
export const ticker = workflow({ params: z.object({ n: z.int() }) }, async ({ n }) => {
  for (let i = 1; i <= n; i++) {
    logger.info("tick " + i);
    await new Promise((r) => setTimeout(r, 120));
  }
  return n;
});`,
      },
      { BIFROST_WATCH: "true" },
      { listen: true },
    );
    base = t.platform.url!;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("streams log lines live while the run goes on, then the final status", async () => {
    const { json } = await api(base, "POST", "/api/workflows/ticker/run", { n: 8 });
    const res = await fetch(`${base}/api/executions/${json.executionId}/logs/stream`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const arrivals: number[] = [];
    const events = await readSse(res, (e) => e.event === "log" && arrivals.push(Date.now()));
    const logs = events.filter((e) => e.event === "log");
    expect(logs.map((e) => e.data.message)).toEqual(Array.from({ length: 8 }, (_, i) => `tick ${i + 1}`));
    expect(logs.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // live, not all at the end: the lines arrived spread over the run (about 840 ms of ticks; a
    // loaded machine may bunch a few together, never all of them)
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(250);
    expect(events.at(-1)).toMatchObject({ event: "end", data: { status: "Success" } });
  });

  it("resumes after Last-Event-ID without gaps or repeats", async () => {
    const { json } = await api(base, "POST", "/api/workflows/ticker/execute", { n: 5 });
    const res = await fetch(`${base}/api/executions/${json.id}/logs/stream`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, "last-event-id": "3" } });
    const events = await readSse(res);
    expect(events.filter((e) => e.event === "log").map((e) => e.data.message)).toEqual(["tick 4", "tick 5"]);
  });

  it("registers a saved file within a second, and drops it when deleted", async () => {
    const saved = Date.now();
    t.write("fresh.ts", `import { workflow, z } from "bifrost";\nexport const fresh = workflow({ params: z.object({ name: z.string().min(1) }) }, async ({ name }) => "hi " + name);`);
    await eventually(async () => ((await api(base, "GET", "/api/workflows/fresh")).status === 200 ? true : undefined), 3000, "fresh to be listed");
    expect(Date.now() - saved).toBeLessThan(1000);
    expect((await api(base, "POST", "/api/workflows/fresh/execute", { name: "x" })).json.result).toBe("hi x");

    t.write("fresh.ts", `import { workflow } from "bifrost";\nexport const fresh = workflow({}, async () => "changed");`);
    await eventually(async () => ((await api(base, "POST", "/api/workflows/fresh/execute", {})).json.result === "changed" ? true : undefined), 3000, "the change to be live");

    unlinkSync(join(t.workspace, "fresh.ts"));
    await eventually(async () => ((await api(base, "GET", "/api/workflows/fresh")).status === 404 ? true : undefined), 3000, "fresh to be gone");
  });

  it("re-registers a workflow when a helper file it imports changes", async () => {
    t.write("lib/greet.ts", `export const greet = (n: string) => "v1 " + n;`);
    t.write("uses-lib.ts", `import { workflow } from "bifrost";\nimport { greet } from "./lib/greet";\nexport const usesLib = workflow({}, async () => greet("x"));`);
    await eventually(async () => ((await api(base, "POST", "/api/workflows/usesLib/execute", {})).json.result === "v1 x" ? true : undefined), 3000, "usesLib v1");
    t.write("lib/greet.ts", `export const greet = (n: string) => "v2 " + n;`);
    await eventually(async () => ((await api(base, "POST", "/api/workflows/usesLib/execute", {})).json.result === "v2 x" ? true : undefined), 3000, "usesLib v2");
  });
});

describe("host restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-restart-"));
  let proc: ChildProcess | null = null;
  let port = 0;

  async function startCli(): Promise<string> {
    port = port || (await freePort());
    proc = spawn(process.execPath, [CLI, "start"], { env: cliEnv(dir, port), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout!.on("data", (c) => (out += c));
    proc.stderr!.on("data", (c) => (out += c));
    await printed(proc, () => out, "listening", "bifrost start");
    return `http://127.0.0.1:${port}`;
  }

  beforeAll(() => {
    mkdirSync(join(dir, "ws"), { recursive: true });
    writeFileSync(
      join(dir, "ws", "jobs.ts"),
      `import { workflow, z } from "bifrost";
export const long = workflow({}, async () => { await new Promise((r) => setTimeout(r, 60_000)); return "never"; });
export const quick = workflow({ params: z.object({ i: z.int() }) }, async ({ i }) => i * 2);
export const resilient = workflow({ retryPolicy: { maxRetries: 1, delaySeconds: 0, retryOn: ["crashed"] } }, async () => "second life");
`,
    );
  });
  afterAll(() => {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("after kill -9 of the host: queued runs still run, the running one is marked Stuck, never left Running", async () => {
    let base = await startCli();
    const running = (await api(base, "POST", "/api/workflows/long/run", {})).json.executionId;
    await runStarted(base, running);
    // The only worker is busy, so these wait in the durable queue.
    const queued: string[] = [];
    for (let i = 0; i < 5; i++) queued.push((await api(base, "POST", "/api/workflows/quick/run", { i })).json.executionId);
    const delayed = (await api(base, "POST", "/api/workflows/quick/run?delaySeconds=2", { i: 100 })).json.executionId;

    proc!.kill("SIGKILL");
    await new Promise((r) => proc!.once("exit", r));

    base = await startCli();
    const stuck = await runReaching(base, running, "Stuck");
    expect(stuck.errorType).toBe("Stuck");
    for (const [i, id] of queued.entries()) expect((await runReaching(base, id, "Success")).result).toBe(i * 2);
    const late = await runReaching(base, delayed, "Success");
    expect(late.result).toBe(200);
  }, 120_000);

  it("a run whose policy retries crashes is retried after a host crash", async () => {
    let base = `http://127.0.0.1:${port}`;
    // Occupy the worker so `resilient` is claimed but we can kill the host while it is Running.
    writeFileSync(
      join(dir, "ws", "jobs.ts"),
      `import { workflow, z, context } from "bifrost";
export const long = workflow({}, async () => { await new Promise((r) => setTimeout(r, 60_000)); return "never"; });
export const quick = workflow({ params: z.object({ i: z.int() }) }, async ({ i }) => i * 2);
export const resilient = workflow({ retryPolicy: { maxRetries: 1, delaySeconds: 0, retryOn: ["crashed"] } }, async () => {
  if (context.attempt === 1) await new Promise((r) => setTimeout(r, 60_000));
  return "second life";
});
`,
    );
    proc!.kill("SIGKILL");
    await new Promise((r) => proc!.once("exit", r));
    base = await startCli();
    const id = (await api(base, "POST", "/api/workflows/resilient/run", {})).json.executionId;
    await runStarted(base, id);
    proc!.kill("SIGKILL");
    await new Promise((r) => proc!.once("exit", r));
    base = await startCli();
    const e = await runReaching(base, id, "Success");
    expect(e.result).toBe("second life");
    expect(e.attempt).toBe(2);
    expect(e.attempts[0]).toMatchObject({ attempt: 1, status: "Stuck" });
  }, 120_000);

  it("refuses to start a second platform on the same data directory", async () => {
    const second = spawn(process.execPath, [CLI, "start"], {
      env: { ...process.env, PORT: String(await freePort()), BIFROST_DATA_DIR: join(dir, "data"), BIFROST_WORKSPACE: join(dir, "ws"), BIFROST_ADMIN_API_KEY: ADMIN_KEY },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let err = "";
      second.stderr!.on("data", (c) => (err += c));
      const code = await new Promise((r) => second.once("exit", r));
      expect(code).toBe(1);
      expect(err).toContain("in use by another Bifrost process");
    } finally {
      // If it timed out, it must not go on: once the first platform is gone it would start.
      if (second.exitCode === null) second.kill("SIGKILL");
    }
  }, 60_000);
});

describe("two scheduler processes on one database", () => {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-2sched-"));
  const procs: ChildProcess[] = [];

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("fire each tick at most once: each fired tick has exactly one run, and each tick not fired was logged as skipped", async () => {
    mkdirSync(join(dir, "ws"), { recursive: true });
    writeFileSync(join(dir, "ws", "tick.ts"), `import { workflow } from "bifrost";\nexport const tick = workflow({ name: "tick", schedule: "* * * * * *" }, async () => "t");\n`);
    const port = await freePort();
    const env = cliEnv(dir, port);
    const outputs: string[] = [];
    const start = (args: string[], ready: string) => {
      const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      procs.push(p);
      const i = outputs.push("") - 1;
      p.stdout!.on("data", (c) => (outputs[i] += c));
      p.stderr!.on("data", (c) => (outputs[i] += c));
      return printed(p, () => outputs[i]!, ready, `bifrost ${args[0]}`);
    };
    await start(["start"], "listening");
    await start(["scheduler"], "scheduler");
    // Side by side for 5 s, and until three ticks fired (on a loaded machine a run can
    // outlast a second: the next tick is then skipped, as overlap "skip" says).
    const since = Date.now();
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => (Date.now() - since >= 5000 && (await api(base, "GET", "/api/executions?workflow=tick&trigger=schedule&limit=500")).json.executions.length >= 3 ? true : undefined),
      30_000,
      "three scheduled runs",
    );
    // Stopped, not killed: a scheduler's pass in flight ends, so no tick is left claimed without its run.
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once("exit", r)))));

    const db = new Database(join(dir, "data", "bifrost.db"), { readonly: true });
    try {
      const ticks = db.prepare("select tick, execution_id, fired_by from schedule_ticks order by tick").all() as { tick: string; execution_id: string | null; fired_by: string }[];
      const runs = db.prepare("select id from executions where trigger = 'schedule'").all() as { id: string }[];
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      // no tick twice (the primary key would refuse it), one run per fired tick, and no run
      // without its tick (a tick fired twice would leave a second run)
      expect(new Set(ticks.map((x) => x.tick)).size).toBe(ticks.length);
      expect(ticks.filter((x) => x.execution_id === null)).toEqual([]);
      expect(new Set(ticks.map((x) => x.execution_id)).size).toBe(ticks.length);
      expect(runs.map((r) => r.id).sort()).toEqual(ticks.map((x) => x.execution_id).sort());
      // every second between the first and the last fired tick: fired, or skipped with a log line saying so
      const logs = outputs.join("\n");
      const fired = new Set(ticks.map((x) => x.tick));
      const silent: string[] = [];
      for (let ms = Date.parse(ticks[0]!.tick); ms <= Date.parse(ticks.at(-1)!.tick); ms += 1000) {
        const tick = new Date(ms).toISOString();
        if (!fired.has(tick) && !logs.includes(`schedule of tick: tick ${tick} skipped`)) silent.push(tick);
      }
      expect(silent, logs).toEqual([]);
    } finally {
      db.close();
    }
  }, 120_000);
});

describe("compiled code by content hash", () => {
  it("a wiped build folder heals: bundles come back from the database, checked against their hash", async () => {
    const { loadConfig } = await import("@bifrost/server/config.js");
    const { startPlatform } = await import("@bifrost/server/platform.js");
    const dir = mkdtempSync(join(tmpdir(), "bifrost-modules-"));
    const config = loadConfig({
      BIFROST_DATA_DIR: join(dir, "data"),
      BIFROST_WORKSPACE: join(dir, "ws"),
      BIFROST_ADMIN_API_KEY: ADMIN_KEY,
      BIFROST_WORKERS: "1",
      BIFROST_WATCH: "false",
      BIFROST_SCHEDULER: "false",
      BIFROST_LOG_LEVEL: "silent",
    });
    mkdirSync(join(dir, "ws"), { recursive: true });
    writeFileSync(join(dir, "ws", "w.ts"), `import { workflow } from "bifrost";\nexport const w = workflow({}, async () => "from the database");\n`);
    const run = async () => {
      const platform = await startPlatform(config, { listen: false, log: () => undefined });
      try {
        const r = await platform.app.inject({ method: "POST", url: "/api/workflows/w/execute", headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: {} });
        return r.json();
      } finally {
        await platform.close();
      }
    };
    try {
      expect((await run()).result).toBe("from the database");
      rmSync(join(dir, "data", "build"), { recursive: true, force: true });
      const again = await run(); // the file is unchanged, so it is not recompiled: the bundle is fetched
      expect(again).toMatchObject({ status: "Success", result: "from the database" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
