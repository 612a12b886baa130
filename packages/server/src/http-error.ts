import type { FastifyError, FastifyInstance } from "fastify";
import type { FieldError } from "@bifrost/contracts/execution.js";

/** An error the API answers with: status, stable code, message, and field errors for 422. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    /** More of the error's shape, merged into `error` (e.g. a load error's line and column). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const notFound = (what: string) => new HttpError(404, "not_found", `${what} not found`);
export const forbidden = (message: string) => new HttpError(403, "forbidden", message);
export const badRequest = (message: string) => new HttpError(400, "bad_request", message);
export const validationFailed = (fields: FieldError[]) =>
  new HttpError(422, "validation_failed", `Invalid input: ${fields.map((f) => `${f.path} ${f.message}`).join("; ")}`, fields);

/** Every error leaves as `{ error: { code, message, fields? } }` with the right status. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}), ...error.details } });
    }
    const status = (error as FastifyError).statusCode ?? 500;
    if (status === 413) {
      return reply.status(413).send({ error: { code: "payload_too_large", message: "Request body is larger than the configured limit (BIFROST_BODY_LIMIT_BYTES)" } });
    }
    if ((error as FastifyError).code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return reply.status(415).send({ error: { code: "unsupported_media_type", message: "Send the request body as application/json" } });
    }
    if (status === 400 && (error as FastifyError).code?.startsWith("FST_ERR_CTP")) {
      return reply.status(400).send({ error: { code: "invalid_json", message: `Request body is not valid JSON: ${error.message}` } });
    }
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: "bad_request", message: error.message } });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.status(500).send({ error: { code: "internal", message: "Internal server error" } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: "not_found", message: `No route ${request.method} ${request.url.split("?")[0]}` } }),
  );
}
