import { join } from "node:path";
import { Redis } from "ioredis";
import type { EngineBackends } from "@bifrost/engine/engine.js";
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
): Promise<{ database: Database; backends: EngineBackends; shared: boolean }> {
  const database = await openDatabase(config.databaseUrl ?? join(config.dataDir, "bifrost.db"));
  const backends: EngineBackends = {};
  if (config.redisUrl) {
    const publisher = new Redis(config.redisUrl, { connectionName: "bifrost-publisher" });
    const bus = new RedisEventBus(publisher, { onError: (e) => log("error", `redis events: ${String(e)}`) });
    const closeBus = bus.close.bind(bus);
    bus.close = async () => {
      await closeBus();
      await publisher.quit().catch(() => publisher.disconnect());
    };
    const cacheClient = new Redis(config.redisUrl, { connectionName: "bifrost-cache" });
    const cache = Object.assign(new RedisCache(cacheClient), {
      close: async () => void (await cacheClient.quit().catch(() => cacheClient.disconnect())),
    });
    backends.bus = bus;
    backends.cache = cache;
  }
  if (config.rabbitmqUrl) backends.queue = new RabbitQueue({ url: config.rabbitmqUrl, name: config.rabbitmqQueue });
  return { database, backends, shared: database.dialect === "postgres" };
}

/** Processes sharing a database must seal secrets with one key: it cannot be generated per process. */
export function requireSharedSecretKey(config: PlatformConfig, shared: boolean): void {
  if (shared && !config.secretKey) {
    throw new ConfigError("BIFROST_SECRET_KEY is required when the database is shared (PostgreSQL): every server and worker must seal secrets with the same key");
  }
}
