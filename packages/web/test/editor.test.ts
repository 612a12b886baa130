/**
 * The editor page (issue 13) in a real Chromium against a real embedded platform: Monaco
 * bundled (no request leaves the server's origin), the SDK's types (completion, hover
 * docs, type errors), save with Ctrl-S and its registration result (load errors as
 * markers), the Run panel, the file tree (create, rename, delete), the unsaved-edit
 * confirmations, accessibility, and that an organization member has no editor.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../../server/test/helpers.js";
import { accessibilityProblems, launchBrowser, screenshot, type Browser } from "./browser.js";

const ADMIN = { email: "dev@msp.example", password: "the engineer writes code" };
const MEMBER = { email: "member@contoso.example", password: "the customer only runs" };

const WORKFLOWS = {
  "greet.ts": `import { workflow, z, logger } from "bifrost";

/** Says hello. */
export const greet = workflow(
  { name: "greet", description: "Say hello", executionMode: "sync", params: z.object({ name: z.string().min(1).meta({ title: "Name" }) }) },
  async ({ name }) => {
    logger.info("greeting " + name);
    return { greeting: "Hello, " + name + "!" };
  },
);
`,
  "notes/readme.md": "# Notes\n",
  "shared/texts.ts": `/** A greeting shared by several workflows. */
export function salute(name: string): string {
  return "Hi, " + name;
}
`,
  "uses-shared.ts": `import { workflow, z } from "bifrost";
import { salute } from "./shared/texts.js";

