import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { HttpMethod } from "@bifrost/contracts/workflow-options.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Engine } from "@bifrost/engine/engine.js";
import { hashApiKey } from "@bifrost/storage/api-keys.repo.js";
import type { EndpointKey, EndpointKeysRepo } from "@bifrost/storage/endpoint-keys.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Kysely } from "kysely";
import { audit } from "../audit/audit.js";
import { lookUpKey, principalOf } from "../../auth.js";
import { forbidden, HttpError, notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { coerceQuery } from "../forms/forms.routes.js";
import type { WorkflowsService } from "../workflows/workflows.service.js";
import type { RateLimiter } from "../../rate-limiter.js";
import { callerOf, GLOBAL, resolveScope, visibleOrgOf } from "../sdk/scope.js";

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

const unauthorized = (message: string) => new HttpError(401, "unauthorized", message);

/**
 * `endpointEnabled` workflows as HTTP endpoints (SPEC §4/§5). Key rules: the workflow's own
 * key always works; the scope's global endpoint key works unless `disableGlobalKey`;
 * `publicEndpoint` needs none. Runs act in the key's organization (a public endpoint: in
 * the workflow's own scope), with trigger `endpoint`.
 */
export function endpointsRoutes(
  app: FastifyInstance,
  deps: {
    engine: Engine;
    workflows: WorkflowsService;
    keys: EndpointKeysRepo;
    /** Calls per endpoint key (per client address for public endpoints). */
    limiter: RateLimiter;
    /** Failed key lookups per client address (shared with API keys). */
    failures: RateLimiter;
  },
): void {
  const { engine, workflows, keys, limiter, failures } = deps;

  async function keyFrom(req: FastifyRequest, reply: FastifyReply, raw: string | undefined): Promise<EndpointKey | null> {
    if (!raw) return null;
    const key = await lookUpKey(failures, req, reply, () => keys.findActiveByHash(hashApiKey(raw)));
    if (!key) throw unauthorized("Invalid or revoked endpoint key");
    return key;
  }

  async function callerFor(scope: string | null, key: EndpointKey | null): Promise<SdkCaller> {
    const orgName = scope === null ? null : ((await engine.repos.organizations.get(scope))?.name ?? null);
    return { orgId: scope, orgName, isPlatformAdmin: false, keyId: key?.id ?? null, userName: key ? `endpoint key ${key.name}` : "public endpoint", executionId: null, depth: 0 };
  }

  async function serve(req: FastifyRequest, reply: FastifyReply, name: string | null, key: EndpointKey | null) {
    let w: StoredWorkflow | undefined;
    let scope: string | null;
    if (key) {
      scope = key.scope === GLOBAL ? null : key.scope;
      if (key.workflowId) {
        w = engine.registry.getById(key.workflowId);
        if (!w || (name !== null && name !== w.name && name !== w.id)) throw unauthorized("This endpoint key belongs to another workflow");
      } else {
        if (name === null) throw unauthorized("/api/execute/{key} needs a workflow's own key");
        w = engine.registry.resolve(name, scope);
        if (w?.disableGlobalKey) throw unauthorized(`Workflow "${w.name}" does not accept the global endpoint key: use its own key`);
      }
    } else {
      w = name === null ? undefined : engine.registry.resolve(name, null);
      if (w && !w.publicEndpoint && w.endpointEnabled) throw unauthorized("Send an endpoint key in the X-Bifrost-Key header");
      scope = w?.orgId ?? null;
    }
    if (!w || !w.endpointEnabled || w.kind === "data_provider") throw notFound(`Endpoint "${name ?? "?"}"`);
    if (!w.allowedMethods.includes(req.method as HttpMethod)) {
      reply.header("allow", w.allowedMethods.join(", "));
      throw new HttpError(405, "method_not_allowed", `Endpoint "${w.name}" accepts ${w.allowedMethods.join(", ")}, not ${req.method}`);
    }
    const wait = await limiter.take(key ? `key:${key.id}` : `ip:${req.ip}:${w.id}`);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      throw new HttpError(429, "rate_limited", `Too many requests for this endpoint key: retry in ${wait} s`);
    }
    const body = req.body ?? {};
    if (typeof body !== "object" || Array.isArray(body)) throw new HttpError(422, "validation_failed", "The body must be a JSON object");
    const input = { ...coerceQuery((req.query ?? {}) as Record<string, unknown>, w.paramsSchema), ...(body as Record<string, unknown>) };
    const caller = await callerFor(scope, key);
    if (w.executionMode === "async") {
      const queued = await workflows.enqueue(caller, w.id, input, "endpoint");
      return reply.status(202).header("x-bifrost-execution-id", queued.id).send({ executionId: queued.id, status: queued.status });
    }
    const { record } = await workflows.executeSync(caller, w.id, input, "endpoint");
    reply.header("x-bifrost-execution-id", record.id).header("x-bifrost-status", record.status);
    switch (record.status) {
      case "Success":
      case "CompletedWithErrors":
        // Always JSON, even for a plain string result (Fastify would send that as text).
        return reply.status(200).type("application/json; charset=utf-8").send(JSON.stringify(record.result ?? null));
      case "Timeout":
        throw new HttpError(504, "timeout", `${record.error} (execution ${record.id})`);
      default:
        return reply.status(500).send({
          error: { code: "execution_failed", message: record.error ?? record.status, errorType: record.errorType, executionId: record.id, status: record.status },
        });
    }
  }

  const header = (req: FastifyRequest) => {
    const v = req.headers["x-bifrost-key"];
    return Array.isArray(v) ? v[0] : v;
  };
  app.route<{ Params: { name: string } }>({
    method: METHODS,
    url: "/api/endpoints/:name",
    handler: async (req, reply) => serve(req, reply, req.params.name, await keyFrom(req, reply, header(req))),
  });
  app.route<{ Params: { key: string } }>({
    method: METHODS,
    url: "/api/execute/:key",
    handler: async (req, reply) => serve(req, reply, null, await keyFrom(req, reply, req.params.key)),
  });
}

