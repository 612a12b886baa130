import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKFLOW_TEMPLATES, workflowTemplate } from "@bifrost/contracts/templates.js";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * Workflow create / update / delete through the API (issue 14 part 2): files written into
 * the workspace, answered once registered (or 422 with the load error's line and column,
 * the change undone), organization folders, 409s, and an audit event for each change,
 * written before the file changes.
 */

const FILES = {
  "lib/shared.ts": `export const greeting = (n: string) => \`Hi \${n}\`;\n`,
  "uses-lib.ts": `
import { workflow } from "bifrost";
import { greeting } from "./lib/shared.js";
export const usesLib = workflow({ name: "uses_lib" }, async () => ({ text: greeting("x") }));
`,
};

let t: TestPlatform;
let orgA: { orgId: string; key: string };
let orgB: { orgId: string; key: string };

const create = (payload: Record<string, unknown>, extra: { org?: string; key?: string } = {}) => t.call({ method: "POST", url: "/api/workflows", payload, ...extra });
const events = async (action: string) =>
  (await t.call({ method: "GET", url: `/api/audit?action=${encodeURIComponent(action)}&limit=500` })).json().events as { action: string; target: string; orgId: string | null; details: Record<string, unknown> }[];

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_SCHEDULER: "false" });
  orgA = await createOrgWithKey(t, "Crud A");
  orgB = await createOrgWithKey(t, "Crud B");
});
afterAll(async () => {
  await t?.close();
});

