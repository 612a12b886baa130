import { z } from "zod";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const EXECUTABLE_KINDS = ["workflow", "tool", "data_provider"] as const;
export type ExecutableKind = (typeof EXECUTABLE_KINDS)[number];

/**
 * The JSON-safe part of `workflow()` / `tool()` / `dataProvider()` options, validated
 * when a file is indexed so a typo surfaces as a load error naming the option.
 */
export const WorkflowOptionsSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, "must start with a letter or _ and use only letters, digits, _ . -")
      .optional(),
    description: z.string().max(4000).optional(),
    category: z.string().max(200).optional(),
    tags: z.array(z.string().max(100)).max(50).optional(),
    executionMode: z.enum(["sync", "async"]).optional(),
    timeoutSeconds: z.number().positive().max(86_400).optional(),
    retryPolicy: z
      .object({
        maxRetries: z.int().min(0).max(100),
        delaySeconds: z.number().min(0).max(86_400).optional(),
        backoff: z.enum(["fixed", "exponential"]).optional(),
        retryOn: z.array(z.enum(["failed", "timeout", "crashed"])).optional(),
      })
      .strict()
      .optional(),
    schedule: z
      .union([
        z.string(),
        z
          .object({
            cron: z.string(),
            timezone: z.string().optional(),
            catchUp: z.enum(["skip", "once"]).optional(),
            overlap: z.enum(["skip", "allow"]).optional(),
          })
          .strict(),
      ])
      .optional(),
    endpointEnabled: z.boolean().optional(),
    allowedMethods: z.array(z.enum(HTTP_METHODS)).optional(),
    disableGlobalKey: z.boolean().optional(),
    publicEndpoint: z.boolean().optional(),
    isTool: z.boolean().optional(),
    toolDescription: z.string().max(4000).optional(),
    timeSaved: z.number().min(0).optional(),
    value: z.number().min(0).optional(),
    cacheTtl: z.number().min(0).optional(),
    access: z
      .object({
        level: z.enum(["authenticated", "roleBased"]),
        roles: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type WorkflowOptionsData = z.infer<typeof WorkflowOptionsSchema>;

export interface ScheduleOption {
  cron: string;
  /** IANA time zone the cron expression is read in. Default UTC. */
  timezone?: string;
  /** Ticks missed while the platform was down: "skip" (default) or run "once". */
  catchUp?: "skip" | "once";
  /** A tick that comes while the previous scheduled run still goes: "skip" (default) or "allow". */
  overlap?: "skip" | "allow";
}

/** A schedule with its defaults filled in. */
export function normalizeSchedule(schedule: string | ScheduleOption): Required<Omit<ScheduleOption, "timezone">> & { timezone: string } {
  const s = typeof schedule === "string" ? { cron: schedule } : schedule;
  return { cron: s.cron, timezone: s.timezone ?? "UTC", catchUp: s.catchUp ?? "skip", overlap: s.overlap ?? "skip" };
}

/** What the indexer learns about one exported definition, without running it. */
export interface IndexedDefinition {
  exportName: string;
  kind: ExecutableKind;
  name: string;
  options: WorkflowOptionsData;
  /** JSON Schema (draft 2020-12) of the params, as zod's `toJSONSchema` produces it. */
  paramsSchema: Record<string, unknown>;
}

/** A workflow as the registry lists it. */
export interface WorkflowSummary {
  id: string;
  name: string;
  kind: ExecutableKind;
  orgId: string | null;
  description: string | null;
  category: string;
  tags: string[];
  filePath: string;
  exportName: string;
  executionMode: "sync" | "async";
  timeoutSeconds: number;
  retryPolicy: { maxRetries: number; delaySeconds: number; backoff: "fixed" | "exponential"; retryOn: ("failed" | "timeout" | "crashed")[] } | null;
  schedule: string | ScheduleOption | null;
  endpointEnabled: boolean;
  allowedMethods: HttpMethod[];
  disableGlobalKey: boolean;
  publicEndpoint: boolean;
  isTool: boolean;
  toolDescription: string | null;
  timeSaved: number;
  value: number;
  cacheTtl: number | null;
  /** Who may see and run it: anyone in scope, or only users holding one of `roles` (platform admins always). */
  access: WorkflowAccess;
  paramsSchema: Record<string, unknown>;
  sourceHash: string;
  updatedAt: string;
}

export interface WorkflowAccess {
  level: "authenticated" | "roleBased";
  /** Role names (for `roleBased`). */
  roles: string[];
}

/** A workspace file that failed to compile or load, or a definition that was not registered. */
export interface LoadError {
  filePath: string;
  exportName: string | null;
  message: string;
  updatedAt: string;
}

/** Fills in a workflow's defaults (SPEC §1) from what its file declared. */
export function resolveWorkflowSettings(kind: ExecutableKind, options: WorkflowOptionsData) {
  const endpointEnabled = options.endpointEnabled ?? false;
  const retry = options.retryPolicy;
  return {
    description: options.description ?? null,
    category: options.category ?? "General",
    tags: options.tags ?? [],
    executionMode: options.executionMode ?? (endpointEnabled || kind !== "workflow" ? "sync" : "async"),
    timeoutSeconds: options.timeoutSeconds ?? 300,
    retryPolicy: retry
      ? {
          maxRetries: retry.maxRetries,
          delaySeconds: retry.delaySeconds ?? 60,
          backoff: retry.backoff ?? "fixed",
          retryOn: retry.retryOn ?? ["failed"],
        }
      : null,
    schedule: options.schedule ?? null,
    endpointEnabled,
    allowedMethods: options.allowedMethods ?? ["POST"],
    disableGlobalKey: options.disableGlobalKey ?? false,
    publicEndpoint: options.publicEndpoint ?? false,
    isTool: kind === "tool" || (options.isTool ?? false),
    toolDescription:
      options.toolDescription ?? (kind === "tool" || options.isTool ? (options.description ?? null) : null),
    timeSaved: options.timeSaved ?? 0,
    value: options.value ?? 0,
    cacheTtl: options.cacheTtl ?? null,
    access: { level: options.access?.level ?? "authenticated", roles: options.access?.roles ?? [] },
  } satisfies Omit<WorkflowSummary, "id" | "name" | "kind" | "orgId" | "filePath" | "exportName" | "paramsSchema" | "sourceHash" | "updatedAt">;
}
