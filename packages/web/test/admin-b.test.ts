/**
 * Admin pages, part B (issue 13) in a real Chromium against a real embedded platform:
 * integrations (definitions, mappings, the OAuth Connect flow against a real oidc-provider),
 * AI providers (a key never shown again) and the scope's choice, agents, and the agent chat
 * streaming from a real OpenAI-compatible server with a tool call linking to its run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { freePort, startTestPlatform, type TestPlatform } from "../../server/test/helpers.js";
import { CLIENTS, startOAuthServer, type OAuthServer } from "../../server/test/oauth-server.js";
import { startLlmServer, type LlmServer } from "../../server/test/llm-server.js";
import { accessibilityProblems, launchBrowser, screenshotFromTop as shot, type Browser } from "./browser.js";
import { newSignedInPage, signIn, useApp } from "./session.js";
import { adminCall } from "./platform.js";

const ADMIN = { email: "root@msp.example", password: "root signs in to administer" };
const ORG_ADMIN = { email: "admin@contoso.example", password: "contoso's own administrator" };
const MEMBER = { email: "member@contoso.example", password: "a member of contoso only" };
const LLM_KEY = "sk-admin-b-provider-key-5f1e9c";

const FILES = {
  "tools.ts": `
import { tool, workflow, z } from "bifrost";
export const lookupUser = tool(
  { name: "lookup_user", description: "Find a user by e-mail", params: z.object({ email: z.email() }) },
  async ({ email }) => ({ email, name: "Ada Lovelace", office: "London" }),
);
export const plain = workflow({ name: "plain_workflow", description: "Not a tool" }, async () => "plain");
`,
};

let t: TestPlatform;
let oauth: OAuthServer;
let llm: LlmServer;
let browser: Browser;
let base: string;
/** Calls the API as the platform admin key (see platform.ts). */
const admin = (method: string, url: string, payload?: unknown, org?: string) => adminCall(t, method, url, payload, org);
let contoso: string;
/** Every API answer the browser received (bodies), to prove a secret never came back. */
const answers: string[] = [];

async function adminPage(): Promise<Page> {
  const page = await newSignedInPage(browser, ADMIN.email, ADMIN.password);
  page.on("response", async (res) => {
    if (!res.url().includes("/api/")) return;
    answers.push(await res.text().catch(() => ""));
  });
  return page;
}

