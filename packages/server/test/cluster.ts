/**
 * A distributed Bifrost for tests: `bifrost server` and `bifrost worker` processes on the
 * real PostgreSQL, RabbitMQ and Redis on loopback, in a schema and queue of their own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_KEY, PG, RABBIT, REDIS, dropDistributedResources, eventually, freePort } from "./helpers.js";

export { PG, RABBIT, REDIS };

const CLI = join(import.meta.dirname, "../../cli/dist/main.js");

export interface Cluster {
  /** The RabbitMQ queue this cluster uses. */
  queue: string;
  /** The PostgreSQL schema holding its tables. */
  schema: string;
  /** Base URL of the API server. */
  base(): string;
  procs: Map<string, ChildProcess>;
  /** Starts (or restarts, under the same name) a `bifrost <command>` process and waits until it is ready. */
  launch(name: string, command: string, extra?: Record<string, string>): Promise<ChildProcess>;
  /** Kills a process with SIGKILL and waits until it is gone. */
  kill(name: string): Promise<void>;
  /** Writes a file into the server's workspace (saved workflows are indexed and announced). */
  writeWorkspace(rel: string, source: string): void;
  /** Restarts the API server on its port after a kill. */
  restartServer(): Promise<void>;
  /** A JSON API call with the admin key. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** Resolves with the execution once it has `status`. */
  reaching(id: string, status: string, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

/** Starts a server (on a workspace holding `workflows` as dist.ts) and `workers` workers. */
export async function startCluster(options: { workflows: string; workers?: number; env?: Record<string, string> }): Promise<Cluster> {
  const suffix = randomBytes(4).toString("hex");
  const schema = `bf_dist_${suffix}`;
  const queue = `bifrost.test.${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), "bifrost-dist-"));
  const procs = new Map<string, ChildProcess>();
  let base = "";
  let port = 0;

  const env = (name: string, extra: Record<string, string>) => ({
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    BIFROST_DATA_DIR: join(dir, name, "data"),
    BIFROST_WORKSPACE: join(dir, name === "server" ? "ws" : `${name}-ws`),
    BIFROST_DATABASE_URL: `${PG}?schema=${schema}`,
    BIFROST_REDIS_URL: REDIS,
    BIFROST_RABBITMQ_URL: RABBIT,
    BIFROST_RABBITMQ_QUEUE: queue,
    BIFROST_SECRET_KEY: "a".repeat(64),
    BIFROST_ADMIN_API_KEY: ADMIN_KEY,
    BIFROST_WORKERS: "1",
    BIFROST_SCHEDULER: "false",
    BIFROST_SYNC_STALE_SECONDS: "5",
    ...options.env,
    ...extra,
  });

  const launch = async (name: string, command: string, extra: Record<string, string> = {}) => {
    const proc = spawn(process.execPath, [CLI, command], { env: env(name, extra), stdio: ["ignore", "pipe", "pipe"] });
    procs.set(name, proc);
    let out = "";
    const verbose = process.env.BIFROST_TEST_VERBOSE === "1"; // show the processes' output
    proc.stdout!.on("data", (c) => ((out += c), verbose && process.stderr.write(`[${name}] ${c}`)));
    proc.stderr!.on("data", (c) => ((out += c), verbose && process.stderr.write(`[${name}] ${c}`)));
    await eventually(() => (/ready|listening/.test(out) ? true : undefined), 40_000, `${name} to start: ${out}`);
    return proc;
  };

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as any;
  };

  const cluster: Cluster = {
    queue,
    schema,
    base: () => base,
    procs,
    launch,
    async kill(name) {
      const proc = procs.get(name);
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGKILL");
      await new Promise((r) => proc.once("exit", r));
    },
    writeWorkspace(rel, source) {
      writeFileSync(join(dir, "ws", rel), source);
    },
    async restartServer() {
      await launch("server", "server", { PORT: String(port), BIFROST_WATCH: "true" });
    },
    api,
    reaching: (id, status, timeoutMs = 20_000) =>
      eventually(async () => {
        const r = await api("GET", `/api/executions/${id}`);
        return r.status === status ? r : undefined;
      }, timeoutMs, `${id} to be ${status}`),
    async stop() {
      for (const p of procs.values()) p.kill("SIGKILL");
      await dropDistributedResources(schema, queue);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  mkdirSync(join(dir, "ws"), { recursive: true });
  writeFileSync(join(dir, "ws", "dist.ts"), options.workflows);
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await cluster.restartServer();
  for (let i = 1; i <= (options.workers ?? 2); i++) await launch(`worker${i}`, "worker");
  return cluster;
}
