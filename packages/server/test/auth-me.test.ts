import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

describe("GET /api/auth/me", () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({});
  });
  afterAll(async () => {
    await t?.close();
  });

  it("tells a key who it is and where it acts", async () => {
    const { orgId, key } = await createOrgWithKey(t, "Contoso");
    const admin = await t.call({ method: "GET", url: "/api/auth/me" });
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toMatchObject({ kind: "apiKey", keyId: "env-admin", keyName: "BIFROST_ADMIN_API_KEY", isPlatformAdmin: true, organizationId: null, actingOrganizationId: null, organizationName: null, user: null });
    const inOrg = await t.call({ method: "GET", url: "/api/auth/me", org: orgId });
    expect(inOrg.json()).toMatchObject({ isPlatformAdmin: true, actingOrganizationId: orgId, organizationName: "Contoso" });
    const org = await t.call({ method: "GET", url: "/api/auth/me", key });
    expect(org.json()).toMatchObject({ kind: "apiKey", keyName: "Contoso key", isPlatformAdmin: false, organizationId: orgId, organizationName: "Contoso" });
    expect((await t.call({ method: "GET", url: "/api/auth/me", key: "bfk_nope" })).statusCode).toBe(401);
  });
});
