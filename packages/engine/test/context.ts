import type { ExecutionContextData } from "@bifrost/contracts/context.js";

/** The context of a global-scope, platform-admin API run: what the pool tests hand a child with each task. */
export function testContext(overrides: Partial<ExecutionContextData> = {}): ExecutionContextData {
  return {
    executionId: "e1",
    workflowId: null,
    workflowName: "t",
    orgId: null,
    orgName: null,
    userId: null,
    email: null,
    userName: null,
    isPlatformAdmin: true,
    isGlobalScope: true,
    parameters: {},
    trigger: "api",
    roi: { timeSaved: 0, value: 0 },
    attempt: 1,
    ...overrides,
  };
}
