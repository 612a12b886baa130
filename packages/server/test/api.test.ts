import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "hello.ts": `
import { workflow, z, context, logger } from "bifrost";
export const hello = workflow(
  { params: z.object({ name: z.string().min(1), times: z.int().min(1).max(3).default(1) }) },
  async ({ name, times }) => {
    const greeting = "Hello, " + name + "!";
    logger.debug("debug detail");
    logger.info(greeting);
    console.warn("careful");
    return { greeting, times, org: context.orgId, trigger: context.trigger };
  },
);`,
  "outcomes.ts": `
import { workflow, z, UserError, NonRetriableError, context } from "bifrost";
export const partial = workflow({}, async () => ({ success: false, error: "2 of 5 devices failed" }));
export const thrower = workflow({ params: z.object({ n: z.number() }) }, async ({ n }) => {
  const doubled = n * 2;
  if (doubled > 10) {
    throw new RangeError("too big: " + doubled);
  }
  return doubled;
});
export const userError = workflow({}, async () => { throw new UserError("Mailbox is full"); });
export const flaky = workflow({ retryPolicy: { maxRetries: 2, delaySeconds: 0 } }, async () => {
  if (context.attempt < 3) throw new Error("attempt " + context.attempt + " failed");
  return { attempt: context.attempt };
});
export const fatal = workflow({ retryPolicy: { maxRetries: 3, delaySeconds: 0 } }, async () => {
  throw new NonRetriableError("never again");
});
export const slow = workflow({ timeoutSeconds: 1 }, async () => { await new Promise((r) => setTimeout(r, 5000)); });
export const sleeper = workflow({}, async () => { await new Promise((r) => setTimeout(r, 20_000)); return "woke"; });
export const roi = workflow({ timeSaved: 5, value: 10 }, async () => { context.roi.timeSaved = 42; return 1; });
`,
  "sandbox.ts": `
import { workflow, z } from "bifrost";
import { readFileSync, writeFileSync } from "node:fs";
import { execSync } from "node:child_process";
const attempt = (f: () => unknown) => { try { f(); return "allowed"; } catch (e) { return (e as { code?: string }).code ?? String(e); } };
export const escape = workflow({ params: z.object({ db: z.string() }) }, async ({ db }) => ({
  readDatabase: attempt(() => readFileSync(db)),
  writeFile: attempt(() => writeFileSync(db + ".evil", "x")),
  spawn: attempt(() => execSync("id")),
  adminKeyInEnv: process.env.BIFROST_ADMIN_API_KEY ?? null,
}));`,
  "limits.ts": `
import { workflow, logger } from "bifrost";
export const bigVariable = workflow({}, async () => {
  const huge = "x".repeat(50_000);
  const small = { ok: true };
  return huge.length;
});
export const chatty = workflow({}, async () => {
  for (let i = 1; i <= 40; i++) logger.info("line " + i);
  return "done";
});
export const pidder = workflow({}, async () => {
  logger.info("pid " + process.pid);
  await new Promise((r) => setTimeout(r, 30_000));
});`,
  "dupe-a.ts": `import { workflow } from "bifrost";\nexport const one = workflow({ name: "same_name" }, async () => "a");`,
  "dupe-b.ts": `import { workflow } from "bifrost";\nexport const two = workflow({ name: "same_name" }, async () => "b");`,
  "broken.ts": `import { workflow } from "bifrost";\nexport const x = workflow({}, async () => { return ; ; ) });`,
  "throws-on-load.ts": `import { workflow } from "bifrost";\nconst config = JSON.parse("{nope");\nexport const y = workflow({}, async () => config);`,
  "bad-options.ts": `import { workflow } from "bifrost";\nexport const badOptions = workflow({ timeoutSeconds: -5 } as never, async () => 1);`,
};

