/**
 * Error classification that crosses process boundaries. `instanceof` does not survive
 * IPC or a second copy of a module, so the engine decides what to do with a failure by
 * switching over `code`, never over a class.
 */
export const ERROR_CODES = [
  /** A `UserError` thrown by workflow code: its message is safe to show end users. */
  "user",
  /** A `NonRetriableError`: the run fails and is never retried. */
  "non_retriable",
  /** Input rejected by the workflow's schema. */
  "validation",
  /** The workflow module failed to import or its export is missing. */
  "import",
  /** The run exceeded `timeoutSeconds`. */
  "timeout",
  /** Cancelled by a user. */
  "cancelled",
  /** The worker child died (crash, `process.exit`, signal). */
  "crashed",
  /** The worker child exceeded its memory cap. */
  "memory",
  /** The worker vanished with the host (restart while running). */
  "stuck",
  /** The workflow no longer exists. */
  "not_found",
  /** The handler's result is larger than the platform keeps (`BIFROST_MAX_RESULT_BYTES`). */
  "result_too_large",
  /** Any other error thrown by workflow code. */
  "unexpected",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SerializedError {
  code: ErrorCode;
  /** The error's class name as the user sees it: `TypeError`, `UserError`, `Timeout`… */
  type: string;
  message: string;
  stack?: string;
  /** For failed SDK calls: the API's error code (`not_found`, `forbidden`…) and HTTP status. */
  apiCode?: string;
  status?: number;
}

/** Whether a failure with this code may be retried by a workflow's `retryPolicy`. */
export function isRetriable(code: ErrorCode, retryOn: readonly ("failed" | "timeout" | "crashed")[]): boolean {
  switch (code) {
    case "unexpected":
    case "user":
      return retryOn.includes("failed");
    case "timeout":
      return retryOn.includes("timeout");
    case "crashed":
    case "memory":
    case "stuck":
      return retryOn.includes("crashed");
    case "non_retriable":
    case "validation":
    case "import":
    case "cancelled":
    case "not_found":
    case "result_too_large":
      return false;
    default: {
      const exhaustive: never = code;
      return exhaustive;
    }
  }
}

/** The `error` of a run whose result is over the limit (the child and the host both say it). */
export function resultTooLargeMessage(bytes: number, maxBytes: number): string {
  return `The workflow's result was not kept: it is ${bytes} bytes of JSON, and a result may be at most ${maxBytes} bytes (BIFROST_MAX_RESULT_BYTES). Store large data in a file or a table and return a reference to it.`;
}
