import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CompileError, compileEntry } from "@bifrost/engine/compiler/compiler.js";
import { transpileWithInstrumentation, wrapInlineSnippet } from "@bifrost/engine/compiler/instrument.js";
import { runInScope } from "bifrost/runtime";

const dir = mkdtempSync(join(tmpdir(), "bifrost-compiler-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(name: string, source: string, files: Record<string, string> = {}) {
  mkdirSync(join(dir, "ws"), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, "ws", rel, ".."), { recursive: true });
    writeFileSync(join(dir, "ws", rel), text);
  }
  writeFileSync(join(dir, "ws", name), source);
  const compiled = await compileEntry({ entryPath: join(dir, "ws", name), mode: "module", rootDir: join(dir, "ws"), outDir: join(dir, "build") });
  return { compiled, mod: (await import(pathToFileURL(compiled.modulePath).href)) as Record<string, any> };
}

/** Runs a handler in a scope and returns the variables it recorded. */
async function variablesOf(handler: (p: unknown) => unknown, params: unknown) {
  const variables = new Map<string, unknown>();
  const scope = { context: {} as never, variables, log: () => undefined };
  let error: unknown = null;
  try {
    await runInScope(scope, () => handler(params));
  } catch (e) {
    error = e;
  }
  return { vars: Object.fromEntries(variables), error };
}

describe("variable capture", () => {
  it("records params, declarations, assignments, loop and catch variables — not nested functions", async () => {
    const { mod } = await load(
      "vars.ts",
      `import { workflow, z } from "bifrost";
export const w = workflow({ params: z.object({ a: z.number() }) }, async ({ a }) => {
  let total = 0;
  const { x, y: [first] } = { x: 1, y: [2] };
  for (const item of [1, 2, 3]) { total += item; }
  const helper = () => { const hidden = 99; return hidden; };
  helper();
  try { throw new Error("caught"); } catch (err) { total++; }
  if (a > 0) { var positive = true; }
  return total + x + first;
});`,
    );
    const { vars } = await variablesOf(mod.w.handler, { a: 1 });
    expect(vars).toMatchObject({ a: 1, total: 7, x: 1, first: 2, item: 3, positive: true });
    expect(vars.err).toBeInstanceOf(Error);
    expect(vars).not.toHaveProperty("hidden");
  });

  it("keeps the values assigned before a throw", async () => {
    const { mod } = await load(
      "throws.ts",
      `import { workflow } from "bifrost";
export const w = workflow({}, async () => {
  const step = "fetching";
  const count = 3;
  throw new Error("boom at " + step + count);
});`,
    );
    const { vars, error } = await variablesOf(mod.w.handler, {});
    expect(vars).toEqual({ step: "fetching", count: 3 });
    expect((error as Error).message).toBe("boom at fetching3");
  });

  it("runs under plain Node outside any execution (the recorder is a no-op there)", async () => {
    const { mod } = await load("plain.ts", `import { workflow } from "bifrost";\nexport const w = workflow({}, async () => { const v = 5; return v; });`);
    expect(await mod.w({})).toBe(5);
  });
});

describe("compile", () => {
  it("bundles local imports into one module named by its content hash", async () => {
    const { compiled, mod } = await load(
      "entry.ts",
      `import { workflow } from "bifrost";\nimport { twice } from "./lib/math";\nexport const w = workflow({}, async () => twice(21));`,
      { "lib/math.ts": "export const twice = (n: number): number => n * 2;" },
    );
    expect(await mod.w({})).toBe(42);
    expect(compiled.inputs.sort()).toEqual(["entry.ts", "lib/math.ts"]);
    expect(compiled.modulePath).toContain(compiled.hash.slice(0, 32));
  });

  it("reports syntax errors with file, line and column", async () => {
    await expect(load("bad.ts", `import { workflow } from "bifrost";\nexport const w = workflow({}, async () => { return ( });`)).rejects.toThrow(
      /bad\.ts:2:\d+/,
    );
    await expect(load("missing.ts", `import { nope } from "./does-not-exist";\nexport const w = nope;`)).rejects.toBeInstanceOf(CompileError);
  });

  it("refuses imports outside the workspace, into another organization's folder, or with attributes", async () => {
    writeFileSync(join(dir, "outside.ts"), "export const x = 1;");
    await expect(load("escape.ts", `import { x } from "../outside";\nexport const y = x;`)).rejects.toThrow(/outside the workspace/);
    await expect(load("attr.ts", `import t from "./lib/math.ts" with { type: "text" };\nexport const y = t;`)).rejects.toThrow(/import attributes/);
    mkdirSync(join(dir, "ws", "orgs", "b"), { recursive: true });
    mkdirSync(join(dir, "ws", "orgs", "a"), { recursive: true });
    writeFileSync(join(dir, "ws", "orgs", "b", "secret.ts"), "export const s = 'b';");
    await expect(load("orgs/a/steal.ts", `import { s } from "../b/secret";\nexport const y = s;`)).rejects.toThrow(/another organization/);
    const own = await load("orgs/b/own.ts", `import { s } from "./secret";\nimport { twice } from "../../lib/math";\nexport const y = s + twice(1);`);
    expect(own.mod.y).toBe("b2");
  });

  it("maps positions back to the .ts source", () => {
    const out = transpileWithInstrumentation("const a: number = 1;\nexport const b = a;\n", "/x/file.ts", "module");
    expect(out.code).toContain("sourceMappingURL=data:application/json;base64,");
    expect(out.code.indexOf("variableRecorder")).toBeGreaterThan(out.code.indexOf("const b"));
  });
});

describe("inline snippets", () => {
  it("become an async function of params, with imports hoisted and line numbers kept", () => {
    const wrapped = wrapInlineSnippet('import { logger } from "bifrost";\nlogger.info("x");\nreturn params.a;');
    const lines = wrapped.split("\n");
    expect(lines[0]).toMatch(/^export default async function __bifrost\$inline\(params: any\) \{\s+$/);
    expect(lines[1]).toBe('logger.info("x");');
    expect(lines[2]).toBe("return params.a;");
    expect(wrapped).toContain('import { logger } from "bifrost";');
  });
});
