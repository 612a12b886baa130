import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { HttpError, notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { callerOf, GLOBAL } from "../sdk/scope.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import { IntegrationBody, IntegrationName, MappingBody, ScopeOption, ScopeOptions } from "./integrations.schemas.js";
import type { IntegrationAudit, IntegrationsService } from "./integrations.service.js";

type NameParams = { Params: { name: string } };
type MappingParams = { Params: { name: string; scope: string } };

export const NameParam = z.object({ name: IntegrationName });
export const MappingParam = z.object({ name: IntegrationName, scope: ScopeOption });
export const AuthorizeQuery = z.object({ scope: ScopeOption.optional(), format: z.enum(["json", "redirect"]).optional() }).strict();

/**
 * `/api/integrations` (definitions: platform admins write, everyone reads; mappings and
 * connections: each organization sees its own) and `GET|POST /api/oauth/{name}/authorize`.
 */
export function integrationsRoutes(app: FastifyInstance, deps: { integrations: IntegrationsService; publicUrl: string | null; audit: AuditRepo }): void {
  const { integrations } = deps;
  const caller = (req: FastifyRequest) => callerOf(principalOf(req));
  // A change's event (names only, never a secret) commits with it.
  const audited =
    (req: FastifyRequest, action: string): IntegrationAudit =>
    (db, i) =>
      audit(deps.audit, req, { action, target: i.scope ? `${i.name}/${i.scope}` : i.name, orgId: i.scope && i.scope !== GLOBAL ? i.scope : null, details: { integrationId: i.id } }, db);
  const nameOf = (req: FastifyRequest<NameParams>) => parseBody(NameParam, req.params).name;
  const scopeOf = (req: FastifyRequest) => parseBody(ScopeOptions, req.query);

  app.get("/api/integrations", async () => ({ integrations: await integrations.list() }));

  app.post("/api/integrations", async (req, reply) => reply.status(201).send(await integrations.create(caller(req), parseBody(IntegrationBody, req.body), audited(req, "integration.create"))));

  app.get<NameParams>("/api/integrations/:name", async (req) => integrations.describe(nameOf(req)));

  app.put<NameParams>("/api/integrations/:name", async (req) => integrations.update(caller(req), nameOf(req), parseBody(IntegrationBody, req.body), audited(req, "integration.update")));

  app.delete<NameParams>("/api/integrations/:name", async (req, reply) => {
    const name = nameOf(req);
    if (!(await integrations.delete(caller(req), name, audited(req, "integration.delete")))) throw notFound(`Integration "${name}"`);
    return reply.status(204).send();
  });

  app.get<NameParams>("/api/integrations/:name/mappings", async (req) => ({
    mappings: await integrations.listMappings(caller(req), nameOf(req), scopeOf(req)),
  }));

  app.get<MappingParams>("/api/integrations/:name/mappings/:scope", async (req) => {
    const { name, scope } = parseBody(MappingParam, req.params);
    const mapping = await integrations.getMapping(caller(req), name, { scope });
    if (!mapping) throw notFound(`The mapping of integration "${name}" for ${scope}`);
    return mapping;
  });

  app.put<MappingParams>("/api/integrations/:name/mappings/:scope", async (req, reply) => {
    const { name, scope } = parseBody(MappingParam, req.params);
    const { mapping, created } = await integrations.upsertMapping(caller(req), name, parseBody(MappingBody, req.body), { scope }, audited(req, "integration.map"));
    return reply.status(created ? 201 : 200).send(mapping);
  });

  app.delete<MappingParams>("/api/integrations/:name/mappings/:scope", async (req, reply) => {
    const { name, scope } = parseBody(MappingParam, req.params);
    if (!(await integrations.deleteMapping(caller(req), name, { scope }, audited(req, "integration.unmap")))) throw notFound(`The mapping of integration "${name}" for ${scope}`);
    return reply.status(204).send();
  });

  app.post<NameParams>("/api/integrations/:name/refresh", async (req) => integrations.refreshMapping(caller(req), nameOf(req), scopeOf(req)));

  app.delete<NameParams>("/api/integrations/:name/connection", async (req, reply) => {
    const name = nameOf(req);
    if (!(await integrations.disconnect(caller(req), name, scopeOf(req), audited(req, "integration.disconnect")))) throw notFound(`A connection of integration "${name}"`);
    return reply.status(204).send();
  });

  /** Where the provider sends the browser back: BIFROST_PUBLIC_URL, else this request's own origin. */
  const redirectUri = (req: FastifyRequest) => `${deps.publicUrl ?? `${req.protocol}://${req.host}`}/api/oauth/callback`;

  async function authorize(req: FastifyRequest<NameParams>, reply: FastifyReply, json: boolean) {
    const { scope, format } = parseBody(AuthorizeQuery, req.query);
    const started = await integrations.startAuthorization(caller(req), nameOf(req), { scope, redirectUri: redirectUri(req) });
    if (json || format === "json") return reply.header("cache-control", "no-store").send(started);
    return reply.header("cache-control", "no-store").redirect(started.authorizeUrl, 302);
  }
  app.get<NameParams>("/api/oauth/:name/authorize", (req, reply) => authorize(req, reply, false));
  app.post<NameParams>("/api/oauth/:name/authorize", (req, reply) => authorize(req, reply, true));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, message: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
}

/**
 * `GET /api/oauth/callback`: where providers redirect after consent. Not authenticated — a
 * browser arrives here without an API key; the single-use state is what binds the answer
 * to an organization and an integration. Browsers get a short page, API clients JSON.
 */
export function oauthCallbackRoutes(app: FastifyInstance, deps: { integrations: IntegrationsService; audit: AuditRepo }): void {
  app.get("/api/oauth/callback", async (req, reply) => {
    const query = Object.fromEntries(Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : undefined]));
    const html = (req.headers.accept ?? "").includes("text/html");
    reply.header("cache-control", "no-store");
    try {
      // No principal here: the event names the key or person who started the authorization.
      const done = await deps.integrations.completeAuthorization(query, (db, c) =>
        audit(deps.audit, req, { action: "integration.connect", target: `${c.name}/${c.scope}`, orgId: c.scope === GLOBAL ? null : c.scope, actor: { kind: "anonymous", id: c.startedBy, name: "OAuth callback" }, details: { integrationId: c.id, startedBy: c.startedBy } }, db),
      );
      if (!html) return done;
      return reply.type("text/html; charset=utf-8").send(page("Connected", `Integration "${done.integration}" is connected. You can close this window.`));
    } catch (error) {
      if (!html || !(error instanceof HttpError)) throw error;
      return reply.status(error.status).type("text/html; charset=utf-8").send(page("Authorization failed", error.message));
    }
  });
}
