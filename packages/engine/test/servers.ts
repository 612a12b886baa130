/**
 * The real servers the distributed backends are tested against. CI starts them; when one
 * is down the suites fail with this message instead of skipping.
 */
import { connect, type ChannelModel } from "amqplib";
import { Redis } from "ioredis";

export const RABBITMQ_URL = process.env.BIFROST_RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
export const REDIS_URL = process.env.BIFROST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A plain AMQP connection for inspecting and cleaning up queues; throws a clear error when RabbitMQ is down. */
export async function connectRabbit(): Promise<ChannelModel> {
  try {
    const model = await connect(RABBITMQ_URL, { timeout: 3_000 });
    model.on("error", () => undefined);
    return model;
  } catch (error) {
    throw new Error(
      `RabbitMQ is not reachable at ${RABBITMQ_URL.replace(/\/\/[^@]*@/, "//")} (${reason(error)}). ` +
        "The distributed-backend tests need a real broker: start it with `rabbitmq-server -detached` (.ci/run does) " +
        "or point BIFROST_RABBITMQ_URL at one.",
    );
  }
}

/** A Redis client that has connected (no endless retry); throws a clear error when Redis is down. */
export async function connectRedis(options: { connectionName?: string } = {}): Promise<Redis> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let socketError: unknown = null;
  probe.on("error", (e: unknown) => (socketError = e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    error = socketError ?? error;
    probe.disconnect();
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${reason(error)}). The distributed-backend tests need a real server: ` +
        'start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` (.ci/run does) ' +
        "or point BIFROST_REDIS_URL at one.",
    );
  }
  probe.disconnect();
  const client = new Redis(REDIS_URL, { connectionName: options.connectionName });
  client.on("error", () => undefined);
  await client.ping();
  return client;
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(reason).join("; ");
  return error instanceof Error ? error.message || error.name : String(error);
}
