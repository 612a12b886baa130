/**
 * An error whose message is meant for the person who ran the workflow. Its message is
 * shown as is in the UI and API responses; other errors are shown too, but a
 * `UserError` says "this is safe and useful to show an end user".
 *
 * @example
 * ```ts
 * import { workflow, UserError, z } from "bifrost";
 *
 * export const disableUser = workflow(
 *   { params: z.object({ email: z.email() }) },
 *   async ({ email }) => {
 *     if (email.endsWith("@admin.example")) throw new UserError("Admin accounts cannot be disabled here");
 *     return { disabled: email };
 *   },
 * );
 * ```
 */
export class UserError extends Error {
  /** Marks the error across module copies and process boundaries. */
  readonly bifrostErrorCode = "user" as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
  }
}

/**
 * An error that fails the execution without retrying it, whatever the workflow's
 * `retryPolicy` says: use it when trying again cannot help (bad data, a 404 upstream).
 *
 * @example
 * ```ts
 * import { workflow, NonRetriableError } from "bifrost";
 *
 * export const sync = workflow({ retryPolicy: { maxRetries: 5, delaySeconds: 30 } }, async () => {
 *   const res = await fetch("https://psa.example/api/tickets");
 *   if (res.status === 404) throw new NonRetriableError("The PSA tenant no longer exists");
 *   if (!res.ok) throw new Error(`PSA answered ${res.status}`); // retried
 *   return await res.json();
 * });
 * ```
 */
export class NonRetriableError extends Error {
  readonly bifrostErrorCode = "non_retriable" as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NonRetriableError";
  }
}

/**
 * Thrown by the SDK when a platform call fails (`code` is the API's error code, such as
 * `not_found`, `forbidden` or `validation_failed`, and `status` its HTTP status), or when
 * the SDK is used where it cannot work (for example `context` outside a run).
 *
 * @example
 * ```ts
 * import { config, BifrostError } from "bifrost";
 *
 * try {
 *   await config.set("smtp_host", "mail.example.com", { scope: "global" });
 * } catch (error) {
 *   if (error instanceof BifrostError && error.code === "forbidden") {
 *     // only platform admins may change global values
 *   } else throw error;
 * }
 * ```
 */
export class BifrostError extends Error {
  constructor(
    message: string,
    readonly code: string = "sdk_error",
    readonly status?: number,
  ) {
    super(message);
    this.name = "BifrostError";
  }
}
