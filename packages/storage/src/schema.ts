import type { Generated } from "kysely";

/** Timestamps are ISO-8601 UTC strings (sortable as text in every dialect); JSON is stored as text. */
export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: string;
  /** null = a platform-admin key. */
  organization_id: string | null;
  name: string;
  /** SHA-256 of the key: keys are 256-bit random, so a fast hash is safe and lookups stay O(1). */
  key_hash: string;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
  /** A personal key: acts with this user's rights (null = an organization or platform key). */
  user_id: string | null;
}

export interface WorkflowsTable {
  id: string;
  organization_id: string | null;
  name: string;
  kind: string;
  file_path: string;
  export_name: string;
  /** JSON: the resolved settings (see `resolveWorkflowSettings`). */
  settings: string;
  /** JSON Schema of the params. */
  params_schema: string;
  source_hash: string;
  module_path: string;
  updated_at: string;
}

export interface WorkflowFilesTable {
  path: string;
  organization_id: string | null;
  /** SHA-256 of the compiled bundle. */
  source_hash: string;
  module_path: string;
  /** JSON: `{ [workspacePath]: sha256 }` of every source bundled in, to skip unchanged files at start-up. */
  inputs: string;
  /** JSON: every definition the file exports, registered or not (`IndexedDefinition[]`). */
  definitions: string;
  /** JSON: `{ exportName, message }[]` — compile, import and option errors of this file. */
  errors: string;
  created_at: string;
  updated_at: string;
}

export interface ExecutionsTable {
  id: string;
  workflow_id: string | null;
  workflow_name: string;
  organization_id: string | null;
  user_id: string | null;
  trigger: string;
  status: string;
  input: string | null;
  result: string | null;
  error: string | null;
  error_type: string | null;
  error_stack: string | null;
  validation_errors: string | null;
  variables: string | null;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  attempt: number;
  attempts: string;
  parent_id: string | null;
  tokens_used: number;
  time_saved: number;
  value: number;
  /** JSON: what the principal that started the run may do (re-used by retries and resumed runs). */
  principal: string;
  /** Last sign of life of the process running it (queued runs). */
  heartbeat_at: string | null;
  /** SHA-256 of the bundle the run was created for, and the export to run. */
  module_hash: string | null;
  export_name: string | null;
  /** 1 for runs whose caller waits on the process running them (reaped when its heartbeat stops). */
  sync: number;
  /** When a Scheduled (delayed) run is due; null otherwise. */
  not_before: string | null;
}

export interface ExecutionLogsTable {
  execution_id: string;
  seq: number;
  level: string;
  message: string;
  ts: string;
}

export interface JobsTable {
  id: Generated<number>;
  execution_id: string;
  run_at: string;
  locked_by: string | null;
  locked_at: string | null;
  created_at: string;
}

export interface ConfigValuesTable {
  /** An organization id, or "global". */
  scope: string;
  key: string;
  type: string;
  /** JSON of the value; for secrets, the AES-256-GCM envelope (see secret-box.ts). */
  value: string;
  created_at: string;
  updated_at: string;
}

/** A user table (SPEC §2 `tables`); its documents live in `table_documents`. */
export interface TablesTable {
  /** An organization id, or "global". */
  scope: string;
  name: string;
  created_at: string;
}

export interface TableDocumentsTable {
  scope: string;
  table_name: string;
  id: string;
  /** JSON of the whole document, `id` included: filters read it with the dialect's JSON functions. */
  data: string;
  created_at: string;
  updated_at: string;
}

export interface EndpointKeysTable {
  id: string;
  scope: string;
  workflow_id: string | null;
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
}

export interface ScheduleStateTable {
  workflow_id: string;
  paused: number;
  cron: string;
  last_tick: string | null;
  last_execution_id: string | null;
  updated_at: string;
}

export interface ScheduleTicksTable {
  workflow_id: string;
  tick: string;
  execution_id: string | null;
  fired_by: string;
  created_at: string;
}

export interface CustomFormsTable {
  id: string;
  scope: string;
  name: string;
  workflow_id: string;
  title: string | null;
  description: string | null;
  fields: string;
  created_at: string;
  updated_at: string;
  /** JSON access ({ level, roles }); null = authenticated. */
  access: string | null;
}

export interface ModulesTable {
  hash: string;
  code: string;
  created_at: string;
}

/** An integration definition (SPEC §2 `integrations`); see integrations.repo.ts. */
export interface IntegrationsTable {
  id: string;
  name: string;
  description: string | null;
  /** JSON Schema of a mapping's per-organization config. */
  config_schema: string | null;
  base_url: string | null;
  /** JSON: `OAuthSettings` (no secret). */
  oauth: string | null;
  /** SecretBox envelope of the OAuth client secret. */
  client_secret: string | null;
  created_at: string;
  updated_at: string;
}

export interface IntegrationMappingsTable {
  id: string;
  integration_id: string;
  /** An organization id, or "global". */
  scope: string;
  /** The scope again when it is an organization (null for "global"): cascades deletes. */
  organization_id: string | null;
  entity_id: string;
  entity_name: string | null;
  /** JSON object. */
  config: string;
  created_at: string;
  updated_at: string;
}

