import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, PG, RABBIT, type Cluster } from "./cluster.js";
import { ADMIN_KEY, eventually } from "./helpers.js";

/**
 * The distributed mode end to end: `bifrost server` and two `bifrost worker` processes on
 * PostgreSQL, RabbitMQ and Redis (real servers on loopback; CI starts them).
 */
const WORKFLOWS = `
import { workflow, z, logger, config, context } from "bifrost";
// The host process's pid (children run in PID namespaces of their own).
const workerPid = () => Number(process.env.BIFROST_WORKER_ID!.split(":").pop());
export const whereAmI = workflow({ name: "where_am_i", params: z.object({ ms: z.int().default(300) }) }, async ({ ms }) => {
  await new Promise((r) => setTimeout(r, ms));
  return { host: workerPid() };
});
export const ticker = workflow({ name: "ticker" }, async () => {
  for (let i = 1; i <= 6; i++) { logger.info("tick " + i); await new Promise((r) => setTimeout(r, 150)); }
  return { host: workerPid() };
});
export const sleeper = workflow({ name: "sleeper" }, async () => { await new Promise((r) => setTimeout(r, 30_000)); return "woke"; });
export const slowOnce = workflow({ name: "slow_once", params: z.object({ ms: z.int() }) }, async ({ ms }) => {
  logger.info("host " + workerPid());
  await new Promise((r) => setTimeout(r, ms));
  return { host: workerPid(), secret: (await config.get("region")) ?? "none" };
});
export const version = workflow({ name: "version" }, async () => "v1");
export const gated = workflow({ name: "gated", access: { level: "roleBased", roles: ["Night shift"] } }, async () => ({ host: workerPid() }));
export const longTicker = workflow({ name: "long_ticker" }, async () => {
  for (let i = 1; i <= 12; i++) { logger.info("line " + i); await new Promise((r) => setTimeout(r, 400)); }
  return "done";
});
export const sideEffect = workflow({ name: "side_effect" }, async () => {
  // One config key per time the handler runs: what a double run would show.
  await config.set("ran_" + context.executionId.replaceAll("-", "") + "_" + Math.random().toString(36).slice(2), workerPid());
  await new Promise((r) => setTimeout(r, 2500));
  return "done";
});
`;

let c: Cluster;
let base = "";
let queue = "";
const api = (method: string, path: string, body?: unknown) => c.api(method, path, body);
const reaching = (id: string, status: string, timeoutMs?: number) => c.reaching(id, status, timeoutMs);

beforeAll(async () => {
  c = await startCluster({ workflows: WORKFLOWS, env: { BIFROST_REPUBLISH_AFTER_SECONDS: "5" } });
  base = c.base();
  queue = c.queue;
}, 60_000);

afterAll(() => c.stop());

