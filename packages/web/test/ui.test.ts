/**
 * The web app in a real Chromium against a real embedded platform (issue 12): sign-in,
 * the organization switcher, the generated run form (result and server field errors),
 * live logs, cancel, and history filters and pagination. Controls are found by role and
 * accessible name, as a person (or a screen reader) finds them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../../server/test/helpers.js";
import { launchBrowser, screenshot, type Browser } from "./browser.js";
import { newSignedInPage as signedInTab, signInAs, useApp } from "./session.js";
import { adminCall, SLOW_STEPS } from "./platform.js";

const PASSWORD = "tess signs in at the helpdesk";
const EMAIL = "tech@msp.example";

const WORKFLOWS = {
  "greet.ts": `
import { workflow, dataProvider, z, logger } from "bifrost";
export const departments = dataProvider({ name: "departments", description: "Departments" }, async () => [
  { label: "Engineering", value: "eng" },
  { label: "Sales", value: "sales" },
]);
export const onboardUser = workflow(
  { name: "onboard_user", description: "Onboard a new hire", executionMode: "sync",
    params: z.object({ fullName: z.string().min(1).meta({ label: "Full name", helpText: "As on the contract" }), department: z.string().meta({ dataProvider: "departments" }) }) },
  async ({ fullName, department }) => ({ onboarded: fullName, department }),
);
export const greet = workflow(
  { name: "greet", description: "Say hello to someone", category: "Examples", tags: ["demo"], executionMode: "sync", timeSaved: 5,
    params: z.object({ name: z.string().min(1).meta({ title: "Name" }), excited: z.boolean().default(false) }) },
  async ({ name, excited }) => {
    logger.info("greeting " + name);
    return { greeting: "Hello, " + name + (excited ? "!" : ".") };
  },
);
export const failHard = workflow(
  { name: "fail_hard", description: "Always fails", category: "Examples", executionMode: "sync", params: z.object({}) },
  async () => {
    throw new Error("PSA answered 500");
  },
);
export const nightly = workflow(
  { name: "nightly_report", description: "Runs on the first of January", schedule: "0 3 1 1 *", params: z.object({}) },
  async () => ({ ok: true }),
);
export const countDevices = workflow(
  { name: "count_devices", description: "Count the devices of a customer", category: "Inventory", executionMode: "sync", params: z.object({}) },
  async () => ({ devices: 3 }),
);
export const listTickets = workflow(
  { name: "list_tickets", description: "List open tickets", category: "PSA", tags: ["psa"], executionMode: "sync", params: z.object({}) },
  async () => ({ tickets: [] }),
);
`,
  "slow.ts": `
import { workflow, z, logger } from "bifrost";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
${SLOW_STEPS}
`,
};

let t: TestPlatform;
let browser: Browser;
let base: string;
const orgs: Record<string, string> = {};

/** Calls the API as the platform admin key (see platform.ts). */
const admin = (method: string, url: string, payload?: unknown, org?: string) => adminCall(t, method, url, payload, org);

const newSignedInPage = (): Promise<Page> => signedInTab(browser, EMAIL, PASSWORD);
const ROOT = { email: "root@msp.example", password: "root admin pass phrase" };

