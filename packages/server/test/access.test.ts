import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * Custom roles and access levels (issue 11): role-based workflows exist only for the
 * people holding one of their roles (platform admins always; keys without a user are not
 * people); an unknown role is a registration problem; a role-based custom form grants its
 * workflow to its roles.
 */

const FILES = {
  "access.ts": `
import { workflow, dataProvider, context, z } from "bifrost";
export const departments = dataProvider({ name: "hr_departments", access: { level: "roleBased", roles: ["Helpdesk"] } }, async () => [{ label: "Engineering", value: "eng" }]);
export const hire = workflow({ name: "hire", executionMode: "sync", access: { level: "roleBased", roles: ["Helpdesk"] }, params: z.object({ department: z.string().meta({ dataProvider: "hr_departments" }) }) }, async ({ department }) => ({ department }));
export const open = workflow({ name: "open_to_all" }, async () => ({ ok: true }));
export const helpdesk = workflow({ name: "helpdesk_only", executionMode: "sync", access: { level: "roleBased", roles: ["Helpdesk"] } }, async () => ({ by: context.email }));
export const ghosts = workflow({ name: "ghosts_only", access: { level: "roleBased", roles: ["Ghosts"] } }, async () => ({ ok: true }));
`,
};

let t: TestPlatform;
let org: { orgId: string; key: string };
let helpdeskRole: string;
let hrRole: string;

async function person(email: string, extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const created = await t.call({ method: "POST", url: "/api/users", payload: { email, name: email, password: "access pass phrase", ...extra } });
  if (created.statusCode !== 201) throw new Error(created.body);
  const login = await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email, password: "access pass phrase" } });
  const cookie = ([] as string[]).concat(login.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const key = await t.app.inject({ method: "POST", url: "/api/api-keys", headers: { cookie, "x-bifrost-csrf": login.json().csrfToken }, payload: { name: "k" } });
  return { id: created.json().user.id, key: key.json().key };
}

const names = async (key: string) =>
  ((await t.call({ method: "GET", url: "/api/workflows", key })).json().workflows as { name: string; kind: string }[])
    .filter((w) => w.kind === "workflow" && w.name !== "hire")
    .map((w) => w.name)
    .sort();

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  org = await createOrgWithKey(t, "Access Org");
  helpdeskRole = (await t.call({ method: "POST", url: "/api/roles", payload: { name: "Helpdesk" } })).json().id;
  hrRole = (await t.call({ method: "POST", url: "/api/roles", payload: { name: "HR approvers", description: "approve hires" } })).json().id;
});
afterAll(async () => {
  await t?.close();
});

describe("roles", () => {
  it("are unique without case; org admins cannot define them", async () => {
    const dup = await t.call({ method: "POST", url: "/api/roles", payload: { name: "helpdesk" } });
    expect(dup.statusCode).toBe(409);
    expect((await t.call({ method: "GET", url: "/api/roles" })).json().roles.map((r: { name: string }) => r.name)).toEqual(["Helpdesk", "HR approvers"]);
    expect((await t.call({ method: "POST", url: "/api/roles", key: org.key, payload: { name: "Mine" } })).statusCode).toBe(403);
  });
});

