// The distributed rows of the bench (see bench/README.md):
//  - a raw amqplib publish/consume loop: the ceiling the broker allows for this message shape;
//  - `bifrost server` + W `bifrost worker` processes on PostgreSQL + RabbitMQ + Redis, for
//    each W: N no-op runs enqueued through the API, timed until all are Success in PostgreSQL.
// Every round uses a fresh PostgreSQL schema and RabbitMQ queue, removed afterwards.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import pg from "pg";
import { enqueueAll } from "./enqueue.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, "../packages/cli/dist/main.js");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Waits for `p` at most `ms` (ignoring its failure): broker/database calls on a dead socket may never answer. */
async function bounded(p, ms) {
  let timer;
  await Promise.race([Promise.resolve(p).catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

async function deleteQueues(url, queues) {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    for (const q of queues) await channel.deleteQueue(q).catch(() => undefined);
  } finally {
    await bounded(connection.close(), 2_000);
  }
}

async function dropSchema(pgUrl, schema) {
  const client = new pg.Client({ connectionString: pgUrl });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await bounded(client.end(), 2_000);
  }
}

/**
 * Raw RabbitMQ: N persistent messages shaped like the platform's (JSON {executionId,
 * enqueuedAt}, messageId, content type) published on a confirm channel with at most
 * `inFlight` unconfirmed, to a fresh durable classic queue, consumed concurrently on a
 * second connection with manual ack and `prefetch`. Timed from the first publish until
 * the last ack was sent.
 */
export async function rawRabbitLoop({ url, n, inFlight, prefetch, consumers, registerCleanup }) {
  const queue = `bifrost.bench.raw.${randomBytes(4).toString("hex")}`;
  const unregister = registerCleanup(() => deleteQueues(url, [queue]));
  const pub = await amqp.connect(url, { clientProperties: { connection_name: "bifrost-bench-raw-publisher" } });
  const subs = [];
  try {
    const ch = await pub.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "classic" } });
    let consumed = 0;
    let target = 0;
    let onTarget = null;
    for (let i = 0; i < consumers; i++) {
      const sub = await amqp.connect(url, { clientProperties: { connection_name: `bifrost-bench-raw-consumer-${i}` } });
      subs.push(sub);
      const c = await sub.createChannel();
      await c.prefetch(prefetch);
      await c.consume(
        queue,
        (msg) => {
          if (!msg) return;
          JSON.parse(msg.content.toString("utf8")); // what a worker does at the least
          c.ack(msg);
          if (++consumed === target) onTarget?.();
        },
        { noAck: false },
      );
    }
    const publishOne = () =>
      new Promise((resolve, reject) => {
        const executionId = randomUUID();
        const body = Buffer.from(JSON.stringify({ executionId, enqueuedAt: new Date().toISOString() }));
        ch.sendToQueue(
          queue,
          body,
          { persistent: true, contentType: "application/json", messageId: executionId, timestamp: Math.floor(Date.now() / 1000) },
          (error) => (error ? reject(new Error(`broker refused a message: ${error}`)) : resolve()),
        );
      });
    async function round(count) {
      const start = consumed;
      target = start + count;
      const allConsumed = new Promise((resolve) => (onTarget = resolve));
      let next = 0;
      const t0 = performance.now();
      const publisher = async () => {
        while (next < count) {
          next++;
          await publishOne();
        }
      };
      await Promise.all(Array.from({ length: Math.min(inFlight, count) }, publisher));
      const tPublished = performance.now();
      let timer;
      const timeout = new Promise((r) => (timer = setTimeout(() => r("timeout"), 60_000)));
      const outcome = await Promise.race([allConsumed, timeout]);
      clearTimeout(timer);
      const tDone = performance.now();
      if (outcome === "timeout") throw new Error(`raw RabbitMQ loop: only ${consumed - start} of ${count} messages consumed within 60 s`);
      return { publishS: (tPublished - t0) / 1000, totalS: (tDone - t0) / 1000 };
    }
    await round(Math.min(500, n)); // warm-up: connections, JIT, the queue process
    const r = await round(n);
    return {
      n,
      inFlight,
      prefetch,
      consumers,
      publishS: r.publishS,
      publishPerS: n / r.publishS,
      totalS: r.totalS,
      msgsPerS: n / r.totalS,
    };
  } finally {
    for (const sub of subs) await bounded(sub.close(), 2_000);
    await bounded(pub.close(), 2_000);
    await bounded(deleteQueues(url, [queue]), 5_000);
    unregister();
  }
}

