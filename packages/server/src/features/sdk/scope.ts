import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { Principal } from "../../auth.js";
import { forbidden, notFound } from "../../http-error.js";

export const GLOBAL = "global";

/** The caller of an HTTP request, in the same shape as a running workflow's. */
export function callerOf(p: Principal): SdkCaller {
  return {
    orgId: p.orgId,
    orgName: p.orgName,
    isPlatformAdmin: p.isPlatformAdmin,
    keyId: p.keyId,
    userName: p.keyName,
    userId: p.userId,
    email: p.email,
    ...(p.roles ? { roles: p.roles } : {}),
    executionId: null,
    depth: 0,
  };
}

/**
 * Which organizations a caller sees: `undefined` = every one (a platform admin acting
 * without an organization), otherwise the one it acts in (null = global only).
 */
export function visibleOrgOf(caller: SdkCaller): string | null | undefined {
  return caller.isPlatformAdmin && caller.orgId === null ? undefined : caller.orgId;
}

/**
 * Where a call acts: the `scope` it names (an organization id or "global"), or the
 * caller's organization. Anyone may read global values; only platform admins write
 * them or act in another organization.
 */
export async function resolveScope(
  caller: SdkCaller,
  scope: string | undefined,
  mode: "read" | "write",
  organizations: OrganizationsRepo,
): Promise<string> {
  const wanted = scope ?? caller.orgId ?? GLOBAL;
  if (wanted === GLOBAL) {
    if (mode === "write" && !caller.isPlatformAdmin) throw forbidden("Only platform admins can change global values");
    return GLOBAL;
  }
  if (wanted === caller.orgId) return wanted;
  if (!caller.isPlatformAdmin) throw forbidden("An organization can only act in its own scope");
  if (!(await organizations.get(wanted))) throw notFound(`Organization ${wanted}`);
  return wanted;
}
