import type { Me } from "./types.js";

/** A scope of tables, knowledge or forms: "global" or an organization id, with its name. */
export interface ScopeChoice {
  value: string;
  label: string;
}

/**
 * The scopes a user can pick: a platform admin every organization and global; anyone else
 * global (read-only) and the organization it acts in (`org`, else its own).
 */
export function scopeChoices(me: Me, org: string | null): ScopeChoice[] {
  const global = { value: "global", label: "Global" };
  if (me.isPlatformAdmin) return [global, ...me.organizations.map((o) => ({ value: o.id, label: o.name }))];
  const acting = org ?? me.homeOrganizationId;
  return [global, ...me.organizations.filter((o) => o.id === acting).map((o) => ({ value: o.id, label: o.name }))];
}

/** The scope a page starts in: the organization acted in, else global. */
export function defaultScope(me: Me, org: string | null): string {
  return org ?? me.homeOrganizationId ?? "global";
}

/** Whether the server lets this user write in `scope` (global: platform admins only). */
export function canWriteScope(me: Me, org: string | null, scope: string): boolean {
  if (me.isPlatformAdmin) return true;
  return scope !== "global" && scope === (org ?? me.homeOrganizationId);
}

/** Levels that may use the tables and knowledge APIs (packages/server/src/permissions.ts, STAFF). */
export const isStaff = (me: Me): boolean => me.level !== "orgMember";