/**
 * One distributed round: a `bifrost server` and `workers` `bifrost worker` processes on a
 * fresh schema and queue; N runs enqueued through POST /api/workflows/noop/run; timed until
 * N more executions are Success in PostgreSQL.
 */
export async function distributedRound(opts) {
  const { workers, n, pgUrl, rabbitUrl, redisUrl, adminKey, tempRoot, noopWorkflow, request, enqueueConcurrency, deadlineS, track, registerCleanup, log } =
    opts;
  const suffix = randomBytes(4).toString("hex");
  const schema = `bf_bench_${suffix}_w${workers}`;
  const queue = `bifrost.bench.${suffix}.w${workers}`;
  const dir = join(tempRoot, `dist-w${workers}`);
  const workspace = join(dir, "workspace");
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, "noop.ts"), noopWorkflow);
  const secretKey = randomBytes(32).toString("hex");
  const procs = [];
  const client = new pg.Client({ connectionString: pgUrl });
  client.on("error", (e) => log(`[bench] PostgreSQL client error: ${e.message}`));
  const cleanupResources = async () => {
    await bounded(dropSchema(pgUrl, schema), 10_000);
    await bounded(deleteQueues(rabbitUrl, [queue, `${queue}.dead`]), 10_000);
  };
  const unregister = registerCleanup(cleanupResources);

  const env = (name, extra = {}) => ({
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    HOST: "127.0.0.1",
    BIFROST_DATA_DIR: join(dir, name, "data"),
    BIFROST_WORKSPACE: name === "server" ? workspace : join(dir, name, "workspace"),
    BIFROST_DATABASE_URL: `${pgUrl}${pgUrl.includes("?") ? "&" : "?"}schema=${schema}`,
    BIFROST_REDIS_URL: redisUrl,
    BIFROST_RABBITMQ_URL: rabbitUrl,
    BIFROST_RABBITMQ_QUEUE: queue,
    BIFROST_SECRET_KEY: secretKey,
    BIFROST_ADMIN_API_KEY: adminKey,
    BIFROST_WORKERS: "1",
    BIFROST_SCHEDULER: "false",
    BIFROST_WATCH: "false",
    BIFROST_LOG_LEVEL: "warn",
    ...extra,
  });

  /**
   * Spawns `bifrost <command>`; resolves once its output matches `ready` (bounded). Later
   * output is echoed, prefixed: all of stderr (warnings, errors), and stdout lines that
   * look like a warning or error (the start-up banner and the stop notice are not).
   */
  function launch(name, command, extra, ready) {
    // BENCH_PROFILE=worker: the worker processes write V8 CPU profiles (summarize them with
    // `node bench/profile-summary.mjs <dir>/*.cpuprofile`).
    const profileDir = process.env.BENCH_PROFILE_DIR ?? join(tmpdir(), "bifrost-worker-profiles");
    const prof = process.env.BENCH_PROFILE === "worker" && name.startsWith("worker") ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
    const proc = spawn(process.execPath, [...prof, CLI, command], { env: env(name, extra), stdio: ["ignore", "pipe", "pipe"] });
    procs.push(proc);
    track(proc);
    let out = "";
    let isReady = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${name} did not start within 30 s:\n${out.slice(-2000)}`)), 30_000);
      const fail = (error) => {
        clearTimeout(timer);
        proc.kill("SIGKILL");
        reject(error);
      };
      const onData = (stream) => (chunk) => {
        const text = chunk.toString("utf8");
        if (isReady) {
          for (const line of text.split("\n")) {
            if (line.trim() && (stream === "stderr" || /warn|error|fail|"level":[5-6]0/i.test(line))) log(`[${name}] ${line}`);
          }
          return;
        }
        out += text;
        if (ready.test(out)) {
          isReady = true;
          clearTimeout(timer);
          resolve(proc);
        }
      };
      proc.stdout.on("data", onData("stdout"));
      proc.stderr.on("data", onData("stderr"));
      proc.once("error", fail);
      proc.once("exit", (code, signal) => {
        if (!isReady) fail(new Error(`${name} exited during start-up (code ${code}, signal ${signal}):\n${out.slice(-2000)}`));
        else if (!proc.stopping) log(`[bench] ${name} exited unexpectedly (code ${code}, signal ${signal})`);
      });
    });
  }

  async function stopAll() {
    await Promise.all(
      procs.map(
        (proc) =>
          new Promise((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            proc.stopping = true;
            const timer = setTimeout(() => proc.kill("SIGKILL"), 12_000);
            proc.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            proc.kill("SIGTERM");
          }),
      ),
    );
  }

  const counts = async () => {
    const { rows } = await client.query(`SELECT status, COUNT(*)::int AS n FROM "${schema}".executions GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };

  const tStart = performance.now();
  try {
    const port = await freePort();
    // The server first: it creates the schema (migrations) and indexes the workspace.
    await launch("server", "server", { PORT: String(port) }, /listening on/);
    const base = `http://127.0.0.1:${port}`;
    await Promise.all(Array.from({ length: workers }, (_, i) => launch(`worker${i + 1}`, "worker", {}, /Bifrost worker ready/)));
    await client.connect();
    const tReady = performance.now();
    const target = `${base}/api/workflows/noop/run`;

    // Warm-up: a few runs per worker (each worker fetches the compiled bundle and starts
    // its worker child on the first one), not timed.
    const warmN = 2 * workers;
    for (let i = 0; i < warmN; i++) {
      const res = await request("POST", target, {});
      if (res.status !== 202) throw new Error(`POST /api/workflows/noop/run failed: HTTP ${res.status} ${res.text.slice(0, 500)}`);
    }
    let before = await counts();
    const warmDeadline = performance.now() + 30_000;
    while ((before.Success ?? 0) < warmN && performance.now() < warmDeadline) {
      await sleep(50);
      before = await counts();
    }
    if ((before.Success ?? 0) < warmN) throw new Error(`warm-up runs did not finish within 30 s (${JSON.stringify(before)})`);
    const baseSuccess = before.Success ?? 0;
    const baseTotal = Object.values(before).reduce((a, b) => a + b, 0);

    const ids = [];
    const t0 = performance.now();
    // Poll PostgreSQL while enqueueing, so a fast drain is not hidden behind the enqueue time.
    let done = false;
    let tDone = 0;
    let last = before;
    const deadline = t0 + deadlineS * 1000;
    const poller = (async () => {
      while (!done) {
        last = await counts();
        if ((last.Success ?? 0) - baseSuccess >= n) {
          tDone = performance.now();
          return;
        }
        if (performance.now() > deadline) return;
        await sleep(25);
      }
    })();
    const { rejected } = await enqueueAll({ n, inFlight: enqueueConcurrency, send: () => request("POST", target, {}) }, ids);
    const tEnqueued = performance.now();
    if (rejected.length > 0) {
      // Fewer than N will ever succeed: stop waiting once the accepted ones are through.
      done = true;
      await poller;
      done = false;
      const accepted = ids.length;
      while ((last.Success ?? 0) - baseSuccess < accepted && performance.now() < deadline) {
        await sleep(25);
        last = await counts();
      }
      tDone = performance.now();
    } else {
      await poller;
    }
    const timedOut = tDone === 0;
    if (timedOut) tDone = performance.now();
    const success = (last.Success ?? 0) - baseSuccess;
    const added = {};
    for (const [k, v] of Object.entries(last)) if (v - (before[k] ?? 0) !== 0) added[k] = v - (before[k] ?? 0);
    const totalAdded = Object.values(last).reduce((a, b) => a + b, 0) - baseTotal;

    // Dead-lettered messages would mean handler failures.
    let deadLettered = null;
    try {
      const conn = await amqp.connect(rabbitUrl);
      try {
        const ch = await conn.createChannel();
        deadLettered = (await ch.checkQueue(`${queue}.dead`)).messageCount;
      } finally {
        await bounded(conn.close(), 2_000);
      }
    } catch {}

    return {
      workers,
      n,
      accepted: ids.length,
      rejected,
      startS: (tReady - tStart) / 1000,
      enqueueS: (tEnqueued - t0) / 1000,
      enqueueRps: ids.length / ((tEnqueued - t0) / 1000),
      totalS: (tDone - t0) / 1000,
      execPerS: success / ((tDone - t0) / 1000),
      success,
      added,
      totalAdded,
      timedOut,
      deadLettered,
      finished: !timedOut && success === n && ids.length === n,
    };
  } finally {
    await bounded(client.end(), 2_000);
    await stopAll();
    await cleanupResources();
    unregister();
  }
}
