import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { validationFailed } from "../../http-error.js";
import { isoDate, parseBody } from "../../parse.js";
import type { ReportsService, RoiRange } from "./reports.service.js";
import { callerOf, visibleOrgOf } from "../sdk/scope.js";

const DAY = 86_400_000;
const MAX_DAYS = 366;

export const RangeQuery = z.object({ since: isoDate.optional(), until: isoDate.optional() }).strict();

/** `/api/reports/roi/*`: totals of successful runs, by workflow, by organization, per day. */
export function reportsRoutes(app: FastifyInstance, deps: { reports: ReportsService }): void {
  function range(query: unknown, orgId: string | null | undefined): RoiRange {
    const q = parseBody(RangeQuery, query);
    const until = q.until ?? new Date(Math.ceil(Date.now() / DAY) * DAY).toISOString(); // end of today (UTC)
    const since = q.since ?? new Date(Date.parse(until) - 30 * DAY).toISOString();
    if (since >= until) throw validationFailed([{ path: "since", message: "must be before until" }]);
    if (Date.parse(until) - Date.parse(since) > MAX_DAYS * DAY) throw validationFailed([{ path: "since", message: `the range may span at most ${MAX_DAYS} days` }]);
    return { orgId, since, until };
  }
  const org = (req: Parameters<typeof principalOf>[0]) => visibleOrgOf(callerOf(principalOf(req)));

  app.get("/api/reports/roi/summary", async (req) => {
    const r = range(req.query, org(req));
    return { since: r.since, until: r.until, ...(await deps.reports.summary(r)) };
  });
  app.get("/api/reports/roi/by-workflow", async (req) => {
    const r = range(req.query, org(req));
    return { since: r.since, until: r.until, workflows: await deps.reports.byWorkflow(r) };
  });
  app.get("/api/reports/roi/by-organization", async (req) => {
    const r = range(req.query, org(req));
    return { since: r.since, until: r.until, organizations: await deps.reports.byOrganization(r) };
  });
  app.get("/api/reports/roi/trend", async (req) => {
    const r = range(req.query, org(req));
    return { since: r.since, until: r.until, days: await deps.reports.trend(r) };
  });
}
