/**
 * `bifrost/testing`: run a workflow's handler in your own unit tests — with chosen params
 * and context, against an in-memory platform, without a server or worker processes.
 *
 * @example
 * ```ts
 * import { test, expect } from "vitest";
 * import { runWorkflow, TestPlatform } from "bifrost/testing";
 * import { createUser } from "../workspace/users.js";
 *
 * test("creates the user in the caller's organization", async () => {
 *   const platform = new TestPlatform({ config: { default_department: "eng" } });
 *   const run = await runWorkflow(createUser, { email: "ada@example.com", department: "eng" }, {
 *     platform,
 *     context: { orgId: "org-1", orgName: "Contoso" },
 *   });
 *   expect(run.status).toBe("Success");
 *   expect(run.logs.map((l) => l.message)).toContain("Creating ada@example.com in eng for Contoso");
 * });
 * ```
 * @module
 */
import type { ExecutionContextData } from "@bifrost/contracts/context.js";
import type { ExecutionStatus, FieldError, LogLine } from "@bifrost/contracts/execution.js";
import { REDACTED, type SdkCaller } from "@bifrost/contracts/sdk.js";
import { isExecutable, type Executable } from "./define.js";
import { BifrostError } from "./errors.js";
import { formatLogMessage } from "./logger.js";
import { currentScope, runInScope, type ExecutionScope } from "./runtime.js";
import { MemoryTables } from "./testing/tables-memory.js";

export { MemoryTables } from "./testing/tables-memory.js";

const TABLE_METHODS = ["create", "list", "drop", "insert", "upsert", "get", "update", "deleteDocument", "insertBatch", "upsertBatch", "deleteBatch", "query", "count"] as const;

// As on the platform, console.* inside a run belongs to that run's log; outside runs it is untouched.
const CONSOLE_PATCHED = Symbol.for("bifrost.testing.console");
if (!(globalThis as Record<symbol, unknown>)[CONSOLE_PATCHED]) {
  (globalThis as Record<symbol, unknown>)[CONSOLE_PATCHED] = true;
  const levels = { log: "info", info: "info", debug: "debug", warn: "warn", error: "error" } as const;
  for (const [method, level] of Object.entries(levels)) {
    const original = (console as unknown as Record<string, (...a: unknown[]) => void>)[method]!.bind(console);
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const scope = currentScope();
      if (scope) scope.log(level, formatLogMessage(args[0], args.slice(1)));
      else original(...args);
    };
  }
}

export interface TestRun<R = unknown> {
  status: Extract<ExecutionStatus, "Success" | "Failed" | "CompletedWithErrors">;
  result: R | null;
  error: string | null;
  errorType: string | null;
  /** Set when the params did not pass the workflow's schema (the handler did not run). */
  validationErrors: FieldError[] | null;
  /** Every logger.* and console.* line (secrets read through config already redacted). */
  logs: LogLine[];
  /** The context the handler saw, including any change to `roi`. */
  context: ExecutionContextData;
}

export interface TestPlatformOptions {
  /** Config values of the test organization, by key. */
  config?: Record<string, unknown>;
  /** Secret config values of the test organization (read back decrypted, redacted in logs). */
  secrets?: Record<string, unknown>;
  /** Global config values, visible to every organization unless it overrides them. */
  globalConfig?: Record<string, unknown>;
  /** Workflows `workflows.run(name)` / `workflows.execute(name)` may call, by export or by name. */
  workflows?: Record<string, Executable> | Executable[];
  organizations?: { id: string; name: string }[];
}

type Handler = (caller: SdkCaller, args: unknown[]) => unknown;

interface StoredRun {
  id: string;
  workflowName: string;
  orgId: string | null;
  parentId: string | null;
  status: ExecutionStatus;
  input: unknown;
  result: unknown;
  error: string | null;
  logs: LogLine[];
  createdAt: string;
}

/**
 * An in-memory stand-in for the platform's SDK surface: config (with secrets), tables (the
 * same filter semantics as the platform, checked by property tests), workflows (calling
 * other definitions in-process), executions of those runs, organizations. Other modules
 * answer with a clear "not available in bifrost/testing" error.
 */
export class TestPlatform {
  private readonly configValues = new Map<string, { value: unknown; secret: boolean }>();
  private readonly definitions = new Map<string, Executable>();
  readonly runs: StoredRun[] = [];
  readonly organizations: { id: string; name: string; createdAt: string; updatedAt: string }[];
  /** The in-memory `tables` module: seed or inspect documents directly in tests. */
  readonly tables = new MemoryTables("org");
  private readonly handlers = new Map<string, Handler>();
  private seq = 0;

