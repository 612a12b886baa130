/**
 * The admin pages, part A (issue 13), in a real Chromium against a real embedded platform:
 * organizations, users, roles, API keys, audit log, endpoint keys, config and secrets per
 * scope, schedules, and two-factor enrolment. Each page's main create / edit / delete path,
 * one server validation error shown beside its field, axe, and a screenshot; a user without
 * admin level sees none of the pages and the API refuses them; a secret saved through the
 * page never comes back in any page or API answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../../server/test/helpers.js";
import { totp } from "../../server/src/features/auth/totp.js";
import { accessibilityProblems, launchBrowser, screenshot, type Browser } from "./browser.js";
import { csrfHeaders, signIn } from "./session.js";
import { adminCall } from "./platform.js";

const ROOT = { email: "root@msp.example", password: "root admin pass phrase" };
const MEMBER = { email: "member@contoso.example", password: "member pass phrase" };
const ORG_ADMIN = { email: "boss@contoso.example", password: "contoso admin pass phrase" };
const SECRET = "psa-token-9f3c7a1e-never-shown";

const WORKFLOWS = {
  "admin.ts": `
import { workflow, z } from "bifrost";
export const weekday = workflow(
  { name: "weekday_report", description: "Weekday report", schedule: { cron: "0 9 * * 1-5", timezone: "Europe/London" }, params: z.object({}) },
  async () => ({ ok: true }),
);
export const minutely = workflow({ name: "minutely_check", description: "Every minute", schedule: "* * * * *", params: z.object({}) }, async () => ({ ok: true }));
export const hook = workflow({ name: "ticket_hook", description: "PSA webhook", endpointEnabled: true, params: z.object({}) }, async () => ({ received: true }));
export const hidden = workflow({ name: "own_key_only", description: "Needs its own key", endpointEnabled: true, disableGlobalKey: true, params: z.object({}) }, async () => ({ ok: true }));
export const reset = workflow(
  { name: "reset_password", description: "Reset a password", access: { level: "roleBased", roles: ["helpdesk"] }, executionMode: "sync", params: z.object({}) },
  async () => ({ ok: true }),
);
`,
};

let t: TestPlatform;
let browser: Browser;
let base: string;
const orgs: Record<string, string> = {};

/** Calls the API as the platform admin key (see platform.ts). */
const admin = (method: string, url: string, payload?: unknown, org?: string) => adminCall(t, method, url, payload, org);

/** A fresh page signed in as the platform admin, on `path`. */
async function asRoot(path: string): Promise<Page> {
  const page = await browser.context.newPage();
  if (!(await browser.context.cookies()).some((c) => c.name === "bifrost_session")) await signIn(page, ROOT.email, ROOT.password, { base, next: path });
  else await page.goto(`${base}${path}`);
  return page;
}

async function checked(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
  await screenshot(page, name);
}

