import { z } from "zod";
import { LoadErrorSchema } from "@bifrost/contracts/api-schemas.js";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { WorkflowSchema } from "../workflows/workflows.openapi.js";
import { DirectoryBody, FileQuery, MoveBody, SaveBody, TreeQuery } from "./editor.routes.js";
import { ListBody, ReadBody, Target, WriteBody } from "./files.routes.js";

const FileEntrySchema = z
  .object({ name: z.string(), path: z.string(), type: z.enum(["file", "directory"]), size: z.number().describe("Bytes (0 for folders)"), modifiedAt: time })
  .meta({ title: "FileEntry" });
/** A load error with where it points in its file (1-based; null when the compiler did not say). */
const LocatedLoadErrorSchema = LoadErrorSchema.extend({ line: z.int().nullable(), column: z.int().nullable() });
const Registration = { workflows: z.array(WorkflowSchema), loadErrors: z.array(LocatedLoadErrorSchema) };
const TreeNode = FileEntrySchema.extend({ children: z.array(z.looseObject({})).optional().describe("Folders only: nodes of the same shape") });

export const filesDocs: FeatureDocs = {
  tag: "Files",
  description: "The `files` module (workspace, temp, uploads) and the browser editor's view of the workspace",
  routes: {
    "POST /api/files/read": { summary: "Read a file", body: ReadBody, responses: { 200: FileEntrySchema.extend({ content: z.string(), encoding: z.enum(["utf8", "base64"]) }) } },
    "POST /api/files/write": { summary: "Write a file", body: WriteBody, responses: { 200: FileEntrySchema } },
    "POST /api/files/list": { summary: "List a folder", body: ListBody, responses: { 200: z.object({ path: z.string(), entries: z.array(FileEntrySchema) }) } },
    "POST /api/files/exists": { summary: "Whether a file exists", body: Target, responses: { 200: z.object({ exists: z.boolean() }) } },
    "POST /api/files/delete": { summary: "Delete a file", body: Target, responses: { 200: z.object({ deleted: z.boolean().describe("Always true") }) }, errors: [404] },
    "GET /api/files/editor/tree": { summary: "The workspace as a tree", query: TreeQuery, responses: { 200: z.object({ tree: TreeNode, truncated: z.boolean() }) }, errors: [404] },
    "GET /api/files/editor/file": {
      summary: "Open a workspace file (with what it registers)",
      query: FileQuery,
      responses: { 200: FileEntrySchema.extend({ content: z.string(), encoding: z.enum(["utf8", "base64"]), ...Registration }) },
      errors: [404],
    },
    "POST /api/files/editor/file": { summary: "Save a workspace file; answers once it is indexed", body: SaveBody, responses: { 200: FileEntrySchema.extend(Registration) } },
    "DELETE /api/files/editor/file": { summary: "Delete a workspace file", query: FileQuery, responses: { 204: null }, errors: [404] },
    "POST /api/files/editor/directory": { summary: "Create a workspace folder", body: DirectoryBody, responses: { 201: FileEntrySchema } },
    "POST /api/files/editor/move": {
      summary: "Rename or move a workspace file or folder; both places are re-indexed",
      body: MoveBody,
      responses: { 200: FileEntrySchema.extend(Registration) },
      errors: [404, 409],
    },
    "GET /api/files/editor/types": {
      summary: "The SDK's, contracts' and zod's declaration files, for the browser editor's TypeScript service",
      responses: { 200: z.object({ files: z.array(z.object({ path: z.string().describe("Virtual path, e.g. node_modules/bifrost/index.d.ts"), content: z.string() })) }) },
    },
  },
};
