import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import { principalOf } from "../../auth.js";
import { parseBody } from "../../parse.js";
import { callerOf, GLOBAL } from "../sdk/scope.js";
import type { AiProvidersService, ProviderAudit } from "./ai-providers.service.js";
import { HttpError } from "../../http-error.js";
import { CompleteOptions, CreateProvider, ScopeQuery, UpdateProvider, UpdateSettings } from "./ai.schemas.js";
import type { AiService } from "./ai.service.js";

/**
 * `/api/ai/*`: providers and the per-scope defaults (platform admins), and what the caller's
 * organization uses (anyone).
 */
export function aiRoutes(app: FastifyInstance, deps: { ai: AiService; providers: AiProvidersService; audit: AuditRepo }): void {
  const caller = (req: Parameters<typeof principalOf>[0]) => callerOf(principalOf(req));
  // A provider change's event (its name, never its key) commits with it.
  const audited =
    (req: FastifyRequest, action: string): ProviderAudit =>
    (db, p) =>
      audit(deps.audit, req, { action, target: p.id, orgId: p.scope === GLOBAL ? null : p.scope, details: { name: p.name } }, db);

  app.get("/api/ai/providers", async (req) => {
    const { scope } = parseBody(ScopeQuery, req.query);
    return { providers: await deps.providers.list(caller(req), scope) };
  });
  app.post("/api/ai/providers", async (req, reply) => {
    const body = parseBody(CreateProvider, req.body);
    return reply.status(201).send(await deps.providers.create(caller(req), body, audited(req, "ai_provider.create")));
  });
  app.get<{ Params: { id: string } }>("/api/ai/providers/:id", async (req) => deps.providers.describe(caller(req), req.params.id));
  app.put<{ Params: { id: string } }>("/api/ai/providers/:id", async (req) => deps.providers.update(caller(req), req.params.id, parseBody(UpdateProvider, req.body), audited(req, "ai_provider.update")));
  app.delete<{ Params: { id: string } }>("/api/ai/providers/:id", async (req, reply) => {
    await deps.providers.delete(caller(req), req.params.id, audited(req, "ai_provider.delete"));
    return reply.status(204).send();
  });

  app.get("/api/ai/settings", async (req) => {
    const { scope } = parseBody(ScopeQuery, req.query);
    return deps.providers.settings(caller(req), scope);
  });
  app.put("/api/ai/settings", async (req) =>
    deps.providers.updateSettings(caller(req), parseBody(UpdateSettings, req.body), (db, scope, chosen) =>
      audit(deps.audit, req, { action: "ai_settings.update", target: scope, orgId: scope === GLOBAL ? null : scope, details: chosen }, db),
    ),
  );

  app.get("/api/ai/model-info", async (req) => deps.ai.modelInfo(caller(req)));

  /**
   * A streamed completion for the external SDK, as NDJSON lines: `{"type":"text","text":…}`
   * pieces, then `{"type":"done",…}` with the usage, or `{"type":"error","error":{…}}`. The
   * whole stream is one response, so it works behind any number of API servers. Failures
   * before the first piece (validation, nothing configured, a provider that refuses) are
   * ordinary error answers with their status.
   */
  app.post("/api/ai/stream", async (req, reply) => {
    const options = parseBody(CompleteOptions, req.body);
    const controller = new AbortController();
    const parts = deps.ai.stream(caller(req), options, controller.signal);
    const first = await parts.next();
    reply.hijack();
    const res = reply.raw;
    res.on("close", () => controller.abort());
    res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    const line = (value: unknown) => res.write(`${JSON.stringify(value)}\n`);
    try {
      if (!first.done) line(first.value);
      for (let r = await parts.next(); !r.done; r = await parts.next()) line(r.value);
    } catch (error) {
      const e = error instanceof HttpError ? error : new HttpError(502, "provider_error", error instanceof Error ? error.message : String(error));
      if (!res.destroyed) line({ type: "error", error: { code: e.code, message: e.message, status: e.status } });
    } finally {
      res.end();
    }
  });
}
