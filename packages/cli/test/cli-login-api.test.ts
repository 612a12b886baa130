import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, cli, cliEnv, envFor, freePort, startInstance, type Instance } from "./helpers.js";

describe("bifrost login, whoami, logout", () => {
  let b: Instance;
  let orgKey: string;
  let orgId: string;

  beforeAll(async () => {
    b = await startInstance({ "hello.ts": `import { workflow } from "bifrost";\nexport const hello = workflow({}, async () => "hi");` });
    orgId = (await b.api("POST", "/api/organizations", { name: "Contoso" })).json.id;
    orgKey = (await b.api("POST", "/api/api-keys", { name: "contoso ci", organizationId: orgId })).json.key;
  });
  afterAll(async () => {
    await b?.stop();
  });

  const freshHome = () => mkdtempSync(join(tmpdir(), "bifrost-home-"));

  it("checks the key, then stores the profile in ~/.config/bifrost/config.json readable only by its owner", async () => {
    const home = freshHome();
    const r = await cli(["login", b.url, "--key", ADMIN_KEY], { env: cliEnv(home) });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Logged in to ${b.url}`);
    expect(r.stderr).toContain("platform admin");
    const path = join(home, ".config", "bifrost", "config.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".config", "bifrost")).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ profiles: { default: { url: b.url, apiKey: ADMIN_KEY } } });

    const who = await cli(["whoami"], { env: cliEnv(home) });
    expect(who.code).toBe(0);
    expect(who.stdout).toContain(b.url);
    expect(who.stdout).toContain("platform admin");
    expect(who.stdout).toContain("the global scope");

    const out = await cli(["logout"], { env: cliEnv(home) });
    expect(out.code).toBe(0);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ profiles: {} });
    const after = await cli(["whoami"], { env: cliEnv(home) });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^Error: Not logged in: run "bifrost login <url>"/);
  });

  it("reads the key from standard input, keeps named profiles apart, and says who an organization key is", async () => {
    const home = freshHome();
    expect((await cli(["login", b.url], { env: cliEnv(home), input: `${orgKey}\n` })).code).toBe(0);
    expect((await cli(["login", b.url, "--key", ADMIN_KEY, "--profile", "admin"], { env: cliEnv(home) })).code).toBe(0);
    const config = JSON.parse(readFileSync(join(home, ".config", "bifrost", "config.json"), "utf8"));
    expect(Object.keys(config.profiles).sort()).toEqual(["admin", "default"]);

    const org = await cli(["whoami", "--json"], { env: cliEnv(home) });
    expect(JSON.parse(org.stdout)).toMatchObject({
      url: b.url,
      profile: "default",
      identity: { kind: "apiKey", keyName: "contoso ci", isPlatformAdmin: false, organizationId: orgId, organizationName: "Contoso" },
    });
    const admin = await cli(["--profile", "admin", "whoami", "--json"], { env: cliEnv(home) });
    expect(JSON.parse(admin.stdout).identity).toMatchObject({ isPlatformAdmin: true, organizationId: null });
    // --profile after the command works too, and BIFROST_PROFILE picks one
    expect(JSON.parse((await cli(["whoami", "--profile", "admin", "--json"], { env: cliEnv(home) })).stdout).profile).toBe("admin");
    expect(JSON.parse((await cli(["whoami", "--json"], { env: cliEnv(home, { BIFROST_PROFILE: "admin" }) })).stdout).profile).toBe("admin");
  });

  it("refuses a bad key without saving it, and names an unreachable URL", async () => {
    const home = freshHome();
    const bad = await cli(["login", b.url, "--key", "bfk_not-a-real-key-000000000000000000000000"], { env: cliEnv(home) });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("Invalid or revoked API key");
    expect(() => statSync(join(home, ".config", "bifrost", "config.json"))).toThrow();

    const port = await freePort();
    const down = await cli(["login", `http://127.0.0.1:${port}`, "--key", ADMIN_KEY], { env: cliEnv(home) });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`Cannot reach http://127.0.0.1:${port}`);
    expect(down.stderr).toContain("ECONNREFUSED");
  });

  it("lets BIFROST_URL, BIFROST_API_KEY and BIFROST_ORG override the profile", async () => {
    const home = freshHome();
    const port = await freePort();
    // a profile pointing nowhere, overridden by the environment
    expect((await cli(["login", b.url, "--key", ADMIN_KEY], { env: cliEnv(home) })).code).toBe(0);
    const viaEnv = await cli(["whoami", "--json"], { env: cliEnv(home, { BIFROST_API_KEY: orgKey }) });
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ source: "environment", identity: { organizationName: "Contoso" } });
    const inOrg = await cli(["whoami", "--json"], { env: cliEnv(home, { BIFROST_ORG: orgId }) });
    expect(JSON.parse(inOrg.stdout).identity).toMatchObject({ isPlatformAdmin: true, actingOrganizationId: orgId, organizationName: "Contoso" });
    const elsewhere = await cli(["whoami"], { env: cliEnv(home, { BIFROST_URL: `http://127.0.0.1:${port}` }) });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`Cannot reach http://127.0.0.1:${port}`);
  });
});

