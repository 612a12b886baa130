import { z } from "zod";
import { EXECUTION_STATUSES, LOG_LEVELS, TRIGGERS, type ExecutionRecord, type ExecutionSummary, type FieldError, type LogLine } from "./execution.js";
import type { LoadError, WorkflowSummary } from "./workflow-options.js";

/**
 * Wire shapes of the HTTP API as zod schemas, for the OpenAPI document (GET
 * /api/openapi.json). The type checks at the end keep each schema and its TypeScript
 * interface the same: changing one without the other fails to compile.
 */

const time = z.string().describe("ISO-8601 time (UTC)");
const nullableTime = time.nullable();

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const LogLineSchema = z.object({ seq: z.int(), level: z.enum(LOG_LEVELS), message: z.string(), ts: time });

const AttemptSchema = z.object({
  attempt: z.int(),
  status: z.enum(EXECUTION_STATUSES),
  error: z.string().nullable(),
  errorType: z.string().nullable(),
  startedAt: nullableTime,
  completedAt: nullableTime,
  durationMs: z.number().nullable(),
});

const summaryShape = {
  id: z.string(),
  workflowId: z.string().nullable(),
  workflowName: z.string(),
  orgId: z.string().nullable(),
  userId: z.string().nullable(),
  trigger: z.enum(TRIGGERS),
  status: z.enum(EXECUTION_STATUSES),
  error: z.string().nullable(),
  errorType: z.string().nullable(),
  durationMs: z.number().nullable(),
  createdAt: time,
  startedAt: nullableTime,
  completedAt: nullableTime,
  attempt: z.int(),
  parentId: z.string().nullable(),
  tokensUsed: z.number(),
  timeSaved: z.number(),
  value: z.number(),
};

/** An execution as lists show it (no input, result, variables, logs). */
export const ExecutionSummarySchema = z.object(summaryShape).meta({ title: "ExecutionSummary" });

/** The one record every run produces (SPEC §3). */
export const ExecutionRecordSchema = z
  .object({
    ...summaryShape,
    input: z.unknown(),
    result: z.unknown(),
    errorStack: z.string().nullable(),
    validationErrors: z.array(FieldErrorSchema).nullable(),
    logs: z.array(LogLineSchema).optional(),
    variables: z.record(z.string(), z.unknown()).nullable(),
    attempts: z.array(AttemptSchema),
  })
  .meta({ title: "ExecutionRecord" });

const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** A workflow (or tool, or data provider) as the registry lists it. */
export const WorkflowSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(["workflow", "tool", "data_provider"]),
    orgId: z.string().nullable(),
    description: z.string().nullable(),
    category: z.string(),
    tags: z.array(z.string()),
    filePath: z.string(),
    exportName: z.string(),
    executionMode: z.enum(["sync", "async"]),
    timeoutSeconds: z.number(),
    retryPolicy: z
      .object({ maxRetries: z.number(), delaySeconds: z.number(), backoff: z.enum(["fixed", "exponential"]), retryOn: z.array(z.enum(["failed", "timeout", "crashed"])) })
      .nullable(),
    schedule: z.union([z.string(), z.object({ cron: z.string(), timezone: z.string().optional() }).loose()]).nullable(),
    endpointEnabled: z.boolean(),
    allowedMethods: z.array(z.enum(HTTP_METHODS)),
    disableGlobalKey: z.boolean(),
    publicEndpoint: z.boolean(),
    isTool: z.boolean(),
    toolDescription: z.string().nullable(),
    timeSaved: z.number(),
    value: z.number(),
    cacheTtl: z.number().nullable(),
    access: z.object({ level: z.enum(["authenticated", "roleBased"]), roles: z.array(z.string()) }),
    paramsSchema: z.record(z.string(), z.unknown()).describe("JSON Schema (draft 2020-12) of the params"),
    sourceHash: z.string(),
    updatedAt: time,
  })
  .meta({ title: "Workflow" });

export const LoadErrorSchema = z.object({ filePath: z.string(), exportName: z.string().nullable(), message: z.string(), updatedAt: time });

/** `{ executionId, status }`: a run queued (202). */
export const QueuedSchema = z.object({ executionId: z.string(), status: z.enum(EXECUTION_STATUSES) });

// Each schema describes exactly its interface (both directions).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(check: Same<A, B>) => check;
same<z.infer<typeof FieldErrorSchema>, FieldError>(true);
same<z.infer<typeof LogLineSchema>, LogLine>(true);
same<z.infer<typeof ExecutionSummarySchema>, ExecutionSummary>(true);
same<z.infer<typeof ExecutionRecordSchema>, ExecutionRecord>(true);
same<z.infer<typeof LoadErrorSchema>, LoadError>(true);
same<Omit<z.infer<typeof WorkflowSummarySchema>, "schedule">, Omit<WorkflowSummary, "schedule">>(true);