let t: TestPlatform;
let orgA: string;
let orgB: string;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_BODY_LIMIT_BYTES: "2048", BIFROST_MAX_LOG_LINES: "25", BIFROST_MAX_VARIABLE_CHARS: "100" });
  orgA = (await t.call({ method: "POST", url: "/api/organizations", payload: { name: "Contoso" } })).json().id;
  orgB = (await t.call({ method: "POST", url: "/api/organizations", payload: { name: "Fabrikam" } })).json().id;
  keyA = (await t.call({ method: "POST", url: "/api/api-keys", payload: { name: "a", organizationId: orgA } })).json().key;
  keyB = (await t.call({ method: "POST", url: "/api/api-keys", payload: { name: "b", organizationId: orgB } })).json().key;
  // An organization's own workflow lives under workspace/orgs/<org id>/.
  t.write(`orgs/${orgB}/private.ts`, `import { workflow } from "bifrost";\nexport const secretSauce = workflow({ name: "secret_sauce" }, async () => "b-only");`);
  await t.platform.engine.indexer.refresh([`orgs/${orgB}/private.ts`]);
});

afterAll(async () => {
  await t?.close();
});

describe("auth", () => {
  it("needs a key on every /api route (401 without, 401 with a wrong one)", async () => {
    const none = await t.call({ method: "GET", url: "/api/workflows", key: null });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe("unauthorized");
    expect((await t.call({ method: "GET", url: "/api/workflows", key: "bfk_wrong" })).statusCode).toBe(401);
    expect((await t.call({ method: "GET", url: "/api/executions", headers: { authorization: "Basic abc" }, key: null })).statusCode).toBe(401);
  });

  it("stores keys hashed: the database never holds the key itself", async () => {
    const rows = await t.platform.engine.database.db.selectFrom("api_keys").selectAll().execute();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(keyA);
    }
  });

  it("a revoked key stops working at once", async () => {
    const created = (await t.call({ method: "POST", url: "/api/api-keys", payload: { name: "temp", organizationId: orgA } })).json();
    expect((await t.call({ method: "GET", url: "/api/workflows", key: created.key })).statusCode).toBe(200);
    expect((await t.call({ method: "DELETE", url: `/api/api-keys/${created.id}` })).statusCode).toBe(204);
    expect((await t.call({ method: "GET", url: "/api/workflows", key: created.key })).statusCode).toBe(401);
  });

  it("organization keys cannot manage organizations or keys (403)", async () => {
    expect((await t.call({ method: "POST", url: "/api/organizations", payload: { name: "x" }, key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "POST", url: "/api/api-keys", payload: { name: "x" }, key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "DELETE", url: `/api/organizations/${orgB}`, key: keyA })).statusCode).toBe(403);
  });

  it("a non-admin asking for another organization gets 403", async () => {
    const r = await t.call({ method: "GET", url: "/api/workflows", key: keyA, org: orgB });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.message).toContain("own organization");
  });

  it("an admin acts in an organization with X-Bifrost-Org; an unknown org is 404", async () => {
    const r = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "Ada" }, org: orgA });
    expect(r.json().result.org).toBe(orgA);
    expect(r.json().orgId).toBe(orgA);
    expect((await t.call({ method: "GET", url: "/api/workflows", org: "no-such-org" })).statusCode).toBe(404);
  });

  it("organization CRUD validates input", async () => {
    const bad = await t.call({ method: "POST", url: "/api/organizations", payload: { name: "" } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields[0].path).toBe("name");
    const extra = await t.call({ method: "POST", url: "/api/organizations", payload: { name: "X", evil: 1 } });
    expect(extra.statusCode).toBe(422);
    const renamed = await t.call({ method: "PATCH", url: `/api/organizations/${orgA}`, payload: { name: "Contoso Ltd" } });
    expect(renamed.json().name).toBe("Contoso Ltd");
    const own = await t.call({ method: "GET", url: "/api/organizations", key: keyA });
    expect(own.json().organizations.map((o: { id: string }) => o.id)).toEqual([orgA]);
  });
});