describe("POST /api/workflows", () => {
  it("creates a file from each template; each compiles, registers and (where it can) runs", { timeout: 90_000 }, async () => {
    const kinds: Record<string, string> = { workflow: "workflow", tool: "tool", dataProvider: "data_provider", scheduled: "workflow", endpoint: "workflow" };
    for (const template of WORKFLOW_TEMPLATES) {
      const name = `tpl_${template}`;
      const res = await create({ name, template, folder: "templates" });
      expect([template, res.statusCode, res.body.slice(0, 300)]).toEqual([template, 201, expect.any(String)]);
      const body = res.json();
      expect(body).toMatchObject({ filePath: `templates/${name}.ts`, workflow: { name, kind: kinds[template], filePath: `templates/${name}.ts` } });
      expect(readFileSync(join(t.workspace, "templates", `${name}.ts`), "utf8")).toBe(workflowTemplate(template, name));
    }
    expect((await t.call({ method: "GET", url: "/api/workflows/tpl_scheduled" })).json().schedule).toMatchObject({ cron: "0 6 * * *" });
    expect((await t.call({ method: "GET", url: "/api/workflows/tpl_endpoint" })).json().endpointEnabled).toBe(true);
    const run = await t.call({ method: "POST", url: "/api/workflows/tpl_workflow/execute", payload: { name: "Ada" } });
    expect(run.json()).toMatchObject({ status: "Success", result: { ok: true, name: "Ada" } });
    expect((await t.call({ method: "GET", url: "/api/workflows" })).json().loadErrors).toEqual([]);
  });

  it("creates from source, records the event first, and puts an organization's workflow in its folder", async () => {
    const source = `import { workflow } from "bifrost";\nexport const mine = workflow({ name: "org_only" }, async () => ({ org: true }));\n`;
    const res = await create({ name: "org_only", source }, { org: orgA.orgId });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ filePath: `orgs/${orgA.orgId}/org_only.ts`, workflow: { orgId: orgA.orgId } });
    // Organization B does not see it; A's own key does.
    expect((await t.call({ method: "GET", url: "/api/workflows/org_only", key: orgB.key })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/workflows/org_only", key: orgA.key })).statusCode).toBe(200);
    const [event] = await events("workflow.create");
    expect(event).toMatchObject({ action: "workflow.create", target: `workspace/orgs/${orgA.orgId}/org_only.ts`, orgId: orgA.orgId, details: { name: "org_only", template: null } });
    expect(JSON.stringify(event)).not.toContain("org: true");
  });

  it("answers a syntax error with 422 and its line and column, writing nothing", async () => {
    const res = await create({ name: "broken", source: `import { workflow } from "bifrost";\n\nexport const broken = workflow({ name: "broken" }, async () => {\n  return { a: ; };\n});\n` });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "load_error", filePath: "broken.ts", problems: [{ line: 4, column: expect.any(Number) }], fields: [{ path: "source" }] });
    expect(res.json().error.message).toMatch(/line 4, column \d+/);
    expect(existsSync(join(t.workspace, "broken.ts"))).toBe(false);
    expect(await events("workflow.create")).not.toContainEqual(expect.objectContaining({ target: "workspace/broken.ts" }));
  });

  it("undoes a file that compiles but does not register (its top-level code throws), with a reverted event", async () => {
    const res = await create({ name: "throws_at_load", source: `import { workflow } from "bifrost";\nthrow new Error("no config at import time");\nexport const x = workflow({ name: "throws_at_load" }, async () => 1);\n` });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toContain("no config at import time");
    expect(existsSync(join(t.workspace, "throws_at_load.ts"))).toBe(false);
    expect((await t.call({ method: "GET", url: "/api/workflows" })).json().loadErrors).toEqual([]);
    expect((await events("workflow.create_reverted"))[0]).toMatchObject({ target: "workspace/throws_at_load.ts", details: { reason: "did not register" } });
    // A source that registers something else than the name asked for is not that workflow.
    const other = await create({ name: "asked_for", source: `import { workflow } from "bifrost";\nexport const x = workflow({ name: "something_else" }, async () => 1);\n` });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.message).toContain(`registers no workflow named "asked_for"`);
    expect(existsSync(join(t.workspace, "asked_for.ts"))).toBe(false);
  });

  it("two creates of one name at the same moment: one 201, one 409", async () => {
    const [x, y] = await Promise.all([create({ name: "raced", template: "workflow" }), create({ name: "raced", template: "tool" })]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([201, 409]);
  });

  it("refuses bad input with the right status, naming the field", async () => {
    const src = `import { workflow } from "bifrost";\nexport const x = workflow({ name: "x" }, async () => 1);\n`;
    const bad = async (payload: Record<string, unknown>, status: number, extra: { org?: string; key?: string } = {}) => {
      const res = await create(payload, extra);
      expect([JSON.stringify(payload).slice(0, 80), res.statusCode]).toEqual([JSON.stringify(payload).slice(0, 80), status]);
      return res.json().error;
    };
    expect((await bad({ name: "not-an-identifier", template: "workflow" }, 422)).fields[0].path).toBe("name");
    expect((await bad({ name: "9lives", template: "workflow" }, 422)).fields[0].path).toBe("name");
    expect((await bad({ name: "class", template: "workflow" }, 422)).fields[0].path).toBe("name");
    expect((await bad({ name: "both", template: "workflow", source: src }, 422)).fields[0].path).toBe("source");
    expect((await bad({ name: "neither" }, 422)).fields[0].path).toBe("source");
    expect((await bad({ name: "tpl", template: "nope" }, 422)).fields[0].path).toBe("template");
    expect((await bad({ name: "tpl_workflow", template: "workflow" }, 409)).message).toContain("already exists");
    // The folder: outside the workspace, hidden, another organization's, an unknown one.
    expect((await bad({ name: "escape", template: "workflow", folder: "../outside" }, 422)).fields[0].path).toBe("folder");
    expect((await bad({ name: "escape", template: "workflow", folder: "/etc" }, 422)).fields[0].path).toBe("folder");
    expect((await bad({ name: "hidden", template: "workflow", folder: ".git" }, 422)).fields[0].path).toBe("folder");
    expect((await bad({ name: "nobody", template: "workflow", folder: "orgs/00000000-0000-4000-8000-000000000000" }, 422)).fields[0].path).toBe("folder");
    await bad({ name: "into_b", template: "workflow", folder: `orgs/${orgB.orgId}` }, 403, { org: orgA.orgId });
    await bad({ name: "global_from_a", template: "workflow", folder: "" }, 403, { org: orgA.orgId });
    expect(existsSync(join(t.workspace, "orgs", orgB.orgId, "into_b.ts"))).toBe(false);
    // Too large: 413.
    expect((await bad({ name: "huge", source: `// ${"x".repeat(1024 * 1024)}\n` }, 413)).code).toBe("source_too_large");
    // Not platform admins: organization keys, whose table entry refuses.
    await bad({ name: "by_org", template: "workflow" }, 403, { key: orgA.key });
  });
});

