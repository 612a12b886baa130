import { agentsDocs } from "../agents/agents.openapi.js";
import { aiDocs } from "../ai/ai.openapi.js";
import { apiKeysDocs } from "../api-keys/api-keys.openapi.js";
import { auditDocs } from "../audit/audit.openapi.js";
import { authDocs } from "../auth/auth.openapi.js";
import { configDocs } from "../config/config.openapi.js";
import { endpointsDocs } from "../endpoints/endpoints.openapi.js";
import { executionsDocs } from "../executions/executions.openapi.js";
import { filesDocs } from "../files/files.openapi.js";
import { formsDocs } from "../forms/forms.openapi.js";
import { integrationsDocs } from "../integrations/integrations.openapi.js";
import { knowledgeDocs } from "../knowledge/knowledge.openapi.js";
import { mcpDocs } from "../mcp/mcp.openapi.js";
import { organizationsDocs } from "../organizations/organizations.openapi.js";
import { reportsDocs } from "../reports/reports.openapi.js";
import { rolesDocs } from "../roles/roles.openapi.js";
import { schedulesDocs } from "../schedules/schedules.openapi.js";
import { sdkDocs } from "../sdk/sdk.openapi.js";
import { tablesDocs } from "../tables/tables.openapi.js";
import { usersDocs } from "../users/users.openapi.js";
import { workflowsDocs } from "../workflows/workflows.openapi.js";
import { openApiDocs } from "./openapi.openapi.js";
import type { FeatureDocs } from "./route-docs.js";

/**
 * Every feature's route descriptions, in the reference's order. A new route adds its entry
 * to its feature's `<feature>.openapi.ts`; a new feature adds its file here.
 */
export const FEATURE_DOCS: readonly FeatureDocs[] = [
  openApiDocs,
  authDocs,
  usersDocs,
  rolesDocs,
  organizationsDocs,
  apiKeysDocs,
  auditDocs,
  workflowsDocs,
  executionsDocs,
  endpointsDocs,
  formsDocs,
  schedulesDocs,
  configDocs,
  tablesDocs,
  filesDocs,
  knowledgeDocs,
  integrationsDocs,
  aiDocs,
  agentsDocs,
  reportsDocs,
  sdkDocs,
  mcpDocs,
];