describe("registry", () => {
  it("lists workflows with their JSON Schema", async () => {
    const r = await t.call({ method: "GET", url: "/api/workflows" });
    expect(r.statusCode).toBe(200);
    const hello = r.json().workflows.find((w: { name: string }) => w.name === "hello");
    expect(hello.paramsSchema.properties.name).toMatchObject({ type: "string", minLength: 1 });
    expect(hello.paramsSchema.required).toEqual(["name"]);
    expect(hello).toMatchObject({ category: "General", executionMode: "async", timeoutSeconds: 300, filePath: "hello.ts" });
    expect(hello.modulePath).toBeUndefined();
  });

  it("a file that fails to compile is listed with its error and breaks nothing else", async () => {
    const { workflows, loadErrors } = (await t.call({ method: "GET", url: "/api/workflows" })).json();
    const broken = loadErrors.find((e: { filePath: string }) => e.filePath === "broken.ts");
    expect(broken.message).toMatch(/^broken\.ts:2:\d+: /);
    expect(broken.message).not.toContain("esbuild");
    const throws = loadErrors.find((e: { filePath: string }) => e.filePath === "throws-on-load.ts");
    expect(throws.message).toContain("SyntaxError");
    expect(throws.message).toContain("throws-on-load.ts:2");
    expect(throws.message).not.toContain(t.workspace); // no server paths in what users see
    expect(workflows.some((w: { name: string }) => w.name === "thrower")).toBe(true);
  });

  it("an invalid option is a load error naming the option", async () => {
    const { loadErrors } = (await t.call({ method: "GET", url: "/api/workflows" })).json();
    const bad = loadErrors.find((e: { filePath: string }) => e.filePath === "bad-options.ts");
    expect(bad.message).toContain("timeoutSeconds");
  });

  it("two workflows with the same name are reported, not silently shadowed", async () => {
    const { workflows, loadErrors } = (await t.call({ method: "GET", url: "/api/workflows" })).json();
    expect(workflows.filter((w: { name: string }) => w.name === "same_name")).toHaveLength(1);
    const dupe = loadErrors.find((e: { message: string }) => e.message.includes('duplicate workflow name "same_name"'));
    expect(dupe).toBeDefined();
  });

  it("filters by text, category and type; `{id}` may be the name or the id", async () => {
    const found = (await t.call({ method: "GET", url: "/api/workflows?q=hell" })).json().workflows;
    expect(found.map((w: { name: string }) => w.name)).toEqual(["hello"]);
    const byId = await t.call({ method: "GET", url: `/api/workflows/${found[0].id}` });
    expect(byId.json().name).toBe("hello");
    expect((await t.call({ method: "GET", url: "/api/workflows?type=tool" })).json().workflows).toEqual([]);
  });

  it("an organization sees its own and global workflows, never another organization's", async () => {
    const a = (await t.call({ method: "GET", url: "/api/workflows", key: keyA })).json().workflows.map((w: { name: string }) => w.name);
    const b = (await t.call({ method: "GET", url: "/api/workflows", key: keyB })).json().workflows.map((w: { name: string }) => w.name);
    expect(b).toContain("secret_sauce");
    expect(a).not.toContain("secret_sauce");
    expect(a).toContain("hello");
    const id = (await t.call({ method: "GET", url: "/api/workflows/secret_sauce", key: keyB })).json().id;
    expect((await t.call({ method: "GET", url: `/api/workflows/${id}`, key: keyA })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: `/api/workflows/${id}/execute`, key: keyA })).statusCode).toBe(404);
    expect((await t.call({ method: "POST", url: "/api/workflows/secret_sauce/execute", key: keyB })).json().result).toBe("b-only");
    // A platform admin without X-Bifrost-Org runs it in its own organization.
    const asAdmin = (await t.call({ method: "POST", url: `/api/workflows/${id}/execute` })).json();
    expect(asAdmin.orgId).toBe(orgB);
  });
});

