import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { eventually, freePort } from "./wait.js";
import type { FastifyInstance, InjectOptions } from "fastify";
import { loadConfig } from "@bifrost/server/config.js";
import { startPlatform, type Platform } from "@bifrost/server/platform.js";

export { eventually, freePort };

export const ADMIN_KEY = "test-admin-key-0123456789abcdef";

export const PG = process.env.BIFROST_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const RABBIT = process.env.BIFROST_TEST_RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
export const REDIS = process.env.BIFROST_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * `BIFROST_TEST_MODE=distributed` runs the same end-to-end suites on the distributed
 * backends: every test platform gets its own PostgreSQL schema and RabbitMQ queue, and
 * Redis for events and caches (see the `distributed` project in vitest.config.ts).
 */
export const DISTRIBUTED = process.env.BIFROST_TEST_MODE === "distributed";

/** Drops a test's PostgreSQL schema and deletes its RabbitMQ queue (and dead-letter queue); never throws. */
export async function dropDistributedResources(schema: string, queue: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: PG });
  await client
    .connect()
    .then(() => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
    .catch(() => undefined)
    .finally(() => client.end().catch(() => undefined));
  const { default: amqp } = await import("amqplib");
  const connection = await amqp.connect(RABBIT).catch(() => null);
  if (!connection) return;
  const channel = await connection.createChannel();
  for (const q of [queue, `${queue}.dead`]) await channel.deleteQueue(q).catch(() => undefined);
  await connection.close().catch(() => undefined);
}

function distributedBackends(): { env: Record<string, string>; cleanup: () => Promise<void> } {
  const suffix = randomBytes(5).toString("hex");
  const schema = `bf_e2e_${suffix}`;
  const queue = `bifrost.test.e2e.${suffix}`;
  return {
    env: {
      BIFROST_DATABASE_URL: `${PG}?schema=${schema}`,
      BIFROST_RABBITMQ_URL: RABBIT,
      BIFROST_RABBITMQ_QUEUE: queue,
      BIFROST_REDIS_URL: REDIS,
      BIFROST_SECRET_KEY: "b".repeat(64),
    },
    cleanup: () => dropDistributedResources(schema, queue),
  };
}

export interface TestPlatform {
  platform: Platform;
  app: FastifyInstance;
  dir: string;
  workspace: string;
  /** Writes a workspace file (creating folders). */
  write(rel: string, source: string): void;
  /** app.inject with the admin key unless `key` is given (null = no auth header). */
  call(options: InjectOptions & { key?: string | null; org?: string }): ReturnType<FastifyInstance["inject"]>;
  close(): Promise<void>;
}

/** A real embedded platform on a temp data dir and workspace, not listening (uses inject). */
export async function startTestPlatform(
  files: Record<string, string>,
  env: Record<string, string> = {},
  options: { listen?: boolean } = {},
): Promise<TestPlatform> {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-test-"));
  const workspace = join(dir, "workspace");
  const write = (rel: string, source: string) => {
    const path = join(workspace, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, source);
  };
  for (const [rel, source] of Object.entries(files)) write(rel, source);
  mkdirSync(workspace, { recursive: true });
  const distributed = DISTRIBUTED ? distributedBackends() : null;
  const config = loadConfig({
    ...distributed?.env,
    BIFROST_DATA_DIR: join(dir, "data"),
    BIFROST_WORKSPACE: workspace,
    BIFROST_ADMIN_API_KEY: ADMIN_KEY,
    BIFROST_WORKERS: "2",
    BIFROST_WORKER_MEMORY_MB: "128",
    BIFROST_WATCH: "false",
    BIFROST_LOG_LEVEL: "silent",
    PORT: "0",
    ...env,
  });
  const platform = await startPlatform(config, { listen: options.listen ?? false, log: () => undefined });
  return {
    platform,
    app: platform.app,
    dir,
    workspace,
    write,
    call({ key, org, headers, ...rest }) {
      const auth = key === null ? {} : { authorization: `Bearer ${key ?? ADMIN_KEY}` };
      return platform.app.inject({ ...rest, headers: { ...auth, ...(org ? { "x-bifrost-org": org } : {}), ...headers } });
    },
    async close() {
      await platform.close();
      await distributed?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an organization and an API key for it through the API (as the platform admin). */
export async function createOrgWithKey(t: TestPlatform, name: string): Promise<{ orgId: string; key: string }> {
  const org = await t.call({ method: "POST", url: "/api/organizations", payload: { name } });
  if (org.statusCode !== 201) throw new Error(`creating organization ${name}: ${org.body}`);
  const orgId = org.json().id as string;
  const key = await t.call({ method: "POST", url: "/api/api-keys", payload: { name: `${name} key`, organizationId: orgId } });
  if (key.statusCode !== 201) throw new Error(`creating a key for ${name}: ${key.body}`);
  return { orgId, key: key.json().key as string };
}

/**
 * Every route the app registered, as Fastify's own table lists them (`printRoutes`: a tree
 * of path segments with their methods), one entry per method and URL as registered.
 */
export function routeTable(app: FastifyInstance): { method: string; url: string }[] {
  const routes: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const level = m[1]!.length / 4;
    stack.length = level;
    stack.push(m[2]!);
    for (const method of (m[3] ?? "").split(",").map((s) => s.trim()).filter(Boolean)) routes.push({ method, url: stack.join("") });
  }
  return routes;
}
