/**
 * The web app's part-1 leftovers (issue 12), in a real Chromium against a real embedded
 * platform: axe on every page, the keyboard (run form, tables), a phone (390×844), the run
 * page's extras (run again, parent and child runs, attempts, tokens, variables), the
 * admins' log search, and live logs in a switched-to organization.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../../server/test/helpers.js";
import { startLlmServer, type LlmServer } from "../../server/test/llm-server.js";
import { accessibilityProblems, launchBrowser, PHONE, screenshot, type Browser } from "./browser.js";
import { newSignedInPage, signIn, signInAs, useApp } from "./session.js";
import { adminCall, SLOW_STEPS } from "./platform.js";

const ROOT = { email: "root@msp.example", name: "Root Admin", password: "root admin pass phrase" };
const TECH = { email: "tech@msp.example", name: "Tess Tech", password: "tess signs in at the helpdesk" };

const WORKFLOWS = {
  "flows.ts": `
import { workflow, workflows, dataProvider, ai, z, logger } from "bifrost";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const departments = dataProvider({ name: "departments", description: "Departments" }, async () => [
  { label: "Engineering", value: "eng" },
  { label: "Sales", value: "sales" },
]);
export const onboardUser = workflow(
  { name: "onboard_user", description: "Onboard a new hire", category: "People", executionMode: "sync",
    params: z.object({ fullName: z.string().min(1).meta({ label: "Full name" }), department: z.string().meta({ dataProvider: "departments" }) }) },
  async ({ fullName, department }) => {
    logger.info("onboarding " + fullName + " into " + department + " — a long line that a phone has to wrap instead of scrolling sideways");
    return { onboarded: fullName, department };
  },
);
export const greet = workflow(
  { name: "greet", description: "Say hello to someone", category: "Examples", executionMode: "sync", timeSaved: 5,
    params: z.object({ name: z.string().min(1).meta({ title: "Name" }), excited: z.boolean().default(false) }) },
  async ({ name, excited }) => {
    const greeting = "Hello, " + name + (excited ? "!" : ".");
    logger.info("greeting " + name);
    return { greeting };
  },
);
export const parentFlow = workflow(
  { name: "parent_flow", description: "Greets two people through greet", category: "Examples", executionMode: "sync", params: z.object({}) },
  async () => {
    const customer = "Contoso";
    const first = await workflows.run("greet", { name: "first child" });
    const second = await workflows.run("greet", { name: "second child" });
    logger.warn("greeted two for " + customer);
    return { first, second };
  },
);
export const summarize = workflow(
  { name: "summarize", description: "Asks the model for a summary", category: "Examples", executionMode: "sync", params: z.object({}) },
  async () => (await ai.complete("one two three")).text,
);
export const reportMd = workflow(
  { name: "report_md", description: "A markdown report", category: "Examples", executionMode: "sync", params: z.object({}) },
  async () => "# Weekly report\\n\\n- **3** devices patched\\n- [details](javascript:alert(1))\\n\\n<img src=x onerror=alert(1)>",
);
export const reportHtml = workflow(
  { name: "report_html", description: "An HTML report", category: "Examples", executionMode: "sync", params: z.object({}) },
  async () => "<table><tr><td>Patched devices</td><td>3</td></tr></table><script>parent.document.title = 'pwned'</script><img src=http://203.0.113.9/beacon.png>",
);
export const flaky = workflow(
  { name: "flaky", description: "Fails, is retried once, fails again", category: "Examples", executionMode: "async",
    retryPolicy: { maxRetries: 1, delaySeconds: 0 }, params: z.object({}) },
  async () => {
    logger.error("PSA answered 503");
    throw new Error("PSA answered 503");
  },
);
${SLOW_STEPS}
`,
};

let t: TestPlatform;
let base: string;
let browser: Browser;
const orgs: Record<string, string> = {};
let inviteToken: string;
let llm: LlmServer;

/** Calls the API as the platform admin key (see platform.ts). */
const admin = (method: string, url: string, payload?: unknown, org?: string) => adminCall(t, method, url, payload, org);

/** Presses Tab until `target` has the focus (at most `max` times); fails if it never does. */
async function tabTo(page: Page, target: Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)).catch(() => false)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

/** How far the page is wider than the window (0 = no horizontal scrolling). */
const overflow = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);