describe("execute", () => {
  it("returns the whole execution record with logs and variables", async () => {
    const r = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "Ada" } });
    expect(r.statusCode).toBe(200);
    const e = r.json();
    expect(e).toMatchObject({ workflowName: "hello", status: "Success", error: null, errorType: null, trigger: "api", attempt: 1 });
    expect(e.result).toEqual({ greeting: "Hello, Ada!", times: 1, org: null, trigger: "api" });
    expect(e.variables).toMatchObject({ name: "Ada", times: 1, greeting: "Hello, Ada!" });
    expect(e.logs.map((l: { level: string; message: string }) => [l.level, l.message])).toEqual([
      ["debug", "debug detail"],
      ["info", "Hello, Ada!"],
      ["warn", "careful"],
    ]);
    expect(e.logs[0].ts).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(typeof e.durationMs).toBe("number");
    expect(Date.parse(e.completedAt)).toBeGreaterThanOrEqual(Date.parse(e.startedAt));
    // and it is persisted: history returns the same
    const stored = (await t.call({ method: "GET", url: `/api/executions/${e.id}` })).json();
    expect(stored).toMatchObject({ id: e.id, status: "Success", result: e.result });
  });

  it("hides debug lines from organization keys", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "Bo" }, key: keyA })).json();
    expect(e.logs.map((l: { level: string }) => l.level)).toEqual(["info", "warn"]);
    expect(e.result.org).toBe(orgA);
    const stream = await t.call({ method: "GET", url: `/api/executions/${e.id}/logs`, key: keyA });
    expect(stream.json().logs.some((l: { level: string }) => l.level === "debug")).toBe(false);
  });

  it("invalid input is 422 with one message per field, and no execution runs", async () => {
    const before = (await t.call({ method: "GET", url: "/api/executions?workflow=hello&limit=500" })).json().executions.length;
    const r = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "", times: 9 } });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.fields).toEqual([
      { path: "name", message: expect.stringContaining("1 characters") },
      { path: "times", message: expect.stringContaining("<= 3") },
    ]);
    const missing = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: {} });
    expect(missing.json().error.fields).toEqual([{ path: "name", message: "is required" }]);
    const notObject = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: [1, 2] });
    expect(notObject.statusCode).toBe(422);
    const after = (await t.call({ method: "GET", url: "/api/executions?workflow=hello&limit=500" })).json().executions.length;
    expect(after).toBe(before);
  });

  it("malformed JSON is 400, an oversized body 413, an unknown workflow 404", async () => {
    const bad = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: "{nope", headers: { "content-type": "application/json" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("invalid_json");
    const big = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "x".repeat(5000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("payload_too_large");
    const text = await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: "name=x", headers: { "content-type": "text/plain" } });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe("unsupported_media_type");
    const unknown = await t.call({ method: "POST", url: "/api/workflows/nope/execute", payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain("nope");
  });

  it("{ success: false } ends CompletedWithErrors", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/partial/execute" })).json();
    expect(e.status).toBe("CompletedWithErrors");
    expect(e.error).toBe("2 of 5 devices failed");
  });

  it("a thrown error ends Failed with message, type, the user's .ts line, and the variables at that point", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/thrower/execute", payload: { n: 7 } })).json();
    expect(e).toMatchObject({ status: "Failed", error: "too big: 14", errorType: "RangeError" });
    expect(e.errorStack).toContain("outcomes.ts:7:");
    expect(e.errorStack).not.toContain("child-main");
    expect(e.variables).toEqual({ n: 7, doubled: 14 });
  });

  it("a UserError keeps its type and message", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/userError/execute" })).json();
    expect(e).toMatchObject({ status: "Failed", errorType: "UserError", error: "Mailbox is full" });
  });

  it("retries per retryPolicy and records each attempt", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/flaky/execute" })).json();
    expect(e.status).toBe("Success");
    expect(e.result).toEqual({ attempt: 3 });
    expect(e.attempt).toBe(3);
    expect(e.attempts.map((a: { attempt: number; status: string; error: string }) => [a.attempt, a.status, a.error])).toEqual([
      [1, "Failed", "attempt 1 failed"],
      [2, "Failed", "attempt 2 failed"],
      [3, "Success", null],
    ]);
    expect(e.logs.some((l: { message: string }) => l.message === "Attempt 2 of 3")).toBe(true);
  });

  it("NonRetriableError is never retried", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/fatal/execute" })).json();
    expect(e).toMatchObject({ status: "Failed", errorType: "NonRetriableError", attempt: 1 });
  });

  it("a run past timeoutSeconds ends Timeout", async () => {
    const started = Date.now();
    const e = (await t.call({ method: "POST", url: "/api/workflows/slow/execute" })).json();
    expect(e.status).toBe("Timeout");
    expect(e.error).toContain("1 s");
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("records ROI of successful runs, as changed through context.roi", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/roi/execute" })).json();
    expect(e).toMatchObject({ timeSaved: 42, value: 10 });
    const failed = (await t.call({ method: "POST", url: "/api/workflows/userError/execute" })).json();
    expect(failed).toMatchObject({ timeSaved: 0, value: 0 });
  });

  it("test runs once and always returns logs and variables", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/flaky/test" })).json();
    expect(e).toMatchObject({ status: "Failed", trigger: "test", attempt: 1 });
    const ok = (await t.call({ method: "POST", url: "/api/workflows/hello/test", payload: { name: "T" } })).json();
    expect(ok.logs.length).toBe(3);
    expect(ok.variables.greeting).toBe("Hello, T!");
  });
});