describe("the templates", () => {
  it("type-check under the strict tsconfig against the SDK's types, as a user's editor sees them", { timeout: 90_000 }, () => {
    const root = join(import.meta.dirname, "../../..");
    const dir = mkdtempSync(join(tmpdir(), "bifrost-templates-"));
    try {
      const compilerOptions = { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", skipLibCheck: true, noUncheckedIndexedAccess: true, types: ["node"], typeRoots: [join(root, "node_modules/@types")], baseUrl: ".", paths: { bifrost: [join(root, "packages/sdk/dist/index.d.ts")] } };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts"] }));
      for (const template of WORKFLOW_TEMPLATES) writeFileSync(join(dir, `${template}.ts`), workflowTemplate(template, `typed_${template}`));
      execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], { encoding: "utf8" });
      // And the check can fail: a wrong parameter name is caught.
      writeFileSync(join(dir, "wrong.ts"), workflowTemplate("workflow", "wrong").replace("async ({ name })", "async ({ nmae })"));
      expect(() => execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], { encoding: "utf8" })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => workflowTemplate("workflow", "not-a-name")).toThrow(/not a workflow name/);
  });
});

describe("PUT /api/workflows/{id}", () => {
  it("replaces the source; a source that does not register leaves the old one running", async () => {
    const created = (await create({ name: "replace_me", source: `import { workflow } from "bifrost";\nexport const r = workflow({ name: "replace_me" }, async () => ({ v: 1 }));\n` })).json();
    const id = created.workflow.id as string;
    const put = await t.call({ method: "PUT", url: `/api/workflows/${id}`, payload: { source: `import { workflow } from "bifrost";\nexport const r = workflow({ name: "replace_me" }, async () => ({ v: 2 }));\n` } });
    expect(put.statusCode).toBe(200);
    expect(put.json().workflow).toMatchObject({ id, name: "replace_me" });
    expect((await t.call({ method: "POST", url: `/api/workflows/${id}/execute`, payload: {} })).json().result).toEqual({ v: 2 });

    const broken = await t.call({ method: "PUT", url: `/api/workflows/replace_me`, payload: { source: `import { workflow } from "bifrost";\nexport const r = workflow({ name: "replace_me" }, async () => ({ v: 3 }) ;;; )\n` } });
    expect(broken.statusCode).toBe(422);
    expect(broken.json().error.problems[0]).toMatchObject({ line: 2, column: expect.any(Number) });
    const throws = await t.call({ method: "PUT", url: `/api/workflows/replace_me`, payload: { source: `throw new Error("boom at load");\n` } });
    expect(throws.statusCode).toBe(422);
    expect(readFileSync(join(t.workspace, "replace_me.ts"), "utf8")).toContain("v: 2");
    expect((await t.call({ method: "POST", url: `/api/workflows/${id}/execute`, payload: {} })).json().result).toEqual({ v: 2 });
    // The syntax error never got as far as an event; the load failure has its event and its revert.
    expect((await events("workflow.update")).length).toBe(2);
    expect((await events("workflow.update_reverted"))[0]).toMatchObject({ target: "workspace/replace_me.ts" });

    expect((await t.call({ method: "PUT", url: "/api/workflows/no_such_workflow", payload: { source: "x" } })).statusCode).toBe(404);
    expect((await t.call({ method: "PUT", url: `/api/workflows/${id}`, payload: {} })).json().error.fields[0].path).toBe("source");
    expect((await t.call({ method: "PUT", url: `/api/workflows/${id}`, payload: { source: "// x" }, key: orgA.key })).statusCode).toBe(403);
    // Acting in organization A, a global workflow is not A's to change.
    expect((await t.call({ method: "PUT", url: `/api/workflows/${id}`, payload: { source: "// x" }, org: orgA.orgId })).statusCode).toBe(403);
  });
});

