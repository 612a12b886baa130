import { Client } from "./client.js";
import { ApiError } from "./errors.js";

/** What `GET /api/auth/me` says about the key in use. */
export interface Identity {
  kind: string;
  keyId: string;
  keyName: string;
  isPlatformAdmin: boolean;
  organizationId: string | null;
  organizationName: string | null;
}

/** Who the key is; instances without `/api/auth/me` are checked with a list call instead. */
export async function identify(client: Client, timeoutMs = 15_000): Promise<Identity | null> {
  try {
    return await client.json<Identity>("GET", "/api/auth/me", { timeoutMs });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404 || error.code !== "not_found") throw error;
    await client.json("GET", "/api/workflows", { timeoutMs });
    return null;
  }
}

/** `platform admin (global scope)`, `organization Contoso (…id)`. */
export function describeIdentity(who: Identity | null): string {
  if (!who) return "a valid key (this instance does not say whose)";
  const scope = who.organizationId ? `organization ${who.organizationName ?? ""} (${who.organizationId})`.replace("  ", " ") : "the global scope";
  return `"${who.keyName}", ${who.isPlatformAdmin ? "platform admin" : "organization key"}, acting in ${scope}`;
}