describe("limits", () => {
  it("truncates large variable values and keeps small ones whole", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/bigVariable/execute" })).json();
    expect(e.result).toBe(50_000);
    expect(e.variables.small).toEqual({ ok: true });
    expect(typeof e.variables.huge).toBe("string");
    expect(e.variables.huge.length).toBeLessThan(200);
    expect(e.variables.huge).toContain("truncated, 50002 characters");
  });

  it("keeps at most BIFROST_MAX_LOG_LINES lines per run and says how many were dropped", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/chatty/execute" })).json();
    expect(e.logs).toHaveLength(26);
    expect(e.logs[24].message).toBe("line 25");
    expect(e.logs[25]).toMatchObject({ level: "warn", message: expect.stringContaining("15 more log lines were dropped") });
    const stored = (await t.call({ method: "GET", url: `/api/executions/${e.id}/logs` })).json().logs;
    expect(stored).toHaveLength(26);
  });
});

describe("worker crash", () => {
  it("kill -9 of the worker mid-run ends that execution Failed (WorkerCrashed) and the platform keeps serving", async () => {
    const { executionId } = (await t.call({ method: "POST", url: "/api/workflows/pidder/run" })).json();
    await eventually(async () => {
      const logs = (await t.call({ method: "GET", url: `/api/executions/${executionId}/logs` })).json().logs;
      return logs.some((l: { message: string }) => l.message.startsWith("pid ")) || undefined;
    });
    // Children run in PID namespaces of their own: the pid the workflow sees is not the
    // host's: the pool says which host process runs a task.
    const [busy] = t.platform.engine.pool.childPids("busy");
    process.kill(busy!, "SIGKILL");
    const e = await eventually(async () => {
      const r = (await t.call({ method: "GET", url: `/api/executions/${executionId}` })).json();
      return r.status === "Failed" ? r : undefined;
    });
    expect(e.errorType).toBe("WorkerCrashed");
    expect(e.error).toContain("SIGKILL");
    expect((await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "still here" } })).json().status).toBe("Success");
  });
});

