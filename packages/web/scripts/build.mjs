// `npm run build` builds the web app only when a source file is newer than the last build,
// so `npm test` and `npm start` stay quick; `--force` always builds.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = join(root, "dist", "index.html");

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

// (The lockfile too: an upgraded dependency is a new build; and the contracts the app imports.)
const inputs = ["src", "index.html", "vite.config.ts", "package.json", "tsconfig.json", "../contracts/src", "../../package-lock.json"].map((p) => join(root, p)).filter((p) => existsSync(p));
const stale = process.argv.includes("--force") || !existsSync(built) || Math.max(...inputs.map(newest)) > statSync(built).mtimeMs;
if (!stale) process.exit(0);
const bin = [join(root, "node_modules/vite/bin/vite.js"), join(root, "../../node_modules/vite/bin/vite.js")].find((p) => existsSync(p));
if (!bin) throw new Error("vite is not installed: run npm install");
const vite = spawnSync(process.execPath, [bin, "build", "--logLevel", "warn"], { stdio: "inherit", cwd: root });
process.exit(vite.status ?? 1);
