import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { orgOfPath } from "@bifrost/engine/registry/indexer.js";
import { principalOf } from "../../auth.js";
import { audit, changeAudit } from "../audit/audit.js";
import { callerOf } from "../sdk/scope.js";
import type { WorkflowFilesService } from "./workflow-files.service.js";

/**
 * `POST /api/workflows`, `PUT|DELETE /api/workflows/{id}`: workflow files through the API
 * (platform admins). Each change's event is committed before the file changes; a change
 * undone because it did not register leaves a `<action>_reverted` event after it.
 */
export function workflowFilesRoutes(app: FastifyInstance, deps: { service: WorkflowFilesService; audit: AuditRepo }): void {
  const events = (req: FastifyRequest, action: string) => (target: string, details: Record<string, unknown>) => {
    const event = { action, target: `workspace/${target}`, orgId: orgOfPath(target), details };
    return {
      change: changeAudit(deps.audit, req, event),
      undone: () => audit(deps.audit, req, { ...event, action: `${action}_reverted`, details: { ...details, reason: "did not register" } }),
    };
  };

  app.post("/api/workflows", async (req, reply) => reply.status(201).send(await deps.service.create(callerOf(principalOf(req)), req.body, events(req, "workflow.create"))));

  app.put<{ Params: { id: string } }>("/api/workflows/:id", async (req) => deps.service.update(callerOf(principalOf(req)), req.params.id, req.body, events(req, "workflow.update")));

  app.delete<{ Params: { id: string } }>("/api/workflows/:id", async (req, reply) => {
    await deps.service.delete(callerOf(principalOf(req)), req.params.id, (target, details) => events(req, "workflow.delete")(target, details).change);
    return reply.status(204).send();
  });
}
