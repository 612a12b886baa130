import Fastify, { type FastifyInstance } from "fastify";
import type { Engine } from "@bifrost/engine/engine.js";
import { registerAuth } from "./auth.js";
import { apiKeysRoutes } from "./features/api-keys/api-keys.routes.js";
import { executionsRoutes } from "./features/executions/executions.routes.js";
import { organizationsRoutes } from "./features/organizations/organizations.routes.js";
import { configRoutes, registerConfigSdk } from "./features/config/config.routes.js";
import { ConfigService } from "./features/config/config.service.js";
import { registerExecutionsSdk } from "./features/executions/executions.sdk.js";
import { registerOrganizationsSdk } from "./features/organizations/organizations.sdk.js";
import { SdkRegistry } from "./features/sdk/sdk-registry.js";
import { sdkRoutes } from "./features/sdk/sdk.routes.js";
import { workflowsRoutes } from "./features/workflows/workflows.routes.js";
import { registerWorkflowsSdk } from "./features/workflows/workflows.sdk.js";
import { WorkflowsService } from "./features/workflows/workflows.service.js";
import { ConfigRepo } from "@bifrost/storage/config.repo.js";
import { SecretBox } from "@bifrost/storage/secret-box.js";
import { HttpError, registerErrorHandler } from "./http-error.js";

export interface AppDeps {
  engine: Engine;
  /** 32-byte key sealing secrets at rest (AES-256-GCM). */
  secretKey: Buffer;
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

  const { engine } = deps;
  const db = engine.database.db;
  const organizations = engine.repos.organizations;
  const sdk = new SdkRegistry();
  const workflows = new WorkflowsService(engine);
  const config = new ConfigService({ repo: new ConfigRepo(db), box: new SecretBox(deps.secretKey), organizations, redactor: engine.redactor });

  await app.register(async (api) => {
    const { evict, evictOrg } = registerAuth(api, { apiKeys: engine.repos.apiKeys, organizations, adminApiKey: deps.adminApiKey });
    organizationsRoutes(api, { organizations, onDelete: evictOrg });
    apiKeysRoutes(api, { apiKeys: engine.repos.apiKeys, organizations, evict });
    workflowsRoutes(api, { engine, workflows });
    executionsRoutes(api, { engine });
    configRoutes(api, { config });
    sdkRoutes(api, { sdk });

    registerConfigSdk(sdk, config);
    registerWorkflowsSdk(sdk, engine, workflows);
    registerExecutionsSdk(sdk, engine.repos.executions);
    registerOrganizationsSdk(sdk, organizations, evictOrg);
  });
  // Running workflows reach the same methods over IPC, as their execution's principal.
  engine.setSdkHandler((caller, method, args) => sdk.dispatch(caller, method, args));
  return app;
}