  constructor(options: TestPlatformOptions = {}) {
    for (const [k, v] of Object.entries(options.globalConfig ?? {})) this.configValues.set(`global\u0000${k}`, { value: v, secret: false });
    for (const [k, v] of Object.entries(options.config ?? {})) this.configValues.set(`org\u0000${k}`, { value: v, secret: false });
    for (const [k, v] of Object.entries(options.secrets ?? {})) this.configValues.set(`org\u0000${k}`, { value: v, secret: true });
    const defs = Array.isArray(options.workflows) ? options.workflows.map((d) => [d.options.name ?? "", d] as const) : Object.entries(options.workflows ?? {});
    for (const [exportName, def] of defs) {
      if (!isExecutable(def)) throw new TypeError(`workflows.${exportName} is not a workflow(), tool() or dataProvider()`);
      this.definitions.set(def.options.name ?? exportName, def);
    }
    const now = new Date().toISOString();
    this.organizations = (options.organizations ?? []).map((o) => ({ ...o, createdAt: now, updatedAt: now }));
    this.installHandlers();
  }

  /** Sets a config value as a workflow would (`secret: true` for a secret). */
  setConfig(key: string, value: unknown, options: { secret?: boolean; scope?: "global" } = {}): void {
    this.configValues.set(`${options.scope === "global" ? "global" : "org"}\u0000${key}`, { value, secret: options.secret ?? false });
  }

  /** A config value as stored (secrets included), for assertions. */
  getConfig(key: string, options: { scope?: "global" } = {}): unknown {
    return this.configValues.get(`${options.scope === "global" ? "global" : "org"}\u0000${key}`)?.value ?? null;
  }

  /**
   * Adds a handler for an SDK method (`module.function`), e.g. to fake an integration.
   * For `ai.complete` the handler may return a string (the text), the object a
   * `responseFormat` asks for, or a whole completion; `ai.stream` then streams its text.
   */
  handle(method: string, handler: (...args: unknown[]) => unknown): void {
    if (method === "ai.complete") {
      this.handlers.set(method, async (_caller, args) => fakeCompletion(await handler(...args)));
      return;
    }
    this.handlers.set(method, (_caller, args) => handler(...args));
  }

  /** @internal Performs an SDK call made by a handler running on this platform. */
  async call(caller: SdkCaller, method: string, args: unknown[], secrets: Set<string>): Promise<unknown> {
    const handler = this.handlers.get(method);
    if (!handler) {
      throw new BifrostError(`${method}() is not available in bifrost/testing: give the TestPlatform a handler with platform.handle("${method}", …)`, "not_available");
    }
    const value = await handler({ ...caller }, args);
    if (method === "config.get") {
      const entry = this.configValues.get(`org\u0000${String(args[0])}`) ?? this.configValues.get(`global\u0000${String(args[0])}`);
      if (entry?.secret && typeof value === "string") secrets.add(value);
    }
    // Values cross a process boundary on the real platform: keep tests honest about it.
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  }

