import type { z } from "zod";
import type { HttpMethod } from "@bifrost/contracts/workflow-options.js";

/** Marks values the platform registers; a registered symbol works across module copies. */
export const EXECUTABLE = Symbol.for("bifrost.executable");

type AnyParams = z.ZodObject;
type EmptyParams = z.ZodObject<{}>;

/** Options shared by `workflow()`, `tool()` and `dataProvider()`. */
export interface CommonOptions<P extends AnyParams> {
  /** Unique name (per organization). Default: the name of the export. */
  name?: string;
  /** Shown in the UI, in OpenAPI and to AI agents. */
  description?: string;
  /** Groups workflows in the UI. Default `"General"`. */
  category?: string;
  tags?: string[];
  /**
   * The parameters, as a zod object. Its JSON Schema validates input before the handler
   * runs and drives forms, OpenAPI and AI tool definitions. Use `.meta({ label, helpText,
   * dataProvider })` on a field to add form hints.
   */
  params?: P;
  /** Longest a run may take before it ends `Timeout`. Default 300. */
  timeoutSeconds?: number;
  /**
   * Who may see and run it. `authenticated` (the default): anyone in scope.
   * `roleBased`: only users holding one of `roles` (platform admins always; API keys
   * without a user are not restricted). Roles must exist (`POST /api/roles`): an unknown
   * one is listed as a load error and grants nobody.
   *
   * @example
   * ```ts
   * export const resetPassword = workflow(
   *   { access: { level: "roleBased", roles: ["Helpdesk"] } },
   *   async () => ({ reset: true }),
   * );
   * ```
   */
  access?: { level: "authenticated" | "roleBased"; roles?: string[] };
}

export interface RetryPolicy {
  /** How many times a failed run is tried again (0 = never). */
  maxRetries: number;
  /** Wait before each retry. Default 60. */
  delaySeconds?: number;
  /** `"exponential"` doubles the delay on each retry. Default `"fixed"`. */
  backoff?: "fixed" | "exponential";
  /** Which failures are retried. Default `["failed"]`: thrown errors, not timeouts or crashes. */
  retryOn?: ("failed" | "timeout" | "crashed")[];
}

/** Every option `workflow()` takes (SPEC §1). */
export interface WorkflowOptions<P extends AnyParams = EmptyParams> extends CommonOptions<P> {
  /** `"sync"` callers wait for the result; `"async"` runs are queued. Default: async, or sync when `endpointEnabled`. */
  executionMode?: "sync" | "async";
  retryPolicy?: RetryPolicy;
  /**
   * A cron expression (`"0 9 * * *"`, UTC), or `{ cron, timezone, catchUp, overlap }`:
   * `catchUp: "once"` runs one missed tick after downtime (default "skip");
   * `overlap: "allow"` starts a run even while the previous scheduled one still goes
   * (default "skip"). Scheduled runs get no input: params need defaults.
   */
  schedule?: string | { cron: string; timezone?: string; catchUp?: "skip" | "once"; overlap?: "skip" | "allow" };
  /** Answer at `/api/endpoints/{name}`. */
  endpointEnabled?: boolean;
  /** HTTP methods the endpoint accepts. Default `["POST"]`. */
  allowedMethods?: HttpMethod[];
  /** Refuse the platform's global endpoint key; only the workflow's own key works. */
  disableGlobalKey?: boolean;
  /** The endpoint needs no key at all. */
  publicEndpoint?: boolean;
  /** Offer this workflow to AI agents and MCP clients as a tool. */
  isTool?: boolean;
  /** What an AI agent is told the tool does. Default: `description`. */
  toolDescription?: string;
  /** ROI: minutes saved by each successful run. */
  timeSaved?: number;
  /** ROI: money value of each successful run. */
  value?: number;
}

export interface DataProviderOptions<P extends AnyParams = EmptyParams> extends CommonOptions<P> {
  /** Seconds a result is cached per (organization, provider, params). */
  cacheTtl?: number;
}