describe("queued runs", () => {
  it("run answers 202 with the execution id, and the run completes", async () => {
    const r = await t.call({ method: "POST", url: "/api/workflows/hello/run", payload: { name: "Q" } });
    expect(r.statusCode).toBe(202);
    const { executionId } = r.json();
    const done = await eventually(async () => {
      const e = (await t.call({ method: "GET", url: `/api/executions/${executionId}` })).json();
      return e.status === "Success" ? e : undefined;
    });
    expect(done.result.greeting).toBe("Hello, Q!");
    expect(done.logs.length).toBe(3);
  });

  it("cancels a pending run (it never starts) and a running one (its child is killed)", async () => {
    const pending = (await t.call({ method: "POST", url: "/api/workflows/hello/run?delaySeconds=60", payload: { name: "later" } })).json();
    expect(pending.status).toBe("Scheduled");
    const c1 = await t.call({ method: "POST", url: `/api/executions/${pending.executionId}/cancel` });
    expect(c1.statusCode).toBe(202);
    expect(c1.json().status).toBe("Cancelled");
    expect((await t.call({ method: "GET", url: `/api/executions/${pending.executionId}` })).json().status).toBe("Cancelled");
    expect((await t.call({ method: "POST", url: `/api/executions/${pending.executionId}/cancel` })).statusCode).toBe(409);

    const running = (await t.call({ method: "POST", url: "/api/workflows/sleeper/run" })).json();
    await eventually(async () => ((await t.call({ method: "GET", url: `/api/executions/${running.executionId}` })).json().status === "Running" ? true : undefined));
    const c2 = await t.call({ method: "POST", url: `/api/executions/${running.executionId}/cancel` });
    expect(c2.json().status).toBe("Cancelling");
    const final = await eventually(async () => {
      const e = (await t.call({ method: "GET", url: `/api/executions/${running.executionId}` })).json();
      return e.status === "Cancelled" ? e : undefined;
    }, 5000);
    expect(final.errorType).toBe("Cancelled");
  });

  it("a queued run runs the code it was queued for; a run queued after a save runs the new code", async () => {
    t.write("versioned.ts", `import { workflow } from "bifrost";\nexport const versioned = workflow({}, async () => "v1");`);
    await t.platform.engine.indexer.refresh(["versioned.ts"]);
    const early = (await t.call({ method: "POST", url: "/api/workflows/versioned/run?delaySeconds=1" })).json().executionId;
    t.write("versioned.ts", `import { workflow } from "bifrost";\nexport const versioned = workflow({}, async () => "v2");`);
    await t.platform.engine.indexer.refresh(["versioned.ts"]);
    const late = (await t.call({ method: "POST", url: "/api/workflows/versioned/run" })).json().executionId;
    const result = async (id: string) =>
      eventually(async () => {
        const e = (await t.call({ method: "GET", url: `/api/executions/${id}` })).json();
        return e.status === "Success" ? e.result : undefined;
      });
    expect(await result(late)).toBe("v2");
    expect(await result(early)).toBe("v1");
  });

  it("rejects a bad delay", async () => {
    const r = await t.call({ method: "POST", url: "/api/workflows/hello/run?delaySeconds=-1", payload: { name: "x" } });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.fields[0].path).toBe("delaySeconds");
  });
});

describe("history", () => {
  it("filters by workflow, status and time, with pagination", async () => {
    const since = new Date().toISOString();
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) runs.push((await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: `p${i}` } })).json().id);
    await t.call({ method: "POST", url: "/api/workflows/userError/execute" });
    const page1 = (await t.call({ method: "GET", url: `/api/executions?workflow=hello&since=${since}&limit=2` })).json();
    expect(page1.executions).toHaveLength(2);
    expect(page1.hasMore).toBe(true);
    expect(page1.executions[0].id).toBe(runs[2]); // newest first
    // Summaries: logs, input and result are read per execution.
    for (const field of ["logs", "input", "result"]) expect(page1.executions[0]).not.toHaveProperty(field);
    const page2 = (await t.call({ method: "GET", url: `/api/executions?workflow=hello&since=${since}&limit=2&offset=2` })).json();
    expect(page2.executions.map((e: { id: string }) => e.id)).toEqual([runs[0]]);
    expect(page2.hasMore).toBe(false);
    const failed = (await t.call({ method: "GET", url: `/api/executions?status=Failed&since=${since}` })).json();
    expect(failed.executions.map((e: { workflowName: string }) => e.workflowName)).toEqual(["userError"]);
    const future = (await t.call({ method: "GET", url: `/api/executions?since=2999-01-01T00:00:00Z` })).json();
    expect(future.executions).toEqual([]);
    const bad = await t.call({ method: "GET", url: "/api/executions?status=Nope&limit=0" });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields.map((f: { path: string }) => f.path).sort()).toEqual(["limit", "status.0"]);
  });

  it("another organization's execution is 404, and lists never show it", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/hello/execute", payload: { name: "mine" }, key: keyB })).json();
    for (const url of [`/api/executions/${e.id}`, `/api/executions/${e.id}/logs`, `/api/executions/${e.id}/logs/stream`]) {
      expect((await t.call({ method: "GET", url, key: keyA })).statusCode).toBe(404);
    }
    expect((await t.call({ method: "POST", url: `/api/executions/${e.id}/cancel`, key: keyA })).statusCode).toBe(404);
    const listA = (await t.call({ method: "GET", url: "/api/executions?limit=500", key: keyA })).json().executions;
    expect(listA.every((x: { orgId: string }) => x.orgId === orgA)).toBe(true);
    expect((await t.call({ method: "GET", url: `/api/executions/${e.id}`, key: keyB })).statusCode).toBe(200);
    expect((await t.call({ method: "GET", url: `/api/executions/${e.id}` })).statusCode).toBe(200); // platform admin
  });
});

