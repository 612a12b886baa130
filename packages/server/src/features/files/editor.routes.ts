import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { callerOf } from "../sdk/scope.js";
import { sdkDeclarations } from "./editor-types.js";
import type { WorkspaceEditor } from "./editor.service.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { changeAudit, fileAudit, withChangeAudit } from "../audit/audit.js";
import { checkRelativePath } from "./safe-path.js";

export const TreeQuery = z.object({ path: z.string().default("") }).strict();
export const FileQuery = z.object({ path: z.string() }).strict();
export const SaveBody = z.object({ path: z.string(), content: z.string(), encoding: z.enum(["utf8", "base64"]).optional() }).strict();
export const DirectoryBody = z.object({ path: z.string() }).strict();
export const MoveBody = z.object({ from: z.string(), to: z.string() }).strict();

/**
 * `/api/files/editor/*`: the browser editor over the workspace. Anyone reads what their
 * organization may see; only platform admins save, delete, move and create folders.
 */
export function editorRoutes(app: FastifyInstance, deps: { editor: WorkspaceEditor; audit: AuditRepo }): void {
  const { editor } = deps;

  app.get("/api/files/editor/tree", async (req) => {
    const { path } = parseBody(TreeQuery, req.query);
    return editor.tree(callerOf(principalOf(req)), path);
  });

  app.get("/api/files/editor/file", async (req) => {
    const { path } = parseBody(FileQuery, req.query);
    return editor.open(callerOf(principalOf(req)), path);
  });

  app.post("/api/files/editor/file", async (req) => {
    const { path, content, encoding } = parseBody(SaveBody, req.body);
    return editor.save(callerOf(principalOf(req)), path, content, encoding, fileAudit(deps.audit, req, "workspace_file.write"));
  });

  app.delete("/api/files/editor/file", async (req, reply) => {
    const { path } = parseBody(FileQuery, req.query);
    if (!(await editor.remove(callerOf(principalOf(req)), path, fileAudit(deps.audit, req, "workspace_file.delete")))) throw notFound(`File "workspace/${path}"`);
    return reply.status(204).send();
  });

  // Renames and moves: the same path rules as saving, for both paths; the event first, as
  // for every workspace change (a move that then fails leaves a `_failed` event after it).
  app.post("/api/files/editor/move", async (req) => {
    const { from, to } = parseBody(MoveBody, req.body);
    const event = { action: "workspace_file.move", target: `workspace/${from}`, details: { to: `workspace/${to}` } };
    return withChangeAudit(changeAudit(deps.audit, req, event), () => editor.move(callerOf(principalOf(req)), from, to));
  });

  // The SDK's and zod's declarations, for the editor's TypeScript service. (Not cached by
  // the browser: another user of the same browser must get their own answer, a 403 included.)
  app.get("/api/files/editor/types", async () => ({ files: await sdkDeclarations() }));

  app.post("/api/files/editor/directory", async (req, reply) => {
    const { path } = parseBody(DirectoryBody, req.body);
    const rel = checkRelativePath(path);
    const made = await withChangeAudit(changeAudit(deps.audit, req, { action: "workspace_folder.create", target: `workspace/${rel}` }), () => editor.mkdir(callerOf(principalOf(req)), rel));
    return reply.status(201).send(made);
  });
}