describe("role-based workflows", () => {
  it("exist only for holders of one of their roles; granting and revoking take effect at once", async () => {
    const tech = await person("tech@access.example", { organizationId: org.orgId });
    expect(await names(tech.key)).toEqual(["open_to_all"]);
    expect((await t.call({ method: "GET", url: "/api/workflows/helpdesk_only", key: tech.key })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: "/api/workflows/helpdesk_only/execute", key: tech.key, payload: {} })).statusCode).toBe(404);

    expect((await t.call({ method: "POST", url: `/api/roles/${helpdeskRole}/users`, payload: { userId: tech.id } })).statusCode).toBe(201);
    expect(await names(tech.key)).toEqual(["helpdesk_only", "open_to_all"]);
    const run = await t.call({ method: "POST", url: "/api/workflows/helpdesk_only/execute", key: tech.key, payload: {} });
    expect(run.json()).toMatchObject({ status: "Success", result: { by: "tech@access.example" } });
    expect((await t.call({ method: "GET", url: "/api/auth/me", key: tech.key })).json().roles).toEqual([{ id: helpdeskRole, name: "Helpdesk" }]);

    expect((await t.call({ method: "DELETE", url: `/api/roles/${helpdeskRole}/users/${tech.id}` })).statusCode).toBe(204);
    expect((await t.call({ method: "GET", url: "/api/workflows/helpdesk_only", key: tech.key })).statusCode).toBe(404);
  });

  it("platform admins always see them; organization keys (no person) are not restricted", async () => {
    const admin = await person("boss@access.example", { isPlatformAdmin: true });
    // ghosts_only names a role that does not exist: not registered, so not even for them.
    expect(await names(admin.key)).toEqual(["helpdesk_only", "open_to_all"]);
    expect((await t.call({ method: "POST", url: "/api/workflows/helpdesk_only/execute", key: org.key, payload: {} })).json().status).toBe("Success");
  });

  it("an unknown role is a registration problem listed with the load errors, and grants nobody", async () => {
    const errors = (await t.call({ method: "GET", url: "/api/workflows" })).json().loadErrors as { filePath: string; exportName: string; message: string }[];
    expect(errors).toEqual([expect.objectContaining({ filePath: "access.ts", exportName: "ghosts", message: expect.stringContaining('unknown role(s) "Ghosts"') })]);
    const member = await person("ghost@access.example", { organizationId: org.orgId });
    expect((await t.call({ method: "GET", url: "/api/workflows/ghosts_only", key: member.key })).statusCode).toBe(404);
    // Fail closed: not registered at all, so nobody runs it, platform admins and organization keys included.
    expect((await t.call({ method: "GET", url: "/api/workflows/ghosts_only" })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: "/api/workflows/ghosts_only/execute", key: org.key, payload: {} })).statusCode).toBe(404);
  });

  it("registers once an admin creates the role (no file change); a role in use is not deleted or renamed (409 naming the workflows)", async () => {
    const created = await t.call({ method: "POST", url: "/api/roles", payload: { name: "ghosts" } });
    expect(created.statusCode).toBe(201);
    const roleId = created.json().id as string;
    // At once: the answer comes after this server's registry followed.
    expect((await t.call({ method: "GET", url: "/api/workflows/ghosts_only" })).statusCode).toBe(200);
    expect((await t.call({ method: "GET", url: "/api/workflows" })).json().loadErrors).toEqual([]);
    const member = await person("ghost2@access.example", { organizationId: org.orgId });
    await t.call({ method: "POST", url: `/api/roles/${roleId}/users`, payload: { userId: member.id } });
    expect((await t.call({ method: "POST", url: "/api/workflows/ghosts_only/execute", key: member.key, payload: {} })).json().status).toBe("Success");

    const removed = await t.call({ method: "DELETE", url: `/api/roles/${roleId}` });
    expect(removed.statusCode).toBe(409);
    expect(removed.json().error).toMatchObject({ code: "role_in_use", workflows: ["ghosts_only"] });
    expect(removed.json().error.message).toContain('"ghosts_only" (access.ts)');
    const renamed = await t.call({ method: "PUT", url: `/api/roles/${roleId}`, payload: { name: "Spirits" } });
    expect(renamed.statusCode).toBe(409);
    // Changing only its description (or its case) is fine.
    expect((await t.call({ method: "PUT", url: `/api/roles/${roleId}`, payload: { name: "Ghosts", description: "see dead people" } })).statusCode).toBe(200);
    expect((await t.call({ method: "GET", url: "/api/workflows/ghosts_only" })).statusCode).toBe(200);
    // A role no workflow names is deleted as before.
    const spare = (await t.call({ method: "POST", url: "/api/roles", payload: { name: "Spare" } })).json().id as string;
    expect((await t.call({ method: "DELETE", url: `/api/roles/${spare}` })).statusCode).toBe(204);
  });
});

