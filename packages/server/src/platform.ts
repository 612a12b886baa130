import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { SecretBox } from "@bifrost/storage/secret-box.js";
import { UsersRepo } from "@bifrost/storage/users.repo.js";
import { UserTokensRepo } from "@bifrost/storage/user-tokens.repo.js";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Engine, type EngineConfig, type EngineRole } from "@bifrost/engine/engine.js";
import { openBackends, requireSharedSecretKey } from "./backends.js";
import { buildServices } from "./services.js";
import { buildApp } from "./app.js";
import type { PlatformConfig } from "./config.js";

export interface Platform {
  app: FastifyInstance;
  engine: Engine;
  /** Where it listens, e.g. http://127.0.0.1:3000 (null when `listen: false`). */
  url: string | null;
  /** A platform-admin key created on this start, shown once (first start without BIFROST_ADMIN_API_KEY). */
  createdAdminKey: string | null;
  /** While no platform-admin user exists: a one-time link that creates the first one (a new one each start). */
  setupUrl: string | null;
  setupToken: string | null;
  close(): Promise<void>;
}

/** The engine's part of the platform's configuration. */
export function engineConfig(config: PlatformConfig): EngineConfig {
  return {
    dataDir: config.dataDir,
    workspace: config.workspace,
    workers: config.workers,
    memoryLimitMb: config.workerMemoryMb,
    maxRunsPerChild: config.workerMaxRuns,
    sandbox: config.sandbox,
    sandboxUid: config.sandboxUid,
    maxLogLines: config.maxLogLines,
    maxLogBytes: config.maxLogBytes,
    maxVariableChars: config.maxVariableChars,
    maxVariablesBytes: config.maxVariablesBytes,
    maxResultBytes: config.maxResultBytes,
    syncStaleMs: config.syncStaleSeconds * 1000,
    republishAfterMs: config.republishAfterSeconds * 1000,
    watch: config.watch,
    scheduler: config.scheduler,
    egress: { allow: config.egressAllow, dnsServers: config.egressDnsServers },
  };
}

/** One data directory belongs to one running platform: a second start fails clearly. */
function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, "bifrost.pid");
  try {
    const pid = Number(readFileSync(path, "utf8"));
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`${dataDir} is in use by another Bifrost process (pid ${pid}); stop it or set BIFROST_DATA_DIR`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const fd = openSync(path, "w");
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return () => rmSync(path, { force: true });
}

/**
 * The key that seals secrets: BIFROST_SECRET_KEY, or one generated into the data dir on
 * the first embedded start (readable by its owner only). Losing it loses the secrets.
 */
function loadSecretKey(config: PlatformConfig): Buffer {
  if (config.secretKey) return SecretBox.parseKey(config.secretKey);
  const path = join(config.dataDir, "secret.key");
  if (!existsSync(path)) writeFileSync(path, `${SecretBox.generateKey()}\n`, { mode: 0o600, flag: "wx" });
  return SecretBox.parseKey(readFileSync(path, "utf8"));
}