export interface AiProvidersTable {
  id: string;
  /** An organization id, or "global". */
  scope: string;
  name: string;
  /** "openai-compatible" | "anthropic". */
  kind: string;
  base_url: string | null;
  /** SecretBox envelope of the API key. */
  api_key: string | null;
  /** SecretBox envelope of a JSON object of extra request headers. */
  headers: string | null;
  /** JSON object of extra query parameters (Azure's api-version). */
  query_params: string | null;
  chat_model: string | null;
  embedding_model: string | null;
  timeout_ms: number;
  created_at: string;
  updated_at: string;
}

export interface AiSettingsTable {
  scope: string;
  chat_provider_id: string | null;
  embedding_provider_id: string | null;
  updated_at: string;
}

export interface AgentsTable {
  id: string;
  /** An organization id, or "global". */
  scope: string;
  name: string;
  description: string | null;
  system_prompt: string;
  /** A provider name; null = the scope's chat provider. */
  provider: string | null;
  /** null = the provider's chat model. */
  model: string | null;
  /** JSON: names of the isTool workflows the agent may call. */
  tools: string;
  /** JSON: knowledge namespaces searched for each message. */
  knowledge: string;
  max_iterations: number;
  max_tokens: number;
  created_at: string;
  updated_at: string;
  /** JSON access ({ level, roles }); null = authenticated. */
  access: string | null;
}

/** A stored knowledge document (SPEC §2 `knowledge`); its chunks live in `knowledge_chunks`. */
export interface KnowledgeDocumentsTable {
  /** An organization id, or "global". */
  scope: string;
  namespace: string;
  key: string;
  content: string;
  /** SHA-256 of the chunking options and the content: an unchanged store skips re-embedding. */
  content_hash: string;
  /** JSON object. */
  metadata: string;
  created_at: string;
  updated_at: string;
}

export interface IntegrationConnectionsTable {
  mapping_id: string;
  /** "not_connected" | "connected" | "needs_reauth". */
  status: string;
  /** SecretBox envelopes. */
  access_token: string | null;
  refresh_token: string | null;
  token_type: string | null;
  /** Space-separated scopes the provider granted. */
  scopes: string | null;
  expires_at: string | null;
  obtained_at: string | null;
  last_error: string | null;
  version: number;
  lease_owner: string | null;
  lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface OAuthStatesTable {
  state_hash: string;
  mapping_id: string;
  /** SecretBox envelope of the PKCE code verifier. */
  code_verifier: string;
  redirect_uri: string;
  created_by: string | null;
  expires_at: string;
  created_at: string;
}

export interface KnowledgeChunksTable {
  id: Generated<number>;
  scope: string;
  namespace: string;
  key: string;
  seq: number;
  content: string;
}

/** A chunk's vector from one embedding model. */
export interface KnowledgeVectorsTable {
  chunk_id: number;
  model: string;
  dimensions: number;
  /** A unit vector: float32 BLOB (SQLite, sqlite-vec) or real[] (PostgreSQL). See knowledge-vectors.ts. */
  embedding: unknown;
}

export interface UsersTable {
  id: string;
  /** Lower-cased. */
  email: string;
  name: string;
  /** null = an MSP user. */
  organization_id: string | null;
  is_platform_admin: number;
  is_org_admin: number;
  disabled: number;
  /** argon2id PHC string; null = no password (invited, or single sign-on only). */
  password_hash: string | null;
  /** SecretBox envelope of the TOTP secret. */
  mfa_secret: string | null;
  mfa_enabled: number;
  /** JSON array of SHA-256 hashes of unused recovery codes. */
  recovery_codes: string | null;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  /** The absolute end of the session. */
  expires_at: string;
  revoked_at: string | null;
}

export interface RolesTable {
  id: string;
  name: string;
  name_key: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
  created_at: string;
}

export interface UserTokensTable {
  token_hash: string;
  purpose: string;
  user_id: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string | null;
  organization_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  details: string | null;
}

export interface Schema {
  users: UsersTable;
  sessions: SessionsTable;
  roles: RolesTable;
  user_roles: UserRolesTable;
  user_tokens: UserTokensTable;
  audit_events: AuditEventsTable;
  modules: ModulesTable;
  custom_forms: CustomFormsTable;
  endpoint_keys: EndpointKeysTable;
  schedule_state: ScheduleStateTable;
  schedule_ticks: ScheduleTicksTable;
  config_values: ConfigValuesTable;
  tables: TablesTable;
  table_documents: TableDocumentsTable;
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  workflows: WorkflowsTable;
  workflow_files: WorkflowFilesTable;
  executions: ExecutionsTable;
  execution_logs: ExecutionLogsTable;
  jobs: JobsTable;
  integrations: IntegrationsTable;
  integration_mappings: IntegrationMappingsTable;
  integration_connections: IntegrationConnectionsTable;
  oauth_states: OAuthStatesTable;
  ai_providers: AiProvidersTable;
  ai_settings: AiSettingsTable;
  agents: AgentsTable;
  knowledge_documents: KnowledgeDocumentsTable;
  knowledge_chunks: KnowledgeChunksTable;
  knowledge_vectors: KnowledgeVectorsTable;
}
