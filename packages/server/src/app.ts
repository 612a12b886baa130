import Fastify, { type FastifyInstance } from "fastify";
import { MemoryCache, type Cache } from "@bifrost/engine/events/cache.js";
import { ROLES_CHANNEL, type Engine } from "@bifrost/engine/engine.js";
import { CustomFormsRepo } from "@bifrost/storage/custom-forms.repo.js";
import { EndpointKeysRepo } from "@bifrost/storage/endpoint-keys.repo.js";
import { AuditRepo } from "@bifrost/storage/audit.repo.js";
import { RolesRepo } from "@bifrost/storage/roles.repo.js";
import { SessionsRepo } from "@bifrost/storage/sessions.repo.js";
import { UserTokensRepo } from "@bifrost/storage/user-tokens.repo.js";
import { UsersRepo } from "@bifrost/storage/users.repo.js";
import { registerAuth } from "./auth.js";
import { auditRoutes } from "./features/audit/audit.routes.js";
import { selfRoutes, signInRoutes } from "./features/auth/auth.routes.js";
import { mfaRoutes } from "./features/auth/mfa.routes.js";
import { oidcRoutes, type OidcDeps } from "./features/auth/oidc.routes.js";
import { SecretBox } from "@bifrost/storage/secret-box.js";
import { rolesRoutes } from "./features/roles/roles.routes.js";
import { usersRoutes } from "./features/users/users.routes.js";
import { UsersService } from "./features/users/users.service.js";
import { familyOf, registerPermissions } from "./permissions.js";
import { registerAuditOfChanges } from "./features/audit/audit.js";
import { agentsRoutes } from "./features/agents/agents.routes.js";
import { aiRoutes } from "./features/ai/ai.routes.js";
import { apiKeysRoutes } from "./features/api-keys/api-keys.routes.js";
import { configRoutes } from "./features/config/config.routes.js";
import { endpointKeysRoutes, endpointsRoutes } from "./features/endpoints/endpoints.routes.js";
import { executionsRoutes } from "./features/executions/executions.routes.js";
import { WorkspaceEditor } from "./features/files/editor.service.js";
import { filesRoutes } from "./features/files/files.routes.js";
import { customFormsRoutes } from "./features/forms/custom-forms.routes.js";
import { DataProvidersService } from "./features/forms/data-providers.service.js";
import { formsRoutes } from "./features/forms/forms.routes.js";
import { knowledgeRoutes } from "./features/knowledge/knowledge.routes.js";
import { mcpRoutes } from "./features/mcp/mcp.routes.js";
import { organizationsRoutes } from "./features/organizations/organizations.routes.js";
import { reportsRoutes } from "./features/reports/reports.routes.js";
import { ReportsService } from "./features/reports/reports.service.js";
import { schedulesRoutes } from "./features/schedules/schedules.routes.js";
import { sdkRoutes } from "./features/sdk/sdk.routes.js";
import { sdkGeneratorRoutes } from "./features/sdk-generator/sdk-generator.routes.js";
import { tablesRoutes } from "./features/tables/tables.routes.js";
import { workflowsRoutes } from "./features/workflows/workflows.routes.js";
import { workflowFilesRoutes } from "./features/workflows/workflow-files.routes.js";
import { WorkflowFilesService } from "./features/workflows/workflow-files.service.js";
import { HttpError, registerErrorHandler, validationFailed } from "./http-error.js";
import { bodyTooDeep, DEFAULT_MAX_JSON_DEPTH, jsonTextTooDeep } from "./json-depth.js";
import { RateLimiter } from "./rate-limiter.js";
import { integrationsRoutes, oauthCallbackRoutes } from "./features/integrations/integrations.routes.js";
import { buildServices } from "./services.js";
import { unknownRoles } from "./features/roles/role-problems.js";
import { registerWebUi } from "./web-ui.js";
import { FEATURE_DOCS } from "./features/openapi/all-docs.js";
import { registerOpenApi } from "./features/openapi/openapi.js";
import { openApiRoutes } from "./features/openapi/openapi.routes.js";

