import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";
import { parseAllowRule } from "@bifrost/engine/egress/egress-policy.js";

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

/** An IP address, or a CIDR range of them (`10.0.0.0/8`, `fd00::/8`). */
function isProxyAddress(value: string): boolean {
  const [ip, bits, ...rest] = value.split("/");
  const family = isIP(ip ?? "");
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** A comma- (or space-) separated list, each entry checked by `check` (which throws with the reason). */
const list = (name: string, check: (entry: string) => void) =>
  z
    .string()
    .default("")
    .transform((text, ctx) => {
      const entries = text.split(/[\s,]+/).filter((e) => e !== "");
      for (const entry of entries) {
        try {
          check(entry);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `${name} entry ${(error as Error).message}` });
        }
      }
      return entries;
    });

/** A DNS server: `1.1.1.1`, `10.0.0.2:53`, `::1` or `[::1]:5353`. */
function checkDnsServer(entry: string): void {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(entry);
  const ip = m ? m[1]! : entry;
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (!isIP(ip) || port < 1 || port > 65535) throw new Error(`"${entry}" is not a DNS server address: give an IP address, optionally with a port (10.0.0.2:53, [::1]:5353)`);
}

const EnvSchema = z.object({
  PORT: int("PORT", 0, 65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  BIFROST_DATA_DIR: z.string().default("./data"),
  BIFROST_WORKSPACE: z.string().default("./workspace"),
  BIFROST_ADMIN_API_KEY: z.string().min(24, "BIFROST_ADMIN_API_KEY must be at least 24 characters").optional(),
  BIFROST_SECRET_KEY: z.string().optional(),
  BIFROST_DATABASE_URL: z.string().min(1).optional(),
  BIFROST_REDIS_URL: z.string().regex(/^rediss?:\/\//, "BIFROST_REDIS_URL must start with redis:// or rediss://").optional(),
  BIFROST_RABBITMQ_QUEUE: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, "BIFROST_RABBITMQ_QUEUE may use letters, digits and _ . : - only").default("bifrost.executions"),
  BIFROST_RABBITMQ_URL: z.string().regex(/^amqps?:\/\//, "BIFROST_RABBITMQ_URL must start with amqp:// or amqps://").optional(),
  BIFROST_WORKERS: int("BIFROST_WORKERS", 1, 256).optional(),
  BIFROST_WORKER_MEMORY_MB: int("BIFROST_WORKER_MEMORY_MB", 32, 65536).default(512),
  BIFROST_WORKER_MAX_RUNS: int("BIFROST_WORKER_MAX_RUNS", 1, 10_000_000).default(10_000),
  BIFROST_BODY_LIMIT_BYTES: int("BIFROST_BODY_LIMIT_BYTES", 1024, 1024 * 1024 * 1024).default(5 * 1024 * 1024),
  BIFROST_MAX_LOG_LINES: int("BIFROST_MAX_LOG_LINES", 10, 10_000_000).default(10_000),
  BIFROST_MAX_LOG_BYTES: int("BIFROST_MAX_LOG_BYTES", 64 * 1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  BIFROST_MAX_VARIABLE_CHARS: int("BIFROST_MAX_VARIABLE_CHARS", 16, 10_000_000).default(4096),
  BIFROST_MAX_VARIABLES_BYTES: int("BIFROST_MAX_VARIABLES_BYTES", 1024, 1024 * 1024 * 1024).default(1024 * 1024),
  BIFROST_MAX_RESULT_BYTES: int("BIFROST_MAX_RESULT_BYTES", 1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  BIFROST_WATCH: z.enum(["true", "false"]).default("true"),
  BIFROST_MAX_FILE_BYTES: int("BIFROST_MAX_FILE_BYTES", 1024, 1024 * 1024 * 1024 * 16).default(50 * 1024 * 1024),
  BIFROST_SCHEDULER: z.enum(["true", "false"]).default("true"),
  BIFROST_SYNC_STALE_SECONDS: int("BIFROST_SYNC_STALE_SECONDS", 5, 86_400).default(30),
  BIFROST_REPUBLISH_AFTER_SECONDS: int("BIFROST_REPUBLISH_AFTER_SECONDS", 5, 86_400).default(300),
  BIFROST_ENDPOINT_RATE_LIMIT: int("BIFROST_ENDPOINT_RATE_LIMIT", 1, 1_000_000).default(600),
  BIFROST_MAX_JSON_DEPTH: int("BIFROST_MAX_JSON_DEPTH", 2, 1000).default(64),
  BIFROST_AUTH_FAIL_LIMIT: int("BIFROST_AUTH_FAIL_LIMIT", 1, 1_000_000).default(30),
  BIFROST_SESSION_IDLE_MINUTES: int("BIFROST_SESSION_IDLE_MINUTES", 1, 10_080).default(60),
  BIFROST_SESSION_MAX_HOURS: int("BIFROST_SESSION_MAX_HOURS", 1, 8_760).default(24),
  BIFROST_REQUIRE_MFA_FOR_ADMINS: z.enum(["true", "false"], { error: "BIFROST_REQUIRE_MFA_FOR_ADMINS must be true or false" }).default("false"),
  BIFROST_OIDC_ISSUER: z.string().regex(/^https?:\/\/\S+$/, "BIFROST_OIDC_ISSUER must be the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0").optional(),
  BIFROST_OIDC_CLIENT_ID: z.string().min(1).optional(),
  BIFROST_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  BIFROST_OIDC_SCOPES: z.string().min(1).default("openid email profile"),
  BIFROST_OIDC_CREATE_USERS_IN: z.string().min(1).optional(),
  BIFROST_LOGIN_FAIL_LIMIT: int("BIFROST_LOGIN_FAIL_LIMIT", 1, 1_000_000).default(10),
  BIFROST_TRUST_PROXY: z
    .string()
    .refine(
      (v) => v === "true" || v === "false" || v.split(",").every((a) => isProxyAddress(a.trim())),
      "BIFROST_TRUST_PROXY must be true, false, or comma-separated proxy addresses or CIDRs (e.g. 10.0.0.0/8)",
    )
    .default("false"),
  BIFROST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  BIFROST_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s?#]+$/, "BIFROST_PUBLIC_URL must be an http(s) URL without query or fragment, e.g. https://bifrost.example.com")
    .optional(),
  BIFROST_OAUTH_TIMEOUT_MS: int("BIFROST_OAUTH_TIMEOUT_MS", 100, 120_000).default(10_000),
  BIFROST_OAUTH_REFRESH_INTERVAL_SECONDS: int("BIFROST_OAUTH_REFRESH_INTERVAL_SECONDS", 0, 86_400).default(60),
  BIFROST_SANDBOX: z.enum(["auto", "os", "off"], { error: "BIFROST_SANDBOX must be auto, os or off" }).default("auto"),
  BIFROST_SANDBOX_UID: int("BIFROST_SANDBOX_UID", 1, 4_294_967_294).default(65534),
  BIFROST_EGRESS_ALLOW: list("BIFROST_EGRESS_ALLOW", parseAllowRule),
  BIFROST_EGRESS_DNS_SERVERS: list("BIFROST_EGRESS_DNS_SERVERS", checkDnsServer),
});

export interface PlatformConfig {
  port: number;
  host: string;
  dataDir: string;
  workspace: string;
  adminApiKey: string | null;
  /** PostgreSQL (`postgres://…[?schema=…]`) or a SQLite file; default `<dataDir>/bifrost.db`. */
  databaseUrl: string | null;
  /** Redis for live events and caches across processes; null = in-process. */
  redisUrl: string | null;
  /** RabbitMQ for queued runs; null = the database's jobs table. */
  rabbitmqUrl: string | null;
  /** The RabbitMQ queue (its dead letters: `<name>.dead`). */
  rabbitmqQueue: string;
  /** BIFROST_SECRET_KEY as given (64 hex or base64 of 32 bytes); null = generated into the data dir. */
  secretKey: string | null;
  workers: number;
  workerMemoryMb: number;
  workerMaxRuns: number;
  bodyLimitBytes: number;
  maxLogLines: number;
  /** Log text (UTF-8 bytes) a run keeps over all its attempts; the rest is dropped with one note. */
  maxLogBytes: number;
  maxVariableChars: number;
  /** All of a run's variables together (bytes of JSON); the rest are left out with one note. */
  maxVariablesBytes: number;
  /** Largest result kept (bytes of JSON); a run returning more ends Failed (`ResultTooLarge`). */
  maxResultBytes: number;
  watch: boolean;
  /** Largest file the files module reads or writes. */
  maxFileBytes: number;
  /** Run the cron scheduler in this process. */
  scheduler: boolean;
  /** A sync run whose process has not beaten for this long is ended by another process. */
  syncStaleSeconds: number;
  /** With RabbitMQ, a run Pending and untouched for this long is published again. */
  republishAfterSeconds: number;
  /** Endpoint calls per key a minute. */
  endpointRateLimit: number;
  /** Deepest nesting of objects and arrays accepted in JSON bodies and SDK arguments. */
  maxJsonDepth: number;
  /** Failed authentications (bad API or endpoint keys) per client address a minute before 429. */
  authFailLimit: number;
  /** A sign-in session ends when unused this long. */
  sessionIdleMinutes: number;
  /** A sign-in session ends this long after sign-in, used or not. */
  sessionMaxHours: number;
  /** Single sign-on with OpenID Connect; null = off. */
  oidc: { issuer: string; clientId: string; clientSecret: string; scopes: string; createUsersIn: string | null } | null;
  /** Platform-admin users must turn on two-factor sign-in before anything else. */
  requireMfaForAdmins: boolean;
  /** Failed sign-ins per account a minute before 429 (per address: authFailLimit). */
  loginFailLimit: number;
  /** Which proxies' X-Forwarded-For to believe for the client address (Fastify's `trustProxy`). */
  trustProxy: boolean | string[];
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** The platform's public base URL (OAuth redirect URIs); null = the request's own origin. */
  publicUrl: string | null;
  /** Longest wait for an OAuth token endpoint. */
  oauthTimeoutMs: number;
  /** How often expiring OAuth tokens are renewed in the background (0 = never). */
  oauthRefreshIntervalSeconds: number;
  /** How worker children are walled off: `auto` (OS sandbox where available), `os` (required), `off`. */
  sandbox: "auto" | "os" | "off";
  /** The uid (and gid) sandboxed children run as when the platform runs as root. */
  sandboxUid: number;
  /**
   * Non-public hosts, host:port, IP addresses and networks (CIDR) workflows may reach;
   * every public address is reachable, loopback/link-local/private ones only when listed.
   */
  egressAllow: string[];
  /** DNS servers for the names workflows connect to (empty = the system resolver). */
  egressDnsServers: string[];
}

/** `true`/`false`, or a list of addresses and CIDRs, as Fastify's `trustProxy` takes them. */
function parseTrustProxy(value: string): boolean | string[] {
  if (value === "true") return true;
  if (value === "false") return false;
  return value.split(",").map((s) => s.trim());
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the environment once, at start-up; errors name the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    );
  }
  const e = parsed.data;
  const oidcSet = [e.BIFROST_OIDC_ISSUER, e.BIFROST_OIDC_CLIENT_ID, e.BIFROST_OIDC_CLIENT_SECRET].filter((v) => v !== undefined).length;
  if (oidcSet !== 0 && oidcSet !== 3) {
    throw new ConfigError("invalid configuration:\n  BIFROST_OIDC_ISSUER, BIFROST_OIDC_CLIENT_ID and BIFROST_OIDC_CLIENT_SECRET go together: set all three for single sign-on, or none");
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.BIFROST_DATA_DIR),
    workspace: resolve(e.BIFROST_WORKSPACE),
    adminApiKey: e.BIFROST_ADMIN_API_KEY ?? null,
    secretKey: e.BIFROST_SECRET_KEY ?? null,
    databaseUrl: e.BIFROST_DATABASE_URL ?? null,
    redisUrl: e.BIFROST_REDIS_URL ?? null,
    rabbitmqUrl: e.BIFROST_RABBITMQ_URL ?? null,
    rabbitmqQueue: e.BIFROST_RABBITMQ_QUEUE,
    workers: e.BIFROST_WORKERS ?? Math.max(2, availableParallelism()),
    workerMemoryMb: e.BIFROST_WORKER_MEMORY_MB,
    workerMaxRuns: e.BIFROST_WORKER_MAX_RUNS,
    bodyLimitBytes: e.BIFROST_BODY_LIMIT_BYTES,
    maxLogLines: e.BIFROST_MAX_LOG_LINES,
    maxLogBytes: e.BIFROST_MAX_LOG_BYTES,
    maxVariableChars: e.BIFROST_MAX_VARIABLE_CHARS,
    maxVariablesBytes: e.BIFROST_MAX_VARIABLES_BYTES,
    maxResultBytes: e.BIFROST_MAX_RESULT_BYTES,
    watch: e.BIFROST_WATCH === "true",
    endpointRateLimit: e.BIFROST_ENDPOINT_RATE_LIMIT,
    maxJsonDepth: e.BIFROST_MAX_JSON_DEPTH,
    authFailLimit: e.BIFROST_AUTH_FAIL_LIMIT,
    trustProxy: parseTrustProxy(e.BIFROST_TRUST_PROXY),
    sessionIdleMinutes: e.BIFROST_SESSION_IDLE_MINUTES,
    sessionMaxHours: e.BIFROST_SESSION_MAX_HOURS,
    loginFailLimit: e.BIFROST_LOGIN_FAIL_LIMIT,
    requireMfaForAdmins: e.BIFROST_REQUIRE_MFA_FOR_ADMINS === "true",
    oidc:
      oidcSet === 3
        ? { issuer: e.BIFROST_OIDC_ISSUER!, clientId: e.BIFROST_OIDC_CLIENT_ID!, clientSecret: e.BIFROST_OIDC_CLIENT_SECRET!, scopes: e.BIFROST_OIDC_SCOPES, createUsersIn: e.BIFROST_OIDC_CREATE_USERS_IN ?? null }
        : null,
    scheduler: e.BIFROST_SCHEDULER === "true",
    syncStaleSeconds: e.BIFROST_SYNC_STALE_SECONDS,
    republishAfterSeconds: e.BIFROST_REPUBLISH_AFTER_SECONDS,
    maxFileBytes: e.BIFROST_MAX_FILE_BYTES,
    logLevel: e.BIFROST_LOG_LEVEL,
    publicUrl: e.BIFROST_PUBLIC_URL ? e.BIFROST_PUBLIC_URL.replace(/\/+$/, "") : null,
    oauthTimeoutMs: e.BIFROST_OAUTH_TIMEOUT_MS,
    oauthRefreshIntervalSeconds: e.BIFROST_OAUTH_REFRESH_INTERVAL_SECONDS,
    sandbox: e.BIFROST_SANDBOX,
    sandboxUid: e.BIFROST_SANDBOX_UID,
    egressAllow: e.BIFROST_EGRESS_ALLOW,
    egressDnsServers: e.BIFROST_EGRESS_DNS_SERVERS,
  };
}