describe("DELETE /api/workflows/{id}", () => {
  it("removes the file, 409 while other files import it (naming them)", async () => {
    const lib = (await create({ name: "lib_wf", source: `import { workflow } from "bifrost";\nexport const helper = (n: number) => n * 2;\nexport const w = workflow({ name: "lib_wf" }, async () => helper(2));\n` })).json();
    t.write("importer.ts", `import { workflow } from "bifrost";\nimport { helper } from "./lib_wf.js";\nexport const i = workflow({ name: "importer" }, async () => helper(3));\n`);
    await t.platform.engine.indexer.refresh(["importer.ts"]);
    // A change that breaks a file importing it is undone as well.
    const breaking = await t.call({ method: "PUT", url: `/api/workflows/${lib.workflow.id}`, payload: { source: `import { workflow } from "bifrost";\nexport const w = workflow({ name: "lib_wf" }, async () => 1);\n` } });
    expect(breaking.statusCode).toBe(422);
    expect(breaking.json().error.problems[0].message).toContain("helper");
    expect(readFileSync(join(t.workspace, "lib_wf.ts"), "utf8")).toContain("export const helper");
    expect((await t.call({ method: "POST", url: "/api/workflows/importer/execute", payload: {} })).json().result).toBe(6);
    const refused = await t.call({ method: "DELETE", url: `/api/workflows/${lib.workflow.id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ importedBy: ["importer.ts"] });
    expect(refused.json().error.message).toContain("importer.ts");

    expect((await t.call({ method: "DELETE", url: "/api/workflows/importer", key: orgA.key })).statusCode).toBe(403);
    expect((await t.call({ method: "DELETE", url: "/api/workflows/importer" })).statusCode).toBe(204);
    expect(existsSync(join(t.workspace, "importer.ts"))).toBe(false);
    expect((await t.call({ method: "DELETE", url: `/api/workflows/${lib.workflow.id}` })).statusCode).toBe(204);
    expect((await t.call({ method: "GET", url: `/api/workflows/${lib.workflow.id}` })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: `/api/workflows/${lib.workflow.id}` })).statusCode).toBe(404);
    expect((await events("workflow.delete")).map((e) => e.target)).toEqual(["workspace/lib_wf.ts", "workspace/importer.ts"]);
  });
});

describe("no change without its event", () => {
  it("when the audit event cannot be written, the file is not written either (500), and nothing registers", async () => {
    const db = t.platform.engine.database.db;
    await sql`ALTER TABLE audit_events RENAME TO audit_events_away`.execute(db);
    try {
      const res = await create({ name: "unaudited", template: "workflow" });
      expect(res.statusCode).toBe(500);
      const saved = await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "unaudited-editor.ts", content: "export const x = 1;\n" } });
      expect(saved.statusCode).toBe(500);
      const deleted = await t.call({ method: "DELETE", url: "/api/workflows/tpl_tool" });
      expect(deleted.statusCode).toBe(500);
    } finally {
      await sql`ALTER TABLE audit_events_away RENAME TO audit_events`.execute(db);
    }
    expect(existsSync(join(t.workspace, "unaudited.ts"))).toBe(false);
    expect(existsSync(join(t.workspace, "unaudited-editor.ts"))).toBe(false);
    expect(existsSync(join(t.workspace, "templates", "tpl_tool.ts"))).toBe(true);
    expect((await t.call({ method: "GET", url: "/api/workflows/unaudited" })).statusCode).toBe(404);
  });
});
