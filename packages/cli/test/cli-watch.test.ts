import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, envFor, eventually, startCli, startInstance, type CliRun, type Instance } from "./helpers.js";

const wf = (name: string, result: string) => `import { workflow } from "bifrost";\nexport const ${name} = workflow({}, async () => ${JSON.stringify(result)});\n`;

/** A local folder of workflow files. */
function folder(files: Record<string, string>): { dir: string; write(rel: string, source: string): void } {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-local-"));
  const write = (rel: string, source: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), source);
  };
  for (const [rel, source] of Object.entries(files)) write(rel, source);
  return { dir, write };
}

describe("bifrost watch", () => {
  let b: Instance;
  let watching: CliRun | null = null;

  beforeAll(async () => {
    b = await startInstance({ "theirs.ts": wf("theirs", "not from the folder") });
  });
  afterEach(async () => {
    watching?.proc.kill("SIGINT");
    await watching?.done;
    watching = null;
  });
  afterAll(async () => {
    await b?.stop();
  });

  const result = async (name: string) => {
    const r = await b.api("POST", `/api/workflows/${name}/execute`, {});
    return r.status === 200 ? r.json.result : r.status;
  };

  it("--once pushes the folder (helpers, JSON, not tests or config), prints what registered, and exits non-zero on a load error", async () => {
    const local = folder({
      "lib/format.ts": `export const shout = (s: string) => s.toUpperCase();\n`,
      "lib/data.json": `{ "greeting": "hello" }\n`,
      "loud.ts": `import { workflow } from "bifrost";\nimport { shout } from "./lib/format.js";\nimport data from "./lib/data.json";\nexport const loud = workflow({}, async () => shout(data.greeting));\n`,
      "loud.test.ts": `throw new Error("tests are not pushed");\n`,
      "package.json": `{ "name": "x" }\n`,
      "tsconfig.json": `{}\n`,
      "node_modules/pkg/index.ts": `export {};\n`,
    });
    const ok = await cli(["watch", local.dir, "--once"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain("3 new, 0 changed, 0 unchanged, 0 deleted here, 1 only on the instance (kept: --prune deletes them)");
    expect(ok.stderr).toMatch(/↑ ✓ \S*loud\.ts → loud/);
    expect(ok.stderr).toContain("3 file(s), 1 registered, all files load");
    expect(await result("loud")).toBe("HELLO");
    const tree = (await b.api("GET", "/api/files/editor/tree")).json.tree;
    expect(tree.children.map((c: { name: string }) => c.name).sort()).toEqual(["lib", "loud.ts", "theirs.ts"]);

    // unchanged files are not pushed again; a syntax error fails the deploy
    local.write("bad.ts", `import { workflow } from "bifrost";\nexport const bad = workflow({}, async () => {\n  return (;\n});\n`);
    const bad = await cli(["watch", local.dir, "--once"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("1 new, 0 changed, 3 unchanged");
    expect(bad.stderr).toContain("bad.ts:3:11: Expression expected.");
    expect(bad.stderr).toContain("4 file(s), 1 registered, 1 file(s) failed to load");
    expect(await result("loud")).toBe("HELLO");

    const json = await cli(["watch", local.dir, "--once", "--json"], { env: envFor(b) });
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ event: "plan", new: [], changed: [], kept: ["theirs.ts"] });
    expect([...events[0].unchanged].sort()).toEqual(["bad.ts", "lib/data.json", "lib/format.ts", "loud.ts"]);
    expect(events.at(-1)).toMatchObject({ event: "summary", files: 4, workflows: 1, filesWithErrors: ["bad.ts"] });
  });

  it("keeps a save live within a second, mirrors deletes and renames, and shows a syntax error while the rest stays live", async () => {
    const local = folder({ "alpha.ts": wf("alpha", "a1"), "beta.ts": wf("beta", "b1") });
    watching = startCli(["watch", local.dir], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    await eventually(() => (watching!.stderr().includes("watching for changes") ? true : undefined), 15_000, "the first push");
    expect(await result("alpha")).toBe("a1");

    // a save
    const saved = Date.now();
    local.write("alpha.ts", wf("alpha", "a2"));
    await eventually(async () => ((await result("alpha")) === "a2" ? true : undefined), 5000, "the save to be live");
    expect(Date.now() - saved).toBeLessThan(1000);
    await eventually(() => (/↑ ✓ \S*alpha\.ts → alpha/.test(watching!.stderr()) ? true : undefined), 3000, "the push to be printed");

    // a syntax error: shown with file:line:column, the other workflows still run
    local.write("beta.ts", `import { workflow } from "bifrost";\nexport const beta = workflow({}, async () => {\n  return (;\n});\n`);
    await eventually(() => (watching!.stderr().includes("beta.ts:3:11: Expression expected.") ? true : undefined), 5000, "the load error");
    expect(await result("alpha")).toBe("a2");
    local.write("beta.ts", wf("beta", "b2"));
    await eventually(async () => ((await result("beta")) === "b2" ? true : undefined), 5000, "beta fixed");

    // a rename: the old file goes, the workflow keeps running from the new one
    renameSync(join(local.dir, "alpha.ts"), join(local.dir, "first.ts"));
    await eventually(async () => ((await b.api("GET", "/api/workflows/alpha")).json.filePath === "first.ts" ? true : undefined), 5000, "alpha to move");
    expect((await b.api("GET", "/api/files/editor/file?path=alpha.ts")).status).toBe(404);
    expect(await result("alpha")).toBe("a2");

    // a delete
    unlinkSync(join(local.dir, "beta.ts"));
    await eventually(async () => ((await result("beta")) === 404 ? true : undefined), 5000, "beta to be gone");
    expect(watching.stderr()).toMatch(/✕ \S*beta\.ts deleted on the instance/);

    // a new folder, then the folder moved
    local.write("team/gamma.ts", wf("gamma", "g"));
    await eventually(async () => ((await result("gamma")) === "g" ? true : undefined), 5000, "gamma");
    renameSync(join(local.dir, "team"), join(local.dir, "crew"));
    await eventually(async () => ((await b.api("GET", "/api/workflows/gamma")).json.filePath === "crew/gamma.ts" ? true : undefined), 5000, "gamma moved");
    expect((await b.api("GET", "/api/files/editor/file?path=team/gamma.ts")).status).toBe(404);

    // never touched: a file the folder did not create
    expect(await result("theirs")).toBe("not from the folder");
  });

  it("re-registers a file when a helper it imports comes back", async () => {
    const local = folder({
      "lib/name.ts": `export const name = () => "v1";\n`,
      "uses.ts": `import { workflow } from "bifrost";\nimport { name } from "./lib/name.js";\nexport const uses = workflow({}, async () => name());\n`,
    });
    watching = startCli(["watch", local.dir], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    await eventually(() => (watching!.stderr().includes("watching for changes") ? true : undefined), 15_000, "the first push");
    rmSync(join(local.dir, "lib"), { recursive: true });
    await eventually(() => (watching!.stderr().includes('Could not resolve "./lib/name.js"') ? true : undefined), 5000, "the broken import to be shown");
    local.write("lib/name.ts", `export const name = () => "v2";\n`);
    await eventually(async () => ((await result("uses")) === "v2" ? true : undefined), 5000, "uses to run again");
    expect(watching.stderr()).toMatch(/↻ ✓ \S*uses\.ts → uses/);
  });

  it("deletes what this folder pushed when it is gone here, other files only with --prune (after a diff summary)", async () => {
    const local = folder({ "mine.ts": wf("mine", "m"), "keep.ts": wf("keep", "k") });
    expect((await cli(["watch", local.dir, "--once"], { env: envFor(b) })).code).toBe(0);
    unlinkSync(join(local.dir, "mine.ts"));
    const mirrored = await cli(["watch", local.dir, "--once"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(mirrored.code).toBe(0);
    expect(mirrored.stderr).toMatch(/- mine\.ts \(deleted here: deleting on the instance\)/);
    expect(await result("mine")).toBe(404);
    expect(await result("theirs")).toBe("not from the folder");

    const dry = await cli(["watch", local.dir, "--once", "--prune", "--dry-run"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(dry.stderr).toMatch(/- theirs\.ts \(not in this folder: --prune deletes it\)/);
    expect(await result("theirs")).toBe("not from the folder");

    const pruned = await cli(["watch", local.dir, "--once", "--prune"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(pruned.code).toBe(0);
    expect(pruned.stderr.indexOf("to prune")).toBeLessThan(pruned.stderr.indexOf("deleted on the instance"));
    expect(await result("theirs")).toBe(404);
    expect(await result("keep")).toBe("k");
    b.write("theirs.ts", wf("theirs", "not from the folder")); // for the other tests
  });

  it("refuses to change the workspace with an organization key, saying why", async () => {
    const org = (await b.api("POST", "/api/organizations", { name: "Contoso" })).json.id;
    const key = (await b.api("POST", "/api/api-keys", { name: "org", organizationId: org })).json.key;
    const local = folder({ "nope.ts": wf("nope", "x") });
    const r = await cli(["watch", local.dir, "--once"], { env: envFor(b, key) });
    expect(r.code).toBe(1);
    // The server's permission table says why (an organization's admin may not write workspace files).
    expect(r.stderr).toMatch(/refused to change workspace\/nope\.ts: .*may not use editor\.write/);
  });

  it("pushes into --remote-dir and pulls a workspace folder back", async () => {
    const local = folder({ "one.ts": wf("one_in_sub", "1"), "deep/two.ts": wf("two_in_sub", "2") });
    expect((await cli(["watch", local.dir, "--once", "--remote-dir", "team/"], { env: envFor(b) })).code).toBe(0);
    expect((await b.api("GET", "/api/workflows/two_in_sub")).json.filePath).toBe("team/deep/two.ts");

    const into = mkdtempSync(join(tmpdir(), "bifrost-pull-"));
    const pulled = await cli(["pull", into, "--remote-dir", "team"], { env: envFor(b) });
    expect(pulled.code).toBe(0);
    expect(readFileSync(join(into, "deep/two.ts"), "utf8")).toBe(wf("two_in_sub", "2"));
    expect(readFileSync(join(into, "one.ts"), "utf8")).toBe(wf("one_in_sub", "1"));

    // a local change is kept unless --force
    writeFileSync(join(into, "one.ts"), "// mine\n");
    const conflict = await cli(["pull", into, "--remote-dir", "team"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain("one.ts (differs from the instance: --force overwrites)");
    expect(readFileSync(join(into, "one.ts"), "utf8")).toBe("// mine\n");
    expect((await cli(["pull", into, "--remote-dir", "team", "--force"], { env: envFor(b) })).code).toBe(0);
    expect(readFileSync(join(into, "one.ts"), "utf8")).toBe(wf("one_in_sub", "1"));

    // the whole workspace
    const all = mkdtempSync(join(tmpdir(), "bifrost-pull-"));
    expect((await cli(["pull", all], { env: envFor(b) })).code).toBe(0);
    expect(existsSync(join(all, "theirs.ts"))).toBe(true);
    expect(existsSync(join(all, "team/deep/two.ts"))).toBe(true);
  });
});
