import { z } from "zod";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { forbidden, notFound } from "../../http-error.js";
import type { SdkRegistry } from "../sdk/sdk-registry.js";

const Name = z.string().trim().min(1, "is required").max(200);

function requireAdmin(caller: SdkCaller): void {
  if (!caller.isPlatformAdmin) throw forbidden("organizations: only platform admins can manage organizations");
}

/** The SDK's `organizations` module: platform admins only. */
export function registerOrganizationsSdk(sdk: SdkRegistry, repo: OrganizationsRepo, onDelete: (id: string) => void): void {
  sdk.register("organizations.list", [], z.tuple([]), async (caller) => {
    requireAdmin(caller);
    return repo.list();
  });
  sdk.register("organizations.get", ["id"], z.tuple([z.string().min(1)]), async (caller, id) => {
    requireAdmin(caller);
    return (await repo.get(id)) ?? Promise.reject(notFound(`Organization ${id}`));
  });
  sdk.register("organizations.create", ["name"], z.tuple([Name]), async (caller, name) => {
    requireAdmin(caller);
    return repo.create(name);
  });
  sdk.register("organizations.update", ["id", "changes"], z.tuple([z.string().min(1), z.object({ name: Name }).strict()]), async (caller, id, changes) => {
    requireAdmin(caller);
    return (await repo.rename(id, changes.name)) ?? Promise.reject(notFound(`Organization ${id}`));
  });
  sdk.register("organizations.delete", ["id"], z.tuple([z.string().min(1)]), async (caller, id) => {
    requireAdmin(caller);
    if (!(await repo.delete(id))) throw notFound(`Organization ${id}`);
    onDelete(id);
    return true;
  });
}
