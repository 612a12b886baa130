import type { FastifyInstance } from "fastify";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StoredAgent } from "@bifrost/storage/agents.repo.js";
import { principalOf } from "../../auth.js";
import { parseBody } from "../../parse.js";
import type { AiService } from "../ai/ai.service.js";
import { callerOf } from "../sdk/scope.js";
import type { WorkflowsService } from "../workflows/workflows.service.js";
import { runAgentChat } from "./agent-chat.js";
import { ChatRequest, CreateAgent, ScopeQuery, UpdateAgent } from "./agents.schemas.js";
import type { AgentsService } from "./agents.service.js";

/**
 * `/api/agents`: definitions (platform admins write; every key reads its organization's
 * and the global ones) and `POST /api/agents/{name}/chat`, the tool-calling loop.
 */
export function agentsRoutes(
  app: FastifyInstance,
  deps: { agents: AgentsService; ai: AiService; workflows: WorkflowsService; engine: Engine; checkRoles: (names: string[], path: string) => Promise<void> },
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
    return reply.status(201).send(view(await deps.agents.create(caller(req), body)));
  });
  app.get<{ Params: { ref: string } }>("/api/agents/:ref", async (req) => view(await deps.agents.find(caller(req), req.params.ref)));
  app.put<{ Params: { ref: string } }>("/api/agents/:ref", async (req) => {
    const body = parseBody(UpdateAgent, req.body);
    if (body.access) await deps.checkRoles(body.access.roles, "access.roles");
    return view(await deps.agents.update(caller(req), req.params.ref, body));
  });
  app.delete<{ Params: { ref: string } }>("/api/agents/:ref", async (req, reply) => {
    await deps.agents.delete(caller(req), req.params.ref);
    return reply.status(204).send();
  });

  app.post<{ Params: { ref: string } }>("/api/agents/:ref/chat", async (req) => {
    const body = parseBody(ChatRequest, req.body);
    const c = caller(req);
    const agent = await deps.agents.find(c, req.params.ref);
    return runAgentChat(deps, c, agent, body);
  });
}