describe("role-based custom forms", () => {
  it("open only to their roles, and grant their workflow to them", async () => {
    const unknown = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "bad", workflow: "helpdesk_only", access: { level: "roleBased", roles: ["Nobody"] } } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.fields).toEqual([{ path: "access.roles.0", message: 'unknown role "Nobody": create it with POST /api/roles' }]);
    const form = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "HR form", workflow: "helpdesk_only", access: { level: "roleBased", roles: ["HR approvers"] } } });
    expect(form.statusCode).toBe(201);
    const id = form.json().id as string;
    // Audited with the change.
    expect((await t.call({ method: "GET", url: `/api/audit?action=form.create&target=${id}` })).json().events).toEqual([expect.objectContaining({ details: { name: "HR form" } })]);

    const approver = await person("hr@access.example", { organizationId: org.orgId });
    const outsider = await person("out@access.example", { organizationId: org.orgId });
    await t.call({ method: "POST", url: `/api/roles/${hrRole}/users`, payload: { userId: approver.id } });

    expect((await t.call({ method: "GET", url: "/api/custom-forms", key: outsider.key })).json().forms).toEqual([]);
    expect((await t.call({ method: "GET", url: `/api/custom-forms/${id}`, key: outsider.key })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: `/api/custom-forms/${id}/submit`, key: outsider.key, payload: {} })).statusCode).toBe(404);

    expect((await t.call({ method: "GET", url: "/api/custom-forms", key: approver.key })).json().forms.map((f: { name: string }) => f.name)).toEqual(["HR form"]);
    const submitted = await t.call({ method: "POST", url: `/api/custom-forms/${id}/submit`, key: approver.key, payload: {} });
    expect(submitted.json()).toMatchObject({ status: "Success", trigger: "form", userId: approver.id, result: { by: "hr@access.example" } });
    // Directly, the workflow is still Helpdesk's.
    expect((await t.call({ method: "POST", url: "/api/workflows/helpdesk_only/execute", key: approver.key, payload: {} })).statusCode).toBe(404);
  });

  it("grant the data providers of their workflow's fields to their roles, through the form", async () => {
    const form = await t.call({ method: "POST", url: "/api/custom-forms", payload: { name: "Hiring", workflow: "hire", access: { level: "roleBased", roles: ["HR approvers"] } } });
    const id = form.json().id as string;
    const approver = await person("hr2@access.example", { organizationId: org.orgId });
    const outsider = await person("out2@access.example", { organizationId: org.orgId });
    await t.call({ method: "POST", url: `/api/roles/${hrRole}/users`, payload: { userId: approver.id } });
    // Directly, the provider is Helpdesk's; through the form it answers.
    expect((await t.call({ method: "GET", url: "/api/data-providers/hr_departments", key: approver.key })).statusCode).toBe(404);
    const viaForm = await t.call({ method: "GET", url: `/api/custom-forms/${id}/data-providers/hr_departments`, key: approver.key });
    expect(viaForm.statusCode).toBe(200);
    expect(viaForm.json().options).toEqual([{ label: "Engineering", value: "eng" }]);
    // Only providers the form's fields name, and only for the form's roles.
    expect((await t.call({ method: "GET", url: `/api/custom-forms/${id}/data-providers/open_to_all`, key: approver.key })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: `/api/custom-forms/${id}/data-providers/hr_departments`, key: outsider.key })).statusCode).toBe(404);
    const submitted = await t.call({ method: "POST", url: `/api/custom-forms/${id}/submit`, key: approver.key, payload: { department: "eng" } });
    expect(submitted.json()).toMatchObject({ status: "Success", result: { department: "eng" } });
  });
});

describe("role-based agents", () => {
  it("are seen (and chatted with) only by their roles' holders; an unknown role is 422", async () => {
    const unknown = await t.call({ method: "POST", url: "/api/agents", payload: { name: "bad", systemPrompt: "s", access: { level: "roleBased", roles: ["Nobody"] } } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.fields).toEqual([{ path: "access.roles.0", message: 'unknown role "Nobody": create it with POST /api/roles' }]);
    const created = await t.call({ method: "POST", url: "/api/agents", payload: { name: "hr-bot", systemPrompt: "You help HR.", access: { level: "roleBased", roles: ["HR approvers"] } } });
    expect(created.statusCode).toBe(201);
    expect(created.json().access).toEqual({ level: "roleBased", roles: ["HR approvers"] });
    expect((await t.call({ method: "GET", url: `/api/audit?action=agent.create&target=${created.json().id}` })).json().events).toHaveLength(1);
    await t.call({ method: "POST", url: "/api/agents", payload: { name: "open-bot", systemPrompt: "You help." } });

    const holder = await person("agent-hr@access.example", { organizationId: org.orgId });
    const other = await person("agent-other@access.example", { organizationId: org.orgId });
    await t.call({ method: "POST", url: `/api/roles/${hrRole}/users`, payload: { userId: holder.id } });
    const listed = async (key: string) => ((await t.call({ method: "GET", url: "/api/agents", key })).json().agents as { name: string }[]).map((a) => a.name);
    expect(await listed(other.key)).toEqual(["open-bot"]);
    expect(await listed(holder.key)).toEqual(["hr-bot", "open-bot"]);
    expect((await t.call({ method: "GET", url: "/api/agents/hr-bot", key: other.key })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: "/api/agents/hr-bot/chat", key: other.key, payload: { message: "hi" } })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/agents/hr-bot", key: holder.key })).statusCode).toBe(200);
    // Opened to everyone again through the API.
    expect((await t.call({ method: "PUT", url: "/api/agents/hr-bot", payload: { access: { level: "authenticated" } } })).json().access).toEqual({ level: "authenticated", roles: [] });
    expect((await t.call({ method: "GET", url: "/api/agents/hr-bot", key: other.key })).statusCode).toBe(200);
  });
});