describe("distributed mode: bifrost server + two bifrost workers", () => {
  it("queued runs are executed by the workers, never by the server", async () => {
    const server = c.procs.get("server")!.pid;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api("POST", "/api/workflows/where_am_i/run", { ms: 300 })).executionId);
    const hosts = new Set<number>();
    for (const id of ids) hosts.add((await reaching(id, "Success")).result.host);
    expect(hosts.has(server!)).toBe(false);
    expect([...hosts].every((h) => h === c.procs.get("worker1")!.pid || h === c.procs.get("worker2")!.pid)).toBe(true);
    expect(hosts.size).toBe(2); // both workers took work (prefetch = 1 each)
  }, 60_000);

  it("the server streams live logs of a run on a worker (Redis)", async () => {
    const { executionId } = await api("POST", "/api/workflows/ticker/run", {});
    const res = await fetch(`${base}/api/executions/${executionId}/logs/stream`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const text = await res.text();
    const messages = [...text.matchAll(/"message":"(tick \d)"/g)].map((m) => m[1]);
    expect(messages).toEqual(["tick 1", "tick 2", "tick 3", "tick 4", "tick 5", "tick 6"]);
    expect(text).toContain('"status":"Success"');
  }, 30_000);

  it("a client joining mid-run gets every line once, in order, without gaps", async () => {
    for (let round = 0; round < 3; round++) {
      const { executionId } = await api("POST", "/api/workflows/ticker/run", {});
      await new Promise((r) => setTimeout(r, 250 + round * 150)); // join while the worker is logging
      const res = await fetch(`${base}/api/executions/${executionId}/logs/stream`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const text = await res.text();
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    }
  }, 30_000);

  it("cancelling through the server stops a run on a worker", async () => {
    const { executionId } = await api("POST", "/api/workflows/sleeper/run", {});
    await reaching(executionId, "Running");
    expect((await api("POST", `/api/executions/${executionId}/cancel`)).status).toBe("Cancelling");
    await reaching(executionId, "Cancelled", 10_000);
  }, 30_000);

  it("a saved change reaches the workers", async () => {
    const { executionId } = await api("POST", "/api/workflows/version/run", {});
    expect((await reaching(executionId, "Success")).result).toBe("v1");
    c.writeWorkspace("dist.ts", WORKFLOWS.replace('async () => "v1"', 'async () => "v2"'));
    await eventually(async () => {
      const { executionId: id } = await api("POST", "/api/workflows/version/run", {});
      return (await reaching(id, "Success")).result === "v2" ? true : undefined;
    }, 15_000, "the workers to run v2");
  }, 30_000);

  it("a role created on the server registers the role-based workflow that names it, and the workers run it", async () => {
    // Unknown role: not registered anywhere (fail closed), listed with the load errors.
    expect((await api("GET", "/api/workflows/gated")).error.code).toBe("not_found");
    expect((await api("GET", "/api/workflows")).loadErrors).toContainEqual(expect.objectContaining({ exportName: "gated", message: expect.stringContaining('"Night shift"') }));
    expect((await api("POST", "/api/roles", { name: "Night shift" })).name).toBe("Night shift");
    expect((await api("GET", "/api/workflows/gated")).name).toBe("gated");
    // The workers follow the registry the server wrote: a queued run of it completes on one of them.
    const { executionId } = await api("POST", "/api/workflows/gated/run", {});
    expect((await reaching(executionId, "Success")).result).toMatchObject({ host: expect.any(Number) });
  }, 30_000);

  it("a message delivered twice runs once (while running, and after it finished)", async () => {
    const duplicate = async (executionId: string) => {
      const connection = await amqp.connect(RABBIT);
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue(queue, Buffer.from(JSON.stringify({ executionId, enqueuedAt: new Date().toISOString() })), {
        persistent: true,
        contentType: "application/json",
      });
      await channel.waitForConfirms();
      await connection.close();
    };
    const { executionId } = await api("POST", "/api/workflows/side_effect/run", {});
    await reaching(executionId, "Running");
    await new Promise((r) => setTimeout(r, 300));
    await duplicate(executionId); // the other worker gets it while the first still runs
    const done = await reaching(executionId, "Success", 30_000);
    await duplicate(executionId); // and once more after it finished
    await new Promise((r) => setTimeout(r, 9_000)); // past the deferral of the first duplicate
    const { values } = await api("GET", "/api/config?scope=global");
    const runs = (values as { key: string }[]).filter((v) => v.key.startsWith(`ran_${executionId.replaceAll("-", "")}_`));
    expect(runs).toHaveLength(1); // the handler ran once
    const after = await api("GET", `/api/executions/${executionId}`);
    expect(after).toMatchObject({ status: "Success", attempt: 1, completedAt: done.completedAt });
  }, 60_000);

  it("an API server restarted mid-stream: the client resumes from Last-Event-ID and misses no line", async () => {
    const { executionId } = await api("POST", "/api/workflows/long_ticker/run", {});
    const seen: number[] = [];
    const read = async (lastEventId: number | null, stopAfter: number | null) => {
      const controller = new AbortController();
      const res = await fetch(`${base}/api/executions/${executionId}/logs/stream`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(lastEventId ? { "last-event-id": String(lastEventId) } : {}) },
        signal: controller.signal,
      });
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (const m of buffer.matchAll(/^id: (\d+)$/gm)) if (!seen.includes(Number(m[1]))) seen.push(Number(m[1]));
          if (stopAfter !== null && seen.length >= stopAfter) break;
        }
      } catch {
        /* the server went away */
      } finally {
        controller.abort();
      }
    };
    await read(null, 3); // three lines, then the server dies
    await c.kill("server");
    await c.restartServer();
    await read(seen.at(-1)!, null); // resume until the end event
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await reaching(executionId, "Success")).result).toBe("done");
  }, 60_000);

  it("kill -9 of an API server mid sync run: the run ends Stuck instead of staying Running", async () => {
    // A sync run has no queue message: only its heartbeat says its process is alive.
    void fetch(`${base}/api/workflows/sleeper/execute`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: "{}",
    }).catch(() => undefined);
    const running = await eventually(async () => {
      const { executions } = await api("GET", "/api/executions?workflow=sleeper&status=Running");
      return (executions as { id: string }[])[0];
    }, 10_000, "the sync run to be recorded as Running");
    await c.kill("server");
    await c.restartServer();
    const stuck = await reaching(running.id, "Stuck", 30_000);
    expect(stuck.error).toMatch(/process running this execution stopped/);
    expect(stuck.completedAt).not.toBeNull();
  }, 60_000);

  it("runs recorded but never published (their process died between commit and publish) are published again and run, delayed ones once due", async () => {
    const { executionId } = await api("POST", "/api/workflows/version/run", {});
    const original = await reaching(executionId, "Success");
    // The same run again as a Pending row with no message, as a crash would leave it.
    const orphan = randomUUID();
    const scheduled = randomUUID();
    const client = new pg.Client({ connectionString: PG });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${c.schema}`);
      await client.query("CREATE TEMP TABLE orphan AS SELECT * FROM executions WHERE id = $1", [executionId]);
      await client.query(
        `UPDATE orphan SET id = $1, status = 'Pending', result = NULL, started_at = NULL, completed_at = NULL, duration_ms = NULL, heartbeat_at = NULL, created_at = $2`,
        [orphan, new Date(Date.now() - 60_000).toISOString()],
      );
      await client.query("INSERT INTO executions SELECT * FROM orphan");
      // And a delayed run, due a minute ago, whose message never reached the broker.
      await client.query(`UPDATE orphan SET id = $1, status = 'Scheduled', not_before = $2`, [scheduled, new Date(Date.now() - 60_000).toISOString()]);
      await client.query("INSERT INTO executions SELECT * FROM orphan");
    } finally {
      await client.end();
    }
    const done = await reaching(orphan, "Success", 20_000);
    expect(done).toMatchObject({ result: original.result, attempt: 1 });
    expect(await reaching(scheduled, "Success", 20_000)).toMatchObject({ result: original.result, attempt: 1 });
  }, 30_000);

  it("kill -9 of a worker mid-run: RabbitMQ redelivers the run to the other worker, which completes it", async () => {
    const { executionId } = await api("POST", "/api/workflows/slow_once/run", { ms: 4000 });
    // The run logs the pid of the worker process hosting it: kill exactly that one.
    const host = await eventually(async () => {
      const { logs } = await api("GET", `/api/executions/${executionId}/logs`);
      const line = (logs as { message: string }[]).find((l) => l.message.startsWith("host "));
      return line ? Number(line.message.slice(5)) : undefined;
    }, 15_000, "the run to log its host");
    const [victimName, victim] = [...c.procs.entries()].find(([, p]) => p.pid === host)!;
    const survivor = [...c.procs.entries()].find(([name]) => name.startsWith("worker") && name !== victimName)![1];
    victim.kill("SIGKILL");
    const done = await reaching(executionId, "Success", 30_000);
    expect(done.result.host).toBe(survivor.pid); // redelivered, and completed elsewhere
    expect(done.status).toBe("Success");
  }, 60_000);
});
