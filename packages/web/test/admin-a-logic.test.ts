/** The admin pages' logic that needs no browser: scopes merged, keys' workflows, role grants, levels, audit queries, cron in words. */
import { describe, expect, it } from "vitest";
import { auditQuery } from "../src/pages/audit.js";
import { mergeScopes } from "../src/pages/config.js";
import { workflowsOpenedBy } from "../src/pages/endpoint-keys.js";
import { grantsRole } from "../src/pages/roles.js";
import { cronInWords } from "../src/pages/schedules.js";
import { levelPatch } from "../src/pages/users.js";

const entry = (key: string, scope: string, value: unknown, secret = false) => ({ key, scope, value, secret, type: secret ? ("secret" as const) : ("string" as const), updatedAt: "2026-12-04T00:00:00.000Z" });

describe("config scopes", () => {
  it("lists every key once: the organization's value wins and names the global one it overrides", () => {
    const rows = mergeScopes([entry("b", "org1", "own"), entry("c", "org1", null, true)], [entry("a", "global", "g"), entry("b", "global", "gb")]);
    expect(rows.map((r) => [r.key, r.value, r.own, r.overrides?.value ?? null])).toEqual([
      ["a", "g", false, null],
      ["b", "own", true, "gb"],
      ["c", null, true, null],
    ]);
  });
  it("the global scope alone overrides nothing", () => {
    expect(mergeScopes([entry("a", "global", 1)], null)).toEqual([{ ...entry("a", "global", 1), own: true, overrides: null }]);
  });
});

describe("endpoint keys", () => {
  const workflows = [
    { id: "1", name: "hook", orgId: null, endpointEnabled: true },
    { id: "2", name: "own_only", orgId: null, endpointEnabled: true, disableGlobalKey: true },
    { id: "3", name: "contoso_hook", orgId: "contoso", endpointEnabled: true },
    { id: "4", name: "not_endpoint", orgId: null },
  ];
  it("a workflow's key opens that workflow only", () => {
    expect(workflowsOpenedBy({ scope: "global", workflowId: "2" }, workflows)).toEqual(["own_only"]);
  });
  it("a scope's global key opens its scope's and the global endpoint workflows that accept it", () => {
    expect(workflowsOpenedBy({ scope: "contoso", workflowId: null }, workflows)).toEqual(["hook", "contoso_hook"]);
    expect(workflowsOpenedBy({ scope: "global", workflowId: null }, workflows)).toEqual(["hook"]);
  });
});

describe("roles and levels", () => {
  it("role-based access names the role in any case; other levels grant nothing", () => {
    expect(grantsRole({ level: "roleBased", roles: ["HelpDesk"] }, "helpdesk")).toBe(true);
    expect(grantsRole({ level: "roleBased", roles: ["billing"] }, "helpdesk")).toBe(false);
    expect(grantsRole({ level: "authenticated", roles: ["helpdesk"] }, "helpdesk")).toBe(false);
    expect(grantsRole(undefined, "helpdesk")).toBe(false);
  });
  it("a level is the PATCH fields of its kind of user", () => {
    expect(levelPatch("platformAdmin")).toEqual({ isPlatformAdmin: true });
    expect(levelPatch("mspMember")).toEqual({ isPlatformAdmin: false });
    expect(levelPatch("orgAdmin")).toEqual({ isOrgAdmin: true });
    expect(levelPatch("orgMember")).toEqual({ isOrgAdmin: false });
  });
});

describe("audit and schedules", () => {
  it("the URL's filters become the audit query, the page an offset", () => {
    const now = Date.parse("2026-12-04T12:00:00.000Z");
    expect(auditQuery(new URLSearchParams("action=user.&page=3&range=24h"), now)).toEqual({
      action: "user.",
      actorId: undefined,
      target: undefined,
      organizationId: undefined,
      since: "2026-12-03T12:00:00.000Z",
      limit: 25,
      offset: 50,
    });
    expect(auditQuery(new URLSearchParams("page=-2"), now)).toMatchObject({ offset: 0, since: undefined });
  });
  it("says a cron expression in words with its time zone, and an unreadable one as it is", () => {
    expect(cronInWords("0 9 * * 1-5", "Europe/London")).toBe("At 09:00, Monday through Friday (Europe/London)");
    expect(cronInWords("not a cron", "UTC")).toBe("not a cron (UTC)");
  });
});
