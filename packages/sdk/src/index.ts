/**
 * The Bifrost SDK: what workflow files import.
 *
 * @example
 * ```ts
 * import { workflow, z, context, logger } from "bifrost";
 *
 * export const hello = workflow(
 *   { params: z.object({ name: z.string().min(1) }) },
 *   async ({ name }) => {
 *     logger.info(`Hello ${name} from ${context.orgName}`);
 *     return { greeting: `Hello, ${name}!` };
 *   },
 * );
 * ```
 * @module
 */
export { z } from "zod";
export { workflow, tool, dataProvider, isExecutable } from "./define.js";
export type { Executable, WorkflowOptions, DataProviderOptions, RetryPolicy, Handler } from "./define.js";
export { context } from "./context.js";
export type { ExecutionContext } from "./context.js";
export { logger } from "./logger.js";
export type { Logger } from "./logger.js";
export { UserError, NonRetriableError, BifrostError } from "./errors.js";
export { configure } from "./transport.js";
export type { ClientOptions } from "./transport.js";
export * as config from "./config.js";
export * as files from "./files.js";
export * as workflows from "./workflows.js";
export * as executions from "./executions.js";
export * as organizations from "./organizations.js";
export * as tables from "./tables.js";
export * as integrations from "./integrations.js";
export * as ai from "./ai.js";
export * as knowledge from "./knowledge.js";
