import { z } from "zod";
import { ExecutionRecordSchema, QueuedSchema } from "@bifrost/contracts/api-schemas.js";

/** Shapes several features' responses share (their own ones live in each `<feature>.openapi.ts`). */

export const time = z.string().describe("ISO-8601 time (UTC)");

export const OrganizationSchema = z.object({ id: z.string(), name: z.string(), createdAt: time, updatedAt: time }).meta({ title: "Organization" });

/** A workflow run as the caller may see it: the execution record (with its logs). */
export const RunSchema = ExecutionRecordSchema;

/** A synchronous run's record (200), or an asynchronous workflow's queued run (202). */
export const runResponses = { 200: RunSchema, 202: QueuedSchema };

export const Deleted = z.object({ deleted: z.boolean() });