/** Picks `option` in the Mantine select labelled `label` inside `scope`. */
async function choose(page: Page, scope: ReturnType<Page["getByRole"]>, label: string, option: string) {
  await scope.getByRole("textbox", { name: label }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

beforeAll(async () => {
  llm = await startLlmServer({ apiKey: LLM_KEY });
  t = await startTestPlatform(FILES, {}, { listen: true });
  base = t.platform.url!;
  useApp(base);
  oauth = await startOAuthServer(await freePort(), [`${base}/api/oauth/callback`]);
  contoso = (await admin("POST", "/api/organizations", { name: "Contoso" })).id;
  await admin("POST", "/api/users", { email: ADMIN.email, name: "Root Admin", password: ADMIN.password, isPlatformAdmin: true });
  await admin("POST", "/api/users", { email: ORG_ADMIN.email, name: "Olga Orgadmin", password: ORG_ADMIN.password, organizationId: contoso, isOrgAdmin: true });
  await admin("POST", "/api/users", { email: MEMBER.email, name: "Molly Member", password: MEMBER.password, organizationId: contoso });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await oauth?.close();
  await llm?.close();
});

describe("admin pages, part B", { timeout: 90_000 }, () => {
  it("integrations: a definition's field error, create, edit, map, Connect through the provider, disconnect, delete", async () => {
    const page = await adminPage();
    await page.goto(`${base}/integrations`);
    await page.getByText("No integrations yet").waitFor();
    const create = page.getByRole("form", { name: "New integration" });
    await create.getByRole("textbox", { name: "Name", exact: true }).fill("graph");
    await create.getByLabel("Uses OAuth").check();
    await create.getByLabel("Token URL").fill(`${oauth.url}/token`);
    await create.getByLabel("Client ID").fill(CLIENTS.post.id);
    await create.getByRole("button", { name: "Create integration" }).click();
    // The server's 422, beside its field.
    await create.getByText("is required for the authorization_code flow").waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    await create.getByLabel("Authorize URL").fill(`${oauth.url}/auth`);
    await create.getByLabel("Scopes").fill("openid offline_access api:read");
    await create.getByLabel("Client secret").fill(CLIENTS.post.secret);
    await create.getByLabel("Description").fill("Microsoft Graph");
    await create.getByRole("button", { name: "Create integration" }).click();
    await page.getByRole("heading", { name: "Integration graph" }).waitFor();
    await page.goto(`${base}/integrations`);
    await page.getByRole("table", { name: "Integrations" }).getByRole("cell", { name: "Microsoft Graph" }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, "integrations");
    await page.getByRole("link", { name: "graph", exact: true }).click();
    await page.getByRole("heading", { name: "Integration graph" }).waitFor();

    // Edit: the secret box is empty (the stored one is never sent), saving keeps it.
    const definition = page.getByRole("form", { name: "Edit integration graph" });
    expect(await definition.getByLabel("Client secret").inputValue()).toBe("");
    await definition.getByText("A secret is stored (never shown)").waitFor();
    await definition.getByLabel("Description").fill("Microsoft Graph for customers");
    await definition.getByRole("button", { name: "Save definition" }).click();
    await page.getByText("Microsoft Graph for customers", { exact: true }).first().waitFor();
    const described = await admin("GET", "/api/integrations/graph");
    expect(described).toMatchObject({ description: "Microsoft Graph for customers", oauth: { clientSecretSet: true, scopes: ["openid", "offline_access", "api:read"] } });

    // Map it to Contoso; then Connect runs the authorization in a popup and comes back connected.
    const map = page.getByRole("form", { name: "Map to an organization" });
    await choose(page, map, "Organization", "Contoso");
    await map.getByLabel("Entity ID").fill("tenant-a");
    await map.getByLabel("Entity name").fill("Contoso tenant");
    await map.getByRole("button", { name: "Save mapping" }).click();
    const row = page.getByRole("row", { name: "Mapping for Contoso" });
    await row.getByText("not connected").waitFor();
    const popupOpened = page.waitForEvent("popup");
    await row.getByRole("button", { name: "Connect Contoso", exact: true }).click();
    const popup = await popupOpened;
    // The provider signs the user in and asks for consent, then sends the browser to the callback.
    await popup.waitForURL(/\/api\/oauth\/callback\?/, { timeout: 30_000 });
    await row.getByText("connected", { exact: true }).waitFor({ timeout: 30_000 });
    const expires = await row.getByText(/^expires /).textContent();
    const mapping = await admin("GET", `/api/integrations/graph/mappings/${contoso}`);
    expect(mapping.connection).toMatchObject({ status: "connected", hasRefreshToken: true });
    expect(expires).toBe(`expires ${await page.evaluate((iso) => new Date(iso).toLocaleString(), mapping.connection.expiresAt as string)}`);
    await expect.poll(() => popup.isClosed(), { timeout: 10_000 }).toBe(true);
    expect(oauth.count("authorization_code")).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, "integration");
    expect(answers.join("\n")).not.toContain(CLIENTS.post.secret);

    await row.getByRole("button", { name: "Disconnect Contoso" }).click();
    await row.getByText("not connected").waitFor();
    await row.getByRole("button", { name: "Delete mapping for Contoso" }).click();
    await page.getByText("Not mapped yet").waitFor();
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete integration" }).click();
    await page.getByRole("heading", { name: "Integrations" }).waitFor();
    await page.getByText("No integrations yet").waitFor();
    expect((await t.call({ method: "GET", url: "/api/integrations/graph" })).statusCode).toBe(404);
    await page.close();
  });

  it("AI providers: a field error, create with a key never shown again, edit, the scope's chat choice, delete", async () => {
    const page = await adminPage();
    await page.goto(`${base}/ai`);
    await page.getByText("No AI providers yet").waitFor();
    const create = page.getByRole("form", { name: "New provider" });
    await create.getByRole("textbox", { name: "Name", exact: true }).fill("loopback");
    await create.getByLabel("API key").fill(LLM_KEY);
    await create.getByLabel("Chat model").fill("test-chat");
    await create.getByRole("button", { name: "Add provider" }).click();
    await create.getByText("is required for an openai-compatible provider").waitFor();
    await create.getByLabel("Base URL").fill(llm.url);
    await create.getByRole("button", { name: "Add provider" }).click();
    const table = page.getByRole("table", { name: "AI providers" });
    await table.getByRole("cell", { name: "loopback", exact: true }).waitFor();
    await table.getByText("stored").waitFor();
    expect(await create.getByLabel("API key").inputValue()).toBe("");

    // A second provider, to edit and delete.
    await create.getByRole("textbox", { name: "Name", exact: true }).fill("spare");
    await create.getByLabel("Base URL").fill("http://127.0.0.1:9/v1");
    await create.getByRole("button", { name: "Add provider" }).click();
    await table.getByRole("cell", { name: "spare", exact: true }).waitFor();
    await table.getByRole("button", { name: "Edit spare" }).click();
    const edit = page.getByRole("form", { name: "Edit provider spare" });
    await edit.getByLabel("Chat model").fill("spare-chat");
    await edit.getByRole("button", { name: "Save provider" }).click();
    await table.getByRole("cell", { name: "spare-chat" }).waitFor();
    await table.getByRole("button", { name: "Edit loopback" }).click();
    const editLoopback = page.getByRole("form", { name: "Edit provider loopback" });
    expect(await editLoopback.getByLabel("API key").inputValue()).toBe("");
    await editLoopback.getByText("A key is stored (never shown)").waitFor();
    await editLoopback.getByRole("button", { name: "Cancel" }).click();
    await table.getByRole("button", { name: "Delete spare" }).click();
    await table.getByRole("cell", { name: "spare", exact: true }).waitFor({ state: "detached" });

    const settings = page.getByRole("form", { name: "Models this scope uses" });
    await choose(page, settings, "Chat provider", "loopback (global, test-chat)");
    await settings.getByRole("button", { name: "Save choice" }).click();
    await settings.getByText("Saved.").waitFor();
    expect((await admin("GET", "/api/ai/settings")).chatProvider).toMatchObject({ name: "loopback" });
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, "ai-providers");

    // The key is in no page and no API answer after saving (the browser's, and the API read directly).
    await page.reload();
    await table.getByRole("cell", { name: "loopback", exact: true }).waitFor();
    expect(await page.content()).not.toContain(LLM_KEY);
    const direct = [await t.call({ method: "GET", url: "/api/ai/providers" }), await t.call({ method: "GET", url: "/api/ai/settings" }), await t.call({ method: "GET", url: "/api/ai/model-info" })];
    const [listed] = direct;
    direct.push(await t.call({ method: "GET", url: `/api/ai/providers/${listed!.json().providers[0].id}` }));
    for (const res of direct) expect(res.body).not.toContain(LLM_KEY);
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.join("\n")).not.toContain(LLM_KEY);
    await page.close();
  });

  it("agents: a field error, create with a tool, edit; the chat streams the answer and links the tool call to its run; delete", async () => {
    const page = await adminPage();
    await page.goto(`${base}/agents`);
    await page.getByText("No agents yet").waitFor();
    const create = page.getByRole("form", { name: "New agent" });
    await create.getByRole("textbox", { name: "Name", exact: true }).fill("help desk");
    await create.getByLabel("System prompt").fill("You are the helpdesk. Use the tools.");
    await create.getByRole("textbox", { name: "Tools" }).click();
    // Only isTool workflows are offered.
    expect(await page.getByRole("option", { name: /plain_workflow/ }).count()).toBe(0);
    await page.getByRole("option", { name: /^lookup_user/ }).click();
    await create.getByRole("textbox", { name: "Name", exact: true }).click();
    await create.getByRole("button", { name: "Create agent" }).click();
    await create.getByText("may use letters, digits and _ . - only").waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await create.getByRole("textbox", { name: "Name", exact: true }).fill("helpdesk");
    await create.getByRole("button", { name: "Create agent" }).click();
    const table = page.getByRole("table", { name: "Agents" });
    await table.getByRole("cell", { name: "helpdesk", exact: true }).waitFor();
    await table.getByRole("button", { name: "Edit helpdesk" }).click();
    const edit = page.getByRole("form", { name: "Edit agent helpdesk" });
    await edit.getByLabel("Description").fill("Answers questions about accounts");
    await edit.getByLabel("Max iterations").fill("4");
    await edit.getByRole("button", { name: "Save agent" }).click();
    await table.getByRole("cell", { name: "Answers questions about accounts" }).waitFor();
    expect((await admin("GET", "/api/agents/helpdesk")).maxIterations).toBe(4);
    await shot(page, "agents");

    // The chat: the model calls the tool, then answers in many streamed pieces.
    const answer = `Ada Lovelace works in the London office. ${"She has an active account and a licence. ".repeat(12)}`.trim();
    llm.enqueue({ toolCalls: [{ name: "lookup_user", arguments: { email: "ada@example.com" } }] }, { content: answer });
    await table.getByRole("link", { name: "Chat with helpdesk" }).click();
    await page.getByRole("heading", { name: "Chat with helpdesk" }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    // Every text the answer showed on its way (to see it grow piece by piece).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const text = document.querySelector("[data-testid=answer]")?.textContent ?? "";
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole("textbox", { name: "Message" }).fill("Who is ada@example.com?");
    await page.getByRole("button", { name: "Send" }).click();
    const conversation = page.getByRole("log", { name: "Conversation" });
    await conversation.getByText(answer, { exact: true }).waitFor();
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen.map((s) => s.replace(/▍$/, "")));
    const partial = seen.filter((s) => s.length > 0 && s !== answer && answer.startsWith(s));
    expect(partial.length).toBeGreaterThan(1);
    const link = conversation.getByRole("link", { name: "Tool lookup_user: open its run" });
    await link.waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, "agent-chat");
    const href = (await link.getAttribute("href"))!;
    const run = await admin("GET", `/api/executions/${href.split("/").at(-1)}`);
    expect(run).toMatchObject({ workflowName: "lookup_user", trigger: "agent", status: "Success" });
    await link.click();
    await page.getByRole("heading", { name: "lookup_user" }).waitFor();

    await page.goto(`${base}/agents`);
    await table.getByRole("button", { name: "Delete helpdesk" }).click();
    await page.getByText("No agents yet").waitFor();
    expect((await t.call({ method: "GET", url: "/api/agents/helpdesk" })).statusCode).toBe(404);
    await page.close();
  });

  it("an organization member sees no integrations or AI provider pages, and their API refuses it", async () => {
    const other = await launchBrowser();
    try {
      const page = await other.context.newPage();
      await signIn(page, MEMBER.email, MEMBER.password);
      await page.getByRole("link", { name: "Agents" }).waitFor();
      expect(await page.getByRole("link", { name: "Integrations" }).count()).toBe(0);
      expect(await page.getByRole("link", { name: "AI providers" }).count()).toBe(0);
      await page.goto(`${base}/agents`);
      await page.getByRole("heading", { name: "Agents" }).waitFor();
      expect(await page.getByRole("form", { name: "New agent" }).count()).toBe(0);
      const status = (path: string, method = "GET") =>
        page.evaluate(async ([p, m]) => (await fetch(p!, { method: m, headers: { "x-bifrost-csrf": decodeURIComponent(/bifrost_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? "") } })).status, [path, method]);
      expect(await status("/api/integrations")).toBe(403);
      expect(await status("/api/ai/providers")).toBe(403);
      expect(await status("/api/oauth/graph/authorize", "POST")).toBe(403);
    } finally {
      await other.close();
    }
  });

  it("an organization admin sees its own mapping and may connect it, but not define or map integrations", async () => {
    await admin("POST", "/api/integrations", {
      name: "psa",
      description: "The PSA",
      oauth: { flow: "authorization_code", authorizeUrl: `${oauth.url}/auth`, tokenUrl: `${oauth.url}/token`, clientId: CLIENTS.post.id, clientSecret: CLIENTS.post.secret, scopes: ["openid"] },
    });
    await admin("PUT", `/api/integrations/psa/mappings/${contoso}`, { entityId: "tenant-b", entityName: "Contoso at the PSA" });
    await admin("PUT", "/api/integrations/psa/mappings/global", { entityId: "tenant-x" });
    const other = await launchBrowser();
    try {
      const page = await other.context.newPage();
      await signIn(page, ORG_ADMIN.email, ORG_ADMIN.password);
      await page.getByRole("link", { name: "Integrations" }).click();
      await page.getByRole("link", { name: "psa", exact: true }).click();
      const row = page.getByRole("row", { name: "Mapping for Contoso" });
      await row.getByRole("button", { name: "Connect Contoso", exact: true }).waitFor();
      // Only its own organization's mapping; no editing of mappings or the definition.
      expect(await page.getByRole("row", { name: "Mapping for Global" }).count()).toBe(0);
      expect(await row.getByRole("button", { name: /^(Edit|Delete) mapping/ }).count()).toBe(0);
      expect(await page.getByRole("form", { name: "Map to an organization" }).count()).toBe(0);
      expect(await page.getByRole("form", { name: /Edit integration/ }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Delete integration" }).count()).toBe(0);
      expect(await accessibilityProblems(page)).toEqual([]);
      // Its Connect works as the platform admin's did: the popup, the provider, back connected.
      const popupOpened = page.waitForEvent("popup");
      await row.getByRole("button", { name: "Connect Contoso", exact: true }).click();
      await (await popupOpened).waitForURL(/\/api\/oauth\/callback\?/, { timeout: 30_000 });
      await row.getByText("connected", { exact: true }).waitFor({ timeout: 30_000 });
      expect((await admin("GET", `/api/integrations/psa/mappings/${contoso}`)).connection.status).toBe("connected");
      expect((await admin("GET", "/api/integrations/psa/mappings/global")).connection.status).toBe("not_connected");

      // The provider revokes the refresh token: the next refresh fails, and the page says so.
      const tokens = (await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "integrations.get", args: ["psa"] }, org: contoso })).json().value.oauth;
      await oauth.revoke(tokens.refreshToken, CLIENTS.post);
      expect((await t.call({ method: "POST", url: `/api/integrations/psa/refresh?scope=${contoso}` })).statusCode).toBe(409);
      await page.reload();
      await row.getByText("needs re-authorization").waitFor();
      await row.getByText(/invalid_grant/).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await shot(page, "integration-reauth");
      const again = page.waitForEvent("popup");
      await row.getByRole("button", { name: "Connect Contoso", exact: true }).click();
      await (await again).waitForURL(/\/api\/oauth\/callback\?/, { timeout: 30_000 });
      await row.getByText("connected", { exact: true }).waitFor({ timeout: 30_000 });
    } finally {
      await other.close();
    }
  });
});
