import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliEnv, REPO } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "bifrost-home-"));
const env = cliEnv(home, { NO_COLOR: "1" });
const HALO = join(REPO, "packages/server/test/fixtures/sdk/halopsa.yaml");
const NINJA = join(REPO, "packages/server/test/fixtures/sdk/ninja-swagger2.json");

describe("bifrost sdk generate", () => {
  it("writes sdks/<name>.ts into the workspace folder, from YAML or Swagger 2.0, with no instance", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-ws-"));
    const r = await cli(["sdk", "generate", HALO, "--name", "halo", "--integration", "halopsa"], { env, cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Wrote sdks/halo.ts: HaloPSA-style Service Desk API 2.1.0, 12 operations (3 paginated)\nUse it from a workflow: import { createClient } from "./sdks/halo.js";\n`);
    const source = readFileSync(join(dir, "sdks/halo.ts"), "utf8");
    expect(source).toContain('const DEFAULT_AUTH: Auth = {"type":"integration","name":"halopsa"};');
    expect(source).toContain("export function createClient(");

    const json = await cli(["sdk", "generate", NINJA, "--name", "ninja", "--dir", dir, "--base-url", "https://eu.rmm.example/v2", "--json"], { env, timeoutMs: 60_000 });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: "ninja", title: "NinjaRMM-style Devices API", operations: 5, paginated: 2 });
    expect(readFileSync(join(dir, "sdks/ninja.ts"), "utf8")).toContain('const DEFAULT_BASE_URL: string = "https://eu.rmm.example/v2";');

    const printed = await cli(["sdk", "generate", NINJA, "--name", "ninja", "--stdout"], { env, cwd: dir, timeoutMs: 60_000 });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain("export interface Client {");
  }, 120_000);

  it("bad input exits 3: the JSON pointers of an invalid document, an unreadable file, a bad name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-ws-"));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ openapi: "3.0.3", info: { title: "x" }, paths: { "/a": { get: { responses: { "200": { description: 1 } } } } } }));
    const bad = await cli(["sdk", "generate", "bad.json", "--name", "bad"], { env, cwd: dir, timeoutMs: 60_000 });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("Error: bad.json: Invalid OpenAPI document");
    expect(bad.stderr).toContain("  #/paths/~1a/get/responses/200/description: must be string");
    const missing = await cli(["sdk", "generate", "nope.yaml", "--name", "x"], { env, cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("Cannot read nope.yaml");
    const name = await cli(["sdk", "generate", HALO, "--name", "../x"], { env, cwd: dir, timeoutMs: 60_000 });
    expect(name.code).toBe(3);
    expect(name.stderr).toContain("name:");
    const noName = await cli(["sdk", "generate", HALO], { env, cwd: dir });
    expect(noName.code).toBe(3);
    expect(noName.stderr).toContain("required option '--name <name>' not specified");
  }, 120_000);
});
