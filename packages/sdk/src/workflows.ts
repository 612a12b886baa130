import type { WorkflowSummary } from "@bifrost/contracts/workflow-options.js";
import { call } from "./transport.js";

export type { WorkflowSummary };

/**
 * Lists the workflows the current organization can run (its own and global ones).
 *
 * @example
 * ```ts
 * import { workflows } from "bifrost";
 *
 * const tools = await workflows.list({ type: "tool" });
 * console.log(tools.map((w) => w.name));
 * ```
 */
export function list(filters: { category?: string; tag?: string; type?: string; text?: string } = {}): Promise<Omit<WorkflowSummary, never>[]> {
  return call("workflows.list", [filters], { idempotent: true });
}

/**
 * One workflow's registration (options, JSON Schema of its params), by name or id.
 *
 * @example
 * ```ts
 * import { workflows } from "bifrost";
 *
 * const w = await workflows.get("create_user");
 * console.log(w.paramsSchema);
 * ```
 */
export function get(idOrName: string): Promise<WorkflowSummary> {
  return call("workflows.get", [idOrName], { idempotent: true });
}

/**
 * Runs another workflow and waits for its result. The child run is recorded with this
 * run as its parent; a failure throws a `BifrostError` naming the child execution. Runs
 * may nest at most 10 deep, which stops a workflow that calls itself without end.
 *
 * @example
 * ```ts
 * import { workflow, workflows, z } from "bifrost";
 *
 * export const onboard = workflow({ params: z.object({ email: z.email() }) }, async ({ email }) => {
 *   const user = await workflows.run<{ created: boolean }>("create_user", { email, department: "eng" });
 *   return { user };
 * });
 * ```
 */
export function run<T = unknown>(name: string, params: Record<string, unknown> = {}): Promise<T> {
  return call<T>("workflows.run", [name, params]);
}

/**
 * Queues another workflow (optionally after `delaySeconds`) and returns its execution id
 * at once.
 *
 * @example
 * ```ts
 * import { workflows } from "bifrost";
 *
 * const id = await workflows.execute("send_report", { week: 47 }, { delaySeconds: 3600 });
 * ```
 */
export function execute(name: string, params: Record<string, unknown> = {}, options: { delaySeconds?: number } = {}): Promise<string> {
  return call<string>("workflows.execute", [name, params, options]);
}
