import type { FastifyInstance } from "fastify";
import { principalOf } from "../../auth.js";
import { parseBody } from "../../parse.js";
import { callerOf } from "../sdk/scope.js";
import type { AiProvidersService } from "./ai-providers.service.js";
import { CreateProvider, ScopeQuery, UpdateProvider, UpdateSettings } from "./ai.schemas.js";
import type { AiService } from "./ai.service.js";

/**
 * `/api/ai/*`: providers and the per-scope defaults (platform admins), and what the caller's
 * organization uses (anyone).
 */
export function aiRoutes(app: FastifyInstance, deps: { ai: AiService; providers: AiProvidersService }): void {
  const caller = (req: Parameters<typeof principalOf>[0]) => callerOf(principalOf(req));

  app.get("/api/ai/providers", async (req) => {
    const { scope } = parseBody(ScopeQuery, req.query);
    return { providers: await deps.providers.list(caller(req), scope) };
  });
  app.post("/api/ai/providers", async (req, reply) => {
    const body = parseBody(CreateProvider, req.body);
    return reply.status(201).send(await deps.providers.create(caller(req), body));
  });
  app.get<{ Params: { id: string } }>("/api/ai/providers/:id", async (req) => deps.providers.describe(caller(req), req.params.id));
  app.put<{ Params: { id: string } }>("/api/ai/providers/:id", async (req) => deps.providers.update(caller(req), req.params.id, parseBody(UpdateProvider, req.body)));
  app.delete<{ Params: { id: string } }>("/api/ai/providers/:id", async (req, reply) => {
    await deps.providers.delete(caller(req), req.params.id);
    return reply.status(204).send();
  });

  app.get("/api/ai/settings", async (req) => {
    const { scope } = parseBody(ScopeQuery, req.query);
    return deps.providers.settings(caller(req), scope);
  });
  app.put("/api/ai/settings", async (req) => deps.providers.updateSettings(caller(req), parseBody(UpdateSettings, req.body)));

  app.get("/api/ai/model-info", async (req) => deps.ai.modelInfo(caller(req)));
}
