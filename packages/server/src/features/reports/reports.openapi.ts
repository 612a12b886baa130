import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { RangeQuery } from "./reports.routes.js";

const totals = { executions: z.number().describe("Successful runs"), timeSaved: z.number().describe("Minutes saved"), value: z.number() };
const range = { since: time, until: time };

export const reportsDocs: FeatureDocs = {
  tag: "Reports",
  description: "ROI: what successful runs saved (at most 366 days at a time; default the last 30)",
  routes: {
    "GET /api/reports/roi/summary": { summary: "Totals", query: RangeQuery, responses: { 200: z.object({ ...range, ...totals, tokensUsed: z.number() }) } },
    "GET /api/reports/roi/by-workflow": {
      summary: "Totals by workflow",
      query: RangeQuery,
      responses: { 200: z.object({ ...range, workflows: z.array(z.object({ ...totals, workflowId: z.string().nullable(), workflowName: z.string() })) }) },
    },
    "GET /api/reports/roi/by-organization": {
      summary: "Totals by organization",
      query: RangeQuery,
      responses: { 200: z.object({ ...range, organizations: z.array(z.object({ ...totals, orgId: z.string().nullable(), orgName: z.string().nullable() })) }) },
    },
    "GET /api/reports/roi/trend": { summary: "Totals per day", query: RangeQuery, responses: { 200: z.object({ ...range, days: z.array(z.object({ ...totals, date: z.string() })) }) } },
  },
};
