import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";

const ScheduleSchema = z
  .object({
    workflowId: z.string(),
    workflowName: z.string(),
    orgId: z.string().nullable(),
    cron: z.string(),
    timezone: z.string(),
    catchUp: z.enum(["skip", "once"]),
    overlap: z.enum(["skip", "allow"]),
    paused: z.boolean(),
    nextRuns: z.array(time),
    lastTick: time.nullable(),
    lastExecutionId: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ title: "Schedule" });
const Paused = z.object({ workflowId: z.string(), workflowName: z.string(), paused: z.boolean() });

export const schedulesDocs: FeatureDocs = {
  tag: "Schedules",
  description: "Scheduled workflows: next runs, pause and resume",
  routes: {
    "GET /api/schedules": { summary: "List scheduled workflows with their next runs", query: z.object({ count: z.string().optional().describe("Next runs to show, 1–50 (default 5)") }), responses: { 200: z.object({ schedules: z.array(ScheduleSchema) }) } },
    "POST /api/schedules/:workflow/pause": { summary: "Pause a schedule", responses: { 200: Paused } },
    "POST /api/schedules/:workflow/resume": { summary: "Resume a schedule", responses: { 200: Paused } },
  },
};
