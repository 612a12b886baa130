/**
 * Internal: the per-execution scope the worker child runs a handler in. Not part of the
 * public API; the child runtime and `bifrost/testing` use it.
 *
 * The store lives on `globalThis` under a registered symbol so that a second copy of this
 * package (a workflow folder with its own `node_modules/bifrost`) still sees the same
 * execution.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ExecutionContextData } from "@bifrost/contracts/context.js";
import type { LogLevel } from "@bifrost/contracts/execution.js";

export interface ExecutionScope {
  readonly context: ExecutionContextData;
  /** Receives every `logger.*` / `console.*` line written during the run. */
  log(level: LogLevel, message: string): void;
  /** Variables the handler assigned, recorded by the compiler's instrumentation. */
  readonly variables: Map<string, unknown>;
  /** Performs an SDK call on the platform (over IPC in a worker, HTTP outside). */
  call?(method: string, args: unknown[]): Promise<unknown>;
}

interface RuntimeGlobals {
  storage: AsyncLocalStorage<ExecutionScope>;
}

const KEY = Symbol.for("bifrost.runtime");
const holder = globalThis as unknown as Record<symbol, RuntimeGlobals | undefined>;
const runtime: RuntimeGlobals = (holder[KEY] ??= { storage: new AsyncLocalStorage<ExecutionScope>() });

/** The scope of the execution running now, if any. */
export function currentScope(): ExecutionScope | undefined {
  return runtime.storage.getStore();
}

/** Runs `fn` inside `scope`, so `context`, `logger` and the SDK modules act for it. */
export function runInScope<T>(scope: ExecutionScope, fn: () => T): T {
  return runtime.storage.run(scope, fn);
}

/**
 * Called by compiled workflow code (see the compiler's variable instrumentation) to get
 * the map it records assigned variables into. Outside an execution it returns a
 * throwaway map, so instrumented code also runs under plain Node or a test runner.
 */
export function variableRecorder(): Map<string, unknown> {
  return runtime.storage.getStore()?.variables ?? new Map();
}
