/**
 * After `kill -9` of the host: a queued run that had been taken from the queue but was
 * still waiting for a free worker process never started, so it runs after the restart
 * (it used to end Stuck); a run that had started keeps ending Stuck.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, freePort } from "./helpers.js";

const CLI = join(import.meta.dirname, "../../cli/dist/main.js");

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const reaching = (base: string, id: string, check: (r: any) => boolean, what: string, timeoutMs = 15_000) =>
  eventually(async () => {
    const r = (await api(base, "GET", `/api/executions/${id}`)).json;
    return check(r) ? r : undefined;
  }, timeoutMs, what);

describe("host crash with a run claimed but not started", () => {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-requeue-"));
  let proc: ChildProcess | null = null;
  let port = 0;
  let output = "";

  async function startCli(): Promise<string> {
    port = port || (await freePort());
    output = "";
    proc = spawn(process.execPath, [CLI, "start"], {
      env: {
        ...process.env,
        PORT: String(port),
        BIFROST_DATA_DIR: join(dir, "data"),
        BIFROST_WORKSPACE: join(dir, "ws"),
        BIFROST_ADMIN_API_KEY: ADMIN_KEY,
        BIFROST_WORKERS: "1",
        BIFROST_WATCH: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout!.on("data", (c) => (output += c));
    proc.stderr!.on("data", (c) => (output += c));
    await eventually(() => (output.includes("listening") ? true : undefined), 30_000, `the CLI to start (${output})`);
    return `http://127.0.0.1:${port}`;
  }

  beforeAll(() => {
    mkdirSync(join(dir, "ws"), { recursive: true });
    writeFileSync(
      join(dir, "ws", "jobs.ts"),
      `import { workflow, z, logger } from "bifrost";
export const hold = workflow({}, async () => { await new Promise((r) => setTimeout(r, 60_000)); return "never"; });
export const quick = workflow({ params: z.object({ i: z.int() }) }, async ({ i }) => { logger.info("ran " + i); return i * 2; });
`,
    );
  });
  afterAll(() => {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs it after the restart; the run that had started ends Stuck", async () => {
    let base = await startCli();
    // The only worker process is taken by a sync run...
    void fetch(`${base}/api/workflows/hold/execute`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" }, body: "{}" }).catch(() => undefined);
    const hold = await eventually(async () => (await api(base, "GET", "/api/executions?workflow=hold&status=Running")).json.executions[0]?.id as string | undefined, 10_000, "hold to run");
    // ...so this queued run is taken from the queue (Running) but waits for a worker.
    const id = (await api(base, "POST", "/api/workflows/quick/run", { i: 21 })).json.executionId as string;
    const claimed = await reaching(base, id, (r) => r.status === "Running", "quick to be claimed");
    expect(claimed.startedAt).toBeNull(); // taken from the queue, not started by a worker
    await new Promise((r) => setTimeout(r, 300));
    expect((await api(base, "GET", `/api/executions/${id}`)).json).toMatchObject({ status: "Running", startedAt: null });

    proc!.kill("SIGKILL");
    await new Promise((r) => proc!.once("exit", r));
    base = await startCli();

    const done = await reaching(base, id, (r) => r.status === "Success", "quick to run after the restart");
    expect(done).toMatchObject({ result: 42, attempt: 1, attempts: [], errorType: null });
    expect(done.logs.map((l: { message: string }) => l.message)).toEqual(["ran 21"]);
    expect(done.startedAt).not.toBeNull();
    const stuck = await reaching(base, hold, (r) => r.status === "Stuck", "hold to be Stuck");
    expect(stuck.errorType).toBe("Stuck");
    expect(output).toContain("1 marked Stuck, 0 retried, 0 cancelled, 1 queued again (claimed, not started)");
  }, 60_000);
});
