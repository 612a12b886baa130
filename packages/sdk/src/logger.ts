import { formatWithOptions } from "node:util";
import type { LogLevel } from "@bifrost/contracts/execution.js";
import { currentScope } from "./runtime.js";

export interface Logger {
  /** Detail for workflow developers; hidden from non-admin users. */
  debug(message: unknown, ...args: unknown[]): void;
  info(message: unknown, ...args: unknown[]): void;
  warn(message: unknown, ...args: unknown[]): void;
  error(message: unknown, ...args: unknown[]): void;
}

/**
 * Formats like `console.log` does (`%s`, objects inspected), on one line per call. Strings
 * inside objects are written whole (inspect would cut them at 10,000 characters): the
 * platform redacts secrets from the whole line before it cuts long lines, and a cut made
 * here, before redaction, could keep the beginning of a secret.
 */
export function formatLogMessage(message: unknown, args: unknown[]): string {
  return formatWithOptions({ depth: 6, breakLength: Infinity, maxStringLength: Infinity, colors: false }, message, ...args);
}

function write(level: LogLevel, message: unknown, args: unknown[]): void {
  const text = formatLogMessage(message, args);
  const scope = currentScope();
  if (scope) scope.log(level, text);
  else process.stderr.write(`[${level}] ${text}\n`);
}

/**
 * Writes to the current execution's log: stored with the execution and streamed live to
 * anyone watching it. `console.*` calls inside a workflow are captured the same way
 * (`console.log` as info). Outside an execution, lines go to stderr.
 *
 * @example
 * ```ts
 * import { workflow, logger } from "bifrost";
 *
 * export const sync = workflow({}, async () => {
 *   logger.debug("raw page", { page: 1 }); // admins only
 *   logger.info("Synced %d users", 42);
 *   logger.warn("3 users skipped");
 * });
 * ```
 */
export const logger: Logger = {
  debug: (message, ...args) => write("debug", message, args),
  info: (message, ...args) => write("info", message, args),
  warn: (message, ...args) => write("warn", message, args),
  error: (message, ...args) => write("error", message, args),
};
