/**
 * The first page's weight (issue 12: under 300 KB of JavaScript gzipped): the scripts
 * index.html loads, as built by `npm run build` (npm test builds first). The admin and build
 * pages, the run form, the charts and Monaco are loaded with their pages, not here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const DIST = join(import.meta.dirname, "../dist");

describe("the built app", () => {
  it("loads under 300 KB of JavaScript (gzipped) on its first page, and no Monaco", () => {
    const html = readFileSync(join(DIST, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    const bytes = scripts.map((s) => gzipSync(readFileSync(join(DIST, s)), { level: 9 }).length).reduce((a, b) => a + b, 0);
    expect(bytes).toBeLessThan(300 * 1024);
    for (const s of scripts) expect(readFileSync(join(DIST, s), "utf8")).not.toContain("monaco-editor");
  });
});
