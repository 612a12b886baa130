/**
 * Signing in and out in browser tests, shared by every web test file: the same steps a person
 * takes on the sign-in page, with controls found by role and accessible name.
 */
import type { Page } from "playwright-core";
import type { Browser } from "./browser.js";

/** Where the app under test is served; pass `base` per call, or set it once with {@link useApp}. */
let appBase: string | null = null;

/** Sets the app's address for later {@link signIn} calls (e.g. `useApp(t.platform.url!)` in beforeAll). */
export function useApp(base: string): void {
  appBase = base.replace(/\/$/, "");
}

function baseOf(options: { base?: string }): string {
  const base = options.base ?? appBase;
  if (!base) throw new Error("signIn: no app address (call useApp(url) first or pass { base })");
  return base.replace(/\/$/, "");
}

/**
 * Signs in on /login with an e-mail and password and waits for the page `next` leads to
 * (by default the Home page, recognised by its heading `expectHeading`).
 */
export async function signIn(
  page: Page,
  email: string,
  password: string,
  options: { base?: string; next?: string; expectHeading?: string } = {},
): Promise<void> {
  const next = options.next ? `?next=${encodeURIComponent(options.next)}` : "";
  await page.goto(`${baseOf(options)}/login${next}`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (options.expectHeading !== undefined || !options.next) {
    await page.getByRole("heading", { name: options.expectHeading ?? "Home" }).waitFor();
  } else {
    await page.waitForURL((url) => url.pathname === options.next!.split("?")[0]);
  }
}

/** Signs out through the user menu of `name` and waits for the sign-in page. */
export async function signOut(page: Page, name: string): Promise<void> {
  await page.getByRole("button", { name: `User menu of ${name}` }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

/** Whether the browser holds a Bifrost session cookie. */
export async function hasSession(browser: Browser): Promise<boolean> {
  return (await browser.context.cookies()).some((c) => c.name === "bifrost_session");
}

/** A new tab in `browser`, signed in as `email` unless the browser already holds a session. */
export async function newSignedInPage(browser: Browser, email: string, password: string, options: { base?: string } = {}): Promise<Page> {
  const page = await browser.context.newPage();
  if (!(await hasSession(browser))) await signIn(page, email, password, options);
  return page;
}

/** Drops every cookie, then signs in as someone else on a new tab (for a test that needs another user). */
export async function signInAs(browser: Browser, email: string, password: string, options: { base?: string; next?: string; expectHeading?: string } = {}): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await signIn(page, email, password, options);
  return page;
}
