import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { context, logger, workflow, z, isExecutable } from "bifrost";
import { runInScope } from "bifrost/runtime";

const ROOT = join(import.meta.dirname, "../../..");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

describe("sdk", () => {
  it("context throws a clear error outside an execution", () => {
    expect(() => context.orgId).toThrow(/outside a running workflow/);
  });

  it("context and logger act for the scope they run in; only roi is writable", async () => {
    const lines: string[] = [];
    const ctx = { orgId: "o1", roi: { timeSaved: 1, value: 2 } } as never;
    await runInScope({ context: ctx, variables: new Map(), log: (level, m) => lines.push(`${level}:${m}`) }, async () => {
      expect(context.orgId).toBe("o1");
      logger.info("n=%d", 3);
      logger.warn({ a: 1 });
      context.roi.timeSaved = 10;
      expect(() => {
        (context as { orgId: string }).orgId = "other";
      }).toThrow(/read-only/);
    });
    expect(lines).toEqual(["info:n=3", "warn:{ a: 1 }"]);
    expect((ctx as { roi: { timeSaved: number } }).roi.timeSaved).toBe(10);
  });

  it("workflow() returns a callable, registrable definition", async () => {
    const w = workflow({ params: z.object({ n: z.number() }) }, async ({ n }) => n + 1);
    expect(isExecutable(w)).toBe(true);
    expect(await w({ n: 1 })).toBe(2);
    expect(() => workflow({}, "nope" as never)).toThrow(/handler must be a function/);
  });

  it("type-checks a user's workflow file against the SDK, and catches a wrong param name", () => {
    const dir = mkdtempSync(join(tmpdir(), "bifrost-types-"));
    try {
      const tsconfig = { compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")], baseUrl: ".", paths: { bifrost: [join(ROOT, "packages/sdk/dist/index.d.ts")] } }, include: ["*.ts"] };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
      writeFileSync(
        join(dir, "good.ts"),
        `import { workflow, z, context } from "bifrost";\nexport const w = workflow({ params: z.object({ email: z.email(), n: z.int().default(1) }), retryPolicy: { maxRetries: 2 } }, async ({ email, n }) => ({ email: email.toLowerCase(), n: n + 1, org: context.orgId }));\n`,
      );
      execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
      writeFileSync(join(dir, "bad.ts"), `import { workflow, z } from "bifrost";\nexport const w = workflow({ params: z.object({ email: z.email() }) }, async ({ emial }) => emial);\n`);
      let output = "";
      try {
        execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
      } catch (error) {
        output = String((error as { stdout: string }).stdout);
      }
      expect(output).toContain("bad.ts");
      expect(output).toContain("emial");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