  private installHandlers(): void {
    // ai.stream: one piece, the text of the ai.complete handler's answer.
    const streams = new Map<string, Record<string, unknown>>();
    this.handlers.set("ai.streamStart", async (caller, args) => {
      const complete = this.handlers.get("ai.complete");
      if (!complete) throw new BifrostError('ai.stream() is not available in bifrost/testing: give the TestPlatform a handler with platform.handle("ai.complete", …)', "not_available");
      const id = `stream-${++this.seq}`;
      streams.set(id, (await complete(caller, args)) as Record<string, unknown>);
      return { streamId: id };
    });
    this.handlers.set("ai.streamNext", (_c, [id]) => {
      const answer = streams.get(String(id));
      if (!answer) throw new BifrostError(`AI stream ${String(id)} not found`, "not_found", 404);
      streams.delete(String(id));
      const { text, object: _object, ...result } = answer;
      return { chunks: text ? [text] : [], done: true, result };
    });
    this.handlers.set("ai.streamCancel", (_c, [id]) => streams.delete(String(id)));
    for (const method of TABLE_METHODS) {
      const fn = (this.tables[method] as (...a: unknown[]) => Promise<unknown>).bind(this.tables);
      this.handlers.set(`tables.${method}`, (_c, args) => fn(...args));
    }
    const scopeOf = (options: unknown) => ((options as { scope?: string } | undefined)?.scope === "global" ? "global" : "org");
    this.handlers.set("config.get", (_c, [key, options]) => {
      const o = (options ?? {}) as { default?: unknown; scope?: string };
      const entry = o.scope === "global" ? this.configValues.get(`global\u0000${String(key)}`) : (this.configValues.get(`org\u0000${String(key)}`) ?? this.configValues.get(`global\u0000${String(key)}`));
      return entry ? entry.value : (o.default ?? null);
    });
    this.handlers.set("config.set", (_c, [key, value, options]) => {
      this.configValues.set(`${scopeOf(options)}\u0000${String(key)}`, { value, secret: Boolean((options as { secret?: boolean } | undefined)?.secret) });
      return null;
    });
    this.handlers.set("config.list", () =>
      [...this.configValues].map(([k, v]) => {
        const [scope, key] = k.split("\u0000") as [string, string];
        return { key, type: v.secret ? "secret" : typeof v.value, value: v.secret ? null : v.value, secret: v.secret, scope: scope === "org" ? "org" : "global", updatedAt: "" };
      }),
    );
    this.handlers.set("config.delete", (_c, [key, options]) => this.configValues.delete(`${scopeOf(options)}\u0000${String(key)}`));
    this.handlers.set("workflows.list", () => [...this.definitions].map(([name, d]) => ({ name, kind: d[Symbol.for("bifrost.executable") as never], description: d.options.description ?? null })));
    this.handlers.set("workflows.get", (_c, [name]) => {
      const d = this.definitions.get(String(name));
      if (!d) throw new BifrostError(`Workflow "${String(name)}" not found`, "not_found", 404);
      return { name, description: d.options.description ?? null };
    });
    this.handlers.set("workflows.run", async (caller, [name, params]) => {
      const run = await this.runNested(caller, String(name), params);
      if (run.status === "Failed") throw new BifrostError(`Workflow "${String(name)}" ended Failed (execution ${run.id}): ${run.error}`, "workflow_failed", 409);
      return run.result;
    });
    this.handlers.set("workflows.execute", async (caller, [name, params]) => (await this.runNested(caller, String(name), params)).id);
    this.handlers.set("executions.get", (_c, [id]) => {
      const run = this.runs.find((r) => r.id === id);
      if (!run) throw new BifrostError("Execution not found", "not_found", 404);
      return run;
    });
    // Summaries, as on the platform: no input, result or logs.
    this.handlers.set("executions.list", () => [...this.runs].reverse().map(({ input: _i, result: _r, logs: _l, ...summary }) => summary));
    this.handlers.set("executions.logs", (_c, [id]) => this.runs.find((r) => r.id === id)?.logs ?? []);
    const adminOnly = (caller: SdkCaller) => {
      if (!caller.isPlatformAdmin) throw new BifrostError("organizations: only platform admins can manage organizations", "forbidden", 403);
    };
    this.handlers.set("organizations.list", (c) => (adminOnly(c), this.organizations));
    this.handlers.set("organizations.get", (c, [id]) => {
      adminOnly(c);
      const org = this.organizations.find((o) => o.id === id);
      if (!org) throw new BifrostError(`Organization ${String(id)} not found`, "not_found", 404);
      return org;
    });
    this.handlers.set("organizations.create", (c, [name]) => {
      adminOnly(c);
      const now = new Date().toISOString();
      const org = { id: `org-${++this.seq}`, name: String(name), createdAt: now, updatedAt: now };
      this.organizations.push(org);
      return org;
    });
  }

  private async runNested(caller: SdkCaller, name: string, params: unknown): Promise<StoredRun> {
    const def = this.definitions.get(name);
    if (!def) throw new BifrostError(`Workflow "${name}" not found: pass it to new TestPlatform({ workflows })`, "not_found", 404);
    if (caller.depth + 1 > 10) throw new BifrostError(`Workflow "${name}" was not started: runs may nest at most 10 deep`, "depth_limit", 422);
    const run = await runWorkflow(def, (params ?? {}) as never, {
      platform: this,
      context: { orgId: caller.orgId, orgName: caller.orgName, isPlatformAdmin: caller.isPlatformAdmin, trigger: "workflow" },
      depth: caller.depth + 1,
      parentId: caller.executionId,
    });
    if (run.validationErrors) {
      throw new BifrostError(`Invalid input: ${run.validationErrors.map((f) => `${f.path} ${f.message}`).join("; ")}`, "validation_failed", 422);
    }
    return this.runs.find((r) => r.id === run.context.executionId)!;
  }

