import type { ExecutionContextData } from "@bifrost/contracts/context.js";
import { BifrostError } from "./errors.js";
import { currentScope } from "./runtime.js";

/** The current execution, as the `context` proxy exposes it. */
export interface ExecutionContext extends Readonly<Omit<ExecutionContextData, "roi">> {
  /** ROI of this run; assign to change what a successful run records. */
  roi: { timeSaved: number; value: number };
}

/**
 * The execution that is running now: who runs it, for which organization, with which
 * input. Reading it outside a running workflow throws a `BifrostError`.
 *
 * @example
 * ```ts
 * import { workflow, context, logger } from "bifrost";
 *
 * export const whoami = workflow({}, async () => {
 *   logger.info(`Run ${context.executionId} for ${context.orgName ?? "the platform"}`);
 *   if (context.parameters.bulk) context.roi.timeSaved = 30; // this run saved more than usual
 *   return { org: context.orgId, trigger: context.trigger };
 * });
 * ```
 */
export const context: ExecutionContext = new Proxy({} as ExecutionContext, {
  get(_target, key) {
    const scope = currentScope();
    if (!scope) {
      if (typeof key === "symbol" || key === "then" || key === "toJSON") return undefined;
      throw new BifrostError(
        `context.${String(key)} was read outside a running workflow: context only exists while the platform (or bifrost/testing) runs a handler`,
      );
    }
    return (scope.context as unknown as Record<string | symbol, unknown>)[key];
  },
  set(_target, key, value) {
    const scope = currentScope();
    if (!scope) throw new BifrostError("context can only be changed inside a running workflow");
    if (key !== "roi") throw new BifrostError(`context.${String(key)} is read-only; only context.roi can be changed`);
    const roi = value as { timeSaved?: unknown; value?: unknown };
    scope.context.roi.timeSaved = Number(roi?.timeSaved ?? 0);
    scope.context.roi.value = Number(roi?.value ?? 0);
    return true;
  },
  has(_target, key) {
    const scope = currentScope();
    return scope ? key in scope.context : false;
  },
  ownKeys() {
    const scope = currentScope();
    return scope ? Reflect.ownKeys(scope.context) : [];
  },
  getOwnPropertyDescriptor(_target, key) {
    const scope = currentScope();
    if (!scope || !(key in scope.context)) return undefined;
    return { enumerable: true, configurable: true, value: (scope.context as unknown as Record<string | symbol, unknown>)[key] };
  },
});