describe("bifrost api", () => {
  let b: Instance;

  beforeAll(async () => {
    b = await startInstance({ "hello.ts": `import { workflow, z } from "bifrost";\nexport const hello = workflow({ params: z.object({ name: z.string().min(1) }) }, async ({ name }) => "hi " + name);` });
  });
  afterAll(async () => {
    await b?.stop();
  });

  it("prints the answer as indented JSON, with /api/ added to a bare path", async () => {
    const r = await cli(["api", "GET", "workflows"], { env: envFor(b) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\{\n {2}"workflows": \[/);
    expect(JSON.parse(r.stdout).workflows.map((w: { name: string }) => w.name)).toEqual(["hello"]);
  });

  it("sends -d JSON and typed --field values; GET fields become the query", async () => {
    const run = await cli(["api", "POST", "/api/workflows/hello/execute", "-d", '{"name":"Ada"}'], { env: envFor(b) });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "Success", result: "hi Ada" });
    const org = await cli(["api", "POST", "/api/organizations", "--field", "name=Fabrikam"], { env: envFor(b) });
    expect(org.code).toBe(0);
    expect(JSON.parse(org.stdout)).toMatchObject({ name: "Fabrikam" });
    const list = await cli(["api", "GET", "/api/executions", "-f", "limit=1", "-f", "status=Success"], { env: envFor(b) });
    // Lists are summaries (no results): the run just made is the newest Success.
    expect(JSON.parse(list.stdout)).toMatchObject({ limit: 1, executions: [{ id: JSON.parse(run.stdout).id, status: "Success" }] });
  });

  it("fails a non-2xx answer with exit 1: the body on stdout, the message on stderr", async () => {
    const missing = await cli(["api", "GET", "/api/workflows/nope"], { env: envFor(b) });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: "not_found", message: 'Workflow "nope" not found' } });
    expect(missing.stderr.trim()).toBe('Error: Workflow "nope" not found (HTTP 404)');

    const invalid = await cli(["api", "POST", "/api/workflows/hello/execute", "-d", '{"name":""}'], { env: envFor(b) });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("(HTTP 422)");
    expect(invalid.stderr).toContain("name:");

    const badKey = await cli(["api", "GET", "/api/workflows"], { env: envFor(b, "bfk_wrong-000000000000000000000000000000000000") });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain("Invalid or revoked API key");

    const badJson = await cli(["api", "POST", "/api/organizations", "-d", '{"name":'], { env: envFor(b) });
    expect(badJson.code).toBe(3);
    expect(badJson.stderr).toContain("--data is not valid JSON");
  });
});
