import { mkdtempSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { CLI, cli, cliEnv } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "bifrost-home-"));
const env = cliEnv(home, { NO_COLOR: "1" });

const ENGINEER_COMMANDS = [
  ["login"],
  ["logout"],
  ["whoami"],
  ["init"],
  ["watch"],
  ["pull"],
  ["run"],
  ["executions"],
  ["executions", "list"],
  ["executions", "get"],
  ["executions", "logs"],
  ["workflows"],
  ["workflows", "list"],
  ["workflows", "get"],
  ["api"],
];

/** Every module a file imports, following relative imports (static and dynamic) through the built CLI. */
function importGraph(entry: string, skip: (file: string) => boolean): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.includes(file) || skip(file)) return;
    files.push(file);
    // TypeScript's import scanner: static and dynamic imports, not text inside strings.
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe("bifrost --help", () => {
  it("lists every command, and `bifrost` alone prints the same help", async () => {
    const help = await cli(["--help"], { env });
    expect(help.code).toBe(0);
    for (const command of ["start", "server", "worker", "scheduler", "admin-key", "login", "logout", "whoami", "init", "watch", "pull", "run", "executions", "workflows", "api", "sdk"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
    const bare = await cli([], { env });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe(help.stdout);
  });

  it("gives every engineer command its options and examples", async () => {
    const results = await Promise.all(ENGINEER_COMMANDS.map((c) => cli([...c, "--help"], { env })));
    results.forEach((r, i) => {
      const name = ENGINEER_COMMANDS[i]!.join(" ");
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: bifrost ${name}`);
      expect(r.stdout, name).toContain("Examples:");
      expect(r.stdout, name).toMatch(/\n {2}bifrost /);
    });
    const run = results[ENGINEER_COMMANDS.findIndex((c) => c.join(" ") === "run")]!;
    expect(run.stdout).toContain("Exit status: 0 Success · 1 Failed, Timeout, Cancelled or Stuck · 2 CompletedWithErrors");
  });

  it("answers a mistake with one line and exit 3 (bad input)", async () => {
    const unknown = await cli(["wach"], { env });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("unknown command 'wach'");
    expect(unknown.stderr).toContain("Did you mean watch?");
    const missing = await cli(["run"], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("missing required argument 'workflow'");
    const badChoice = await cli(["run", "x", "--output", "yaml"], { env });
    expect(badChoice.code).toBe(3);
    expect(badChoice.stderr).toContain("Allowed choices are result, json");
  });

  it("loads no platform package for the engineer commands (only for start, server, worker, scheduler, admin-key, and the SDK generator)", () => {
    const roles = resolve(dirname(CLI), "roles.js");
    const sdkGenerator = resolve(dirname(CLI), "commands/sdk.js");
    const { files, packages } = importGraph(CLI, (f) => f === roles || f === sdkGenerator);
    expect(files.length).toBeGreaterThan(10); // the graph was followed into commands/ and lib/
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    expect([...packages].filter((p) => !builtins.has(p))).toEqual(["commander"]);
    // the roles module is where the platform comes in
    expect(importGraph(roles, () => false).packages).toContain("@bifrost/server/platform.js");
    expect(importGraph(sdkGenerator, () => false).packages).toContain("@bifrost/server/features/sdk-generator/generator.js");
  });

  it("still runs the process roles: admin-key makes a key in the data folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-data-"));
    const r = await cli(["admin-key", "laptop"], { env: { ...env, BIFROST_DATA_DIR: dir }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^bfk_[A-Za-z0-9_-]{43}$/);
  });
});
