/**
 * The editor's own endpoints beyond read/save (files.test.ts has those): rename and move
 * with the same path and organization rules, the declaration files the browser's
 * TypeScript service gets, load errors located at their line and column, and the
 * new-workflow templates (each registers and type-checks as created).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";


let t: TestPlatform;
let orgA: string;
let keyA: string;

const save = (path: string, content: string, key?: string) => t.call({ method: "POST", url: "/api/files/editor/file", payload: { path, content }, key });
const move = (from: string, to: string, key?: string) => t.call({ method: "POST", url: "/api/files/editor/move", payload: { from, to }, key });
const registered = async (name: string) => (await t.call({ method: "GET", url: `/api/workflows/${name}` })).statusCode === 200;

beforeAll(async () => {
  t = await startTestPlatform({
    "lib/movable.ts": `import { workflow } from "bifrost";\nexport const movable = workflow({ name: "movable" }, async () => "moved");\n`,
    "lib/other.ts": `import { workflow } from "bifrost";\nexport const inFolder = workflow({ name: "in_folder" }, async () => 1);\n`,
    "notes.md": "# notes\n",
  });
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("POST /api/files/editor/move", { timeout: 30_000 }, () => {
  it("renames a file: its workflows are registered from the new path at once", async () => {
    const res = await move("lib/movable.ts", "lib/renamed.ts");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ path: "lib/renamed.ts", type: "file", loadErrors: [], workflows: [expect.objectContaining({ name: "movable", filePath: "lib/renamed.ts" })] });
    expect(existsSync(join(t.workspace, "lib/movable.ts"))).toBe(false);
    expect((await t.call({ method: "POST", url: "/api/workflows/movable/execute", payload: {} })).json().result).toBe("moved");
  });

  it("moves a folder with everything in it; the files under it are re-registered", async () => {
    const res = await move("lib", "moved/lib");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ path: "moved/lib", type: "directory" });
    const listed = (await t.call({ method: "GET", url: "/api/workflows" })).json();
    const workflows = (Array.isArray(listed) ? listed : listed.workflows) as { name: string; filePath: string }[];
    expect(workflows.find((w) => w.name === "in_folder")?.filePath).toBe("moved/lib/other.ts");
    expect(workflows.find((w) => w.name === "movable")?.filePath).toBe("moved/lib/renamed.ts");
    expect(existsSync(join(t.workspace, "lib"))).toBe(false);
  });

  it("refuses a target that exists, a move into itself, a missing source and bad paths", async () => {
    expect((await move("notes.md", "moved/lib/other.ts")).statusCode).toBe(409);
    expect((await move("moved", "moved/inside")).statusCode).toBe(409);
    expect((await move("nothing-here.ts", "x.ts")).statusCode).toBe(404);
    const outside = await move("notes.md", "../outside.md");
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.message).toContain("../outside.md");
    expect((await move("/etc/passwd", "x")).statusCode).toBe(400);
    const missingField = await t.call({ method: "POST", url: "/api/files/editor/move", payload: { from: "notes.md" } });
    expect(missingField.statusCode).toBe(422);
    expect(missingField.json().error.fields).toEqual([expect.objectContaining({ path: "to" })]);
    expect(readFileSync(join(t.workspace, "notes.md"), "utf8")).toBe("# notes\n");
  });

  it("only platform admins move; an organization cannot even move within its own folder", async () => {
    await save(`orgs/${orgA}/own.md`, "mine");
    expect((await move(`orgs/${orgA}/own.md`, `orgs/${orgA}/renamed.md`, keyA)).statusCode).toBe(403);
    expect((await move("notes.md", "elsewhere.md", keyA)).statusCode).toBe(403);
    expect(existsSync(join(t.workspace, "notes.md"))).toBe(true);
  });
});

describe("GET /api/files/editor/types", { timeout: 30_000 }, () => {
  it("serves the SDK's declarations (with TSDoc), the contracts they import, and zod's", async () => {
    const res = await t.call({ method: "GET", url: "/api/files/editor/types" });
    expect(res.statusCode).toBe(200);
    const files = new Map((res.json().files as { path: string; content: string }[]).map((f) => [f.path, f.content]));
    expect(files.get("node_modules/bifrost/index.d.ts")).toContain("tables");
    expect(files.get("node_modules/bifrost/tables.d.ts")).toMatch(/\/\*\*[\s\S]*query/);
    expect(files.has("node_modules/@bifrost/contracts/sdk.d.ts")).toBe(true);
    expect(files.get("node_modules/zod/index.d.ts")).toContain("./v4/classic/external.js");
    expect(files.has("node_modules/zod/v4/classic/schemas.d.ts")).toBe(true);
    expect([...files.keys()].every((p) => p.endsWith(".d.ts") && !p.includes(".."))).toBe(true);
    // No zod 3 and no zod sources: only what a workflow file reaches.
    expect([...files.keys()].some((p) => p.startsWith("node_modules/zod/v3/") || p.startsWith("node_modules/zod/src/"))).toBe(false);
  });

  it("needs a signed-in caller (the permissions matrix checks each level)", async () => {
    expect((await t.call({ method: "GET", url: "/api/files/editor/types", key: null })).statusCode).toBe(401);
    expect((await t.call({ method: "GET", url: "/api/files/editor/types", key: keyA })).statusCode).toBe(200);
  });
});

describe("load errors carry their line and column", { timeout: 30_000 }, () => {
  it("a syntax error points where esbuild found it", async () => {
    const res = (await save("broken/syntax.ts", `import { workflow } from "bifrost";\n\nexport const x = workflow({}, async () => {\n  return 1 +;\n});\n`)).json();
    expect(res.loadErrors).toHaveLength(1);
    expect(res.loadErrors[0]).toMatchObject({ filePath: "broken/syntax.ts", line: 4, column: expect.any(Number) });
    expect(res.loadErrors[0].column).toBeGreaterThanOrEqual(11);
  });

  it("a module that throws while loading points at the throwing line", async () => {
    const res = (await save("broken/throws.ts", `import { workflow } from "bifrost";\nconst ready = false;\nif (!ready) throw new Error("not configured");\nexport const y = workflow({}, async () => 1);\n`)).json();
    expect(res.loadErrors[0]).toMatchObject({ line: 3, message: expect.stringContaining("not configured") });
  });

  it("invalid options point at the export that declared them", async () => {
    const res = (await save("broken/options.ts", `import { workflow } from "bifrost";\n\nexport const badName = workflow({ name: "has spaces" }, async () => 1);\n`)).json();
    expect(res.loadErrors[0]).toMatchObject({ exportName: "badName", line: 3, column: 14 });
    // And the file's answer when opened carries the same positions.
    const opened = (await t.call({ method: "GET", url: "/api/files/editor/file?path=broken/options.ts" })).json();
    expect(opened.loadErrors[0]).toMatchObject({ line: 3, column: 14 });
  });
});
