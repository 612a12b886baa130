#!/usr/bin/env node
/**
 * The `bifrost` command. `bifrost start` runs the embedded platform: API, worker pool,
 * queue and workspace watcher in one process, with SQLite in BIFROST_DATA_DIR.
 */
import { ConfigError, loadConfig } from "@bifrost/server/config.js";
import { engineConfig, startPlatform, startWorker } from "@bifrost/server/platform.js";
import { Engine } from "@bifrost/engine/engine.js";
import { openDatabase } from "@bifrost/storage/database.js";
import { openBackends } from "@bifrost/server/backends.js";
import { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import { join } from "node:path";

const USAGE = `Usage: bifrost <command>

Commands:
  start              Run the platform (API, workers, queue) on PORT (default 3000)
  server             Run an API server that leaves queued runs to workers (distributed mode)
  worker             Run a worker: executes queued runs from the shared queue, no HTTP
  scheduler          Run only the cron scheduler against the data directory of a running
                     platform (any number may run: each tick still fires once)
  admin-key [name]   Create a new platform-admin API key and print it (the platform may be running)

Configuration comes from the environment: PORT, HOST, BIFROST_DATA_DIR, BIFROST_WORKSPACE,
BIFROST_ADMIN_API_KEY, BIFROST_WORKERS, … (see docs/configuration.md).`;

async function start(role: "all" | "server" = "all"): Promise<void> {
  const config = loadConfig();
  const started = performance.now();
  const platform = await startPlatform(config, { role });
  const ms = Math.round(performance.now() - started);
  const workflows = platform.engine.registry.list().length;
  const errors = platform.engine.registry.loadErrors().length;
  console.log(`Bifrost is listening on ${platform.url} (started in ${ms} ms)`);
  console.log(`  workspace: ${config.workspace} — ${workflows} workflow(s)${errors ? `, ${errors} load error(s): GET /api/workflows shows them` : ""}`);
  console.log(`  data:      ${config.dataDir}`);
  if (platform.createdAdminKey) {
    console.log(`\n  Your platform-admin API key (shown only this once — keep it safe):\n\n    ${platform.createdAdminKey}\n`);
    console.log(`  Try it:  curl -H "Authorization: Bearer ${platform.createdAdminKey}" ${platform.url}/api/workflows`);
  } else if (config.adminApiKey) {
    console.log(`  API key: the value of BIFROST_ADMIN_API_KEY (send it as "Authorization: Bearer <key>")`);
  } else {
    console.log(`  API key: use the admin key printed on first start, or create one with "npm run bifrost -- admin-key"`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (running executions are given a moment to finish)…`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void platform.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/**
 * A scheduler process beside `bifrost start`: it reads the registry the platform keeps in
 * the database and queues scheduled runs into the same durable queue. Tick claims in
 * the database make any number of schedulers fire each tick once.
 */
async function schedulerOnly(): Promise<void> {
  const config = loadConfig();
  const log = (level: string, message: string) => console.log(`[${level}] ${message}`);
  const { database, backends } = await openBackends(config, log);
  const engine = new Engine(database, engineConfig(config), log, backends);
  await engine.registry.load();
  await engine.scheduler.start();
  console.log(`Bifrost scheduler ${engine.scheduler.id} running on ${config.dataDir}`);
  // Workflows change in the platform process: follow the registry it writes.
  const reload = setInterval(() => {
    void engine.registry
      .load()
      .then(() => engine.scheduler.sync())
      .catch((e) => log("error", String(e)));
  }, 2000);
  const stop = () => {
    clearInterval(reload);
    void engine.stop().then(() => database.close()).then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function worker(): Promise<void> {
  const config = loadConfig();
  const running = await startWorker(config);
  console.log(`Bifrost worker ready: ${config.workers} worker process(es) on ${config.databaseUrl ? "the shared database" : config.dataDir}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void running.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function adminKey(name: string): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl ?? join(config.dataDir, "bifrost.db"));
  const { key } = await new ApiKeysRepo(database.db).create(null, name);
  await database.close();
  console.log(key);
}

const [command, ...args] = process.argv.slice(2);
try {
  switch (command) {
    case "start":
      await start();
      break;
    case "server":
      await start("server");
      break;
    case "worker":
      await worker();
      break;
    case "scheduler":
      await schedulerOnly();
      break;
    case "admin-key":
      await adminKey(args[0] ?? "admin key (cli)");
      break;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      break;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      process.exitCode = 2;
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
