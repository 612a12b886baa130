import { call } from "./transport.js";

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Every organization (platform admins only; others get a `BifrostError` with code `forbidden`).
 *
 * @example
 * ```ts
 * import { organizations } from "bifrost";
 *
 * for (const org of await organizations.list()) console.log(org.id, org.name);
 * ```
 */
export function list(): Promise<Organization[]> {
  return call("organizations.list", [], { idempotent: true });
}

/**
 * One organization by id.
 *
 * @example
 * ```ts
 * import { organizations, context } from "bifrost";
 *
 * const org = await organizations.get(context.orgId!);
 * ```
 */
export function get(id: string): Promise<Organization> {
  return call("organizations.get", [id], { idempotent: true });
}

/**
 * Creates an organization (a customer).
 *
 * @example
 * ```ts
 * import { organizations } from "bifrost";
 *
 * const org = await organizations.create("Contoso");
 * ```
 */
export function create(name: string): Promise<Organization> {
  return call("organizations.create", [name]);
}

/**
 * Renames an organization.
 *
 * @example
 * ```ts
 * import { organizations } from "bifrost";
 *
 * await organizations.update(org.id, { name: "Contoso Ltd" });
 * ```
 */
export function update(id: string, changes: { name: string }): Promise<Organization> {
  return call("organizations.update", [id, changes]);
}

/**
 * Deletes an organization and its API keys.
 *
 * @example
 * ```ts
 * import { organizations } from "bifrost";
 *
 * await organizations.delete(org.id);
 * ```
 */
function remove(id: string): Promise<boolean> {
  return call("organizations.delete", [id]);
}
export { remove as delete };
