import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { HttpError } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { fileAudit } from "../audit/audit.js";
import type { WorkspaceEditor } from "../files/editor.service.js";
import { callerOf } from "../sdk/scope.js";
import { fetchDocument, MAX_DOCUMENT_BYTES, parseDocumentText, SdkGeneratorError } from "./document.js";
import { generateSdk } from "./generator.js";

export const GenerateSdkBody = z
  .object({
    name: z.string().min(1).max(64),
    spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    baseUrl: z.string().max(2000).optional(),
    auth: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("integration"), name: z.string().min(1).max(200), scope: z.string().max(200).optional() }).strict(),
        z.object({ type: z.literal("none") }).strict(),
      ])
      .optional(),
  })
  .strict();

const CODES = { 413: "payload_too_large", 422: "invalid_document", 502: "spec_unreachable" } as const;

/** The generator's errors as the API answers them: 422 with one field per JSON pointer, 502, 413. */
function httpError(error: unknown): unknown {
  if (!(error instanceof SdkGeneratorError)) return error;
  const fields = error.problems.length > 0 ? error.problems.map((p) => ({ path: p.pointer, message: p.message })) : undefined;
  return new HttpError(error.status, CODES[error.status], error.message, fields);
}

/**
 * `POST /api/sdk/generate`: an OpenAPI document (the object, its JSON/YAML text, or a URL the
 * server fetches) in, `workspace/sdks/<name>.ts` out, written through the editor's save (the
 * same path checks, access rules and indexing; its audit event is committed before the file
 * is written), and the module in the answer.
 */
export function sdkGeneratorRoutes(app: FastifyInstance, deps: { editor: WorkspaceEditor; audit: AuditRepo }): void {
  // A 50 MB document plus the rest of the body.
  app.post("/api/sdk/generate", { bodyLimit: MAX_DOCUMENT_BYTES + 64 * 1024 }, async (req) => {
    const body = parseBody(GenerateSdkBody, req.body);
    try {
      const document = typeof body.spec === "string" ? parseDocumentText(/^https?:\/\//i.test(body.spec) ? await fetchDocument(body.spec) : body.spec) : body.spec;
      const sdk = await generateSdk({ name: body.name, document, baseUrl: body.baseUrl, auth: body.auth });
      const saved = await deps.editor.save(callerOf(principalOf(req)), `sdks/${sdk.name}.ts`, sdk.source, "utf8", fileAudit(deps.audit, req, "sdk.generate"));
      return { name: sdk.name, path: saved.path, title: sdk.title, version: sdk.version, operations: sdk.operations, paginated: sdk.paginated, size: saved.size, loadErrors: saved.loadErrors, source: sdk.source };
    } catch (error) {
      throw httpError(error);
    }
  });
}
