/**
 * Admin pages, part C (issue 13) in a real Chromium against a real embedded platform:
 * tables (filter builder against the API's own query), knowledge (store, browse, search
 * in full-text and then vector mode against a real OpenAI-compatible server) and the
 * custom-form builder (built, previewed, saved and run). axe on every page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../../server/test/helpers.js";
import { startLlmServer, type LlmServer } from "../../server/test/llm-server.js";
import { accessibilityProblems, launchBrowser, PHONE, screenshotFromTop as screenshot, type Browser } from "./browser.js";
import { signInAs } from "./session.js";
import { adminCall } from "./platform.js";

const ADMIN = { email: "root@msp.example", password: "root admin pass phrase" };
const TECH = { email: "tech@msp.example", password: "tess signs in at the helpdesk" };
const MEMBER = { email: "cu@contoso.example", password: "a customer's long password" };

const WORKFLOWS = {
  "hire.ts": `
import { workflow, dataProvider, z } from "bifrost";
export const offices = dataProvider({ name: "offices", description: "Offices" }, async () => [
  { label: "London", value: "lon" },
  { label: "Berlin", value: "ber" },
]);
export const hire = workflow(
  { name: "hire", description: "Hire someone", executionMode: "sync",
    params: z.object({ fullName: z.string().min(1), office: z.string(), team: z.string(), laptop: z.boolean().default(true) }) },
  async (p) => ({ hired: p.fullName, office: p.office, team: p.team, laptop: p.laptop }),
);
`,
};

let t: TestPlatform;
let llm: LlmServer;
let browser: Browser;
let base: string;
let contoso: string;

/** Calls the API as the platform admin key (see platform.ts). */
const admin = (method: string, url: string, payload?: unknown, org?: string) => adminCall(t, method, url, payload, org);

/** A fresh page signed in as `who`, opened at `path`. */
async function pageAs(who: { email: string; password: string }, path: string): Promise<Page> {
  return signInAs(browser, who.email, who.password, { base, next: path });
}

