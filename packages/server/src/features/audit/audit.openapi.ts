import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { AuditQuery } from "./audit.routes.js";

const AuditEventSchema = z
  .object({
    id: z.number(),
    at: time,
    action: z.string(),
    target: z.string().nullable(),
    orgId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .loose()
  .meta({ title: "AuditEvent" });

export const auditDocs: FeatureDocs = {
  tag: "Audit",
  description: "Who changed what, when",
  routes: {
    "GET /api/audit": { summary: "List audit events, newest first", query: AuditQuery, responses: { 200: z.object({ events: z.array(AuditEventSchema), limit: z.int(), offset: z.int(), hasMore: z.boolean() }) } },
  },
};
