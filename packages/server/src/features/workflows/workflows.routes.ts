import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Trigger } from "@bifrost/contracts/execution.js";
import type { Engine } from "@bifrost/engine/engine.js";
import { CompileError } from "@bifrost/engine/compiler/compiler.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { executionPrincipal, principalOf, visibleOrg, type Principal } from "../../auth.js";
import { HttpError, notFound, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { executionView } from "../executions/execution-view.js";

const InlineCode = z
  .object({
    code: z.string().min(1, "is required").max(1_000_000),
    params: z.record(z.string(), z.unknown()).default({}),
    timeoutSeconds: z.number().positive().max(3600).default(60),
  })
  .strict();

function publicWorkflow(w: StoredWorkflow) {
  const { modulePath: _modulePath, ...rest } = w;
  return rest;
}

/** The caller's input: the JSON body (an object), with nothing else mixed in. */
function inputOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw validationFailed([{ path: "(body)", message: "must be a JSON object of the workflow's parameters" }]);
  }
  return body as Record<string, unknown>;
}

/** Workflows (SPEC §4 registry and execution routes). */
export function workflowsRoutes(app: FastifyInstance, deps: { engine: Engine }): void {
  const { engine } = deps;

  function find(p: Principal, idOrName: string): StoredWorkflow {
    const w = engine.registry.resolve(idOrName, visibleOrg(p));
    if (!w) throw notFound(`Workflow "${idOrName}"`);
    return w;
  }

  function validate(w: StoredWorkflow, input: Record<string, unknown>): void {
    const fields = engine.validator.validate(`${w.id}:${w.sourceHash}`, w.paramsSchema, input);
    if (fields) throw validationFailed(fields);
  }

  /** The organization a run acts in: the caller's, or the workflow's own for an admin without one. */
  function runOrg(p: Principal, w: StoredWorkflow): string | null {
    return p.orgId ?? w.orgId;
  }

  async function request(p: Principal, w: StoredWorkflow, input: Record<string, unknown>, trigger: Trigger) {
    const orgId = runOrg(p, w);
    // An admin without X-Bifrost-Org running an organization's workflow acts in that organization.
    const orgName = orgId === p.orgId ? p.orgName : ((await engine.repos.organizations.get(orgId!))?.name ?? null);
    return { workflow: w, input, orgId, userId: p.keyId, principal: executionPrincipal({ ...p, orgName }), trigger };
  }

  /** The response of a sync run: the record and its logs (debug lines for admins only). */
  async function respond(p: Principal, run: Awaited<ReturnType<typeof engine.executor.executeSync>>) {
    const logs = run.logs
      ? run.logs.filter((l) => p.isPlatformAdmin || l.level !== "debug")
      : await engine.repos.executions.logs(run.record.id, { includeDebug: p.isPlatformAdmin });
    return executionView(run.record, logs);
  }

  app.get<{ Querystring: { category?: string; tag?: string; type?: string; q?: string } }>("/api/workflows", async (req) => {
    const p = principalOf(req);
    const org = visibleOrg(p);
    const { category, tag, type, q } = req.query;
    return {
      workflows: engine.registry.list({ orgId: org, category, tag, kind: type, text: q }).map(publicWorkflow),
      loadErrors: engine.registry.loadErrors(org),
    };
  });

  app.get<{ Params: { id: string } }>("/api/workflows/:id", async (req) => publicWorkflow(find(principalOf(req), req.params.id)));

  app.post<{ Params: { id: string } }>("/api/workflows/:id/execute", async (req) => {
    const p = principalOf(req);
    const w = find(p, req.params.id);
    const input = inputOf(req);
    validate(w, input);
    return respond(p, await engine.executor.executeSync(await request(p, w, input, "api")));
  });

  app.post<{ Params: { id: string }; Querystring: { delaySeconds?: string } }>("/api/workflows/:id/run", async (req, reply) => {
    const p = principalOf(req);
    const w = find(p, req.params.id);
    const input = inputOf(req);
    validate(w, input);
    const delay = req.query.delaySeconds === undefined ? 0 : Number(req.query.delaySeconds);
    if (!Number.isFinite(delay) || delay < 0 || delay > 31_536_000) {
      throw validationFailed([{ path: "delaySeconds", message: "must be a number of seconds between 0 and 31536000" }]);
    }
    const queued = await engine.executor.enqueue(await request(p, w, input, "api"), delay * 1000);
    return reply.status(202).send({ executionId: queued.id, status: queued.status });
  });

  app.post<{ Params: { id: string } }>("/api/workflows/:id/test", async (req) => {
    const p = principalOf(req);
    const w = find(p, req.params.id);
    const input = inputOf(req);
    validate(w, input);
    // A test run is one attempt: no retries, so the answer comes back at once.
    return respond(p, await engine.executor.executeSync(await request(p, { ...w, retryPolicy: null }, input, "test")));
  });

  app.post("/api/workflows/code/execute", async (req) => {
    const p = principalOf(req);
    const body = parseBody(InlineCode, req.body);
    let inline;
    try {
      inline = await engine.compileInline(body.code, body.timeoutSeconds);
    } catch (error) {
      if (error instanceof CompileError) throw new HttpError(400, "compile_error", `The code does not compile: ${error.message}`);
      throw error;
    }
    const run = await engine.executor.executeSync({
      inline,
      input: body.params,
      orgId: p.orgId,
      userId: p.keyId,
      principal: executionPrincipal(p),
      trigger: "code",
    });
    return respond(p, run);
  });
}
