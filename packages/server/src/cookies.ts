import type { FastifyReply, FastifyRequest } from "fastify";

export const SESSION_COOKIE = "bifrost_session";
/** Readable by the page's script, which echoes it in X-Bifrost-CSRF (double submit). */
export const CSRF_COOKIE = "bifrost_csrf";
export const CSRF_HEADER = "x-bifrost-csrf";

/** The request's cookies by name (the first of each name). */
export function cookiesOf(request: FastifyRequest): Record<string, string> {
  const header = request.headers.cookie;
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      out[name] = part.slice(eq + 1).trim();
    }
  }
  return out;
}

export interface CookieOptions {
  httpOnly: boolean;
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

/** Appends a Set-Cookie (SameSite=Lax, Path=/) without dropping ones already set. */
export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/", "SameSite=Lax", `Max-Age=${options.maxAge}`];
  if (options.maxAge === 0) parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  const existing = reply.getHeader("set-cookie");
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header("set-cookie", [...list, parts.join("; ")]);
}

/** Whether cookies must be Secure: served over https, or BIFROST_PUBLIC_URL is https. */
export function secureCookies(request: FastifyRequest, publicUrl: string | null): boolean {
  return request.protocol === "https" || (publicUrl?.startsWith("https://") ?? false);
}
