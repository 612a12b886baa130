import { Client } from "./client.js";
import { ApiError } from "./errors.js";

/** What `GET /api/auth/me` says about the key in use. */
export interface Identity {
  kind: string;
  keyId: string | null;
  keyName: string | null;
  isPlatformAdmin: boolean;
  /** The credential's own organization (null = MSP-wide or the global scope). */
  organizationId: string | null;
  /** The organization this request acts in (X-Bifrost-Org / BIFROST_ORG); older servers omit it. */
  actingOrganizationId?: string | null;
  /** The acted-in organization's name. */
  organizationName: string | null;
  user?: { email: string; name: string } | null;
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
  const acting = who.actingOrganizationId !== undefined ? who.actingOrganizationId : who.organizationId;
  const scope = acting ? `organization ${who.organizationName ?? ""} (${acting})`.replace("  ", " ") : "the global scope";
  const name = who.keyName ?? who.user?.email ?? "this credential";
  const role = who.isPlatformAdmin ? "platform admin" : who.kind === "user" || who.user ? "user" : "organization key";
  return `"${name}", ${role}, acting in ${scope}`;
}