/** The embedded composition root: SQLite, the engine, the HTTP app; listening unless told not to. */
export async function startPlatform(
  config: PlatformConfig,
  options: { listen?: boolean; role?: Exclude<EngineRole, "worker">; log?: (level: "info" | "warn" | "error", message: string) => void } = {},
): Promise<Platform> {
  const log = options.log ?? ((level, message) => (level === "info" ? console.log(message) : console.error(`[${level}] ${message}`)));
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.workspace, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  const { database, backends, shared, counters } = await openBackends(config, log);
  requireSharedSecretKey(config, shared);
  const secretKey = loadSecretKey(config);
  const engine = new Engine(database, engineConfig(config), log, backends);
  await engine.start(options.role ?? "all");

  let createdAdminKey: string | null = null;
  if (!config.adminApiKey && (await engine.repos.apiKeys.list(null)).length === 0) {
    createdAdminKey = (await engine.repos.apiKeys.create(null, "first admin key")).key;
  }

  // No platform-admin user yet: a one-time link (1 day) creates the first one; each start replaces it.
  let setupToken: string | null = null;
  if ((await new UsersRepo(database.db).countActiveAdmins()) === 0) {
    setupToken = (await new UserTokensRepo(database.db).create("setup", null, { ttlMs: 24 * 3_600_000 })).token;
  }

  const app = await buildApp({
    engine,
    secretKey,
    adminApiKey: config.adminApiKey,
    bodyLimitBytes: config.bodyLimitBytes,
    endpointRateLimit: config.endpointRateLimit,
    authFailLimit: config.authFailLimit,
    maxJsonDepth: config.maxJsonDepth,
    trustProxy: config.trustProxy,
    counters,
    maxFileBytes: config.maxFileBytes,
    sessions: { idleMs: config.sessionIdleMinutes * 60_000, absoluteMs: config.sessionMaxHours * 3_600_000, loginFailLimit: config.loginFailLimit, requireMfaForAdmins: config.requireMfaForAdmins },
    oidc: config.oidc ? { ...config.oidc, timeoutMs: config.oauthTimeoutMs } : null,
    oauth: { publicUrl: config.publicUrl, timeoutMs: config.oauthTimeoutMs, refreshIntervalMs: config.oauthRefreshIntervalSeconds * 1000 },
    logger: config.logLevel === "silent" ? false : { level: config.logLevel === "debug" ? "debug" : "warn" },
  });
  let url: string | null = null;
  if (options.listen !== false) {
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  }

  const setupUrl = setupToken ? `${config.publicUrl ?? url ?? `http://${config.host}:${config.port}`}/setup?token=${setupToken}` : null;
  if (setupUrl) {
    log("info", `No platform admin has signed up yet. Create the first one (this link works once, for 24 hours; each start makes a new one):\n\n    ${setupUrl}\n\n  or: curl -X POST -H 'content-type: application/json' -d '{"token":"${setupToken}","email":"you@example.com","name":"Your Name","password":"<12+ characters>"}' ${config.publicUrl ?? url ?? ""}/api/auth/setup`);
  }

  let closing: Promise<void> | null = null;
  return {
    app,
    engine,
    url,
    createdAdminKey,
    setupUrl,
    setupToken,
    close() {
      closing ??= (async () => {
        await app.close();
        await engine.stop();
        await database.close();
        unlock();
      })();
      return closing;
    },
  };
}

/**
 * A worker process (`bifrost worker`): runs queued executions from the shared queue, with
 * the SDK's services, and no HTTP. Its data directory holds only its compiled-module cache.
 */
export async function startWorker(
  config: PlatformConfig,
  options: { log?: (level: "info" | "warn" | "error", message: string) => void } = {},
): Promise<{ engine: Engine; close(): Promise<void> }> {
  const log = options.log ?? ((level, message) => (level === "info" ? console.log(message) : console.error(`[${level}] ${message}`)));
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.workspace, { recursive: true });
  const { database, backends, shared } = await openBackends(config, log);
  requireSharedSecretKey(config, shared);
  const engine = new Engine(database, engineConfig(config), log, backends);
  const { files, tokenRefresher } = buildServices(engine, {
    secretKey: loadSecretKey(config),
    maxFileBytes: config.maxFileBytes,
    log: (m) => log("warn", m),
    oauthTimeoutMs: config.oauthTimeoutMs,
    oauthRefreshIntervalMs: config.oauthRefreshIntervalSeconds * 1000,
    maxJsonDepth: config.maxJsonDepth,
  });
  files.start();
  tokenRefresher.start();
  await engine.start("worker");
  let closing: Promise<void> | null = null;
  return {
    engine,
    close() {
      closing ??= (async () => {
        files.stop();
        await tokenRefresher.stop();
        await engine.stop();
        await database.close();
      })();
      return closing;
    },
  };
}
