import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { callerOf } from "../sdk/scope.js";
import { editorRoutes } from "./editor.routes.js";
import type { WorkspaceEditor } from "./editor.service.js";
import { contentBytes, FILE_LOCATIONS, FILE_MODES, type FilesService } from "./files.service.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { fileAudit } from "../audit/audit.js";

const where = {
  location: z.enum(FILE_LOCATIONS).optional(),
  mode: z.enum(FILE_MODES).optional(),
  scope: z.string().min(1).optional(),
};
// Path rules live in checkRelativePath (400 naming the path), not in the schema (422).
const Path = z.string();
export const Target = z.object({ path: Path, ...where }).strict();
export const ReadBody = z.object({ path: Path, ...where, asBase64: z.boolean().optional() }).strict();
export const WriteBody = z.object({ path: Path, content: z.string(), ...where, asBase64: z.boolean().optional() }).strict();
export const ListBody = z.object({ path: Path.default(""), ...where }).strict();

/**
 * `/api/files/*`: the SDK's `files` module over HTTP (POST with a JSON body, as the
 * seed's API). Binary content travels as base64 (`asBase64: true`). The editor's
 * routes (`/api/files/editor/*`) are registered with them.
 */
export function filesRoutes(app: FastifyInstance, deps: { files: FilesService; editor: WorkspaceEditor; audit: AuditRepo }): void {
  const { files } = deps;
  editorRoutes(app, { editor: deps.editor, audit: deps.audit });

  app.post("/api/files/read", async (req) => {
    const { path, asBase64, ...options } = parseBody(ReadBody, req.body);
    const { data, entry } = await files.read(callerOf(principalOf(req)), path, options);
    const encoding = asBase64 ? "base64" : "utf8";
    return { ...entry, content: data.toString(encoding), encoding };
  });

  app.post("/api/files/write", async (req) => {
    const { path, content, asBase64, ...options } = parseBody(WriteBody, req.body);
    return files.write(callerOf(principalOf(req)), path, contentBytes(content, asBase64, files.maxFileBytes), options, fileAudit(deps.audit, req, "file.write"));
  });

  app.post("/api/files/list", async (req) => {
    const { path, ...options } = parseBody(ListBody, req.body);
    return { path, entries: await files.list(callerOf(principalOf(req)), path, options) };
  });

  app.post("/api/files/exists", async (req) => {
    const { path, ...options } = parseBody(Target, req.body);
    return { exists: await files.exists(callerOf(principalOf(req)), path, options) };
  });

  app.post("/api/files/delete", async (req) => {
    const { path, ...options } = parseBody(Target, req.body);
    if (!(await files.delete(callerOf(principalOf(req)), path, options, fileAudit(deps.audit, req, "file.delete")))) throw notFound(`File "${path}"`);
    return { deleted: true };
  });
}

const Options = z.object(where).strict();
const ContentOptions = z.object({ ...where, asBase64: z.boolean().optional() }).strict();

/** `files.*` for running workflows (over IPC) and the external SDK: bytes travel as base64. */
export function registerFilesSdk(sdk: SdkRegistry, files: FilesService): void {
  sdk.register("files.read", ["path", "options"], z.tuple([Path, ContentOptions.optional()]), async (caller, path, options = {}) => {
    const { asBase64, ...where } = options;
    return (await files.read(caller, path, where)).data.toString(asBase64 ? "base64" : "utf8");
  });
  sdk.register("files.write", ["path", "content", "options"], z.tuple([Path, z.string(), ContentOptions.optional()]), async (caller, path, content, options = {}) => {
    const { asBase64, ...where } = options;
    await files.write(caller, path, contentBytes(content, asBase64, files.maxFileBytes), where);
    return null;
  });
  sdk.register("files.list", ["path", "options"], z.tuple([Path.nullish(), Options.optional()]), (caller, path, options) =>
    files.list(caller, path ?? "", options),
  );
  sdk.register("files.delete", ["path", "options"], z.tuple([Path, Options.optional()]), (caller, path, options) => files.delete(caller, path, options));
  sdk.register("files.exists", ["path", "options"], z.tuple([Path, Options.optional()]), (caller, path, options) => files.exists(caller, path, options));
}