describe("worker sandbox", () => {
  it("user code cannot read the database, write files, spawn processes or see the platform's secrets", async () => {
    const db = `${t.dir}/data/bifrost.db`;
    const e = (await t.call({ method: "POST", url: "/api/workflows/escape/execute", payload: { db } })).json();
    expect(e.status).toBe("Success");
    expect(e.result).toEqual({ readDatabase: "ERR_ACCESS_DENIED", writeFile: "ERR_ACCESS_DENIED", spawn: "ERR_ACCESS_DENIED", adminKeyInEnv: null });
  });
});

describe("inline code", () => {
  it("runs a TypeScript snippet with the SDK and the caller's context", async () => {
    const code = [
      'import { context, logger } from "bifrost";',
      "const doubled: number = params.n * 2;",
      "logger.info(`in ${context.orgId}`);",
      "return { doubled, org: context.orgId };",
    ].join("\n");
    const e = (await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code, params: { n: 21 }, }, org: orgA })).json();
    expect(e).toMatchObject({ status: "Success", trigger: "code", workflowName: "(inline code)", result: { doubled: 42, org: orgA } });
    expect(e.variables).toMatchObject({ doubled: 42 });
    expect(e.logs[0].message).toBe(`in ${orgA}`);
  });

  it("is for platform admins: an organization key gets 403 and nothing runs", async () => {
    const r = await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code: "return 1;" }, key: keyA });
    expect(r.statusCode).toBe(403);
  });

  it("may import only the SDK and Node's built-ins: no host files, no attributes, no workspace files", async () => {
    const attempts = [
      `import k from "${t.dir}/data/secret.key" with { type: "text" };\nreturn k;`,
      `import p from "/etc/passwd" with { type: "text" };\nreturn p;`,
      `import "../data/bifrost.db";\nreturn 1;`,
      `import { hello } from "./hello";\nreturn hello;`,
      `import { z } from "zod";\nreturn z.string().parse("x");`,
    ];
    for (const code of attempts) {
      const r = await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code } });
      expect(r.statusCode, code).toBe(400);
      expect(r.json().error.message).toContain("is not allowed");
      expect(r.json().error.message).not.toContain("root:");
    }
    const builtin = await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code: 'import { createHash } from "node:crypto";\nreturn createHash("sha1").update("x").digest("hex");' } });
    expect(builtin.json().result).toBe("11f6ad8ec52a2984abaafd7c3b516503785c2072");
  });

  it("keeps the snippet's line numbers in stack traces", async () => {
    const code = 'import { logger } from "bifrost";\nlogger.info("one");\nthrow new Error("line three");';
    const e = (await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code } })).json();
    expect(e.status).toBe("Failed");
    expect(e.errorStack).toMatch(/__inline_[0-9a-f]+__\.ts:3:/);
  });

  it("code that does not compile is 400; a missing field is 422", async () => {
    const r = await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code: "return (" } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe("compile_error");
    expect((await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: {} })).statusCode).toBe(422);
  });
});
