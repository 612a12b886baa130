import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, REPO, cli, cliEnv, plain, startInstance, type Instance } from "./helpers.js";

interface LockEntry {
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * A package-lock.json for the scaffold's registry dependencies, cut from the monorepo's
 * own lockfile (same versions, same integrity hashes), so `npm install --offline` takes
 * every tarball from the npm cache the monorepo's install filled. The `file:` links to
 * the SDK and the CLI need no registry at all.
 */
function lockFor(project: string): void {
  const root = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  const packages: Record<string, LockEntry> = {};
  const queue: [string, string][] = Object.keys(pkg.devDependencies).filter((n) => !pkg.devDependencies[n].startsWith("file:")).map((n) => ["", n]);
  while (queue.length) {
    const [from, name] = queue.shift()!;
    // Node's lookup: the nearest node_modules/<name> at or above `from`.
    let at = from;
    let found: string | null = null;
    for (;;) {
      const key = `${at ? `${at}/` : ""}node_modules/${name}`;
      if (root.packages[key]) {
        found = key;
        break;
      }
      if (!at) break;
      const i = at.lastIndexOf("/node_modules/");
      at = i < 0 ? "" : at.slice(0, i);
    }
    if (!found || packages[found]) continue; // an optional dependency for another platform, or done
    const entry = root.packages[found]!;
    if (entry.link) continue;
    packages[found] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) queue.push([found, dep]);
  }
  const lock = {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies }, ...packages },
  };
  writeFileSync(join(project, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
}

/** The npm cache of the account running the tests (the CLI runs get a temporary HOME). */
const npmCache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();

function npm(args: string[], cwd: string, home: string) {
  return spawnSync("npm", args, { cwd, env: cliEnv(home, { npm_config_cache: npmCache, npm_config_update_notifier: "false" }), encoding: "utf8", timeout: 180_000 });
}

describe("bifrost init", () => {
  let b: Instance;
  let home: string;
  let project: string;

  beforeAll(async () => {
    b = await startInstance();
    home = mkdtempSync(join(tmpdir(), "bifrost-home-"));
    project = join(mkdtempSync(join(tmpdir(), "bifrost-init-")), "my-workflows");
  });
  afterAll(async () => {
    await b?.stop();
  });

  it("scaffolds a folder whose npm install, npm test and tsc pass, linked to this clone's SDK", async () => {
    const r = await cli(["init", project], { env: cliEnv(home) });
    expect(r.code).toBe(0);
    for (const file of ["package.json", "tsconfig.json", ".gitignore", "greet.ts", "test/greet.test.ts", "README.md"]) expect(existsSync(join(project, file))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    expect(pkg).toMatchObject({ name: "my-workflows", type: "module", dependencies: { bifrost: `file:${join(REPO, "packages/sdk")}` } });
    expect(pkg.devDependencies["@bifrost/cli"]).toBe(`file:${join(REPO, "packages/cli")}`);
    const tsconfig = JSON.parse(readFileSync(join(project, "tsconfig.json"), "utf8"));
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, noEmit: true });
    expect(readFileSync(join(project, ".gitignore"), "utf8")).toContain(".bifrost/");

    lockFor(project);
    let install = npm(["install", "--offline", "--no-audit", "--no-fund"], project, home);
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) {
      // A machine whose npm cache lacks a tarball: the registry has it.
      install = npm(["install", "--prefer-offline", "--no-audit", "--no-fund"], project, home);
    }
    expect(install.status, install.stderr).toBe(0);
    expect(statSync(join(project, "node_modules/bifrost")).isDirectory()).toBe(true);

    const test = npm(["test"], project, home);
    expect(test.status, test.stdout + test.stderr).toBe(0);
    expect(plain(test.stdout)).toMatch(/Tests\s+2 passed/);

    const tsc = npm(["exec", "--", "tsc"], project, home);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  }, 240_000);

  it("type-checks workflows against the SDK's real types", () => {
    writeFileSync(
      join(project, "wrong.ts"),
      `import { workflow, z } from "bifrost";\nexport const wrong = workflow({ timeoutSeconds: "soon", params: z.object({ n: z.int() }) }, async ({ n }) => n.toUpperCase());\n`,
    );
    const tsc = npm(["exec", "--", "tsc"], project, home);
    expect(tsc.status).not.toBe(0);
    expect(tsc.stdout).toContain("wrong.ts(2,");
    expect(tsc.stdout).toMatch(/timeoutSeconds|Type 'string' is not assignable to type 'number'/);
    expect(tsc.stdout).toContain("toUpperCase");
    // and a unit test that fails makes npm test fail
    writeFileSync(join(project, "test/fails.test.ts"), `import { expect, it } from "vitest";\nit("fails", () => expect(1).toBe(2));\n`);
    const test = npm(["test"], project, home);
    expect(test.status).not.toBe(0);
  }, 120_000);

  it("deploys the scaffold with its own npx bifrost, and the example runs on the instance", async () => {
    // fix the project again
    execFileSync("rm", ["-f", join(project, "wrong.ts"), join(project, "test/fails.test.ts")]);
    const env = cliEnv(home, { npm_config_cache: npmCache, BIFROST_URL: b.url, BIFROST_API_KEY: ADMIN_KEY, NO_COLOR: "1" });
    const deploy = spawnSync("npm", ["run", "deploy"], { cwd: project, env, encoding: "utf8", timeout: 60_000 });
    expect(deploy.status, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stderr).toMatch(/↑ ✓ greet\.ts → greet/);
    const tree = (await b.api("GET", "/api/files/editor/tree")).json.tree.children.map((c: { name: string }) => c.name);
    expect(tree).toEqual(["greet.ts"]); // not the tests, package.json, tsconfig or node_modules

    const run = spawnSync("npx", ["bifrost", "run", "greet", "--param", "name=Ada", "--param", "excited=true"], { cwd: project, env, encoding: "utf8", timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ greeting: "Hello, Ada!" });
    expect(run.stderr).toContain("INFO  Greeting Ada in the global scope");
  }, 120_000);

  it("refuses a folder that already has files, unless --force (which keeps them)", async () => {
    const r = await cli(["init", project], { env: cliEnv(home) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("is not empty");
    writeFileSync(join(project, "greet.ts"), "// my own\n");
    const forced = await cli(["init", project, "--force"], { env: cliEnv(home) });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(project, "greet.ts"), "utf8")).toBe("// my own\n");
  });
});
