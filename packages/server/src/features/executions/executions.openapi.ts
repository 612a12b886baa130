import { z } from "zod";
import { EXECUTION_STATUSES } from "@bifrost/contracts/execution.js";
import { ExecutionRecordSchema, ExecutionSummarySchema, LogLineSchema } from "@bifrost/contracts/api-schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { ListQuery, LogSearchQuery } from "./executions.routes.js";

const After = z.object({ after: z.string().optional().describe("Only lines with a greater seq") });

export const executionsDocs: FeatureDocs = {
  tag: "Executions",
  description: "Run history, logs (stored and live) and cancellation",
  routes: {
    "GET /api/executions": { summary: "List runs, newest first", query: ListQuery, responses: { 200: z.object({ executions: z.array(ExecutionSummarySchema), limit: z.int(), offset: z.int(), hasMore: z.boolean() }) } },
    "GET /api/executions/logs": {
      summary: "Search log lines across runs, newest first (platform and organization admins)",
      description: "Text matches literally, case-insensitive. An organization admin, or anyone acting in one organization, searches that organization only.",
      query: LogSearchQuery,
      responses: {
        200: z.object({
          lines: z.array(LogLineSchema.extend({ executionId: z.string(), workflowName: z.string(), orgId: z.string().nullable(), status: z.enum(EXECUTION_STATUSES) })),
          limit: z.int(),
          offset: z.int(),
          hasMore: z.boolean(),
        }),
      },
    },
    "GET /api/executions/:id": { summary: "Get a run with its logs", responses: { 200: ExecutionRecordSchema } },
    "GET /api/executions/:id/logs": { summary: "A run's log lines", query: After, responses: { 200: z.object({ logs: z.array(LogLineSchema), status: z.enum(EXECUTION_STATUSES) }) } },
    "GET /api/executions/:id/logs/stream": {
      summary: "Live log lines as server-sent events",
      description: "Events `log` (data: a log line, id: its seq) and a final `end` (data: `{ status }`). Resumes after `Last-Event-ID` or `?after=`.",
      query: After,
      responses: { 200: { schema: z.string(), description: "An event stream", contentType: "text/event-stream" } },
    },
    "POST /api/executions/:id/cancel": { summary: "Cancel a run", responses: { 202: z.object({ id: z.string(), status: z.enum(EXECUTION_STATUSES) }) }, errors: [409] },
  },
};
