import { execFileSync, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../test/cluster.js";
import { ADMIN_KEY, eventually } from "../test/helpers.js";

/**
 * RabbitMQ and Redis restarted while a distributed Bifrost (a server, two workers) is
 * under load. These tests stop the machine's shared brokers, so they run in their own
 * vitest project, after every other test file (see vitest.config.ts), and always bring
 * the brokers back, even when an assertion fails.
 */
const WORKFLOWS = `
import { workflow, z, logger, config, context } from "bifrost";
export const counted = workflow({ name: "counted" }, async () => {
  // One config key per time the handler runs: a run that ran twice shows two.
  await config.set("ran_" + context.executionId.replaceAll("-", "") + "_" + Math.random().toString(36).slice(2), 1);
  await new Promise((r) => setTimeout(r, 50));
  return "done";
});
export const longTicker = workflow({ name: "long_ticker" }, async () => {
  for (let i = 1; i <= 16; i++) { logger.info("line " + i); await new Promise((r) => setTimeout(r, 250)); }
  return "done";
});
export const shortTicker = workflow({ name: "short_ticker" }, async () => {
  for (let i = 1; i <= 8; i++) { logger.info("line " + i); await new Promise((r) => setTimeout(r, 150)); }
  return "done";
});
export const sleeper = workflow({ name: "sleeper" }, async () => { await new Promise((r) => setTimeout(r, 30_000)); return "woke"; });
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rabbitUp(): boolean {
  return spawnSync("rabbitmqctl", ["-q", "await_startup"], { timeout: 60_000 }).status === 0;
}
function redisUp(): boolean {
  return spawnSync("redis-cli", ["-h", "127.0.0.1", "ping"]).stdout?.toString().trim() === "PONG";
}
function startRedis(): void {
  execFileSync("redis-server", ["--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"]);
}

/** Stops the RabbitMQ application (every connection drops; durable queues stay) for `downMs`. */
async function restartRabbit(downMs: number): Promise<void> {
  execFileSync("rabbitmqctl", ["-q", "stop_app"]);
  try {
    await sleep(downMs);
  } finally {
    execFileSync("rabbitmqctl", ["-q", "start_app"]);
  }
}

/** Shuts Redis down (it keeps nothing) and starts it again after `downMs`. */
async function restartRedis(downMs: number): Promise<void> {
  spawnSync("redis-cli", ["-h", "127.0.0.1", "shutdown", "nosave"]);
  await eventually(() => (redisUp() ? undefined : true), 10_000, "Redis to stop");
  try {
    await sleep(downMs);
  } finally {
    startRedis();
    await eventually(() => (redisUp() ? true : undefined), 10_000, "Redis to start");
  }
}

/** Submits a `counted` run every `everyMs` for `forMs`, without waiting for answers. */
function load(c: Cluster, everyMs: number, forMs: number): Promise<Array<{ status: number; body: any }>> {
  const started: Promise<{ status: number; body: any }>[] = [];
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      started.push(
        fetch(`${c.base()}/api/workflows/counted/run`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
          body: "{}",
        }).then(async (r) => ({ status: r.status, body: await r.json() })),
      );
    }, everyMs);
    setTimeout(() => {
      clearInterval(timer);
      resolve(Promise.all(started));
    }, forMs);
  });
}

/** Every run Success, and each handler ran exactly once. */
async function expectEachRanOnce(c: Cluster, ids: string[]): Promise<void> {
  for (const id of ids) await c.reaching(id, "Success", 60_000);
  const { values } = await c.api("GET", "/api/config?scope=global");
  const keys = (values as { key: string }[]).map((v) => v.key);
  for (const id of ids) {
    expect(keys.filter((k) => k.startsWith(`ran_${id.replaceAll("-", "")}_`)), id).toHaveLength(1);
  }
}

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ workflows: WORKFLOWS });
}, 60_000);

afterAll(async () => {
  // Whatever happened above, leave the brokers running for whatever runs next.
  if (!redisUp()) startRedis();
  rabbitUp();
  await c?.stop();
}, 60_000);

describe("brokers restarted under load", () => {
  it("RabbitMQ restarted while runs are queued and running: processes reconnect, nothing queued is lost, each run runs once", async () => {
    const submitted = load(c, 40, 16_000);
    await sleep(2_000);
    // Down for 12 s in the middle of the load: longer than a publish waits for the broker
    // (10 s), so runs recorded meanwhile must be kept and published later.
    await restartRabbit(12_000);
    const answers = await submitted;
    // The server answered every request: a run recorded while the broker was away was kept
    // and published once it came back, not failed.
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const ids = answers.map((a) => a.body.executionId as string);
    expect(ids.length).toBeGreaterThan(150);
    await expectEachRanOnce(c, ids);
    // And the platform keeps working once it is back.
    const after = await load(c, 20, 1_500);
    expect(after.filter((a) => a.status !== 202)).toEqual([]);
    await expectEachRanOnce(c, after.map((a) => a.body.executionId as string));
  }, 180_000);

  it("Redis restarted mid-stream and under load: the log stream misses no line and ends, queued runs complete, cancel works again", async () => {
    const { executionId } = await c.api("POST", "/api/workflows/long_ticker/run", {});
    const stream = fetch(`${c.base()}/api/executions/${executionId}/logs/stream`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then((r) =>
      r.text(),
    );
    const submitted = load(c, 50, 8_000);
    await sleep(2_500);
    await restartRedis(4_000); // the run ends while Redis is away: its end event may be lost
    const answers = await submitted;
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    // Lines published while Redis was away come from the store; the end arrives even if
    // its event was lost.
    const text = await Promise.race([stream, sleep(40_000).then(() => "timed out waiting for the stream to end")]);
    const lines = [...text.matchAll(/"message":"line (\d+)"/g)].map((m) => Number(m[1]));
    expect(lines).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(text).toMatch(/event: end\ndata: \{"status":"Success"\}/);

    await expectEachRanOnce(c, answers.map((a) => a.body.executionId as string));

    // The workers re-subscribed: a cancel sent through the server reaches the run on a worker.
    const { executionId: sleeping } = await c.api("POST", "/api/workflows/sleeper/run", {});
    await c.reaching(sleeping, "Running");
    await c.api("POST", `/api/executions/${sleeping}/cancel`);
    await c.reaching(sleeping, "Cancelled", 15_000);
  }, 180_000);

  it("a server that loses its Redis subscription as a run ends still ends the stream, with every line", async () => {
    const server = c.procs.get("server")!.pid!;
    const { executionId } = await c.api("POST", "/api/workflows/short_ticker/run", {});
    const stream = fetch(`${c.base()}/api/executions/${executionId}/logs/stream`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then((r) =>
      r.text(),
    );
    await c.reaching(executionId, "Running");
    // Keep cutting the server's subscriber connection until well after the run ended: the
    // last lines and the final status event are published while it is away, and lost.
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      const clients = spawnSync("redis-cli", ["-h", "127.0.0.1", "client", "list"]).stdout.toString();
      for (const m of clients.matchAll(new RegExp(`^id=(\\d+) .*name=bifrost-events-${server} `, "gm"))) {
        spawnSync("redis-cli", ["-h", "127.0.0.1", "client", "kill", "id", m[1]!]);
      }
      await sleep(30);
    }
    await c.reaching(executionId, "Success");
    const text = await Promise.race([stream, sleep(20_000).then(() => "timed out waiting for the stream to end")]);
    const lines = [...text.matchAll(/"message":"line (\d+)"/g)].map((m) => Number(m[1]));
    expect(lines).toEqual(Array.from({ length: 8 }, (_, i) => i + 1));
    expect(text).toMatch(/event: end\ndata: \{"status":"Success"\}/);
  }, 60_000);
});
