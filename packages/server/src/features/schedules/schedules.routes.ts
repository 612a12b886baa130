import type { FastifyInstance, FastifyRequest } from "fastify";
import { normalizeSchedule } from "@bifrost/contracts/workflow-options.js";
import type { Engine } from "@bifrost/engine/engine.js";
import { principalOf } from "../../auth.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import { forbidden, HttpError } from "../../http-error.js";
import type { WorkflowsService } from "../workflows/workflows.service.js";
import { callerOf, visibleOrgOf } from "../sdk/scope.js";

/** `/api/schedules`: each scheduled workflow with its next run times; pause and resume. */
export function schedulesRoutes(app: FastifyInstance, deps: { engine: Engine; workflows: WorkflowsService; audit: AuditRepo }): void {
  const { engine, workflows } = deps;
  const scheduler = engine.scheduler;

  app.get<{ Querystring: { count?: string } }>("/api/schedules", async (req) => {
    const org = visibleOrgOf(callerOf(principalOf(req)));
    const count = Math.min(Math.max(Number(req.query.count ?? 5) || 5, 1), 50);
    const states = new Map((await engine.repos.schedules.all()).map((s) => [s.workflowId, s]));
    return {
      schedules: scheduler
        .scheduled()
        .filter(({ workflow }) => org === undefined || workflow.orgId === null || workflow.orgId === org)
        .map(({ workflow, error }) => {
          const state = states.get(workflow.id);
          const spec = normalizeSchedule(workflow.schedule!);
          return {
            workflowId: workflow.id,
            workflowName: workflow.name,
            orgId: workflow.orgId,
            ...spec,
            paused: state?.paused ?? false,
            nextRuns: error || state?.paused ? [] : scheduler.nextRuns(workflow, count),
            lastTick: state?.lastTick ?? null,
            lastExecutionId: state?.lastExecutionId ?? null,
            error,
          };
        }),
    };
  });

  async function setPaused(req: FastifyRequest<{ Params: { workflow: string } }>, paused: boolean) {
    const caller = callerOf(principalOf(req));
    const w = workflows.find(caller, req.params.workflow);
    if (!w.schedule) throw new HttpError(404, "not_found", `Workflow "${w.name}" has no schedule`);
    if (w.orgId === null && !caller.isPlatformAdmin) throw forbidden("Only platform admins pause or resume global schedules");
    await scheduler.sync();
    await engine.repos.schedules.setPaused(w.id, paused, (db) =>
      audit(deps.audit, req, { action: paused ? "schedule.pause" : "schedule.resume", target: w.id, orgId: w.orgId, details: { workflow: w.name } }, db),
    );
    return { workflowId: w.id, workflowName: w.name, paused };
  }
  app.post<{ Params: { workflow: string } }>("/api/schedules/:workflow/pause", (req) => setPaused(req, true));
  app.post<{ Params: { workflow: string } }>("/api/schedules/:workflow/resume", (req) => setPaused(req, false));
}
