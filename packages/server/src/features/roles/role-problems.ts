import type { LoadError } from "@bifrost/contracts/workflow-options.js";
import type { RolesRepo } from "@bifrost/storage/roles.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";

/**
 * Roles are never created on first use: a workflow naming a role that does not exist is
 * a registration problem, listed with the load errors (the unknown role grants nobody).
 */
export async function unknownRoles(roles: RolesRepo, workflows: StoredWorkflow[]): Promise<LoadError[]> {
  const named = workflows.filter((w) => w.access.level === "roleBased");
  if (named.length === 0) return [];
  const known = new Set((await roles.list()).map((r) => r.name.toLowerCase()));
  const out: LoadError[] = [];
  for (const w of named) {
    const missing = w.access.roles.filter((r) => !known.has(r.toLowerCase()));
    if (w.access.roles.length === 0) out.push({ filePath: w.filePath, exportName: w.exportName, message: `${w.name}: access is roleBased but names no roles: only platform admins can use it`, updatedAt: w.updatedAt });
    else if (missing.length > 0) {
      out.push({ filePath: w.filePath, exportName: w.exportName, message: `${w.name}: access names unknown role(s) ${missing.map((m) => `"${m}"`).join(", ")}: create them with POST /api/roles (they grant nobody until then)`, updatedAt: w.updatedAt });
    }
  }
  return out;
}
