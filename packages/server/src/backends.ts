import { join } from "node:path";
import { Redis } from "ioredis";
import type { EngineBackends } from "@bifrost/engine/engine.js";
import type { Cache } from "@bifrost/engine/events/cache.js";
import { RedisCache } from "@bifrost/engine/events/redis-cache.js";
import { RedisEventBus } from "@bifrost/engine/events/redis-event-bus.js";
import { RabbitQueue } from "@bifrost/engine/queue/rabbit-queue.js";
import { openDatabase, type Database } from "@bifrost/storage/database.js";
import type { PlatformConfig } from "./config.js";
import { ConfigError } from "./config.js";

/**
 * Opens the backends configuration names — PostgreSQL or SQLite, Redis or in-process
 * events, RabbitMQ or the jobs table — and nothing else: the code is the same either way.
 */
export async function openBackends(
  config: PlatformConfig,
  log: (level: "info" | "warn" | "error", message: string) => void,
): Promise<{
  database: Database;
  backends: EngineBackends;
  shared: boolean;
  /** Rate-limit counters shared by every process (Redis); undefined = each process counts alone. */
  counters?: Cache;
}> {
  const database = await openDatabase(config.databaseUrl ?? join(config.dataDir, "bifrost.db"));
  const backends: EngineBackends = {};
  let counters: Cache | undefined;
  if (config.redisUrl) {
    const publisher = redisClient(config.redisUrl, "bifrost-publisher", log);
    const bus = new RedisEventBus(publisher, { onError: throttled((m) => log("warn", `redis events: ${m}`)) });
    const closeBus = bus.close.bind(bus);
    bus.close = async () => {
      await closeBus();
      await publisher.quit().catch(() => publisher.disconnect());
    };
    const cacheClient = redisClient(config.redisUrl, "bifrost-cache", log);
    const cache = Object.assign(new RedisCache(cacheClient), {
      close: async () => void (await cacheClient.quit().catch(() => cacheClient.disconnect())),
    });
    backends.bus = bus;
    backends.cache = cache;
    // On the cache's connection (closed with it), under a namespace of their own.
    counters = new RedisCache(cacheClient, { namespace: "limits" });
  }
  if (config.rabbitmqUrl) backends.queue = new RabbitQueue({ url: config.rabbitmqUrl, name: config.rabbitmqQueue });
  return { database, backends, shared: database.dialect === "postgres", counters };
}

/**
 * A Redis connection that comes back quickly after Redis restarts (retries every second
 * at most, instead of backing off to 5 s) and says so once per outage, not per attempt.
 * Commands issued meanwhile wait in ioredis's offline queue.
 */
function redisClient(url: string, name: string, log: (level: "info" | "warn" | "error", message: string) => void): Redis {
  const client = new Redis(url, {
    connectionName: name,
    retryStrategy: (times) => Math.min(100 * times, 1_000) + Math.floor(Math.random() * 100),
  });
  let down = false;
  client.on("error", (error: unknown) => {
    if (down) return;
    down = true;
    log("warn", `redis (${name}) connection lost, reconnecting: ${error instanceof Error ? error.message : String(error)}`);
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    log("info", `redis (${name}) reconnected`);
  });
  return client;
}

/** Passes on at most one message per `everyMs` (a connection that is down fails every few ms). */
function throttled(write: (message: string) => void, everyMs = 10_000): (error: unknown) => void {
  let last = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    write(error instanceof Error ? error.message : String(error));
  };
}

/** Processes sharing a database must seal secrets with one key: it cannot be generated per process. */
export function requireSharedSecretKey(config: PlatformConfig, shared: boolean): void {
  if (shared && !config.secretKey) {
    throw new ConfigError("BIFROST_SECRET_KEY is required when the database is shared (PostgreSQL): every server and worker must seal secrets with the same key");
  }
}
