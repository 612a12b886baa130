import type { FastifyInstance } from "fastify";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StoredAgent } from "@bifrost/storage/agents.repo.js";
import { principalOf } from "../../auth.js";
import { parseBody } from "../../parse.js";
import type { AiService } from "../ai/ai.service.js";
import { callerOf, GLOBAL } from "../sdk/scope.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import type { WorkflowsService } from "../workflows/workflows.service.js";
import { HttpError } from "../../http-error.js";
import { runAgentChat } from "./agent-chat.js";
import { ChatRequest, CreateAgent, ScopeQuery, UpdateAgent } from "./agents.schemas.js";
import type { AgentsService } from "./agents.service.js";

/**
 * `/api/agents`: definitions (platform admins write; every key reads its organization's
 * and the global ones) and `POST /api/agents/{name}/chat`, the tool-calling loop.
 */
export function agentsRoutes(
  app: FastifyInstance,
  deps: { agents: AgentsService; ai: AiService; workflows: WorkflowsService; engine: Engine; audit: AuditRepo; checkRoles: (names: string[], path: string) => Promise<void> },
): void {
  const caller = (req: Parameters<typeof principalOf>[0]) => callerOf(principalOf(req));
  const view = (a: StoredAgent) => a;

  app.get("/api/agents", async (req) => {
    const { scope } = parseBody(ScopeQuery, req.query);
    return { agents: (await deps.agents.list(caller(req), scope)).map(view) };
  });
  app.post("/api/agents", async (req, reply) => {
    const body = parseBody(CreateAgent, req.body);
    if (body.access) await deps.checkRoles(body.access.roles, "access.roles");
    const created = await deps.agents.create(caller(req), body, (db, a) => audit(deps.audit, req, { action: "agent.create", target: a.id, orgId: a.scope === GLOBAL ? null : a.scope, details: { name: a.name } }, db));
    return reply.status(201).send(view(created));
  });
  app.get<{ Params: { ref: string } }>("/api/agents/:ref", async (req) => view(await deps.agents.find(caller(req), req.params.ref)));
  app.put<{ Params: { ref: string } }>("/api/agents/:ref", async (req) => {
    const body = parseBody(UpdateAgent, req.body);
    if (body.access) await deps.checkRoles(body.access.roles, "access.roles");
    return view(await deps.agents.update(caller(req), req.params.ref, body, (db, a) => audit(deps.audit, req, { action: "agent.update", target: a.id, orgId: a.scope === GLOBAL ? null : a.scope, details: { name: body.name ?? a.name } }, db)));
  });
  app.delete<{ Params: { ref: string } }>("/api/agents/:ref", async (req, reply) => {
    await deps.agents.delete(caller(req), req.params.ref, (db, a) => audit(deps.audit, req, { action: "agent.delete", target: a.id, orgId: a.scope === GLOBAL ? null : a.scope, details: { name: a.name } }, db));
    return reply.status(204).send();
  });

  app.post<{ Params: { ref: string } }>("/api/agents/:ref/chat", async (req) => {
    const body = parseBody(ChatRequest, req.body);
    const c = caller(req);
    const agent = await deps.agents.find(c, req.params.ref);
    return runAgentChat(deps, c, agent, body);
  });

  /**
   * The same chat streamed as NDJSON lines: `{"type":"text","text":…}` pieces of the answer,
   * `{"type":"tool","call":…}` as each tool call finishes (its `executionId` is the run),
   * then `{"type":"done","result":…}` (the body `/chat` answers) or `{"type":"error","error":…}`.
   * Refusals before the chat starts (validation, an unknown agent) are ordinary error answers.
   */
  app.post<{ Params: { ref: string } }>("/api/agents/:ref/chat/stream", async (req, reply) => {
    const body = parseBody(ChatRequest, req.body);
    const c = caller(req);
    const agent = await deps.agents.find(c, req.params.ref);
    const controller = new AbortController();
    reply.hijack();
    const res = reply.raw;
    res.on("close", () => controller.abort());
    res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    const line = (value: unknown) => !res.destroyed && res.write(`${JSON.stringify(value)}\n`);
    try {
      const result = await runAgentChat(deps, c, agent, body, { emit: line, signal: controller.signal });
      line({ type: "done", result });
    } catch (error) {
      const e = error instanceof HttpError ? error : new HttpError(500, "internal", "The chat failed");
      if (!(error instanceof HttpError)) req.log.error({ err: error }, "agent chat stream failed");
      line({ type: "error", error: { code: e.code, message: e.message, status: e.status } });
    } finally {
      res.end();
    }
  });
}