export const CreateKey = z
  .object({
    name: z.string().trim().min(1, "is required").max(200),
    /** A workflow's name or id: the key works for that workflow only. Absent = the scope's global endpoint key. */
    workflow: z.string().min(1).optional(),
    scope: z.string().min(1).optional(),
  })
  .strict();

/** Endpoint keys: created (shown once), listed, rotated and revoked through the API. */
export function endpointKeysRoutes(app: FastifyInstance, deps: { engine: Engine; workflows: WorkflowsService; keys: EndpointKeysRepo; audit: AuditRepo }): void {
  const { keys, workflows, engine } = deps;
  // A key's event (its id, name and prefix, never the key) commits with the change.
  const event = (req: FastifyRequest, action: string, k: EndpointKey) => (db: Kysely<Schema>) =>
    audit(deps.audit, req, { action, target: k.id, orgId: k.scope === GLOBAL ? null : k.scope, details: { name: k.name, workflowId: k.workflowId } }, db);

  async function owned(req: FastifyRequest, id: string): Promise<EndpointKey> {
    const caller = callerOf(principalOf(req));
    const key = await keys.get(id);
    const visible = visibleOrgOf(caller);
    if (!key || key.revokedAt || (visible !== undefined && key.scope !== (visible ?? GLOBAL))) throw notFound("Endpoint key");
    if (key.scope === GLOBAL && !caller.isPlatformAdmin) throw forbidden("Only platform admins manage global endpoint keys");
    return key;
  }

  app.post("/api/endpoint-keys", async (req, reply) => {
    const caller = callerOf(principalOf(req));
    const body = parseBody(CreateKey, req.body);
    let scope = await resolveScope(caller, body.scope, "write", engine.repos.organizations);
    let workflowId: string | null = null;
    if (body.workflow) {
      const w = workflows.find(caller, body.workflow);
      if (!w.endpointEnabled) throw new HttpError(422, "validation_failed", `Workflow "${w.name}" is not endpointEnabled`, [{ path: "workflow", message: "is not endpointEnabled" }]);
      workflowId = w.id;
      if (body.scope === undefined && caller.orgId === null && w.orgId) scope = w.orgId;
    }
    const { key, endpointKey } = await keys.create(scope, workflowId, body.name, undefined, (db, k) => event(req, "endpoint_key.create", k)(db));
    return reply.status(201).send({ ...endpointKey, key });
  });

  app.get("/api/endpoint-keys", async (req) => {
    const visible = visibleOrgOf(callerOf(principalOf(req)));
    return { endpointKeys: await keys.list(visible === undefined ? undefined : (visible ?? GLOBAL)) };
  });

  app.post<{ Params: { id: string } }>("/api/endpoint-keys/:id/rotate", async (req) => {
    const key = await owned(req, req.params.id);
    const secret = await keys.rotate(key.id, undefined, event(req, "endpoint_key.rotate", key));
    if (!secret) throw notFound("Endpoint key");
    return { ...(await keys.get(key.id)), key: secret };
  });

  app.delete<{ Params: { id: string } }>("/api/endpoint-keys/:id", async (req, reply) => {
    const key = await owned(req, req.params.id);
    await keys.revoke(key.id, undefined, event(req, "endpoint_key.revoke", key));
    return reply.status(204).send();
  });
}
