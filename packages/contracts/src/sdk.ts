/**
 * SDK calls. Inside a worker they travel over IPC to the host; outside (a developer's
 * laptop) they are posted to `POST /api/sdk/call`. Either way one method registry on the
 * server performs them, as the caller below.
 */
export interface SdkCallRequest {
  /** `module.function`, e.g. `config.get`. */
  method: string;
  args: unknown[];
}

/** Who makes an SDK call: an execution's principal, or an API key's. */
export interface SdkCaller {
  /** The organization the call acts in unless it names a `scope`; null = global. */
  orgId: string | null;
  orgName: string | null;
  isPlatformAdmin: boolean;
  keyId: string | null;
  userName: string | null;
  /** The signed-in person behind the call (a session or a personal key), if any. */
  userId?: string | null;
  email?: string | null;
  /**
   * The roles (lower-cased names) of a person whose access is checked against
   * workflows' `access`; absent = not restricted (platform admins, keys without a user,
   * running workflows).
   */
  roles?: string[];
  /** The execution making the call (null from outside the platform). */
  executionId: string | null;
  /** How deep in `workflows.run` nesting the calling execution is (0 = top level). */
  depth: number;
}

/** Deepest `workflows.run` / `workflows.execute` nesting allowed. */
export const MAX_WORKFLOW_DEPTH = 10;

/** Placeholder for secret values in logs, results, variables and errors. */
export const REDACTED = "[REDACTED]";
