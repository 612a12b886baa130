import Fastify, { type FastifyInstance } from "fastify";
import type { Engine } from "@bifrost/engine/engine.js";
import { registerAuth } from "./auth.js";
import { apiKeysRoutes } from "./features/api-keys/api-keys.routes.js";
import { executionsRoutes } from "./features/executions/executions.routes.js";
import { organizationsRoutes } from "./features/organizations/organizations.routes.js";
import { workflowsRoutes } from "./features/workflows/workflows.routes.js";
import { HttpError, registerErrorHandler } from "./http-error.js";

export interface AppDeps {
  engine: Engine;
  adminApiKey: string | null;
  bodyLimitBytes: number;
  logger?: boolean | { level: string };
}

/** Builds the HTTP app from its dependencies without listening (tests use `app.inject`). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: deps.bodyLimitBytes, logger: deps.logger ?? false });
  registerErrorHandler(app);

  // JSON only: a text/plain body is 415, not a string handed to validation.
  app.removeAllContentTypeParsers();
  // An empty body is an empty object of parameters; anything else must be valid JSON.
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new HttpError(400, "invalid_json", `Request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.get("/api/health", async () => ({ status: "ok", workers: deps.engine.pool.stats() }));

  await app.register(async (api) => {
    const { evict, evictOrg } = registerAuth(api, {
      apiKeys: deps.engine.repos.apiKeys,
      organizations: deps.engine.repos.organizations,
      adminApiKey: deps.adminApiKey,
    });
    organizationsRoutes(api, { organizations: deps.engine.repos.organizations, onDelete: evictOrg });
    apiKeysRoutes(api, { apiKeys: deps.engine.repos.apiKeys, organizations: deps.engine.repos.organizations, evict });
    workflowsRoutes(api, { engine: deps.engine });
    executionsRoutes(api, { engine: deps.engine });
  });
  return app;
}