export interface AppDeps {
  engine: Engine;
  /** 32-byte key sealing secrets at rest (AES-256-GCM). */
  secretKey: Buffer;
  adminApiKey: string | null;
  bodyLimitBytes: number;
  logger?: boolean | { level: string };
  /** Largest file the files module reads or writes. Default 50 MiB. */
  maxFileBytes?: number;
  /** Endpoint calls allowed per key (or per client address, for public endpoints) a minute. */
  endpointRateLimit?: number;
  /** Failed authentications (bad API or endpoint keys) per client address a minute before 429. Default 30. */
  authFailLimit?: number;
  /** Deepest nesting of objects and arrays in a JSON body (400 beyond). Default 64. */
  maxJsonDepth?: number;
  /** Fastify's `trustProxy`: whose X-Forwarded-For names the client address. Default false. */
  trustProxy?: boolean | string[];
  /** Where rate limits count (Redis, shared by every process); default: in this process. */
  counters?: Cache;
  /** OAuth for integrations: public base URL (redirect URIs), token endpoint timeout, background refresh interval (0 = off). */
  oauth?: { publicUrl: string | null; timeoutMs: number; refreshIntervalMs: number };
  /** Sign-in sessions: idle and absolute lifetimes; failed sign-ins per account a minute (default 10). */
  sessions?: { idleMs: number; absoluteMs: number; loginFailLimit?: number; requireMfaForAdmins?: boolean };
  /** Single sign-on with OpenID Connect (null = off). */
  oidc?: OidcDeps["oidc"] | null;
  /** The built web app to serve at `/` (default packages/web/dist, when it exists); null = none. */
  webDir?: string | null;
}

