import { z } from "zod";
import { LoadErrorSchema, QueuedSchema, WorkflowSummarySchema } from "@bifrost/contracts/api-schemas.js";
import { RunSchema } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { InlineCode } from "./workflows.service.js";
import { CreateWorkflowBody, UpdateWorkflowBody } from "./workflow-files.service.js";

/** The answer of a workflow file written through the API: the workflow, its file, and every workflow the file registers. */
const WorkflowFileSchema = z.object({ workflow: WorkflowSummarySchema, filePath: z.string(), workflows: z.array(WorkflowSummarySchema) });
const LOAD_ERROR = "422 `load_error` also carries `filePath` and `problems` (`{ message, exportName, line, column }`): the source did not register, and nothing was left on disk.";

/** A workflow as the API shows it (without its internal module path). */
export const WorkflowSchema = WorkflowSummarySchema;
const Params = z.record(z.string(), z.unknown()).describe("The workflow's params (its paramsSchema)");

export const workflowsDocs: FeatureDocs = {
  tag: "Workflows",
  description: "The registry of workflows, tools and data providers, and running them",
  routes: {
    "GET /api/workflows": {
      summary: "List workflows the caller may see, with load errors",
      query: z.object({ category: z.string().optional(), tag: z.string().optional(), type: z.enum(["workflow", "tool", "data_provider"]).optional(), q: z.string().optional().describe("Text in name, description or tags") }),
      responses: { 200: z.object({ workflows: z.array(WorkflowSchema), loadErrors: z.array(LoadErrorSchema) }) },
    },
    "GET /api/workflows/:id": { summary: "Get a workflow by id or name", responses: { 200: WorkflowSchema } },
    "POST /api/workflows/:id/execute": { summary: "Run a workflow and wait for its result", body: Params, responses: { 200: RunSchema } },
    "POST /api/workflows/:id/run": {
      summary: "Queue a run (optionally delayed)",
      body: Params,
      query: z.object({ delaySeconds: z.string().optional().describe("0 to 31536000") }),
      responses: { 202: QueuedSchema },
    },
    "POST /api/workflows/:id/test": { summary: "Run once without retries (a test run)", body: Params, responses: { 200: RunSchema } },
    "POST /api/workflows": {
      summary: "Create a workflow file from source or a template, and wait until it registers (platform admins)",
      description: `Writes \`<folder>/<name>.ts\` into the workspace. ${LOAD_ERROR}`,
      body: CreateWorkflowBody,
      responses: { 201: WorkflowFileSchema },
      errors: [409],
    },
    "PUT /api/workflows/:id": {
      summary: "Replace a workflow's source, and wait until it registers (platform admins)",
      description: `A source that does not register (or breaks a file importing it) leaves the old one in place. ${LOAD_ERROR}`,
      body: UpdateWorkflowBody,
      responses: { 200: WorkflowFileSchema },
    },
    "DELETE /api/workflows/:id": {
      summary: "Delete a workflow's file (platform admins)",
      description: "409 `imported` (with `importedBy`) while other files import it.",
      responses: { 204: null },
      errors: [409],
    },
    "POST /api/workflows/code/execute": { summary: "Run inline TypeScript (platform admins)", body: InlineCode, responses: { 200: RunSchema } },
  },
};
