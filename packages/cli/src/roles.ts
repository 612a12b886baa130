/**
 * The process roles: `bifrost start` runs the embedded platform (API, worker pool, queue
 * and workspace watcher in one process, with SQLite in BIFROST_DATA_DIR); `server`,
 * `worker` and `scheduler` are the distributed mode's processes; `admin-key` mints a
 * platform-admin key. Loaded only for these commands: the engineer commands (login, run,
 * watch, …) never import the server, engine or storage packages, so they start fast.
 */
import { ConfigError, loadConfig } from "@bifrost/server/config.js";
import { engineConfig, startPlatform, startWorker } from "@bifrost/server/platform.js";
import { Engine } from "@bifrost/engine/engine.js";
import { openDatabase } from "@bifrost/storage/database.js";
import { openBackends } from "@bifrost/server/backends.js";
import { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import { join } from "node:path";

export async function start(role: "all" | "server" = "all"): Promise<void> {
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
export async function schedulerOnly(): Promise<void> {
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

export async function worker(): Promise<void> {
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

export async function adminKey(name: string): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl ?? join(config.dataDir, "bifrost.db"));
  const { key } = await new ApiKeysRepo(database.db).create(null, name);
  await database.close();
  console.log(key);
}

/** Runs a role as the CLI always has: a configuration error is one line, anything else its stack; exit 1. */
export async function runRole(role: "start" | "server" | "worker" | "scheduler" | "admin-key", name?: string): Promise<void> {
  try {
    switch (role) {
      case "start":
        return await start();
      case "server":
        return await start("server");
      case "worker":
        return await worker();
      case "scheduler":
        return await schedulerOnly();
      case "admin-key":
        return await adminKey(name ?? "admin key (cli)");
    }
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
