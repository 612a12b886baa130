import type { Engine } from "@bifrost/engine/engine.js";
import { AgentsRepo } from "@bifrost/storage/agents.repo.js";
import { AiProvidersRepo } from "@bifrost/storage/ai-providers.repo.js";
import { ConfigRepo } from "@bifrost/storage/config.repo.js";
import { KnowledgeRepo } from "@bifrost/storage/knowledge.repo.js";
import { SecretBox } from "@bifrost/storage/secret-box.js";
import { TablesRepo } from "@bifrost/storage/tables.repo.js";
import { AgentsService } from "./features/agents/agents.service.js";
import { AiProvidersService } from "./features/ai/ai-providers.service.js";
import { registerAiSdk } from "./features/ai/ai.sdk.js";
import { AiService } from "./features/ai/ai.service.js";
import { registerConfigSdk } from "./features/config/config.routes.js";
import { ConfigService } from "./features/config/config.service.js";
import { registerKnowledgeSdk } from "./features/knowledge/knowledge.sdk.js";
import { KnowledgeService } from "./features/knowledge/knowledge.service.js";
import { registerExecutionsSdk } from "./features/executions/executions.sdk.js";
import { registerFilesSdk } from "./features/files/files.routes.js";
import { FilesService, localFileStores } from "./features/files/files.service.js";
import { registerOrganizationsSdk } from "./features/organizations/organizations.sdk.js";
import { SdkRegistry } from "./features/sdk/sdk-registry.js";
import { registerTablesSdk } from "./features/tables/tables.sdk.js";
import { TablesService } from "./features/tables/tables.service.js";
import { registerWorkflowsSdk } from "./features/workflows/workflows.sdk.js";
import { WorkflowsService } from "./features/workflows/workflows.service.js";
import { IntegrationsRepo } from "@bifrost/storage/integrations.repo.js";
import { registerIntegrationsSdk } from "./features/integrations/integrations.sdk.js";
import { IntegrationsService } from "./features/integrations/integrations.service.js";
import { TokenBroker } from "./features/integrations/token-broker.js";
import { TokenRefresher } from "./features/integrations/token-refresher.js";

export interface ServicesDeps {
  /** 32-byte key sealing secrets at rest (AES-256-GCM). */
  secretKey: Buffer;
  /** Largest file the files module reads or writes. Default 50 MiB. */
  maxFileBytes?: number;
  log: (message: string) => void;
  /** Longest wait for an OAuth token endpoint. Default 10 s. */
  oauthTimeoutMs?: number;
  /** How often the background job renews expiring OAuth tokens (0 = never). Default 60 s. */
  oauthRefreshIntervalMs?: number;
  /** Deepest JSON accepted in SDK arguments and workflow parameters (BIFROST_MAX_JSON_DEPTH). Default 64. */
  maxJsonDepth?: number;
}

/**
 * The services behind the SDK and the API, and the SDK method registry wired to the
 * engine: what every process that runs workflows needs — an API server, or a worker
 * without HTTP.
 */
export function buildServices(engine: Engine, deps: ServicesDeps) {
  const db = engine.database.db;
  const organizations = engine.repos.organizations;
  const sdk = new SdkRegistry({ maxJsonDepth: deps.maxJsonDepth });
  const workflows = new WorkflowsService(engine, deps.maxJsonDepth);
  const config = new ConfigService({ repo: new ConfigRepo(db), box: new SecretBox(deps.secretKey), organizations, redactor: engine.redactor });
  const tables = new TablesService({ repo: new TablesRepo(engine.database), organizations });
  const files = new FilesService({
    workspace: engine.config.workspace,
    stores: localFileStores(engine.config.dataDir),
    organizations,
    refresh: (paths) => engine.indexer.refresh(paths),
    log: deps.log,
    maxFileBytes: deps.maxFileBytes,
  });
  const aiProviders = new AiProvidersService({ repo: new AiProvidersRepo(db), box: new SecretBox(deps.secretKey), organizations });
  const ai = new AiService({ providers: aiProviders, usage: engine.usage, validator: engine.validator, log: deps.log });
  const agents = new AgentsService({ repo: new AgentsRepo(db), organizations, engine });
  // The knowledge base embeds through the AI service, which searches it for `ai.complete({ knowledge })`.
  const knowledge = new KnowledgeService({ repo: new KnowledgeRepo(engine.database), organizations, embedder: ai });
  ai.setKnowledge(knowledge);
  /** Called when an organization is deleted (the API evicts its cached keys). */
  const onOrgDeleted: ((id: string) => void)[] = [];

  registerConfigSdk(sdk, config);
  registerTablesSdk(sdk, tables);
  registerFilesSdk(sdk, files);
  registerWorkflowsSdk(sdk, engine, workflows);
  registerExecutionsSdk(sdk, engine.repos.executions);
  registerOrganizationsSdk(sdk, organizations, (id) => onOrgDeleted.forEach((hook) => hook(id)));
  const oauthTimeoutMs = deps.oauthTimeoutMs ?? 10_000;
  const integrationsRepo = new IntegrationsRepo(db, new SecretBox(deps.secretKey));
  const integrations = new IntegrationsService({
    repo: integrationsRepo,
    broker: new TokenBroker({ repo: integrationsRepo, timeoutMs: oauthTimeoutMs }),
    organizations,
    validator: engine.validator,
    redactor: engine.redactor,
    timeoutMs: oauthTimeoutMs,
  });
  /** Started by the processes that serve or run workflows (see app.ts, platform.ts). */
  const tokenRefresher = new TokenRefresher(integrations, deps.oauthRefreshIntervalMs ?? 60_000, deps.log);
  registerIntegrationsSdk(sdk, integrations);
  registerAiSdk(sdk, ai);
  registerKnowledgeSdk(sdk, knowledge);
  // Running workflows reach the same methods over IPC, as their execution's principal.
  engine.setSdkHandler((caller, method, args) => sdk.dispatch(caller, method, args));

  return { sdk, workflows, config, tables, files, onOrgDeleted, integrations, tokenRefresher, ai, aiProviders, agents, knowledge };
}
