/** Exit statuses shared by every command (`bifrost run` adds its own, see run.ts). */
export const EXIT = {
  ok: 0,
  error: 1,
  /** Bad input: arguments, a parameter, a JSON file, or a 422 from the server. */
  badInput: 3,
} as const;

/**
 * An error meant for the person at the terminal: one clear line (plus optional detail
 * lines), and the exit status to end with. Anything else that escapes a command is a bug
 * and is printed with its stack under BIFROST_DEBUG=1.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** One field of a 422 answer. */
export interface FieldError {
  path: string;
  message: string;
}

/** A non-2xx answer from the API, with the `{ error: { code, message, fields } }` body. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly body: unknown = null,
  ) {
    super(message, status === 422 ? EXIT.badInput : EXIT.error, fields.map((f) => `${f.path}: ${f.message}`));
    this.name = "ApiError";
  }
}
