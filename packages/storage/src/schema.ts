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

export interface Schema {
  config_values: ConfigValuesTable;
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  workflows: WorkflowsTable;
  workflow_files: WorkflowFilesTable;
  executions: ExecutionsTable;
  execution_logs: ExecutionLogsTable;
  jobs: JobsTable;
}