/** Builds the HTTP app from its dependencies without listening (tests use `app.inject`). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger =
    deps.logger && typeof deps.logger === "object"
      ? {
          ...deps.logger,
          // /api/execute/{key} carries a secret in its path: it never reaches the log.
          serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.replace(/\/api\/execute\/[^/?#]+/, "/api/execute/[key]") }) },
        }
      : (deps.logger ?? false);
  const app = Fastify({ bodyLimit: deps.bodyLimitBytes, logger, trustProxy: deps.trustProxy ?? false });
  const maxJsonDepth = deps.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  registerErrorHandler(app);
  // Before any route: the OpenAPI document describes each one (built on first request).
  await registerOpenApi(app, FEATURE_DOCS, "0.1.0");

  // JSON only: a text/plain body is 415, not a string handed to validation.
  app.removeAllContentTypeParsers();
  // An empty body is an empty object of parameters; anything else must be valid JSON, nested
  // at most maxJsonDepth deep: the one place every body enters, before any handler runs.
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, {});
    if (jsonTextTooDeep(text, maxJsonDepth)) return done(bodyTooDeep(maxJsonDepth), undefined);
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
  const { sdk, workflows, config, tables, files, onOrgDeleted, integrations, tokenRefresher, ai, aiProviders, agents, knowledge } = buildServices(engine, {
    secretKey: deps.secretKey,
    maxFileBytes: deps.maxFileBytes,
    log: (message) => app.log.warn(message),
    oauthTimeoutMs: deps.oauth?.timeoutMs,
    oauthRefreshIntervalMs: deps.oauth?.refreshIntervalMs,
    maxJsonDepth,
  });
  files.start();
  app.addHook("onClose", () => files.stop());
  tokenRefresher.start();
  app.addHook("onClose", () => tokenRefresher.stop());

  const endpointKeys = new EndpointKeysRepo(db);
  const counters = deps.counters ?? new MemoryCache(100_000);
  // Bad API keys and bad endpoint keys from one address count together.
  const failures = new RateLimiter(counters, "auth-fail", deps.authFailLimit ?? 30);
  const publicUrl = deps.oauth?.publicUrl ?? null;
  const usersRepo = new UsersRepo(db);
  const sessionsRepo = new SessionsRepo(db);
  const rolesRepo = new RolesRepo(db);
  const auditRepo = new AuditRepo(db);
  const usersDeps = {
    db,
    users: usersRepo,
    sessions: sessionsRepo,
    tokens: new UserTokensRepo(db),
    roles: rolesRepo,
    apiKeys: engine.repos.apiKeys,
    organizations,
    audit: auditRepo,
    publicUrl,
  };
  const usersService = new UsersService(usersDeps);
  /** Roles are never created on first use: naming an unknown one (custom forms, agents) is 422. */
  const checkRoles = async (names: string[], path: string) => {
    const errors = [];
    for (const [i, name] of names.entries()) if (!(await rolesRepo.findByName(name))) errors.push({ path: `${path}.${i}`, message: `unknown role "${name}": create it with POST /api/roles` });
    if (errors.length) throw validationFailed(errors);
  };
  const sessionIdleMs = deps.sessions?.idleMs ?? 60 * 60_000;
  const signIn = {
    ...usersDeps,
    service: usersService,
    failures,
    accountFailures: new RateLimiter(counters, "login-account", deps.sessions?.loginFailLimit ?? 10),
    sessionIdleMs,
    sessionAbsoluteMs: deps.sessions?.absoluteMs ?? 24 * 3_600_000,
    box: new SecretBox(deps.secretKey),
  };
  // Sign-in, first-admin setup and one-time links: before anyone is authenticated.
  await app.register(async (pub) => {
    signInRoutes(pub, signIn);
    if (deps.oidc) oidcRoutes(pub, { ...signIn, oidc: deps.oidc });
  });

  // Endpoints authenticate with X-Bifrost-Key (or none), not with API keys: outside the API plugin.
  await app.register(async (pub) => {
    endpointsRoutes(pub, { engine, workflows, keys: endpointKeys, limiter: new RateLimiter(counters, "endpoint", deps.endpointRateLimit ?? 600), failures });
    // Providers redirect browsers here without an API key: the OAuth state authenticates.
    oauthCallbackRoutes(pub, { integrations, audit: auditRepo });
  });

  await app.register(async (api) => {
    const { evict, evictOrg } = registerAuth(api, { apiKeys: engine.repos.apiKeys, organizations, users: usersRepo, sessions: sessionsRepo, roles: rolesRepo, adminApiKey: deps.adminApiKey, failures, sessionIdleMs, requireMfaForAdmins: deps.sessions?.requireMfaForAdmins ?? false });
    // The one permission table (permissions.ts), applied to every route below.
    registerPermissions(api);
    registerAuditOfChanges(api, auditRepo, familyOf);
    onOrgDeleted.push(evictOrg);
    selfRoutes(api, signIn);
    mfaRoutes(api, signIn);
    usersRoutes(api, { service: usersService, users: usersRepo });
    rolesRoutes(api, {
      db,
      roles: rolesRepo,
      audit: auditRepo,
      users: usersService,
      usedBy: (role) => engine.registry.usingRole(role),
      changed: async () => {
        await engine.registry.rolesChanged();
        engine.bus.publish(ROLES_CHANNEL, { type: "registry" });
      },
    });
    auditRoutes(api, { audit: auditRepo });
    organizationsRoutes(api, { organizations, audit: auditRepo, onDelete: evictOrg });
    apiKeysRoutes(api, { db, apiKeys: engine.repos.apiKeys, organizations, audit: auditRepo, evict });
    workflowsRoutes(api, { engine, workflows, roleProblems: (listed) => unknownRoles(listed) });
    workflowFilesRoutes(api, { service: new WorkflowFilesService({ engine, files, workflows }), audit: auditRepo });
    executionsRoutes(api, { engine });
    configRoutes(api, { config, audit: auditRepo });
    tablesRoutes(api, { tables, audit: auditRepo });
    const editor = new WorkspaceEditor({ files, registry: engine.registry });
    filesRoutes(api, { files, editor, audit: auditRepo });
    sdkRoutes(api, { sdk });
    sdkGeneratorRoutes(api, { editor, audit: auditRepo });
    reportsRoutes(api, { reports: new ReportsService(db) });
    mcpRoutes(api, { engine, workflows });
    schedulesRoutes(api, { engine, workflows, audit: auditRepo });
    endpointKeysRoutes(api, { engine, workflows, keys: endpointKeys, audit: auditRepo });
    const providers = new DataProvidersService({ engine, workflows, cache: engine.cache });
    formsRoutes(api, { workflows, providers });
    customFormsRoutes(api, {
      forms: new CustomFormsRepo(db),
      workflows,
      organizations,
      providers,
      audit: auditRepo,
      checkRoles,
    });
    integrationsRoutes(api, { integrations, publicUrl, audit: auditRepo });
    aiRoutes(api, { ai, providers: aiProviders, audit: auditRepo });
    agentsRoutes(api, { agents, ai, workflows, engine, audit: auditRepo, checkRoles });
    knowledgeRoutes(api, { knowledge, audit: auditRepo });
    await openApiRoutes(api, { engine });
  });
  await registerWebUi(app, deps.webDir);
  return app;
}
