import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Engine } from "@bifrost/engine/engine.js";
import { CompileError } from "@bifrost/engine/compiler/compiler.js";
import { executionPrincipal, principalOf, requireAdmin } from "../../auth.js";
import { HttpError, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { LoadError } from "@bifrost/contracts/workflow-options.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { canUse, InlineCode, publicWorkflow, type WorkflowsService } from "./workflows.service.js";
import { callerOf, visibleOrgOf } from "../sdk/scope.js";

const bodyOf = (request: FastifyRequest): unknown => request.body ?? {};

/** Workflows (SPEC §4 registry and execution routes). */
export function workflowsRoutes(
  app: FastifyInstance,
  deps: { engine: Engine; workflows: WorkflowsService; roleProblems: (listed: StoredWorkflow[]) => Promise<LoadError[]> },
): void {
  const { engine, workflows } = deps;

  app.get<{ Querystring: { category?: string; tag?: string; type?: string; q?: string } }>("/api/workflows", async (req) => {
    const caller = callerOf(principalOf(req));
    const org = visibleOrgOf(caller);
    const { category, tag, type, q } = req.query;
    const listed = engine.registry.list({ orgId: org, category, tag, kind: type, text: q }).filter((w) => canUse(caller, w.access));
    return {
      workflows: listed.map(publicWorkflow),
      loadErrors: [...engine.registry.loadErrors(org), ...(await deps.roleProblems(listed))],
    };
  });

  app.get<{ Params: { id: string } }>("/api/workflows/:id", async (req) => publicWorkflow(workflows.find(callerOf(principalOf(req)), req.params.id)));

  app.post<{ Params: { id: string } }>("/api/workflows/:id/execute", async (req) => {
    const caller = callerOf(principalOf(req));
    return workflows.view(caller, await workflows.executeSync(caller, req.params.id, bodyOf(req), "api"));
  });

  app.post<{ Params: { id: string }; Querystring: { delaySeconds?: string } }>("/api/workflows/:id/run", async (req, reply) => {
    const caller = callerOf(principalOf(req));
    const delay = req.query.delaySeconds === undefined ? 0 : Number(req.query.delaySeconds);
    if (!Number.isFinite(delay) || delay < 0 || delay > 31_536_000) {
      throw validationFailed([{ path: "delaySeconds", message: "must be a number of seconds between 0 and 31536000" }]);
    }
    const queued = await workflows.enqueue(caller, req.params.id, bodyOf(req), "api", delay);
    return reply.status(202).send({ executionId: queued.id, status: queued.status });
  });

  // A test run is one attempt: no retries, so the answer comes back at once.
  app.post<{ Params: { id: string } }>("/api/workflows/:id/test", async (req) => {
    const caller = callerOf(principalOf(req));
    return workflows.view(caller, await workflows.executeSync(caller, req.params.id, bodyOf(req), "test", { noRetries: true }));
  });

  // Arbitrary code is a platform-admin capability (acting in an organization with
  // X-Bifrost-Org): organizations run the workflows the platform's admins registered.
  app.post("/api/workflows/code/execute", async (req) => {
    const p = requireAdmin(req);
    const body = parseBody(InlineCode, req.body);
    try {
      return workflows.view(callerOf(p), await workflows.runCode(callerOf(p), executionPrincipal(p), body, "code"));
    } catch (error) {
      if (error instanceof CompileError) throw new HttpError(400, "compile_error", `The code does not compile: ${error.message}`);
      throw error;
    }
  });
}
