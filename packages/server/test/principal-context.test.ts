import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * What a run's `context` says about its caller is the caller's: a data provider's cached
 * answer is never served to another principal, and runs started with an endpoint key
 * know their organization's name.
 */

const FILES = {
  "principal.ts": `
import { workflow, dataProvider, context } from "bifrost";

/** Admins see every site; others only their own. */
export const sites = dataProvider({ name: "sites", cacheTtl: 600 }, async () =>
  context.isPlatformAdmin
    ? [{ label: "every site (admin)", value: "*" }, { label: "admin caller", value: context.userId }]
    : [{ label: "own sites", value: context.orgId }, { label: "caller", value: context.userId }],
);

export const whoHook = workflow({ name: "who_hook", endpointEnabled: true }, async () => ({ orgId: context.orgId, orgName: context.orgName, userName: context.userName }));
export const whoLater = workflow({ name: "who_later", endpointEnabled: true, executionMode: "async" }, async () => ({ orgName: context.orgName }));
`,
};

let t: TestPlatform;
let orgId: string;
let orgKey: string;

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  ({ orgId, key: orgKey } = await createOrgWithKey(t, "Contoso"));
});
afterAll(async () => {
  await t?.close();
});

describe("the data-provider cache", () => {
  it("keeps an admin's answer from an organization key of the same organization", async () => {
    const admin = (await t.call({ method: "GET", url: "/api/data-providers/sites", org: orgId })).json();
    expect(admin).toMatchObject({ cached: false, options: [{ label: "every site (admin)", value: "*" }, { label: "admin caller", value: "env-admin" }] });
    expect((await t.call({ method: "GET", url: "/api/data-providers/sites", org: orgId })).json()).toMatchObject({ cached: true, options: admin.options });

    const org = (await t.call({ method: "GET", url: "/api/data-providers/sites", key: orgKey })).json();
    expect(org.cached).toBe(false);
    expect(org.options[0]).toEqual({ label: "own sites", value: orgId });
    expect((await t.call({ method: "GET", url: "/api/data-providers/sites", key: orgKey })).json()).toMatchObject({ cached: true, options: org.options });
  });

  it("keeps one key's answer from another key of the organization (the provider sees context.userId)", async () => {
    const first = (await t.call({ method: "GET", url: "/api/data-providers/sites", key: orgKey })).json();
    const created = await t.call({ method: "POST", url: "/api/api-keys", payload: { name: "second Contoso key", organizationId: orgId } });
    const second = created.json() as { id: string; key: string };
    const other = (await t.call({ method: "GET", url: "/api/data-providers/sites", key: second.key })).json();
    expect(other.cached).toBe(false);
    expect(other.options).toEqual([{ label: "own sites", value: orgId }, { label: "caller", value: second.id }]);
    expect(other.options).not.toEqual(first.options);
  });
});

describe("runs started with an endpoint key", () => {
  it("know their organization's name (context.orgName), sync and queued, by header or path key", async () => {
    const globalOrgKey = (await t.call({ method: "POST", url: "/api/endpoint-keys", key: orgKey, payload: { name: "contoso hooks" } })).json().key as string;
    const ownKey = (await t.call({ method: "POST", url: "/api/endpoint-keys", key: orgKey, payload: { name: "who hook", workflow: "who_hook" } })).json().key as string;

    const byHeader = await t.app.inject({ method: "POST", url: "/api/endpoints/who_hook", headers: { "x-bifrost-key": globalOrgKey }, payload: {} });
    expect(byHeader.statusCode).toBe(200);
    expect(byHeader.json()).toEqual({ orgId, orgName: "Contoso", userName: "endpoint key contoso hooks" });

    const byPath = await t.app.inject({ method: "POST", url: `/api/execute/${ownKey}`, payload: {} });
    expect(byPath.json()).toEqual({ orgId, orgName: "Contoso", userName: "endpoint key who hook" });

    const queued = await t.app.inject({ method: "POST", url: "/api/endpoints/who_later", headers: { "x-bifrost-key": globalOrgKey }, payload: {} });
    expect(queued.statusCode).toBe(202);
    const id = queued.json().executionId as string;
    const done = await eventually(async () => {
      const r = (await t.call({ method: "GET", url: `/api/executions/${id}`, org: orgId })).json();
      return r.status === "Success" ? r : undefined;
    }, 20_000, "the queued endpoint run");
    expect(done.result).toEqual({ orgName: "Contoso" });

    // A global endpoint key: the global scope has no name.
    const globalKey = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "platform hooks" } })).json().key as string;
    const global = await t.app.inject({ method: "POST", url: "/api/endpoints/who_hook", headers: { "x-bifrost-key": globalKey }, payload: {} });
    expect(global.json()).toEqual({ orgId: null, orgName: null, userName: "endpoint key platform hooks" });
  });
});