export const saluted = workflow({ name: "saluted", params: z.object({ name: z.string() }) }, async ({ name }) => salute(name));
`,
};

let t: TestPlatform;
let browser: Browser;
let base: string;
let orgId: string;

async function admin(method: string, url: string, payload?: unknown) {
  const res = await t.call({ method: method as "POST", url, payload: payload as object });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function signIn(page: Page, who: { email: string; password: string }, next = "/editor"): Promise<void> {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** A signed-in admin page on the editor, its Monaco ready. */
async function editorPage(): Promise<Page> {
  const page = await browser.context.newPage();
  if ((await browser.context.cookies()).some((c) => c.name === "bifrost_session")) await page.goto(`${base}/editor`);
  else await signIn(page, ADMIN);
  await page.getByRole("heading", { name: "Editor" }).waitFor({ timeout: 30_000 });
  await page.locator(".monaco-editor").waitFor({ timeout: 30_000 });
  return page;
}

const treeItem = (page: Page, name: string) => page.getByRole("tree", { name: "Files" }).getByRole("treeitem", { name, exact: false }).filter({ hasText: name }).last();

async function openFile(page: Page, ...segments: string[]): Promise<void> {
  for (const [i, name] of segments.entries()) {
    const item = page.getByRole("treeitem").filter({ has: page.getByText(name, { exact: true }) }).last();
    // Folders open on click; the last segment is the file.
    if (i < segments.length - 1 && (await item.getAttribute("aria-expanded")) === "true") continue;
    await item.locator("[data-value]").first().click();
  }
  await page.getByLabel("Open file").filter({ hasText: segments.join("/") }).waitFor();
}

/** Replaces the open file's text (insertText: no auto-closed brackets or quotes). */
async function setText(page: Page, text: string): Promise<void> {
  await page.locator(".monaco-editor .view-lines").click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

async function newFile(page: Page, path: string, template: string, name?: string): Promise<void> {
  await page.getByRole("button", { name: "New file" }).click();
  const dialog = page.getByRole("dialog", { name: "New file" });
  await dialog.getByLabel("Path").fill(path);
  await dialog.getByRole("textbox", { name: "Template" }).click();
  await page.getByRole("option", { name: template, exact: true }).click();
  if (name) await dialog.getByLabel("Workflow name").fill(name);
  await dialog.getByRole("button", { name: "Create" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByLabel("Open file").filter({ hasText: path }).waitFor();
}

/** Moves the mouse over `word` in the editor (a token span may hold more text: monospace, so by proportion). */
async function hoverWord(page: Page, word: string): Promise<void> {
  const span = page.locator(".view-lines span span", { hasText: word }).first();
  const text = (await span.textContent())!.replace(/\u00a0/g, " ");
  const box = (await span.boundingBox())!;
  const at = (text.indexOf(word) + word.length / 2) / text.length;
  await page.mouse.move(box.x + box.width * at, box.y + box.height / 2);
}

const problems = (page: Page) => page.getByRole("region", { name: "Problems" });

beforeAll(async () => {
  t = await startTestPlatform(WORKFLOWS, {}, { listen: true });
  base = t.platform.url!;
  orgId = (await admin("POST", "/api/organizations", { name: "Contoso" })).id;
  await admin("POST", "/api/users", { email: ADMIN.email, name: "Dana Dev", password: ADMIN.password, isPlatformAdmin: true });
  await admin("POST", "/api/users", { email: MEMBER.email, name: "Casey Customer", password: MEMBER.password, organizationId: orgId });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

// Generous limits: Monaco's TypeScript worker, the server and its workers share two loaded cores.
describe("the editor page", { timeout: 120_000 }, () => {
  it("loads Monaco without any request outside the server's origin; `tables.` offers `query` with its TSDoc", async () => {
    const foreign: string[] = [];
    const sameOrigin: string[] = [];
    await browser.context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin !== base) {
        foreign.push(url);
        return route.abort();
      }
      return route.continue();
    });
    browser.context.on("request", (r) => (new URL(r.url()).origin === base ? sameOrigin.push(r.url()) : r.url().startsWith("data:") || foreign.push(r.url())));
    const page = await editorPage();
    await newFile(page, "scratch/complete.ts", "Empty file");
    await setText(page, `import { tables } from "bifrost";\n\nexport async function find() {\n  return `);
    await page.keyboard.type("tables.");
    const suggestion = page.locator(".suggest-widget .monaco-list-row", { hasText: "query" }).first();
    try {
      await suggestion.waitFor({ timeout: 20_000 });
    } catch {
      // The TypeScript worker may still be reading the SDK's declarations: ask again.
      await page.keyboard.press("Control+Space");
      await suggestion.waitFor({ timeout: 30_000 });
    }
    await screenshot(page, "editor-completion");
    await page.keyboard.type("que");
    await page.locator(".suggest-widget .monaco-list-row.focused", { hasText: "query" }).waitFor();
    await page.keyboard.press("Enter");
    // Hover docs: the SDK's TSDoc for tables.query.
    await hoverWord(page, "query");
    await page.locator(".monaco-hover", { hasText: "Finds documents" }).first().waitFor({ timeout: 20_000 });

    expect(foreign).toEqual([]);
    expect(sameOrigin.some((u) => /ts\.worker-[\w-]+\.js$/.test(u))).toBe(true);
    expect(sameOrigin.some((u) => u.endsWith("/api/files/editor/types"))).toBe(true);
    await browser.context.unroute("**/*");
    await page.close({ runBeforeUnload: false });
  });

  it("a type error is a red squiggle and a problem; Ctrl-S saves and lists what registered", async () => {
    const page = await editorPage();
    await newFile(page, "scratch/typed.ts", "Workflow", "typed_flow");
    await page.getByRole("status", { name: "Registration" }).getByText("typed_flow").waitFor();
    await expect(problems(page).getByText("None.").count()).resolves.toBe(1);
    await page.locator(".monaco-editor .view-lines").click();
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.insertText(`\nconst count: number = "three";\n`);
    await treeItem(page, "typed.ts").filter({ hasText: "(unsaved changes)" }).waitFor();
    await problems(page).getByText("not assignable to type 'number'").waitFor({ timeout: 30_000 });
    await problems(page).getByText("TypeScript").first().waitFor();
    expect(await page.locator(".monaco-editor .squiggly-error").count()).toBeGreaterThan(0);
    await page.keyboard.press("ControlOrMeta+S");
    await page.getByRole("status", { name: "Registration" }).getByText(/Saved .* \(\d+ ms\)/).waitFor();
    expect(await treeItem(page, "typed.ts").filter({ hasText: "(unsaved changes)" }).count()).toBe(0);
    await page.close();
  });

  it("imports between workspace files resolve in the browser as on the server: no false error, and a wrong use is one", async () => {
    const page = await editorPage();
    await openFile(page, "uses-shared.ts");
    await page.locator(".monaco-editor .view-lines").getByText("salute(name)").first().waitFor();
    // Give the TypeScript service time to check the file: an unresolved import would be an error by now.
    await page.waitForTimeout(1500);
    await expect.poll(() => problems(page).getByText("None.").count(), { timeout: 20_000 }).toBe(1);
    await page.locator(".monaco-editor .view-lines").click();
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.insertText(`\nconst wrong: number = salute("x");\n`);
    await problems(page).getByText("not assignable to type 'number'").waitFor({ timeout: 30_000 });
    await page.close({ runBeforeUnload: false });
  });

  it("saving a broken file shows the load error as a marker at its line and column, within a second", async () => {
    const page = await editorPage();
    await newFile(page, "scratch/broken.ts", "Empty file");
    await setText(page, `import { workflow } from "bifrost";\n\nexport const badName = workflow({ name: "has spaces" }, async () => 1);\n`);
    const started = Date.now();
    await page.keyboard.press("ControlOrMeta+S");
    const status = page.getByRole("status", { name: "Registration" });
    await status.getByText("1 load error").waitFor();
    const elapsed = Date.now() - started;
    console.log(`save → load error shown: ${elapsed} ms`);
    await problems(page).getByText("Load error").waitFor();
    await expect(problems(page).textContent()).resolves.toContain("line 3, column 14");
    await expect(problems(page).textContent()).resolves.toContain("option name");
    await page.locator(".monaco-editor .squiggly-error").first().waitFor();
    // The marker spans the export's name: hovering it shows the server's message.
    await hoverWord(page, "badName");
    await page.locator(".monaco-hover", { hasText: "must start with a letter" }).first().waitFor({ timeout: 20_000 });
    await screenshot(page, "editor-load-error");
    expect(elapsed).toBeLessThan(3_000);
    await page.close();
  });

  it("runs the workflow under the cursor from the side panel: live log and result", async () => {
    const page = await editorPage();
    await openFile(page, "greet.ts");
    await page.locator(".view-line", { hasText: "greeting" }).first().click();
    const panel = page.getByRole("region", { name: "Run panel" });
    await panel.getByRole("heading", { name: "greet" }).waitFor();
    await panel.getByLabel("Name").fill("Ada");
    await panel.getByRole("button", { name: "Run", exact: true }).click();
    const output = panel.getByRole("region", { name: "Run output" });
    await output.getByRole("log", { name: "Run log" }).getByText("greeting Ada").waitFor({ timeout: 30_000 });
    await output.getByRole("region", { name: "Result" }).getByText("Hello, Ada!").waitFor({ timeout: 30_000 });
    await output.getByText("Success").waitFor();
    await screenshot(page, "editor");
    // Test mode: runs now, once, as a test run.
    await panel.getByText("Test", { exact: true }).click();
    await panel.getByLabel("Name").fill("Bo");
    await panel.getByRole("button", { name: "Run", exact: true }).click();
    await panel.getByRole("region", { name: "Result" }).getByText("Hello, Bo!").waitFor({ timeout: 30_000 });
    const runs = (await t.call({ method: "GET", url: "/api/executions?workflow=greet" })).json();
    const triggers = (runs.executions as { trigger: string }[]).map((e) => e.trigger).sort();
    expect(triggers).toEqual(["api", "test"]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });

  it("creates, renames and deletes a file in the tree (with a validation error and a conflict shown)", async () => {
    const page = await editorPage();
    await page.getByRole("button", { name: "New file" }).click();
    const dialog = page.getByRole("dialog", { name: "New file" });
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.getByText("Name the file").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();

    await newFile(page, "tickets/todo.ts", "Scheduled workflow", "todo_sweep");
    await page.getByRole("status", { name: "Registration" }).getByText("todo_sweep").waitFor();
    expect(existsSync(join(t.workspace, "tickets/todo.ts"))).toBe(true);
    await treeItem(page, "todo.ts").waitFor();
    await screenshot(page, "editor-tree");

    // Rename onto an existing file: the server's 409 shows in the dialog.
    await page.getByRole("button", { name: "Rename or move" }).click();
    const move = page.getByRole("dialog", { name: "Rename or move todo.ts" });
    await move.getByLabel("New path").fill("greet.ts");
    await move.getByRole("button", { name: "Move" }).click();
    await move.getByText('"greet.ts" already exists').waitFor();
    await move.getByLabel("New path").fill("tickets/done.ts");
    await move.getByRole("button", { name: "Move" }).click();
    await move.waitFor({ state: "detached" });
    await treeItem(page, "done.ts").waitFor();
    // (The tree is read again after the change: wait for it rather than read it once.)
    await expect.poll(() => page.getByRole("treeitem").filter({ hasText: "todo.ts" }).count(), { timeout: 10_000 }).toBe(0);
    await page.getByLabel("Open file").filter({ hasText: "tickets/done.ts" }).waitFor();
    expect(existsSync(join(t.workspace, "tickets/done.ts"))).toBe(true);
    expect((await admin("GET", "/api/workflows/todo_sweep")).filePath).toBe("tickets/done.ts");

    await page.getByRole("button", { name: "Delete" }).click();
    const del = page.getByRole("dialog", { name: "Delete done.ts?" });
    await del.getByRole("button", { name: "Delete" }).click();
    await del.waitFor({ state: "detached" });
    await page.getByLabel("Open file").filter({ hasText: "No file open" }).waitFor();
    // (The tree is read again after the change: wait for it rather than read it once.)
    await expect.poll(() => page.getByRole("treeitem").filter({ hasText: "done.ts" }).count(), { timeout: 10_000 }).toBe(0);
    expect(existsSync(join(t.workspace, "tickets/done.ts"))).toBe(false);
    expect((await t.call({ method: "GET", url: "/api/workflows/todo_sweep" })).statusCode).toBe(404);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });

  it("asks before losing unsaved edits: switching file, leaving the page, closing the tab", async () => {
    const page = await editorPage();
    await openFile(page, "greet.ts");
    await page.locator(".view-line", { hasText: "Says hello" }).first().click();
    await page.keyboard.press("End");
    await page.keyboard.insertText(" Edited.");
    await treeItem(page, "greet.ts").filter({ hasText: "(unsaved changes)" }).waitFor();

    // Switching file: "Keep editing" keeps the edit.
    await openFile(page, "notes", "readme.md").catch(() => undefined);
    const confirm = page.getByRole("dialog", { name: "Discard unsaved changes?" });
    await confirm.waitFor();
    await screenshot(page, "editor-unsaved");
    await confirm.getByRole("button", { name: "Keep editing" }).click();
    await page.getByLabel("Open file").filter({ hasText: "greet.ts ●" }).waitFor();
    await page.locator(".view-line", { hasText: "Edited." }).waitFor();

    // Another page of the app: asked too.
    await page.getByRole("link", { name: "Home" }).click();
    await confirm.waitFor();
    await confirm.getByRole("button", { name: "Keep editing" }).click();
    expect(new URL(page.url()).pathname).toBe("/editor");

    // Closing the tab: the browser's own prompt (beforeunload).
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.type());
      void d.dismiss();
    });
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => dialogs, { timeout: 10_000 }).toEqual(["beforeunload"]);
    expect(page.isClosed()).toBe(false);

    // Discarding goes on: here to Home; the file on disk is unchanged.
    await page.getByRole("link", { name: "Home" }).click();
    await confirm.getByRole("button", { name: "Discard changes" }).click();
    await page.getByRole("heading", { name: "Home" }).waitFor();
    expect((await admin("GET", "/api/files/editor/file?path=greet.ts")).content).not.toContain("Edited.");
    await page.close();
  });

  it("an organization member sees no editor, and its API answers 403", async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await signIn(page, MEMBER, "/");
    await page.getByRole("heading", { name: "Home" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Editor" }).count()).toBe(0);
    const statuses = await page.evaluate(async () =>
      Promise.all(["/api/files/editor/tree", "/api/files/editor/file?path=greet.ts", "/api/files/editor/types"].map(async (u) => (await fetch(u)).status)),
    );
    expect(statuses).toEqual([403, 403, 403]);
    await page.goto(`${base}/editor`);
    await page.getByRole("alert").filter({ hasText: "No access to the editor" }).waitFor();
    expect(await page.locator(".monaco-editor").count()).toBe(0);
    await browser.context.clearCookies();
    await page.close();
  });
});
