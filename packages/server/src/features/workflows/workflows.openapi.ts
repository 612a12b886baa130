import { z } from "zod";
import { LoadErrorSchema, QueuedSchema, WorkflowSummarySchema } from "@bifrost/contracts/api-schemas.js";
import { RunSchema } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { InlineCode } from "./workflows.service.js";

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
    "POST /api/workflows/code/execute": { summary: "Run inline TypeScript (platform admins)", body: InlineCode, responses: { 200: RunSchema } },
  },
};