beforeAll(async () => {
  t = await startTestPlatform(WORKFLOWS, {}, { listen: true });
  base = t.platform.url!;
  for (const name of ["Contoso", "Fabrikam"]) orgs[name] = (await admin("POST", "/api/organizations", { name })).id;
  await admin("POST", "/api/users", { email: ROOT.email, name: "Root Admin", password: ROOT.password, isPlatformAdmin: true });
  await admin("POST", "/api/users", { email: MEMBER.email, name: "Mia Member", password: MEMBER.password, organizationId: orgs.Contoso });
  await admin("POST", "/api/users", { email: ORG_ADMIN.email, name: "Olga Orgadmin", password: ORG_ADMIN.password, organizationId: orgs.Contoso, isOrgAdmin: true });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe("admin pages, part A", { timeout: 90_000 }, () => {
  it("organizations: create (an empty name is refused beside the field), rename, delete", async () => {
    const page = await asRoot("/organizations");
    const form = page.getByRole("form", { name: "New organization" });
    await form.getByRole("button", { name: "Create organization" }).click();
    await form.getByText("is required").waitFor();
    await form.getByRole("textbox", { name: "Name" }).fill("Initech");
    await form.getByRole("button", { name: "Create organization" }).click();
    const table = page.getByRole("table", { name: "Organizations" });
    await table.getByRole("cell", { name: "Initech", exact: true }).waitFor();
    await checked(page, "admin-organizations");
    await table.getByRole("button", { name: "Rename Initech" }).click();
    const rename = page.getByRole("dialog", { name: "Rename Initech" });
    await rename.getByRole("textbox", { name: "New name" }).fill("Initrode");
    await rename.getByRole("button", { name: "Save" }).click();
    await table.getByRole("cell", { name: "Initrode", exact: true }).waitFor();
    await table.getByRole("button", { name: "Delete Initrode" }).click();
    await page.getByRole("dialog", { name: "Delete Initrode?" }).getByRole("button", { name: "Delete organization" }).click();
    await table.getByRole("cell", { name: "Initrode", exact: true }).waitFor({ state: "detached" });
    expect((await admin("GET", "/api/organizations")).organizations.map((o: { name: string }) => o.name).sort()).toEqual(["Contoso", "Fabrikam"]);
    await page.close();
  });

  it("roles: create (an empty name is refused), members, what the role is granted, edit, delete", async () => {
    const page = await asRoot("/roles");
    const form = page.getByRole("form", { name: "New role" });
    await form.getByRole("button", { name: "Create role" }).click();
    await form.getByText("is required").waitFor();
    await form.getByRole("textbox", { name: "Name" }).fill("helpdesk");
    await form.getByRole("button", { name: "Create role" }).click();
    const detail = page.getByRole("region", { name: "Role helpdesk" });
    // reset_password's access is roleBased with helpdesk: listed as granted.
    await detail.getByRole("group", { name: "Granted workflows" }).getByRole("link", { name: "reset_password" }).waitFor();
    expect(await detail.getByRole("group", { name: "Granted workflows" }).getByRole("link").allTextContents()).toEqual(["reset_password"]);
    await detail.getByRole("textbox", { name: "User" }).click();
    await page.getByRole("option", { name: `Mia Member (${MEMBER.email})` }).click();
    await detail.getByRole("button", { name: "Add member" }).click();
    await detail.getByRole("list", { name: "Members" }).getByText(`Mia Member (${MEMBER.email})`).waitFor();
    await checked(page, "admin-roles");
    await detail.getByRole("button", { name: `Remove ${MEMBER.email} from helpdesk` }).click();
    await detail.getByText("Nobody holds this role yet.").waitFor();
    const table = page.getByRole("table", { name: "Roles" });
    await table.getByRole("button", { name: "Edit helpdesk" }).click();
    const edit = page.getByRole("dialog", { name: "Edit helpdesk" });
    await edit.getByRole("textbox", { name: "Description" }).fill("First-line support");
    await edit.getByRole("button", { name: "Save" }).click();
    await table.getByRole("cell", { name: "First-line support" }).waitFor();
    await form.getByRole("textbox", { name: "Name" }).fill("temporary");
    await form.getByRole("button", { name: "Create role" }).click();
    await table.getByRole("button", { name: "Delete temporary" }).click();
    await page.getByRole("dialog", { name: "Delete temporary?" }).getByRole("button", { name: "Delete role" }).click();
    await table.getByRole("button", { name: "Open temporary" }).waitFor({ state: "detached" });
    expect((await admin("GET", "/api/roles")).roles.map((r: { name: string }) => r.name)).toEqual(["helpdesk"]);
    await page.close();
  });

  it("users: invite (a blank name is refused), edit level and roles, reset link, disable, delete", async () => {
    const page = await asRoot("/users");
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByRole("textbox", { name: "E-mail" }).fill("nina@contoso.example");
    await form.getByRole("textbox", { name: "Name" }).fill("   ");
    await form.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    await form.getByRole("button", { name: "Invite" }).click();
    await form.getByText("is required").waitFor();
    await form.getByRole("textbox", { name: "Name" }).fill("Nina New");
    await form.getByRole("button", { name: "Invite" }).click();
    expect(await page.getByLabel("Invitation link", { exact: true }).textContent()).toMatch(/\/invite\?token=/);
    const table = page.getByRole("table", { name: "Users" });
    const row = table.getByRole("row").filter({ hasText: "nina@contoso.example" });
    await row.getByRole("cell", { name: "Organization member" }).waitFor();
    await row.getByRole("button", { name: "Edit nina@contoso.example" }).click();
    const edit = page.getByRole("dialog", { name: "Edit nina@contoso.example" });
    await edit.getByRole("textbox", { name: "Level" }).click();
    await page.getByRole("option", { name: "Organization admin" }).click();
    await edit.getByRole("textbox", { name: "Roles" }).click();
    await page.getByRole("option", { name: "helpdesk" }).click();
    await edit.getByRole("textbox", { name: "Name" }).click();
    await edit.getByRole("button", { name: "Save" }).click();
    await row.getByRole("cell", { name: "Organization admin" }).waitFor();
    await row.getByText("helpdesk").waitFor();
    const nina = (await admin("GET", "/api/users?limit=200")).users.find((u: { email: string }) => u.email === "nina@contoso.example");
    expect(nina).toMatchObject({ level: "orgAdmin", roles: [{ name: "helpdesk" }] });
    // Moved to Fabrikam (as a member there).
    await row.getByRole("button", { name: "Edit nina@contoso.example" }).click();
    await edit.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "Fabrikam" }).click();
    await edit.getByText("Moving ends the user's sessions").waitFor();
    await edit.getByRole("button", { name: "Save" }).click();
    await row.getByRole("cell", { name: "Fabrikam" }).waitFor();
    await row.getByRole("cell", { name: "Organization member" }).waitFor();
    await row.getByRole("button", { name: "Reset link for nina@contoso.example" }).click();
    expect(await page.getByLabel("Reset link", { exact: true }).textContent()).toMatch(/\/invite\?token=/);
    await row.getByRole("button", { name: "Disable nina@contoso.example" }).click();
    await row.getByText("Disabled").waitFor();
    await checked(page, "admin-users");
    await row.getByRole("button", { name: "Delete nina@contoso.example" }).click();
    await page.getByRole("dialog", { name: "Delete nina@contoso.example?" }).getByRole("button", { name: "Delete user" }).click();
    await row.waitFor({ state: "detached" });
    await page.close();
  });

  it("API keys: a personal key (an empty name is refused) and an organization key, shown once, revoked", async () => {
    const page = await asRoot("/account/api-keys");
    const personal = page.getByRole("form", { name: "New personal key" });
    await personal.getByRole("button", { name: "Create personal key" }).click();
    await personal.getByText("is required").waitFor();
    await personal.getByRole("textbox", { name: "Key name" }).fill("my laptop");
    await personal.getByRole("button", { name: "Create personal key" }).click();
    const key = (await page.getByLabel("API key to copy", { exact: true }).textContent())!;
    expect(key).toMatch(/^bfk_/);
    const me = await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(await me.json()).toMatchObject({ kind: "apiKey", user: { email: ROOT.email } });
    await page.getByRole("table", { name: "Personal keys" }).getByRole("cell", { name: "my laptop", exact: true }).waitFor();
    const orgForm = page.getByRole("form", { name: "New organization key" });
    await orgForm.getByRole("textbox", { name: "Key name" }).fill("contoso automation");
    await orgForm.getByRole("textbox", { name: "Acts in" }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    await orgForm.getByRole("button", { name: "Create key" }).click();
    await expect.poll(() => page.getByLabel("API key to copy", { exact: true }).textContent()).not.toBe(key);
    const orgKey = (await page.getByLabel("API key to copy", { exact: true }).textContent())!;
    const orgTable = page.getByRole("table", { name: "Organization and platform keys" });
    await orgTable.getByRole("row").filter({ hasText: "contoso automation" }).getByRole("cell", { name: "Contoso", exact: true }).waitFor();
    expect(await (await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${orgKey}` } })).json()).toMatchObject({ level: "orgAdmin", organizationId: orgs.Contoso });
    await checked(page, "admin-api-keys");
    // Shown once: after a reload neither key is anywhere on the page.
    await page.reload();
    await page.getByRole("table", { name: "Personal keys" }).getByRole("cell", { name: "my laptop", exact: true }).waitFor();
    const html = await page.content();
    expect(html).not.toContain(key);
    expect(html).not.toContain(orgKey);
    await page.getByRole("button", { name: "Revoke my laptop" }).click();
    await page.getByRole("table", { name: "Personal keys" }).getByText("Revoked").waitFor();
    expect((await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    await page.close();
  });

  it("endpoint keys: create (an empty name is refused), which workflows they open, rotate, revoke", async () => {
    const page = await asRoot("/endpoint-keys");
    const form = page.getByRole("form", { name: "New endpoint key" });
    await form.getByRole("button", { name: "Create key" }).click();
    await form.getByText("is required").waitFor();
    await form.getByRole("textbox", { name: "Key name" }).fill("psa webhook");
    await form.getByRole("button", { name: "Create key" }).click();
    const first = (await page.getByLabel("Endpoint key to copy", { exact: true }).textContent())!;
    const table = page.getByRole("table", { name: "Endpoint keys" });
    const globalRow = table.getByRole("row").filter({ hasText: "psa webhook" });
    await globalRow.getByText("global key").waitFor();
    // The global key opens every endpoint workflow that accepts it: not own_key_only.
    await globalRow.getByText("ticket_hook").waitFor();
    expect(await globalRow.getByText("own_key_only").count()).toBe(0);
    await form.getByRole("textbox", { name: "Key name" }).fill("own key");
    await form.getByRole("textbox", { name: "Workflow" }).click();
    await page.getByRole("option", { name: "own_key_only" }).click();
    await form.getByRole("button", { name: "Create key" }).click();
    await table.getByRole("row").filter({ hasText: "own key" }).getByText("own_key_only").waitFor();
    const call = (key: string) => fetch(`${base}/api/endpoints/ticket_hook`, { method: "POST", headers: { "x-bifrost-key": key, "content-type": "application/json" }, body: "{}" });
    expect((await call(first)).status).toBe(200);
    await checked(page, "admin-endpoint-keys");
    await globalRow.getByRole("button", { name: "Rotate psa webhook" }).click();
    await page.getByText('New key for "psa webhook"').waitFor();
    const rotated = (await page.getByLabel("Endpoint key to copy", { exact: true }).textContent())!;
    expect(rotated).not.toBe(first);
    expect((await call(first)).status).toBe(401);
    expect((await call(rotated)).status).toBe(200);
    await globalRow.getByRole("button", { name: "Revoke psa webhook" }).click();
    await globalRow.waitFor({ state: "detached" });
    expect((await call(rotated)).status).toBe(401);
    await page.close();
  });

  it("config per scope: organization values override global ones; a secret saved here never comes back", async () => {
    const page = await asRoot("/config");
    const answers: string[] = [];
    page.on("response", async (r) => {
      if (r.url().includes("/api/")) answers.push(await r.text().catch(() => ""));
    });
    const form = page.getByRole("form", { name: "Set a value" });
    const table = page.getByRole("table", { name: "Config values" });
    await form.getByRole("textbox", { name: "Key" }).fill("retries");
    await form.getByRole("textbox", { name: "Type" }).click();
    await page.getByRole("option", { name: "int" }).click();
    await form.getByRole("textbox", { name: "Value" }).fill("three");
    await form.getByRole("button", { name: "Save" }).click();
    await form.getByText("must be a whole number for type int").waitFor();
    await form.getByRole("textbox", { name: "Value" }).fill("3");
    await form.getByRole("button", { name: "Save" }).click();
    await table.getByRole("row").filter({ hasText: "retries" }).getByText("3", { exact: true }).waitFor();
    await form.getByRole("textbox", { name: "Key" }).fill("psa_url");
    await form.getByRole("textbox", { name: "Value" }).fill("https://psa.example");
    await form.getByRole("button", { name: "Save" }).click();
    await table.getByText('"https://psa.example"').waitFor();
    // Contoso's scope: the global values inherited, then one overridden and a secret of its own.
    await page.getByRole("textbox", { name: "Scope" }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    await table.getByRole("row").filter({ hasText: "psa_url" }).getByText("global (inherited)").waitFor();
    await table.getByRole("button", { name: "Override psa_url" }).click();
    await form.getByRole("textbox", { name: "Value" }).fill("https://contoso.psa.example");
    await form.getByRole("button", { name: "Save" }).click();
    const overridden = table.getByRole("row").filter({ hasText: "psa_url" });
    await overridden.getByText('"https://contoso.psa.example"').waitFor();
    await overridden.getByText('overrides global "https://psa.example"').waitFor();
    await form.getByRole("textbox", { name: "Key" }).fill("psa_token");
    await form.getByRole("checkbox", { name: "Secret" }).check();
    await form.getByLabel("Value").fill(SECRET);
    await form.getByRole("button", { name: "Save" }).click();
    const secretRow = table.getByRole("row").filter({ hasText: "psa_token" });
    await secretRow.getByRole("button", { name: "Replace psa_token" }).waitFor();
    expect(await page.content()).not.toContain(SECRET);
    await checked(page, "admin-config");
    // Replaced, never shown: the box starts empty.
    await secretRow.getByRole("button", { name: "Replace psa_token" }).click();
    expect(await form.getByLabel("Value").inputValue()).toBe("");
    await form.getByLabel("Value").fill(`${SECRET}-2`);
    await form.getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await admin("GET", `/api/config/psa_token?scope=${orgs.Contoso}`)).updatedAt).not.toBeNull();
    // Every page and every API answer afterwards: the value is in none of them.
    for (const path of ["/config", "/users", "/roles", "/audit", "/schedules", "/endpoint-keys", "/organizations", "/account/api-keys", "/"]) {
      await page.goto(`${base}${path}`);
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      expect(await page.content()).not.toContain(SECRET);
    }
    const direct = await Promise.all(
      [`/api/config?scope=${orgs.Contoso}`, `/api/config/psa_token?scope=${orgs.Contoso}`, "/api/config", "/api/audit?limit=500"].map(async (url) => (await t.call({ method: "GET", url, org: orgs.Contoso })).body),
    );
    expect(answers.length).toBeGreaterThan(10);
    for (const body of [...answers, ...direct]) expect(body).not.toContain(SECRET);
    // Deleting the organization's value brings the global one back.
    await page.goto(`${base}/config`);
    await page.getByRole("textbox", { name: "Scope" }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    await table.getByRole("button", { name: "Delete psa_url" }).click();
    await table.getByRole("row").filter({ hasText: "psa_url" }).getByText("global (inherited)").waitFor();
    await page.close();
  });

  it("schedules: the cron in words, next runs, the last run's status, pause and resume", async () => {
    // One tick of minutely_check, fired as the scheduler loop would a minute from now.
    await t.platform.engine.scheduler.runOnce(new Date(Date.now() + 61_000));
    const page = await asRoot("/schedules");
    const table = page.getByRole("table", { name: "Schedules" });
    const weekday = table.getByRole("row").filter({ hasText: "weekday_report" });
    await weekday.getByText("At 09:00, Monday through Friday (Europe/London)").waitFor();
    await expect.poll(async () => weekday.getByRole("cell").nth(2).textContent()).toMatch(/\d/);
    const minutely = table.getByRole("row").filter({ hasText: "minutely_check" });
    await minutely.getByText("Every minute (UTC)").waitFor();
    await minutely.getByLabel(/status (Success|Pending|Running)/).waitFor({ timeout: 30_000 });
    await weekday.getByRole("button", { name: "Pause weekday_report" }).click();
    await weekday.getByText("Paused").waitFor();
    await checked(page, "admin-schedules");
    await weekday.getByRole("button", { name: "Resume weekday_report" }).click();
    await weekday.getByRole("button", { name: "Pause weekday_report" }).waitFor();
    expect(await weekday.getByText("Paused").count()).toBe(0);
    await page.close();
  });

  it("audit log: filters by action and pages through the events", async () => {
    for (let i = 0; i < 26; i++) await admin("PUT", `/api/config/bulk_${i}`, { value: i });
    const page = await asRoot("/audit?action=config.set");
    const table = page.getByRole("table", { name: "Audit events" });
    await table.getByText("bulk_25").waitFor();
    expect(await table.getByRole("row").count()).toBe(26); // a header and a page of 25
    await checked(page, "admin-audit");
    await page.getByRole("button", { name: "Next page" }).click();
    await page.waitForURL(/page=2/);
    await table.getByText("bulk_0").waitFor();
    await page.getByRole("textbox", { name: "Action" }).fill("organization.");
    await page.getByRole("textbox", { name: "Action" }).press("Enter");
    await page.waitForURL((u) => u.searchParams.get("action") === "organization." && !u.searchParams.has("page"));
    await table.getByRole("cell", { name: "organization.delete" }).waitFor();
    const actions = new Set(await table.getByRole("code").allTextContents());
    expect([...actions].every((a) => a.startsWith("organization."))).toBe(true);
    await page.getByRole("textbox", { name: "Action" }).fill("nothing.like.this");
    await page.getByRole("textbox", { name: "Action" }).press("Enter");
    await page.getByText("No events").waitFor();
    await page.close();
  });

  it("an organization admin sees its own organization only, without the buttons that are platform admins'", async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, ORG_ADMIN.email, ORG_ADMIN.password, { base, next: "/organizations" });
    const orgTable = page.getByRole("table", { name: "Organizations" });
    await orgTable.getByRole("cell", { name: "Contoso", exact: true }).waitFor();
    expect(await orgTable.getByRole("cell", { name: "Fabrikam" }).count()).toBe(0);
    expect(await page.getByRole("form", { name: "New organization" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Rename Contoso" }).count()).toBe(0);
    await page.getByRole("link", { name: "Roles" }).click();
    await page.getByRole("table", { name: "Roles" }).getByRole("button", { name: "Open helpdesk" }).waitFor();
    expect(await page.getByRole("form", { name: "New role" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Delete helpdesk" }).count()).toBe(0);
    await page.getByRole("link", { name: "Users" }).click();
    const users = page.getByRole("table", { name: "Users" });
    await users.getByRole("cell", { name: MEMBER.email, exact: true }).waitFor();
    expect(await users.getByRole("cell", { name: ROOT.email, exact: true }).count()).toBe(0);
    // Global schedules are platform admins' to pause.
    await page.getByRole("link", { name: "Schedules" }).click();
    await page.getByRole("table", { name: "Schedules" }).getByText("weekday_report").waitFor();
    expect(await page.getByRole("button", { name: /^(Pause|Resume) / }).count()).toBe(0);
    // Config: the organization's scope is theirs to write, the global one is not.
    await page.getByRole("link", { name: "Config" }).click();
    await page.getByRole("form", { name: "Set a value" }).waitFor();
    await page.getByRole("textbox", { name: "Scope" }).click();
    await page.getByRole("option", { name: "Global (every organization)" }).click();
    await page.getByRole("table", { name: "Config values" }).getByText("retries").waitFor();
    expect(await page.getByRole("form", { name: "Set a value" }).count()).toBe(0);
    await checked(page, "admin-config-org-admin");
    await browser.context.clearCookies();
    await page.close();
  });

  it("a user without admin level sees none of the admin pages, gets 'not allowed' at their addresses and 403 from their API", async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, MEMBER.email, MEMBER.password, { base });
    await page.getByRole("heading", { name: "Home" }).waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Workflows" }).waitFor();
    for (const label of ["Schedules", "Config", "Users", "Organizations", "Roles", "Endpoint keys", "Audit log"]) expect(await nav.getByRole("link", { name: label }).count()).toBe(0);
    for (const path of ["/organizations", "/users", "/roles", "/audit", "/endpoint-keys", "/config", "/schedules"]) {
      await page.goto(`${base}${path}`);
      await page.getByRole("alert").filter({ hasText: "Not allowed" }).waitFor();
    }
    await checked(page, "admin-not-allowed");
    const headers = await csrfHeaders(browser.context);
    const calls: [string, string][] = [
      ["GET", "/api/users"],
      ["GET", "/api/roles"],
      ["POST", "/api/roles"],
      ["GET", "/api/audit"],
      ["GET", "/api/config"],
      ["PUT", "/api/config/x"],
      ["GET", "/api/schedules"],
      ["POST", "/api/schedules/weekday_report/pause"],
      ["GET", "/api/endpoint-keys"],
      ["POST", "/api/endpoint-keys"],
      ["POST", "/api/organizations"],
    ];
    for (const [method, url] of calls) {
      const res = await page.request.fetch(`${base}${url}`, { method, headers: { ...headers, "content-type": "application/json" }, data: method === "GET" ? undefined : { name: "x", value: 1 } });
      expect(`${method} ${url} ${res.status()}`).toBe(`${method} ${url} 403`);
    }
    // Their own API keys and two-factor page are theirs to use.
    await page.goto(`${base}/account/api-keys`);
    await page.getByRole("form", { name: "New personal key" }).waitFor();
    expect(await page.getByRole("form", { name: "New organization key" }).count()).toBe(0);
    await browser.context.clearCookies();
    await page.close();
  });

  it("two-factor enrolment: QR code drawn locally, a wrong code refused beside the field, recovery codes shown once, turned off", async () => {
    await browser.context.clearCookies();
    const page = await asRoot("/account/security");
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    const qr = page.getByRole("img", { name: "QR code for the authenticator app" });
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.getByLabel("Setup key").textContent())!;
    await checked(page, "admin-two-factor-enrol");
    const form = page.getByRole("form", { name: "Confirm two-factor sign-in" });
    await form.getByRole("textbox", { name: "Code from the app" }).fill("000000" === totp(secret) ? "111111" : "000000");
    await form.getByRole("button", { name: "Turn on" }).click();
    await form.getByText("is not the current code").waitFor();
    await form.getByRole("textbox", { name: "Code from the app" }).fill(totp(secret));
    await form.getByRole("button", { name: "Turn on" }).click();
    // (allTextContents does not wait: wait for the codes to be shown first.)
    await page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").first().waitFor();
    const codes = await page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents();
    expect(codes.length).toBeGreaterThanOrEqual(8);
    await page.getByText("On", { exact: true }).waitFor();
    await checked(page, "admin-two-factor");
    expect(requests.every((u) => u.startsWith(base) || u.startsWith("data:"))).toBe(true);
    await page.reload();
    await page.getByText("On", { exact: true }).waitFor();
    expect(await page.content()).not.toContain(codes[0]);
    const off = page.getByRole("form", { name: "Turn off two-factor sign-in" });
    await off.getByRole("textbox", { name: "Current or recovery code" }).fill(codes[0]!);
    await off.getByRole("button", { name: "Turn off" }).click();
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).waitFor();
    await page.close();
  });
});
