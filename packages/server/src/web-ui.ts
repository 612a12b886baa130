import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import fastifyStatic from "@fastify/static";

/** Where `npm run build` puts the web app (packages/web/dist), seen from packages/server/dist. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/dist/", import.meta.url));

/**
 * Serves the built web app from the API's own process: hashed files under /assets are
 * cached for a year (their names change with their content), index.html never (so a new
 * build is picked up at once), and every other GET outside /api answers index.html for the
 * app's router. /api is untouched: an unknown /api path stays a JSON 404.
 */
export async function registerWebUi(app: FastifyInstance, dir: string | null = DEFAULT_WEB_DIR): Promise<boolean> {
  if (!dir || !existsSync(`${dir}/index.html`)) return false;
  await app.register(fastifyStatic, {
    root: dir,
    wildcard: false,
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader("cache-control", /[\\/]assets[\\/]/.test(path) ? "public, max-age=31536000, immutable" : "no-cache");
      res.setHeader("x-content-type-options", "nosniff");
    },
  });
  app.get("/*", (request, reply) => {
    const path = request.url.split("?")[0]!;
    if (path === "/api" || path.startsWith("/api/")) {
      return reply.status(404).send({ error: { code: "not_found", message: `No route ${request.method} ${path}` } });
    }
    // A missing hashed file is a 404, not the app (a stale tab asking for an old chunk).
    if (path.startsWith("/assets/")) return reply.status(404).send({ error: { code: "not_found", message: `No file ${path}` } });
    return reply.header("cache-control", "no-cache").sendFile("index.html");
  });
  return true;
}
