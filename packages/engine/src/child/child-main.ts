/**
 * The worker child: loads compiled workflow modules and runs one handler at a time inside
 * an execution scope. It holds no database handle and no server secret; whatever it may
 * do beyond computing goes to the host as an `rpc` message, which the host authorizes.
 * Imports only the SDK and contracts (DESIGN.md).
 */
import { writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { isExecutable } from "bifrost/define";
import { formatLogMessage } from "bifrost/logger";
import { currentScope, runInScope, type ExecutionScope } from "bifrost/runtime";
import { BifrostError, z } from "bifrost";
import type { ChildMessage, HostMessage, IndexTask, RunOutcome, RunTask } from "@bifrost/contracts/ipc.js";
import type { FieldError, LogLevel } from "@bifrost/contracts/execution.js";
import { WorkflowOptionsSchema, type IndexedDefinition } from "@bifrost/contracts/workflow-options.js";
import { ResultTooLargeError, serializeError, snapshotVariables, toJsonSafe } from "./serialize.js";
import { installEgress } from "./egress.js";

// A first bound for the IPC channel, above the host's 64 KiB a line: the host redacts
// what it gets, then cuts to its own limit (and drops a secret's beginning at either cut).
const MAX_LOG_LINE = 1024 * 1024;

// The platform's inspector must never open in a child (SIGUSR1 would start one): a
// listener of our own keeps Node from handling the signal.
process.on("SIGUSR1", () => undefined);

/** This child's private folder for bundles (children cannot read the host's). */
const MODULE_DIR = process.env.BIFROST_MODULE_DIR ?? "";

/**
 * The URL to import a task's module from: the host sends a bundle's code the first time
 * this child runs it, and the child keeps it in its own folder (named by content hash).
 */
function moduleUrl(task: { modulePath: string; moduleCode?: string }): string {
  const path = join(MODULE_DIR, basename(task.modulePath));
  if (task.moduleCode !== undefined) writeFileSync(path, task.moduleCode);
  return pathToFileURL(path).href;
}

if (!process.send) {
  process.stderr.write("child-main must be started by the worker host (no IPC channel)\n");
  process.exit(2);
}
installEgress(); // the child has no network: fetch and node:http(s) go through the host's egress policy

function send(message: ChildMessage): void {
  process.send?.(message);
}

// console.* inside a run is captured as that run's log; outside, it goes to stdout/stderr.
const consoleLevels: [keyof Console, LogLevel][] = [
  ["log", "info"],
  ["info", "info"],
  ["debug", "debug"],
  ["trace", "debug"],
  ["warn", "warn"],
  ["error", "error"],
];
for (const [method, level] of consoleLevels) {
  const original = (console[method] as (...a: unknown[]) => void).bind(console);
  (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    const scope = currentScope();
    if (scope) scope.log(level, formatLogMessage(args[0], args.slice(1)));
    else original(...args);
  };
}

let rpcSeq = 0;
const pendingRpc = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let activeTask: RunTask | null = null;
let activeVars: Map<string, unknown> | null = null;
let activeRoi: { timeSaved: number; value: number } | null = null;

function fail(task: RunTask, error: RunOutcome & { ok: false }, retiring = false): void {
  if (activeTask === task) activeTask = null;
  send({ type: "run-done", taskId: task.taskId, outcome: error, heapUsed: process.memoryUsage().heapUsed, retiring });
}

async function loadExport(task: RunTask): Promise<{ fn: (p: unknown) => unknown; schema: z.ZodType | undefined }> {
  const mod = (await import(moduleUrl(task))) as Record<string, unknown>;
  if (task.exportName === null) {
    if (typeof mod.default !== "function") throw new Error("inline code did not compile to a function");
    return { fn: mod.default as (p: unknown) => unknown, schema: undefined };
  }
  const def = mod[task.exportName];
  if (!isExecutable(def)) throw new Error(`export "${task.exportName}" is not a workflow, tool or data provider`);
  return { fn: def.handler as (p: unknown) => unknown, schema: def.options.params };
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
}

async function run(task: RunTask): Promise<void> {
  const vars = new Map<string, unknown>();
  const roi = { ...task.context.roi };
  activeTask = task;
  activeVars = vars;
  activeRoi = roi;
  let loaded;
  try {
    loaded = await loadExport(task);
  } catch (error) {
    fail(task, { ok: false, error: { ...serializeError(error, "import"), code: "import", type: "ImportError" }, variables: {}, roi });
    return;
  }
  let params: unknown = task.params ?? {};
  if (loaded.schema) {
    const parsed = loaded.schema.safeParse(params);
    if (!parsed.success) {
      const validation = fieldErrors(parsed.error);
      const message = validation.map((v) => `${v.path}: ${v.message}`).join("; ");
      fail(task, { ok: false, error: { code: "validation", type: "ValidationError", message }, validation, variables: {}, roi });
      return;
    }
    params = parsed.data;
  }
  const context = { ...task.context, roi, parameters: params as Record<string, unknown> };
  const scope: ExecutionScope = {
    context,
    variables: vars,
    log(level, message) {
      send({
        type: "log",
        taskId: task.taskId,
        level,
        message: message.length > MAX_LOG_LINE ? `${message.slice(0, MAX_LOG_LINE)}… [line truncated]` : message,
        ts: new Date().toISOString(),
      });
    },
    call(method, args) {
      const id = ++rpcSeq;
      send({ type: "rpc", id, taskId: task.taskId, method, args });
      return new Promise((resolve, reject) => pendingRpc.set(id, { resolve, reject }));
    },
  };
  let outcome: RunOutcome;
  try {
    const result = await runInScope(scope, () => loaded.fn(params));
    let safe: unknown;
    try {
      safe = toJsonSafe(result, task.maxResultBytes);
    } catch (error) {
      if (error instanceof ResultTooLargeError) throw error;
      throw new TypeError(`the workflow's result cannot be stored as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    outcome = { ok: true, result: safe, variables: snapshotVariables(vars, task.maxVariableChars), roi };
  } catch (error) {
    outcome = { ok: false, error: serializeError(error), variables: snapshotVariables(vars, task.maxVariableChars), roi };
  }
  if (activeTask !== task) return; // a stray error already ended this run
  activeTask = null;
  send({ type: "run-done", taskId: task.taskId, outcome, heapUsed: process.memoryUsage().heapUsed });
}

async function index(task: IndexTask): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl(task))) as Record<string, unknown>;
  } catch (error) {
    send({ type: "index-done", taskId: task.taskId, outcome: { ok: false, error: serializeError(error, "import") }, heapUsed: 0 });
    return;
  }
  const definitions: IndexedDefinition[] = [];
  const errors: { exportName: string; message: string }[] = [];
  for (const [exportName, value] of Object.entries(mod)) {
    if (!isExecutable(value)) continue;
    const { params, ...rest } = value.options;
    const options = WorkflowOptionsSchema.safeParse(rest);
    if (!options.success) {
      errors.push({ exportName, message: options.error.issues.map((i) => `option ${i.path.join(".") || "(options)"}: ${i.message}`).join("; ") });
      continue;
    }
    if (params !== undefined && !(params instanceof z.ZodObject)) {
      errors.push({ exportName, message: "option params: must be a zod object, for example z.object({ name: z.string() })" });
      continue;
    }
    let paramsSchema: Record<string, unknown>;
    try {
      paramsSchema = params
        ? (z.toJSONSchema(params, { io: "input", unrepresentable: "any" }) as Record<string, unknown>)
        : { type: "object", properties: {} };
    } catch (error) {
      errors.push({ exportName, message: `option params: cannot be described as JSON Schema: ${serializeError(error).message}` });
      continue;
    }
    const kind = value[Symbol.for("bifrost.executable") as keyof typeof value] as IndexedDefinition["kind"];
    definitions.push({ exportName, kind, name: options.data.name ?? exportName, options: options.data, paramsSchema });
  }
  send({ type: "index-done", taskId: task.taskId, outcome: { ok: true, definitions, errors }, heapUsed: process.memoryUsage().heapUsed });
}

process.on("message", (message: HostMessage) => {
  switch (message.type) {
    case "run":
      void run(message);
      break;
    case "index":
      void index(message);
      break;
    case "rpc-reply": {
      const pending = pendingRpc.get(message.id);
      if (!pending) break;
      pendingRpc.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else {
        const e = new BifrostError(message.error?.message ?? "SDK call failed", message.error?.apiCode ?? "sdk_error", message.error?.status);
        if (message.error?.type && message.error.type !== "HttpError") e.name = message.error.type;
        pending.reject(e);
      }
      break;
    }
  }
});

// A stray async error belongs to the run in progress: fail it, then exit so the host
// replaces this child instead of reusing a process in an unknown state.
function fatal(error: unknown): void {
  const task = activeTask;
  if (task) {
    fail(task, {
      ok: false,
      error: serializeError(error),
      variables: activeVars ? snapshotVariables(activeVars, task.maxVariableChars) : {},
      roi: activeRoi ?? task.context.roi,
    }, true);
    activeTask = null;
  } else {
    process.stderr.write(`worker child: ${serializeError(error).stack ?? String(error)}\n`);
  }
  setImmediate(() => process.exit(70));
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);
process.on("disconnect", () => process.exit(0));

send({ type: "ready", pid: process.pid });
