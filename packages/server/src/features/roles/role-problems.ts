import type { LoadError } from "@bifrost/contracts/workflow-options.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";

/**
 * Problems of registered role-based workflows: one that names no roles at all (only
 * platform admins can use it). A workflow naming a role that does not exist is not
 * registered at all (the registry lists that with the load errors: roles are never
 * created on first use).
 */
export async function unknownRoles(workflows: StoredWorkflow[]): Promise<LoadError[]> {
  return workflows
    .filter((w) => w.access.level === "roleBased" && w.access.roles.length === 0)
    .map((w) => ({ filePath: w.filePath, exportName: w.exportName, message: `${w.name}: access is roleBased but names no roles: only platform admins can use it`, updatedAt: w.updatedAt }));
}
