import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { notFound } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { callerOf, GLOBAL } from "../sdk/scope.js";
import type { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { audit } from "../audit/audit.js";
import { CONFIG_TYPES } from "@bifrost/contracts/config.js";
import { ConfigKey, type ConfigService } from "./config.service.js";

export const Scope = z.object({ scope: z.string().min(1).optional() }).strict();
export const SetBody = z
  .object({
    value: z.unknown(),
    type: z.enum(CONFIG_TYPES).optional(),
    secret: z.boolean().optional(),
    scope: z.string().min(1).optional(),
  })
  .strict();

/** `/api/config`: the same operations as the SDK's `config` module, for the UI and CLI. */
export function configRoutes(app: FastifyInstance, deps: { config: ConfigService; audit: AuditRepo }): void {
  app.get("/api/config", async (req) => {
    const { scope } = parseBody(Scope, req.query);
    return { values: await deps.config.list(callerOf(principalOf(req)), { scope }) };
  });

  app.get<{ Params: { key: string } }>("/api/config/:key", async (req) => {
    const { scope } = parseBody(Scope, req.query);
    return deps.config.describe(callerOf(principalOf(req)), parseBody(ConfigKey, req.params.key), { scope });
  });

  app.put<{ Params: { key: string } }>("/api/config/:key", async (req) => {
    const key = parseBody(ConfigKey, req.params.key);
    const { value, ...options } = parseBody(SetBody, req.body);
    // The audit event names the key and type, never the value; it commits with the change.
    return deps.config.set(callerOf(principalOf(req)), key, value, options, (db, scope, type) =>
      audit(deps.audit, req, { action: type === "secret" ? "secret.set" : "config.set", target: key, orgId: scope === GLOBAL ? null : scope, details: { type } }, db),
    );
  });

  app.delete<{ Params: { key: string } }>("/api/config/:key", async (req, reply) => {
    const { scope } = parseBody(Scope, req.query);
    const key = parseBody(ConfigKey, req.params.key);
    const deleted = await deps.config.delete(callerOf(principalOf(req)), key, { scope }, (db, at) =>
      audit(deps.audit, req, { action: "config.delete", target: key, orgId: at === GLOBAL ? null : at }, db),
    );
    if (!deleted) throw notFound("Config key");
    return reply.status(204).send();
  });
}

const Options = z.object({ scope: z.string().min(1).optional() }).strict();

export function registerConfigSdk(sdk: SdkRegistry, config: ConfigService): void {
  sdk.register(
    "config.get",
    ["key", "options"],
    z.tuple([ConfigKey, z.object({ default: z.unknown().optional(), scope: z.string().min(1).optional() }).strict().optional()]),
    (caller, key, options) => config.get(caller, key, options),
  );
  sdk.register(
    "config.set",
    ["key", "value", "options"],
    z.tuple([ConfigKey, z.unknown(), z.object({ secret: z.boolean().optional(), type: z.enum(CONFIG_TYPES).optional(), scope: z.string().min(1).optional() }).strict().optional()]),
    async (caller, key, value, options) => {
      await config.set(caller, key, value, options);
      return null;
    },
  );
  sdk.register("config.list", ["options"], z.tuple([Options.optional()]), (caller, options) => config.list(caller, options));
  sdk.register("config.delete", ["key", "options"], z.tuple([ConfigKey, Options.optional()]), (caller, key, options) => config.delete(caller, key, options));
}