beforeAll(async () => {
  // A real OpenAI-compatible server on loopback: runs that call ai.complete record their tokens.
  llm = await startLlmServer({ apiKey: "sk-ui-test-key" });
  t = await startTestPlatform(WORKFLOWS, {}, { listen: true });
  await admin("POST", "/api/ai/providers", { name: "loopback", kind: "openai-compatible", baseUrl: llm.url, apiKey: "sk-ui-test-key", chatModel: "test-chat" });
  base = t.platform.url!;
  useApp(base);
  for (const name of ["Contoso", "Fabrikam"]) orgs[name] = (await admin("POST", "/api/organizations", { name })).id;
  await admin("POST", "/api/users", { email: TECH.email, name: TECH.name, password: TECH.password });
  inviteToken = (await admin("POST", "/api/users", { email: "nora@contoso.example", name: "Nora New", organizationId: orgs.Contoso })).inviteToken;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await llm?.close();
});

describe("web app, part 1 leftovers", { timeout: 90_000 }, () => {
  it("axe finds no serious or critical problem on any page", { timeout: 240_000 }, async () => {
    const problems: Record<string, string[]> = {};
    const check = async (page: Page, name: string) => {
      const found = await accessibilityProblems(page);
      if (found.length) problems[name] = found;
    };
    const page = await browser.context.newPage();
    // Signed out: setup, invitation, sign-in.
    await page.goto(t.platform.setupUrl!);
    await page.getByRole("button", { name: "Create and sign in" }).waitFor();
    await check(page, "setup");
    await page.goto(`${base}/invite?token=${inviteToken}`);
    await page.getByText("Nora New (nora@contoso.example)").waitFor();
    await check(page, "invite");
    await page.goto(`${base}/login`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await check(page, "sign-in");
    // The first admin, then every page as a platform admin.
    await page.goto(t.platform.setupUrl!);
    await page.getByLabel("E-mail").fill(ROOT.email);
    await page.getByLabel("Name").fill(ROOT.name);
    await page.getByLabel("Password").fill(ROOT.password);
    await page.getByRole("button", { name: "Create and sign in" }).click();
    await page.getByRole("heading", { name: "Home" }).waitFor();
    const failed = (await admin("POST", "/api/workflows/flaky/run", {})).executionId as string;
    const { executionId: live } = await admin("POST", "/api/workflows/slow_steps/run", { steps: 2, holdMs: 60_000 });
    await admin("POST", "/api/custom-forms", { name: "sales-hire", workflow: "onboard_user", title: "Hire into Sales", fields: [{ name: "department", hidden: true, default: "sales" }] });
    const pages: [string, string, (p: Page) => Promise<unknown>][] = [
      ["home", "/", (p) => p.getByRole("region", { name: "Running now" }).getByRole("link").first().waitFor()],
      ["workflows", "/workflows", (p) => p.getByRole("table", { name: "Workflows" }).waitFor()],
      ["workflow", "/workflows/greet", (p) => p.getByRole("button", { name: "Run" }).waitFor()],
      ["run-live", `/runs/${live}`, (p) => p.getByRole("log", { name: "Log lines" }).getByText("step 2 of 2").waitFor()],
      ["run-failed", `/runs/${failed}`, (p) => p.getByLabel("status Failed").first().waitFor({ timeout: 30_000 })],
      ["history", "/history", (p) => p.getByRole("table", { name: "Runs" }).waitFor()],
      ["forms", "/forms", (p) => p.getByRole("link", { name: "Onboard a new hire" }).waitFor()],
      ["form", "/forms/onboard_user", (p) => p.getByRole("textbox", { name: "Full name" }).waitFor()],
      ["roi", "/roi", (p) => p.getByRole("region", { name: "Time saved per day" }).locator("svg").first().waitFor()],
      ["schedules", "/schedules", (p) => p.getByRole("heading", { name: "Schedules" }).waitFor()],
      ["config", "/config", (p) => p.getByRole("heading", { name: "Config and secrets" }).waitFor()],
      ["users", "/users", (p) => p.getByRole("table", { name: "Users" }).waitFor()],
      ["log-search", "/logs", (p) => p.getByRole("table", { name: "Log lines found" }).waitFor()],
      ["not-found", "/no/such/page", (p) => p.getByText(/not found/i).first().waitFor()],
    ];
    for (const [name, path, ready] of pages) {
      await page.goto(`${base}${path}`);
      await ready(page);
      await check(page, name);
    }
    await t.call({ method: "POST", url: `/api/executions/${live}/cancel` });
    expect(problems).toEqual({});
    await page.close();
  });

  it("the run form is filled and submitted with the keyboard only", async () => {
    const page = await signInAs(browser, ROOT.email, ROOT.password, { next: "/workflows/greet", expectHeading: "greet" });
    await tabTo(page, page.getByRole("textbox", { name: "Name" }));
    await page.keyboard.type("Ada");
    await page.keyboard.press("Tab");
    await expect(page.getByRole("checkbox", { name: "excited" }).evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await page.keyboard.press("Space");
    await tabTo(page, page.getByRole("button", { name: "Run" }), 10);
    await page.keyboard.press("Enter");
    await page.getByRole("region", { name: "Result" }).getByText('"Hello, Ada!"').waitFor();
    await page.close();
  });

  it("the workflows and history tables are reached and a row opened with the keyboard", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/workflows?category=Examples`);
    const workflows = page.getByRole("table", { name: "Workflows" });
    await workflows.getByRole("link", { name: "greet" }).waitFor();
    await tabTo(page, workflows.getByRole("link").first());
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/workflows\/[a-z_]+$/);
    await page.goto(`${base}/history`);
    const runs = page.getByRole("table", { name: "Runs" });
    await runs.getByRole("link").nth(1).waitFor();
    await tabTo(page, runs.getByRole("link").first());
    // Further rows are one Tab away each.
    await page.keyboard.press("Tab");
    await expect(runs.getByRole("link").nth(1).evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/runs\//);
    await page.getByRole("heading", { name: "Logs" }).waitFor();
    await page.close();
  });

  it("a run page: run again with its input, parent and child runs, attempts, tokens and variables", async () => {
    const page = await browser.context.newPage();
    const parent = await admin("POST", "/api/workflows/parent_flow/execute", {});
    await page.goto(`${base}/runs/${parent.id}`);
    const children = page.getByRole("region", { name: "Child runs" });
    await expect.poll(() => children.getByRole("link", { name: "greet" }).count(), { timeout: 15_000 }).toBe(2);
    // Admins see the variables the workflow assigned.
    await page.getByRole("region", { name: "Variables" }).getByText('"Contoso"').waitFor();
    await screenshot(page, "run-parent");
    await children.getByRole("link", { name: "greet" }).first().click();
    await page.getByRole("link", { name: "Parent run" }).click();
    await page.waitForURL(new RegExp(`/runs/${parent.id}$`));
    // A run retried once: both attempts are listed.
    const { executionId: flaky } = await admin("POST", "/api/workflows/flaky/run", {});
    await page.goto(`${base}/runs/${flaky}`);
    const attempts = page.getByRole("table", { name: "Attempts of this run" });
    await expect.poll(() => attempts.getByRole("row").count(), { timeout: 30_000 }).toBe(3);
    await page.getByLabel("status Failed").first().waitFor({ timeout: 30_000 });
    await expect(page.getByRole("group", { name: "Attempt" }).textContent()).resolves.toContain("2 of 2");
    await screenshot(page, "run-attempts");
    // Run again: the workflow's form opens with the run's input, and runs it.
    const greet = await admin("POST", "/api/workflows/greet/execute", { name: "Grace", excited: true });
    await page.goto(`${base}/runs/${greet.id}`);
    await page.getByRole("link", { name: "Run again with this input" }).click();
    await page.waitForURL(new RegExp(`/workflows/greet\\?rerun=${greet.id}$`));
    await expect(page.getByRole("textbox", { name: "Name" }).inputValue()).resolves.toBe("Grace");
    await expect(page.getByRole("checkbox", { name: "excited" }).isChecked()).resolves.toBe(true);
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByRole("region", { name: "Result" }).getByText('"Hello, Grace!"').waitFor();
    await screenshot(page, "workflow-rerun");
    // Token usage: the loopback model counts words, "one two three" → 3 in, "echo: one two three" → 4 out.
    const summary = await admin("POST", "/api/workflows/summarize/execute", {});
    expect(summary.tokensUsed).toBe(7);
    await page.goto(`${base}/runs/${summary.id}`);
    await page.getByLabel("status Success").first().waitFor();
    await expect(page.getByRole("group", { name: "LLM tokens" }).textContent()).resolves.toBe("LLM tokens7");
    await page.close();
    // An MSP member sees the run, but not its variables.
    const tech = await signInAs(browser, TECH.email, TECH.password, { next: `/runs/${parent.id}` });
    await tech.getByRole("region", { name: "Child runs" }).waitFor();
    expect(await tech.getByRole("region", { name: "Variables" }).count()).toBe(0);
    await tech.close();
  });

  it("text results are rendered safely: markdown without its raw HTML or script links, HTML in a frame that runs and loads nothing", async () => {
    const page = await signInAs(browser, ROOT.email, ROOT.password);
    const asked: string[] = [];
    page.on("request", (r) => asked.push(r.url()));
    const md = await admin("POST", "/api/workflows/report_md/execute", {});
    await page.goto(`${base}/runs/${md.id}`);
    const result = page.getByRole("region", { name: "Result" });
    await result.getByRole("heading", { name: "Weekly report" }).waitFor();
    await result.getByRole("listitem").filter({ hasText: "devices patched" }).waitFor();
    expect(await result.locator("img").count()).toBe(0);
    expect(await result.getByRole("link", { name: "details" }).getAttribute("href")).not.toMatch(/^javascript:/i);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "run-markdown");
    const html = await admin("POST", "/api/workflows/report_html/execute", {});
    await page.goto(`${base}/runs/${html.id}`);
    const frame = result.locator('iframe[title="HTML result"]');
    await frame.waitFor();
    expect(await frame.getAttribute("sandbox")).toBe("");
    await page.frameLocator('iframe[title="HTML result"]').getByText("Patched devices").waitFor();
    await page.waitForTimeout(300);
    expect(await page.title()).not.toBe("pwned");
    expect(asked.filter((u) => !u.startsWith(base) && !u.startsWith("about:") && !u.startsWith("data:"))).toEqual([]);
    await screenshot(page, "run-html");
    await page.close();
  });

  it("history: a running run's row turns to its end status without a reload", async () => {
    const page = await signInAs(browser, ROOT.email, ROOT.password);
    const { executionId } = await admin("POST", "/api/workflows/slow_steps/run", { steps: 2, holdMs: 2500 });
    await page.goto(`${base}/history?workflow=slow_steps`);
    const row = page.getByRole("table", { name: "Runs" }).getByRole("row").filter({ has: page.locator(`a[href="/runs/${executionId}"]`) });
    await row.getByLabel(/status (Pending|Running)/).waitFor();
    let reloaded = false;
    page.on("framenavigated", (f) => f === page.mainFrame() && (reloaded = true));
    await row.getByLabel("status Success").waitFor({ timeout: 30_000 });
    expect(reloaded).toBe(false);
    await page.close();
  });

  it("the log search finds lines across runs by level, workflow, organization, text and time", async () => {
    await admin("POST", "/api/workflows/greet/execute", { name: "Contoso person" }, orgs.Contoso);
    await admin("POST", "/api/workflows/greet/execute", { name: "Fabrikam person" }, orgs.Fabrikam);
    const page = await signInAs(browser, ROOT.email, ROOT.password, { next: "/logs", expectHeading: "Log search" });
    const found = page.getByRole("table", { name: "Log lines found" });
    await found.getByText("greeting Fabrikam person").waitFor();
    await page.getByRole("textbox", { name: "Text" }).fill("greeting");
    await page.getByRole("textbox", { name: "Text" }).press("Enter");
    await page.waitForURL(/q=greeting/);
    await page.getByRole("textbox", { name: "Run organization" }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    await page.waitForURL(/organization=/);
    await found.getByText("greeting Contoso person").waitFor();
    await expect.poll(() => found.getByText("greeting Fabrikam person").count()).toBe(0);
    await screenshot(page, "log-search");
    await page.goto(`${base}/logs?level=error&workflow=flaky&range=1h`);
    await found.getByText("PSA answered 503").first().waitFor();
    expect(new Set(await found.getByRole("link").allTextContents())).toEqual(new Set(["flaky"]));
    await found.getByRole("link", { name: "flaky" }).first().click();
    await page.waitForURL(/\/runs\//);
    await page.getByLabel("status Failed").first().waitFor();
    // Not for an MSP member: no menu entry, and the API refuses.
    await page.close();
    const tech = await signInAs(browser, TECH.email, TECH.password, { next: "/logs", expectHeading: "Log search" });
    await tech.getByRole("alert").getByText(/may not use executions.logSearch/).waitFor();
    expect(await tech.getByRole("link", { name: "Log search" }).count()).toBe(0);
    await tech.close();
  });

  it("live logs in a switched-to organization: the stream asks for it (?org=) and is checked like the header", async () => {
    const page = await signInAs(browser, TECH.email, TECH.password);
    await page.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "Contoso" }).click();
    const { executionId } = await admin("POST", "/api/workflows/slow_steps/run", { steps: 3, holdMs: 3000 }, orgs.Contoso);
    const stream = page.waitForResponse((r) => r.url().includes(`/api/executions/${executionId}/logs/stream`));
    await page.goto(`${base}/runs/${executionId}`);
    const answered = await stream;
    expect(new URL(answered.url()).searchParams.get("org")).toBe(orgs.Contoso);
    expect(answered.status()).toBe(200);
    const log = page.getByRole("log", { name: "Log lines" });
    await log.getByText("step 3 of 3").waitFor();
    expect(await page.getByLabel("status Success").count()).toBe(0);
    await log.getByText("all steps done").waitFor({ timeout: 20_000 });
    // Switched to Fabrikam, Contoso's run does not exist: neither the page nor its stream.
    await page.getByRole("textbox", { name: "Organization", exact: true }).click();
    const refused = page.waitForResponse((r) => r.url().includes(`/api/executions/${executionId}/logs/stream`));
    await page.getByRole("option", { name: "Fabrikam" }).click();
    const answer = await refused;
    expect(new URL(answer.url()).searchParams.get("org")).toBe(orgs.Fabrikam);
    expect(answer.status()).toBe(404);
    await page.getByRole("alert").getByText("Execution not found").waitFor();
    await page.getByRole("textbox", { name: "Organization", exact: true }).click();
    await page.getByRole("option", { name: "All organizations" }).click();
    await page.close();
  });
});

describe("on a phone (390×844)", { timeout: 90_000 }, () => {
  let phone: Browser;
  beforeAll(async () => {
    phone = await launchBrowser({ viewport: PHONE });
  });
  afterAll(async () => {
    await phone?.close();
  });

  it("the navigation folds into a burger menu, and no page scrolls sideways", async () => {
    const page = await phone.context.newPage();
    await page.goto(`${base}/login`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, "phone-sign-in");
    await signIn(page, TECH.email, TECH.password);
    const nav = page.getByRole("navigation", { name: "Main", includeHidden: true });
    await expect(nav.getByRole("link", { name: "History", includeHidden: true }).isVisible()).resolves.toBe(false);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "phone-home");
    await page.getByRole("button", { name: "Open navigation" }).click();
    await nav.getByRole("link", { name: "History" }).waitFor({ state: "visible" });
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "phone-navigation");
    await nav.getByRole("link", { name: "History" }).click();
    await page.getByRole("heading", { name: "History" }).waitFor();
    await page.getByRole("table", { name: "Runs" }).waitFor();
    // Following a link folds the menu again.
    await nav.getByRole("link", { name: "History", includeHidden: true }).waitFor({ state: "hidden" });
    for (const path of ["/", "/history", "/workflows", "/forms", "/roi", "/tables"]) {
      await page.goto(`${base}${path}`);
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), path).toBeLessThanOrEqual(PHONE.width);
    }
    await screenshot(page, "phone-schedules");
    await page.close();
  });

  it("a technician opens a form and submits it", async () => {
    const page = await newSignedInPage(phone, TECH.email, TECH.password);
    await page.goto(`${base}/forms`);
    await page.getByRole("link", { name: "Onboard a new hire" }).click();
    await page.getByRole("textbox", { name: "Full name" }).fill("Grace Hopper");
    await page.getByRole("textbox", { name: "Department" }).click();
    await page.getByRole("option", { name: "Engineering" }).click();
    // The first choice shows as chosen; choosing it again keeps it (it is not cleared).
    await expect(page.getByRole("textbox", { name: "Department" }).inputValue()).resolves.toBe("Engineering");
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.getByRole("button", { name: "Run" }).click();
    const result = page.getByRole("region", { name: "Result" });
    await result.getByText('"Grace Hopper"').waitFor();
    await result.getByLabel("status Success").waitFor();
    await screenshot(page, "phone-form");
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    // The run page is readable: status, its long log line wrapped, the result, no sideways scrolling.
    await result.getByRole("link", { name: "Open run" }).click();
    await page.getByLabel("status Success").waitFor();
    const line = page.getByRole("log", { name: "Log lines" }).getByText(/onboarding Grace Hopper/);
    await line.waitFor();
    const box = (await line.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    await page.getByRole("button", { name: "Result" }).waitFor();
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, "phone-run");
    await page.close();
  });
});