  /** @internal */
  record(run: StoredRun): void {
    this.runs.push(run);
  }

  /** @internal */
  nextId(): string {
    return `test-execution-${++this.seq}`;
  }
}

/** A fake `ai.complete` answer in the platform's shape. */
function fakeCompletion(value: unknown): unknown {
  const base = { model: "test-model", provider: "test", finishReason: "stop", usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, knowledge: [] };
  if (typeof value === "string") return { ...base, text: value };
  if (typeof value === "object" && value !== null && "text" in value && "usage" in value) return { ...base, ...value };
  return { ...base, text: JSON.stringify(value), object: value };
}

/**
 * Runs a workflow's handler as the platform would — params validated by its schema
 * (defaults applied), inside an execution context, logs captured, SDK calls answered by
 * `options.platform` — and returns the outcome instead of throwing.
 *
 * @example
 * ```ts
 * import { runWorkflow } from "bifrost/testing";
 * import { hello } from "../workspace/hello.js";
 *
 * const run = await runWorkflow(hello, { name: "Ada" }, { context: { orgId: "org-1" } });
 * // run.status === "Success", run.result, run.logs
 * const bad = await runWorkflow(hello, { name: "" });
 * // bad.status === "Failed", bad.validationErrors === [{ path: "name", message: "…" }]
 * ```
 */
export async function runWorkflow<R>(
  definition: Executable<never, R> | Executable,
  params: Record<string, unknown> = {},
  options: { platform?: TestPlatform; context?: Partial<ExecutionContextData>; depth?: number; parentId?: string | null } = {},
): Promise<TestRun<R>> {
  if (!isExecutable(definition)) throw new TypeError("runWorkflow(definition, …): definition must be a workflow(), tool() or dataProvider()");
  const platform = options.platform ?? new TestPlatform();
  const id = platform.nextId();
  const name = definition.options.name ?? "workflow";
  const context: ExecutionContextData = {
    executionId: id,
    workflowId: null,
    workflowName: name,
    orgId: null,
    orgName: null,
    userId: "test-user",
    email: null,
    userName: "test",
    isPlatformAdmin: false,
    isGlobalScope: false,
    parameters: params,
    trigger: "test",
    roi: { timeSaved: definition.options.timeSaved ?? 0, value: definition.options.value ?? 0 },
    attempt: 1,
    ...options.context,
  };
  context.isGlobalScope = context.orgId === null;
  const logs: LogLine[] = [];
  const secrets = new Set<string>();
  const redact = (text: string) => [...secrets].reduce((t, s) => (s.length >= 4 ? t.split(s).join(REDACTED) : t), text);
  const finish = (run: Omit<TestRun<R>, "logs" | "context">): TestRun<R> => {
    const out = { ...run, logs, context };
    platform.record({ id, workflowName: name, orgId: context.orgId, parentId: options.parentId ?? null, status: run.status, input: params, result: run.result, error: run.error, logs, createdAt: new Date().toISOString() });
    return out;
  };

  let input: unknown = params;
  const schema = definition.options.params;
  if (schema) {
    const parsed = schema.safeParse(params);
    if (!parsed.success) {
      const validationErrors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
      return finish({ status: "Failed", result: null, error: "Invalid input", errorType: "ValidationError", validationErrors });
    }
    input = parsed.data;
    context.parameters = parsed.data as Record<string, unknown>;
  }
  const caller: SdkCaller = {
    orgId: context.orgId,
    orgName: context.orgName,
    isPlatformAdmin: context.isPlatformAdmin,
    keyId: context.userId,
    userName: context.userName,
    executionId: id,
    depth: options.depth ?? 0,
  };
  const scope: ExecutionScope = {
    context,
    variables: new Map(),
    log: (level, message) => logs.push({ seq: logs.length + 1, level, message: redact(message), ts: new Date().toISOString() }),
    call: (method, args) => platform.call(caller, method, args, secrets),
  };
  try {
    const result = (await runInScope(scope, () => definition.handler(input as never))) as R;
    const partial = typeof result === "object" && result !== null && (result as { success?: unknown }).success === false;
    return finish({ status: partial ? "CompletedWithErrors" : "Success", result, error: null, errorType: null, validationErrors: null });
  } catch (error) {
    const e = error as Error;
    return finish({ status: "Failed", result: null, error: redact(String(e?.message ?? error)), errorType: e?.name ?? "Error", validationErrors: null });
  }
}