async function pick(page: Page, label: string, option: string, within: Page | Locator = page) {
  await within.getByRole("textbox", { name: label, exact: true }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

beforeAll(async () => {
  llm = await startLlmServer({ apiKey: "llm-test-key" });
  t = await startTestPlatform(WORKFLOWS, {}, { listen: true });
  base = t.platform.url!;
  contoso = (await admin("POST", "/api/organizations", { name: "Contoso" })).id;
  await admin("POST", "/api/users", { ...ADMIN, name: "Root Admin", isPlatformAdmin: true });
  await admin("POST", "/api/users", { ...TECH, name: "Tess Tech" });
  await admin("POST", "/api/users", { ...MEMBER, name: "Cus Tomer", organizationId: contoso });
  await admin("POST", "/api/roles", { name: "HR" });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await llm?.close();
});

describe("admin pages C", { timeout: 90_000 }, () => {
  it("tables: create (a bad name is shown beside the field), insert, edit (JSON checked), delete, drop", async () => {
    const page = await pageAs(ADMIN, "/tables?scope=global");
    await page.getByRole("heading", { name: "Tables" }).waitFor();
    await page.getByText("No tables in this scope").waitFor();
    const create = page.getByRole("form", { name: "Create a table" });
    await create.getByRole("textbox", { name: "Table name" }).fill("1devices");
    await create.getByRole("button", { name: "Create table" }).click();
    await create.getByText("must start with a letter").waitFor();
    await create.getByRole("textbox", { name: "Table name" }).fill("devices");
    await create.getByRole("button", { name: "Create table" }).click();
    const tables = page.getByRole("table", { name: "Tables" });
    await tables.getByRole("link", { name: "devices" }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "tables");

    await tables.getByRole("link", { name: "devices" }).click();
    await page.getByRole("heading", { name: "Table devices" }).waitFor();
    await page.getByRole("button", { name: "Insert document" }).click();
    let dialog = page.getByRole("dialog", { name: "Insert a document" });
    await dialog.getByRole("textbox", { name: "Document" }).fill('{ "id": "ws-1", "os": "Windows 11", ');
    await dialog.getByRole("button", { name: "Save document" }).click();
    await dialog.getByText("Not valid JSON").waitFor();
    await dialog.getByRole("textbox", { name: "Document" }).fill('{ "id": "ws-1", "os": "Windows 11", "ram": 16 }');
    await dialog.getByRole("button", { name: "Save document" }).click();
    await dialog.waitFor({ state: "detached" });
    const docs = page.getByRole("table", { name: "Documents" });
    await docs.getByText('{"os":"Windows 11","ram":16}').waitFor();
    await page.getByText("1 document matches").waitFor();

    await docs.getByRole("button", { name: "Edit ws-1" }).click();
    dialog = page.getByRole("dialog", { name: "Edit ws-1" });
    // The server's check (the id is the URL's) is shown on the editor.
    await dialog.getByRole("textbox", { name: "Document" }).fill('{ "id": "ws-2", "os": "Windows 11", "ram": 32 }');
    await dialog.getByRole("button", { name: "Save document" }).click();
    await dialog.getByText("id: must match the id in the URL").waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "tables-edit");
    await dialog.getByRole("textbox", { name: "Document" }).fill('{ "id": "ws-1", "os": "Windows 11", "ram": 32 }');
    await dialog.getByRole("button", { name: "Save document" }).click();
    await dialog.waitFor({ state: "detached" });
    await docs.getByText('{"os":"Windows 11","ram":32}').waitFor();
    expect((await admin("GET", "/api/tables/devices/documents/ws-1?scope=global")).ram).toBe(32);

    await docs.getByRole("button", { name: "Delete ws-1" }).click();
    await page.getByRole("dialog", { name: "Delete document ws-1?" }).getByRole("button", { name: "Delete document" }).click();
    await page.getByText("No documents").waitFor();
    expect((await t.call({ method: "GET", url: "/api/tables/devices/documents/ws-1?scope=global" })).statusCode).toBe(404);

    await page.getByRole("link", { name: "Tables", exact: true }).first().click();
    await tables.getByRole("button", { name: "Drop devices" }).click();
    await page.getByRole("dialog", { name: "Drop table devices?" }).getByRole("button", { name: "Drop table" }).click();
    await page.getByText("No tables in this scope").waitFor();
    await page.close();
  });

  it("tables: a filter built in the builder returns the same documents as the API query, page by page", async () => {
    await admin("POST", `/api/tables?scope=${contoso}`, { name: "assets" });
    const documents = Array.from({ length: 60 }, (_, i) => ({
      id: `a-${String(i).padStart(2, "0")}`,
      os: i % 3 === 0 ? "macOS" : i % 3 === 1 ? "Windows 11" : "Windows 10",
      ram: i % 4 === 0 ? 8 : 16 + (i % 2) * 16,
      tags: i % 5 === 0 ? ["vip"] : [],
    }));
    await admin("POST", `/api/tables/assets/batch/insert?scope=${contoso}`, { documents });
    const where = { os: { startsWith: "Windows" }, ram: { gte: 16 } };
    const api = async (offset: number) => (await admin("POST", `/api/tables/assets/query?scope=${contoso}`, { where, orderBy: "ram", orderDir: "desc", limit: 20, offset })) as { documents: { id: string }[]; total: number };
    const first = await api(0);
    expect(first.total).toBeGreaterThan(20);

    const page = await pageAs(ADMIN, `/tables/assets?scope=${contoso}`);
    await page.getByText("60 documents match").waitFor();
    const filter = page.getByRole("form", { name: "Filter" });
    await filter.getByRole("button", { name: "Add condition" }).click();
    await filter.getByRole("button", { name: "Add condition" }).click();
    const c1 = filter.getByRole("group", { name: "Condition 1" });
    const c2 = filter.getByRole("group", { name: "Condition 2" });
    await c1.getByRole("textbox", { name: "Field" }).fill("os");
    await pick(page, "Operator", "startsWith", c1);
    await c1.getByRole("textbox", { name: "Value" }).fill("Windows");
    await c2.getByRole("textbox", { name: "Field" }).fill("ram");
    await pick(page, "Operator", "gte", c2);
    await c2.getByRole("textbox", { name: "Value" }).fill("16");
    await filter.getByRole("textbox", { name: "Order by" }).fill("ram");
    await pick(page, "Direction", "desc", filter);
    expect(await filter.getByLabel("Where").textContent()).toBe(JSON.stringify(where));
    await filter.getByRole("button", { name: "Apply filter" }).click();
    await page.getByText(`${first.total} documents match`).waitFor();
    const docs = page.getByRole("table", { name: "Documents" });
    const ids = async () => (await docs.locator("tbody tr td:first-child").allTextContents()).map((s) => s.trim());
    await expect.poll(ids).toEqual(first.documents.map((d) => d.id));
    await page.getByText(`Page 1 of ${Math.ceil(first.total / 20)}`).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "tables-filter");
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText(`Page 2 of ${Math.ceil(first.total / 20)}`).waitFor();
    const second = await api(20);
    await expect.poll(ids).toEqual(second.documents.map((d) => d.id));
    // The filter, order and page are in the URL: a reload shows the same documents.
    await page.reload();
    await page.getByText(`Page 2 of ${Math.ceil(first.total / 20)}`).waitFor();
    await expect.poll(ids).toEqual(second.documents.map((d) => d.id));
    expect(await filter.getByLabel("Where").textContent()).toBe(JSON.stringify(where));

    // A value of the wrong kind: the server's message, beside the condition.
    await pick(page, "Operator", "in", c2);
    await c2.getByRole("textbox", { name: "Value" }).fill("[16");
    await filter.getByRole("button", { name: "Apply filter" }).click();
    await c2.getByText(/must be an array/).waitFor();
    await page.close();
  });

  it("knowledge: stores pasted text (empty text is refused beside the field), lists chunks, views, searches (full-text, then vectors), deletes", async () => {
    const page = await pageAs(ADMIN, "/knowledge?scope=global");
    await page.getByRole("heading", { name: "Knowledge" }).waitFor();
    await page.getByText("No knowledge in this scope").waitFor();
    const store = page.getByRole("form", { name: "Store a document" });
    await store.getByRole("textbox", { name: "Namespace" }).fill("runbooks");
    await store.getByRole("textbox", { name: "Key" }).fill("printer");
    await store.getByRole("textbox", { name: "Content" }).fill("   ");
    await store.getByRole("button", { name: "Store" }).click();
    await store.getByText("must contain text").waitFor();
    await store.getByRole("textbox", { name: "Content" }).fill("When the printer queue is stuck, restart the print spooler service and clear the queue folder.");
    await store.getByRole("textbox", { name: "Metadata" }).fill('{ "source": "wiki" }');
    await store.getByRole("button", { name: "Store" }).click();
    await store.getByText("printer: created, 1 chunk").waitFor();
    await store.getByRole("textbox", { name: "Key" }).fill("vpn");
    await store.getByRole("textbox", { name: "Content" }).fill(Array.from({ length: 40 }, (_, i) => `VPN step ${i}: reconnect the client and check the certificate of the gateway.`).join("\n"));
    await store.getByRole("button", { name: "Store" }).click();
    await store.getByText(/vpn: created, \d+ chunks/).waitFor();
    const vpnChunks = (await admin("GET", "/api/knowledge/namespaces/runbooks/documents/vpn?scope=global")).chunks as number;
    expect(vpnChunks).toBeGreaterThan(1);

    const namespaces = page.getByRole("table", { name: "Namespaces" });
    const row = namespaces.getByRole("row").filter({ hasText: "runbooks" });
    await expect.poll(async () => (await row.getByRole("cell").allTextContents()).slice(1, 3)).toEqual(["2", String(vpnChunks + 1)]);
    const docs = page.getByRole("region", { name: "Documents of runbooks" });
    await expect.poll(async () => (await docs.getByRole("row").filter({ hasText: "vpn" }).getByRole("cell").allTextContents())[2]).toBe(String(vpnChunks));
    await docs.getByRole("button", { name: "View printer" }).click();
    const view = page.getByRole("dialog", { name: "runbooks / printer" });
    await view.getByText("1 chunk · scope global").waitFor();
    await view.getByText("restart the print spooler").waitFor();
    await view.getByText('"wiki"').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await view.waitFor({ state: "detached" });

    const search = page.getByRole("form", { name: "Search" });
    await search.getByRole("textbox", { name: "Query" }).fill("printer spooler");
    await pick(page, "Search namespace", "runbooks", search);
    await search.getByRole("button", { name: "Search" }).click();
    const results = page.getByRole("region", { name: "Search results" });
    await results.getByLabel("mode fulltext").waitFor();
    const fulltext = (await admin("POST", "/api/knowledge/search?scope=global", { query: "printer spooler", namespace: "runbooks", limit: 5 })) as { results: { key: string; score: number }[] };
    const resultRows = results.getByRole("table", { name: "Results" }).locator("tbody tr");
    await expect.poll(async () => (await resultRows.locator("td:first-child").allTextContents()).map((s) => s.trim())).toEqual(fulltext.results.map((r) => r.score.toFixed(3)));
    expect(await resultRows.first().textContent()).toContain("printer");
    await screenshot(page, "knowledge");

    // With an embedding provider the same search goes by meaning (the first one able to embed becomes the default).
    await admin("POST", "/api/ai/providers", { kind: "openai-compatible", name: "loopback", baseUrl: llm.url, apiKey: "llm-test-key", chatModel: "test-chat", embeddingModel: "test-embed" });
    await search.getByRole("button", { name: "Search" }).click();
    await results.getByLabel("mode vector").waitFor();
    await results.getByText("model test-embed").waitFor();
    const score = Number((await resultRows.first().locator("td").first().textContent())!.trim());
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "knowledge-vector");

    await docs.getByRole("button", { name: "Delete printer" }).click();
    await docs.getByRole("button", { name: "View printer" }).waitFor({ state: "detached" });
    await namespaces.getByRole("button", { name: "Delete namespace runbooks" }).click();
    await page.getByText("No knowledge in this scope").waitFor();
    await page.close();
  });

  it("form builder: a form built with order, labels, help, a default, a hidden field, a dropdown and roles previews live, saves and runs", async () => {
    const page = await pageAs(ADMIN, "/custom-forms");
    await page.getByRole("heading", { name: "Form builder" }).waitFor();
    await page.getByText("No custom forms yet").waitFor();
    await page.getByRole("link", { name: "New form" }).click();
    await page.getByRole("heading", { name: "New custom form" }).waitFor();
    const settings = page.getByRole("form", { name: "Form settings" });
    const preview = page.getByRole("region", { name: "Preview" });
    // Saved without a name: the server's message beside the field.
    await pick(page, "Workflow", "hire — Hire someone", settings);
    await settings.getByRole("listitem", { name: "Field team" }).waitFor();
    await settings.getByRole("button", { name: "Save form" }).click();
    await settings.getByText("is required").first().waitFor();

    await settings.getByRole("textbox", { name: "Name", exact: true }).fill("london-hire");
    await settings.getByRole("textbox", { name: "Title", exact: true }).fill("Hire in London");
    const office = settings.getByRole("listitem", { name: "Field office" });
    await office.getByRole("textbox", { name: "Default of office" }).fill("lon");
    await office.getByRole("checkbox", { name: "Hide office (always sends its default)" }).check();
    const team = settings.getByRole("listitem", { name: "Field team" });
    await team.getByRole("textbox", { name: "Label of team" }).fill("Team");
    await team.getByRole("textbox", { name: "Help text of team" }).fill("Where they sit");
    await settings.getByRole("listitem", { name: "Field fullName" }).getByRole("textbox", { name: "Help text of fullName" }).fill("As on the contract");
    await pick(page, "Dropdown of team", "offices", team);
    await settings.getByRole("button", { name: "Move team up" }).click();
    await settings.getByRole("button", { name: "Move team up" }).click();
    // Live preview: team first, office hidden, the help text shown, the dropdown's options.
    await preview.getByText("As on the contract").waitFor();
    await preview.getByText("Where they sit").waitFor();
    expect(await preview.getByRole("textbox", { name: "Office" }).count()).toBe(0);
    await preview.getByRole("textbox", { name: /^Team/ }).click();
    await page.getByRole("option", { name: "Berlin" }).waitFor();
    await page.keyboard.press("Escape");
    const labels = await preview.locator("label").allTextContents();
    expect(labels.findIndex((l) => l.startsWith("Team"))).toBeLessThan(labels.findIndex((l) => l.startsWith("Full name")));
    await pick(page, "Who may use it", "Only these roles", settings);
    // (A multi-select's pills box takes the click for its input.)
    await settings.getByRole("textbox", { name: "Roles", exact: true }).click({ force: true });
    await page.getByRole("option", { name: "HR", exact: true }).click();
    await page.keyboard.press("Escape");
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "form-builder");
    await settings.getByRole("button", { name: "Save form" }).click();
    await page.getByRole("heading", { name: "Edit london-hire" }).waitFor();
    const [form] = (await admin("GET", "/api/custom-forms")).forms as { id: string; fields: unknown[]; access: unknown }[];
    expect(form!.access).toEqual({ level: "roleBased", roles: ["HR"] });
    expect(form!.fields.slice(0, 2)).toEqual([
      { name: "team", label: "Team", helpText: "Where they sit", dataProvider: "offices" },
      { name: "fullName", helpText: "As on the contract" },
    ]);
    expect(form!.fields).toContainEqual({ name: "office", hidden: true, default: "lon" });

    // A hidden field without a default: the server's message beside that field's default.
    await office.getByRole("textbox", { name: "Default of office" }).fill("");
    await settings.getByRole("button", { name: "Save form" }).click();
    await office.getByText("a hidden field needs a default value").waitFor();
    await office.getByRole("textbox", { name: "Default of office" }).fill("lon");
    await settings.getByRole("button", { name: "Save form" }).click();
    await settings.getByText("Saved.").waitFor();

    await settings.getByRole("link", { name: "Open it" }).click();
    await page.getByRole("heading", { name: "Hire in London" }).waitFor();
    await page.getByText("Where they sit").waitFor();
    // (Checked before the run: the result's status badge is the run page's, outside this page's scope.)
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole("textbox", { name: /^Full name/ }).fill("Ada Lovelace");
    await page.getByRole("textbox", { name: /^Team/ }).click();
    await page.getByRole("option", { name: "Berlin" }).click();
    await page.getByRole("button", { name: "Run" }).click();
    const result = page.getByRole("region", { name: "Result" });
    await result.getByText('"Ada Lovelace"').waitFor();
    await result.getByText('"lon"').waitFor();
    await result.getByText('"ber"').waitFor();

    await page.goto(`${base}/custom-forms`);
    const list = page.getByRole("table", { name: "Custom forms" });
    await list.getByText("HR").waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "custom-forms");
    await list.getByRole("button", { name: "Delete london-hire" }).click();
    await page.getByText("No custom forms yet").waitFor();
    await page.close();
  });

  it("the pages work at a phone's size", async () => {
    const phone = await launchBrowser({ viewport: PHONE });
    try {
      const page = await signInAs(phone, ADMIN.email, ADMIN.password, { base, next: `/tables/assets?scope=${contoso}` });
      await page.getByText("60 documents match").waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      for (const [path, heading] of [["/knowledge?scope=global", "Knowledge"], ["/custom-forms/new", "New custom form"]] as const) {
        await page.goto(`${base}${path}`);
        await page.getByRole("heading", { name: heading }).waitFor();
        expect(await accessibilityProblems(page)).toEqual([]);
      }
      // Nothing wider than the screen: no sideways scrolling of the whole page.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    } finally {
      await phone.close();
    }
  });

  it("pages a user may not use are not shown, and the API refuses them", async () => {
    await admin("POST", "/api/tables?scope=global", { name: "shared" });
    // An MSP member: tables and knowledge (global ones read-only), no form builder.
    let page = await pageAs(TECH, "/tables?scope=global");
    await page.getByRole("table", { name: "Tables" }).getByRole("link", { name: "shared" }).waitFor();
    expect(await page.getByRole("form", { name: "Create a table" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Drop shared" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Knowledge" }).count()).toBe(1);
    expect(await page.getByRole("link", { name: "Form builder" }).count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    const techStatus = await page.evaluate(async () => {
      const csrf = decodeURIComponent(/bifrost_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? "");
      const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-bifrost-csrf": csrf }, body: JSON.stringify(body) }).then((r) => r.status);
      return { table: await post("/api/tables?scope=global", { name: "mine" }), form: await post("/api/custom-forms", { name: "x", workflow: "hire" }) };
    });
    expect(techStatus).toEqual({ table: 403, form: 403 });
    await page.close();

    // A customer's member: none of the three.
    page = await pageAs(MEMBER, "/");
    await page.getByRole("heading", { name: "Home" }).waitFor();
    for (const name of ["Tables", "Knowledge", "Form builder"]) expect(await page.getByRole("link", { name }).count()).toBe(0);
    const statuses = await page.evaluate(async () => Promise.all(["/api/tables", "/api/knowledge/namespaces"].map((u) => fetch(u).then((r) => r.status))));
    expect(statuses).toEqual([403, 403]);
    await page.close();
  });
});