beforeAll(async () => {
  t = await startTestPlatform(WORKFLOWS, {}, { listen: true });
  base = t.platform.url!;
  useApp(base);
  for (const name of ["Contoso", "Fabrikam"]) orgs[name] = (await admin("POST", "/api/organizations", { name })).id;
  await admin("POST", "/api/users", { email: EMAIL, name: "Tess Tech", password: PASSWORD });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

// Generous limits: on a loaded CI machine the browser, the server and its workers share two cores.
describe("web app", { timeout: 60_000 }, () => {
  it("serves the app at / with caching headers, and leaves /api alone", async () => {
    const index = await fetch(`${base}/history?status=Failed`);
    expect(index.status).toBe(200);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const api = await fetch(`${base}/api/nothing-here`);
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe("not_found");
    expect((await fetch(`${base}/api/workflows`)).status).toBe(401);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("creates the first admin from the setup link the server logs", async () => {
    const page = await browser.context.newPage();
    await page.goto(t.platform.setupUrl!);
    await page.getByLabel("E-mail").fill("root@msp.example");
    await page.getByLabel("Name").fill("Root Admin");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create and sign in" }).click();
    await page.getByText("must be at least 12 characters").waitFor();
    await page.getByLabel("Password").fill("root admin pass phrase");
    await page.getByRole("button", { name: "Create and sign in" }).click();
    await page.getByRole("heading", { name: "Home" }).waitFor();
    await page.getByRole("button", { name: "User menu of Root Admin" }).waitFor();
    await browser.context.clearCookies();
    await page.close();
  });

  it("signs in (a wrong password shows the message) and out", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/workflows`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.getByLabel("E-mail").fill(EMAIL);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Wrong e-mail or password");
    await screenshot(page, "sign-in");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Workflows" }).waitFor();
    await page.getByRole("button", { name: "User menu of Tess Tech" }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect((await browser.context.cookies()).find((c) => c.name === "bifrost_session")).toBeUndefined();
    await page.goto(`${base}/history`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.close();
  });

  it("a session that ends while a page is open leads back to sign-in, then to the page", async () => {
    const page = await newSignedInPage();
    await page.goto(`${base}/workflows`);
    await page.getByRole("table", { name: "Workflows" }).waitFor();
    await browser.context.clearCookies();
    await page.getByRole("link", { name: "History" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe("/history");
    await page.getByLabel("E-mail").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "History" }).waitFor();
    await page.close();
  });

  it("lists schedules; a platform admin pauses and resumes one", async () => {
    const page = await signInAs(browser, ROOT.email, ROOT.password, { next: "/schedules" });
    const row = page.getByRole("table", { name: "Schedules" }).getByRole("row").filter({ hasText: "nightly_report" });
    await row.getByText("0 3 1 1 *").waitFor();
    await row.getByRole("button", { name: "Pause nightly_report" }).click();
    await row.getByText("Paused").waitFor();
    await screenshot(page, "schedules");
    await row.getByRole("button", { name: "Resume nightly_report" }).click();
    await row.getByRole("button", { name: "Pause nightly_report" }).waitFor();
    expect(await row.getByText("Paused").count()).toBe(0);
    await browser.context.clearCookies();
    await page.close();
  });

  it("sets config values and write-only secrets, and deletes them", async () => {
    const page = await signInAs(browser, ROOT.email, ROOT.password, { next: "/config" });
    await page.getByRole("heading", { name: "Config and secrets" }).waitFor();
    await page.getByText("No config yet").waitFor();
    const form = page.getByRole("form", { name: "Set a value" });
    await form.getByRole("textbox", { name: "Key" }).fill("psa_url");
    await form.getByRole("textbox", { name: "Value" }).fill("https://psa.example");
    await form.getByRole("button", { name: "Save" }).click();
    const table = page.getByRole("table", { name: "Config values" });
    await table.getByText('"https://psa.example"').waitFor();
    await form.getByRole("textbox", { name: "Key" }).fill("psa_token");
    await form.getByRole("checkbox", { name: "Secret" }).check();
    await form.getByLabel("Value").fill("s3cr3t-value");
    await form.getByRole("button", { name: "Save" }).click();
    await table.getByRole("row").filter({ hasText: "psa_token" }).getByRole("cell", { name: "secret", exact: true }).first().waitFor();
    expect(await page.content()).not.toContain("s3cr3t-value");
    await screenshot(page, "config");
    await table.getByRole("button", { name: "Delete psa_url" }).click();
    await table.getByText('"https://psa.example"').waitFor({ state: "detached" });
    await browser.context.clearCookies();
    await page.close();
  });

  it("a platform admin invites someone; the invitation link sets a password and the new user signs in", async () => {
    const page = await signInAs(browser, ROOT.email, ROOT.password, { next: "/users" });
    await page.getByRole("table", { name: "Users" }).getByRole("cell", { name: EMAIL, exact: true }).waitFor();
    const form = page.getByRole("form", { name: "Invite someone" });
    await form.getByRole("textbox", { name: "E-mail" }).fill("new.hire@contoso.example");
    await form.getByRole("textbox", { name: "Name" }).fill("Nora New");
    await form.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    await form.getByRole("button", { name: "Invite" }).click();
    const link = (await page.getByLabel("Invitation link", { exact: true }).textContent())!;
    await page.getByRole("table", { name: "Users" }).getByRole("cell", { name: "new.hire@contoso.example", exact: true }).waitFor();
    await screenshot(page, "users");
    await browser.context.clearCookies();
    await page.goto(`${base}/invite?token=${/token=([^&\s]+)/.exec(link)![1]}`);
    await page.getByText("Nora New (new.hire@contoso.example)").waitFor();
    await page.getByLabel("Password").fill("nora picks a long phrase");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByLabel("E-mail").fill("new.hire@contoso.example");
    await page.getByLabel("Password").fill("nora picks a long phrase");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Home" }).waitFor();
    // A customer user: no organization switcher, no Users page.
    expect(await page.getByRole("textbox", { name: "Organization", exact: true }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Users" }).count()).toBe(0);
    await browser.context.clearCookies();
    await page.close();
  });

  it("lists workflows with search and filters", async () => {
    const page = await newSignedInPage();
    await page.goto(`${base}/workflows`);
    const table = page.getByRole("table", { name: "Workflows" });
    await table.getByRole("link", { name: "slow_steps" }).waitFor();
    await screenshot(page, "workflows");
    await page.getByLabel("Search").fill("ticket");
    await page.waitForURL(/q=ticket/);
    await table.getByRole("link", { name: "greet" }).waitFor({ state: "detached" });
    expect(await table.getByRole("link").allTextContents()).toEqual(["list_tickets"]);
    await page.goto(`${base}/workflows?category=Examples`);
    await table.getByRole("link", { name: "slow_steps" }).waitFor();
    expect(await table.getByRole("link").allTextContents()).toEqual(["fail_hard", "greet", "slow_steps"]);
    await page.close();
  });

  it("runs a workflow from its generated form and shows the result; a 422 shows the field message", async () => {
    const page = await newSignedInPage();
    await page.goto(`${base}/workflows/greet`);
    await page.getByRole("heading", { name: "greet" }).waitFor();
    // Nothing typed: the server's 422 names the field, shown beside it.
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByText("Check the highlighted fields").waitFor();
    await page.getByText("is required").first().waitFor();
    await screenshot(page, "workflow-422");
    await page.getByRole("textbox", { name: "Name" }).fill("Ada");
    await page.getByRole("checkbox", { name: "excited" }).check();
    await page.getByRole("button", { name: "Run" }).click();
    const result = page.getByRole("region", { name: "Result" });
    await result.getByText('"Hello, Ada!"').waitFor();
    await expect(result.getByLabel("status Success").count()).resolves.toBe(1);
    await screenshot(page, "workflow-result");
    await page.close();
  });

  it("fills a form with a data provider's choices and runs it with trigger form", async () => {
    const page = await newSignedInPage();
    await page.goto(`${base}/forms`);
    await page.getByRole("link", { name: "Onboard a new hire" }).click();
    await page.getByRole("heading", { name: "Onboard a new hire" }).waitFor();
    await page.getByText("As on the contract").waitFor();
    await page.getByRole("textbox", { name: "Full name" }).fill("Grace Hopper");
    await page.getByRole("textbox", { name: "Department" }).click();
    await page.getByRole("option", { name: "Sales" }).click();
    await screenshot(page, "form");
    await page.getByRole("button", { name: "Run" }).click();
    const result = page.getByRole("region", { name: "Result" });
    await result.getByText('"sales"').waitFor();
    await result.getByRole("link", { name: "Open run" }).click();
    await page.getByText("trigger form").waitFor();
    await page.close();
  });

  it("fills a custom form: its order and labels, its hidden value sent by the server", async () => {
    await admin("POST", "/api/custom-forms", {
      name: "sales-hire",
      workflow: "onboard_user",
      title: "Hire into Sales",
      description: "For the sales team's new people",
      fields: [{ name: "department", hidden: true, default: "sales" }, { name: "fullName", label: "New hire's name" }],
    });
    const page = await newSignedInPage();
    await page.goto(`${base}/forms`);
    await page.getByRole("table", { name: "Custom forms" }).getByRole("link", { name: "Hire into Sales" }).click();
    await page.getByRole("heading", { name: "Hire into Sales" }).waitFor();
    expect(await page.getByRole("textbox", { name: "Department" }).count()).toBe(0);
    await page.getByRole("textbox", { name: "New hire's name" }).fill("Linus");
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByRole("region", { name: "Result" }).getByText('"sales"').waitFor();
    await screenshot(page, "custom-form");
    await page.close();
  });

  it("streams a queued run's log lines live, in order, before it ends", async () => {
    const page = await newSignedInPage();
    await page.goto(`${base}/workflows/slow_steps`);
    await page.getByRole("textbox", { name: "steps" }).fill("4");
    await page.getByRole("textbox", { name: "holdMs" }).fill("5000");
    await page.getByRole("button", { name: "Run" }).click();
    await page.waitForURL(/\/runs\//);
    const log = page.getByRole("log", { name: "Log lines" });
    await log.getByText("step 4 of 4").waitFor();
    // Every step is on screen while the run still holds: the lines came live.
    expect(await log.getByText("all steps done").count()).toBe(0);
    expect(await page.getByLabel("status Success").count()).toBe(0);
    await page.getByLabel("status Running").waitFor();
    const lines = (await log.getByRole("listitem").allTextContents()).map((l) => l.replace(/^.*?(step|all)/, "$1"));
    expect(lines).toEqual(["step 1 of 4", "step 2 of 4", "step 3 of 4", "step 4 of 4"]);
    await screenshot(page, "run-live");
    await log.getByText("all steps done").waitFor({ timeout: 15_000 });
    await page.getByLabel("status Success").waitFor();
    await page.getByRole("button", { name: "Result" }).waitFor();
    await screenshot(page, "run-done");
    await page.close();
  });

  it("cancels a running run", async () => {
    const page = await newSignedInPage();
    const { executionId } = await admin("POST", "/api/workflows/slow_steps/run", { steps: 1, holdMs: 60_000 });
    await page.goto(`${base}/runs/${executionId}`);
    await page.getByRole("log", { name: "Log lines" }).getByText("step 1 of 1").waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByLabel("status Cancelled").waitFor({ timeout: 15_000 });
    await expect(page.getByRole("button", { name: "Cancel" }).count()).resolves.toBe(0);
    await screenshot(page, "run-cancelled");
    await page.close();
  });

  it("the organization switcher hides another organization's runs", async () => {
    await admin("POST", "/api/workflows/count_devices/execute", {}, orgs.Contoso);
    await admin("POST", "/api/workflows/list_tickets/execute", {}, orgs.Fabrikam);
    const page = await newSignedInPage();
    await page.goto(`${base}/history`);
    const runs = page.getByRole("table", { name: "Runs" });
    await runs.getByRole("link", { name: "count_devices" }).first().waitFor();
    await runs.getByRole("link", { name: "list_tickets" }).first().waitFor();
    await page.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "Fabrikam" }).click();
    await runs.getByRole("link", { name: "count_devices" }).first().waitFor({ state: "detached" });
    await runs.getByRole("link", { name: "list_tickets" }).first().waitFor();
    await screenshot(page, "history-fabrikam");
    // The choice holds on every page, and survives a reload.
    await page.reload();
    await runs.getByRole("link", { name: "list_tickets" }).first().waitFor();
    expect(await runs.getByRole("link", { name: "count_devices" }).count()).toBe(0);
    await page.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "All organizations" }).click();
    await runs.getByRole("link", { name: "count_devices" }).first().waitFor();
    await page.close();
  });

  it("home shows the last day by status, failures, what runs now and time saved", async () => {
    await admin("POST", "/api/workflows/fail_hard/execute", {});
    const page = await newSignedInPage();
    await page.goto(`${base}/`);
    await page.getByRole("heading", { name: "Home" }).waitFor();
    await expect.poll(async () => page.getByRole("group", { name: "Runs (24 h)" }).textContent()).toMatch(/\d+/);
    await page.getByRole("region", { name: "Running now" }).getByText("Nothing is running").waitFor();
    await expect.poll(async () => page.getByRole("group", { name: "Saved this month" }).textContent()).toMatch(/\d+ min/);
    await screenshot(page, "home");
    await page.getByRole("region", { name: "Latest failures" }).getByRole("link", { name: "fail_hard" }).click();
    await page.getByLabel("status Failed").waitFor();
    await page.getByRole("alert").getByText("PSA answered 500").first().waitFor();
    await expect(page.getByLabel("Stack trace").textContent()).resolves.toMatch(/greet\.ts:\d+/);
    await screenshot(page, "run-failed");
    await page.close();
  });

  it("ROI shows totals and a chart, and exports CSV", async () => {
    const page = await newSignedInPage();
    await page.goto(`${base}/roi?days=7`);
    await page.getByRole("heading", { name: "ROI" }).waitFor();
    await page.getByRole("table", { name: "ROI by workflow" }).getByRole("cell", { name: "greet", exact: true }).waitFor();
    await expect.poll(async () => page.getByRole("group", { name: "Time saved" }).textContent()).toMatch(/\d+ min/);
    await page.getByRole("region", { name: "Time saved per day" }).locator("svg.recharts-surface").first().waitFor();
    await screenshot(page, "roi");
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    expect(file.suggestedFilename()).toBe("bifrost-roi-7d.csv");
    const { readFile } = await import("node:fs/promises");
    const csv = await readFile((await file.path())!, "utf8");
    expect(csv.split("\r\n")[0]).toBe("workflow,executions,time saved (minutes),value");
    expect(csv).toMatch(/\r\ngreet,\d+,\d+,0\r\n/);
    await page.close();
  });

  it("history filters and pages in the URL; rows open the run", async () => {
    for (let i = 0; i < 6; i++) await admin("POST", "/api/workflows/greet/execute", { name: `n${i}` });
    const page = await newSignedInPage();
    await page.goto(`${base}/history?size=4`);
    const runs = page.getByRole("table", { name: "Runs" });
    await runs.getByRole("link").first().waitFor();
    expect(await runs.getByRole("link").count()).toBe(4);
    await page.getByRole("textbox", { name: "Workflow" }).fill("greet");
    await page.getByRole("textbox", { name: "Workflow" }).press("Enter");
    await page.waitForURL(/workflow=greet/);
    await expect.poll(async () => [...new Set(await runs.getByRole("link").allTextContents())]).toEqual(["greet"]);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.waitForURL(/page=2/);
    await page.getByText("Page 2").waitFor();
    await expect.poll(() => runs.getByRole("link").count()).toBeGreaterThan(0);
    await screenshot(page, "history");
    // greet ran 7 times (6 here, 1 from the form): page 2 of 4 has 3, and no page 3.
    await expect.poll(() => runs.getByRole("link").count()).toBe(3);
    await expect(page.getByRole("button", { name: "Next page" }).isDisabled()).resolves.toBe(true);
    await page.getByRole("textbox", { name: "Status" }).click();
    await page.getByRole("option", { name: "Cancelled" }).click();
    await page.waitForURL(/status=Cancelled/);
    await page.getByText("No runs").waitFor();
    expect(page.url()).not.toContain("page=2");
    await page.goto(`${base}/history?workflow=slow_steps&status=Cancelled`);
    await runs.getByRole("link", { name: "slow_steps" }).click();
    await page.waitForURL(/\/runs\//);
    await page.getByLabel("status Cancelled").waitFor();
    await page.close();
  });
});