export type Handler<P extends AnyParams, R> = (params: z.output<P>) => R | Promise<R>;

/** A registered executable: what `workflow()`, `tool()` and `dataProvider()` return. */
export interface Executable<P extends AnyParams = AnyParams, R = unknown> {
  readonly [EXECUTABLE]: "workflow" | "tool" | "data_provider";
  readonly options: Readonly<WorkflowOptions<P> & DataProviderOptions<P>>;
  readonly handler: Handler<P, R>;
  /** Runs the handler directly (no validation, no context): handy in unit tests. */
  (params: z.input<P>): Promise<R>;
}

function define<P extends AnyParams, R>(
  kind: "workflow" | "tool" | "data_provider",
  options: WorkflowOptions<P> & DataProviderOptions<P>,
  handler: Handler<P, R>,
): Executable<P, R> {
  if (typeof handler !== "function") {
    throw new TypeError(`${kind === "data_provider" ? "dataProvider" : kind}(options, handler): handler must be a function`);
  }
  const call = async (params: z.input<P>) => handler(params as z.output<P>);
  return Object.assign(call, { [EXECUTABLE]: kind, options: Object.freeze({ ...options }), handler }) as Executable<P, R>;
}

/**
 * Declares a workflow. Export the returned value from a `.ts` file in the workspace and
 * the platform registers it as soon as the file is saved.
 *
 * @example
 * ```ts
 * import { workflow, z, context, logger } from "bifrost";
 *
 * export const createUser = workflow(
 *   {
 *     name: "create_user",
 *     description: "Create a user",
 *     params: z.object({ email: z.email(), quantity: z.int().min(1).default(1) }),
 *     retryPolicy: { maxRetries: 3, delaySeconds: 60 },
 *   },
 *   async ({ email, quantity }) => {
 *     logger.info(`Creating ${email} in ${context.orgName}`);
 *     return { created: true, quantity };
 *   },
 * );
 * ```
 */
export function workflow<P extends AnyParams = EmptyParams, R = unknown>(
  options: WorkflowOptions<P>,
  handler: Handler<P, R>,
): Executable<P, R> {
  return define("workflow", options, handler);
}

/**
 * Declares a workflow meant for AI agents and MCP clients: shorthand for
 * `workflow({ isTool: true, toolDescription: description, … })`.
 *
 * @example
 * ```ts
 * import { tool, z } from "bifrost";
 *
 * export const searchDocs = tool(
 *   { name: "search_docs", description: "Search documentation", params: z.object({ query: z.string() }) },
 *   async ({ query }) => [{ title: `Results for ${query}` }],
 * );
 * ```
 */
export function tool<P extends AnyParams = EmptyParams, R = unknown>(
  options: Omit<WorkflowOptions<P>, "isTool">,
  handler: Handler<P, R>,
): Executable<P, R> {
  return define("tool", { ...options, isTool: true }, handler);
}

/**
 * Declares a data provider: a function that returns `{ label, value }` options for form
 * dropdowns, cached for `cacheTtl` seconds per organization and parameters.
 *
 * @example
 * ```ts
 * import { dataProvider } from "bifrost";
 *
 * export const getDepartments = dataProvider({ name: "get_departments", cacheTtl: 600 }, async () => [
 *   { label: "Engineering", value: "eng" },
 *   { label: "Sales", value: "sales" },
 * ]);
 * ```
 */
export function dataProvider<P extends AnyParams = EmptyParams, R = unknown>(
  options: DataProviderOptions<P>,
  handler: Handler<P, R>,
): Executable<P, R> {
  return define("data_provider", options, handler);
}

/** True for values created by `workflow()`, `tool()` or `dataProvider()`. */
export function isExecutable(value: unknown): value is Executable {
  return typeof value === "function" && EXECUTABLE in value;
}
