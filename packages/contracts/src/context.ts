import type { Trigger } from "./execution.js";

/** The data behind the SDK's `context` proxy, sent to the worker child with each run. */
export interface ExecutionContextData {
  executionId: string;
  workflowId: string | null;
  workflowName: string;
  orgId: string | null;
  orgName: string | null;
  userId: string | null;
  email: string | null;
  userName: string | null;
  isPlatformAdmin: boolean;
  isGlobalScope: boolean;
  parameters: Record<string, unknown>;
  trigger: Trigger;
  roi: { timeSaved: number; value: number };
  attempt: number;
}
