import type { BrowserContext, Page } from "playwright-core";

/**
 * Signs in through the login page (optionally sent on to `next`) and waits until the app
 * has left it. Shared by the browser tests.
 */
export async function signIn(page: Page, base: string, email: string, password: string, next?: string): Promise<void> {
  await page.goto(`${base}/login${next ? `?next=${encodeURIComponent(next)}` : ""}`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"), { timeout: 30_000 });
}

/** The headers a signed-in browser's own API calls carry (the CSRF double-submit token). */
export async function csrfHeaders(context: BrowserContext): Promise<Record<string, string>> {
  const token = (await context.cookies()).find((c) => c.name === "bifrost_csrf")?.value;
  return token ? { "x-bifrost-csrf": decodeURIComponent(token) } : {};
}
