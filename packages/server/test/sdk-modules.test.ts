import { execFile } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

const run = promisify(execFile);

const FILES = {
  "cfg.ts": `
import { workflow, workflows, z, config, logger, BifrostError } from "bifrost";
export const cfgSet = workflow({ params: z.object({ key: z.string(), value: z.unknown(), secret: z.boolean().default(false), scope: z.string().optional() }) },
  async ({ key, value, secret, scope }) => { await config.set(key, value, { secret, scope }); return "ok"; });
export const cfgGet = workflow({ params: z.object({ key: z.string(), scope: z.string().optional() }) },
  async ({ key, scope }) => ({ value: await config.get(key, { scope, default: "fallback" }) }));
export const cfgList = workflow({}, async () => config.list());
export const leaky = workflow({}, async () => {
  const token = await config.get<string>("api_token");
  logger.info("using token " + token + " now");
  const header = { authorization: "Bearer " + token };
  throw new Error("upstream rejected " + token);
});
export const leakyResult = workflow({}, async () => {
  const token = await config.get<string>("api_token");
  return { echoed: token, nested: { again: "x" + token + "y" } };
});
export const tryGlobalWrite = workflow({}, async () => {
  try { await config.set("g", 1, { scope: "global" }); return "written"; }
  catch (e) { return { code: (e as BifrostError).code, name: (e as Error).name, message: (e as Error).message }; }
});
export const passesSecret = workflow({}, async () => {
  const token = await config.get<string>("api_token");
  return workflows.run("echoToken", { token: token! });
});
export const echoToken = workflow({ params: z.object({ token: z.string() }) }, async ({ token }) => {
  logger.info("child got " + token);
  return { echoed: token };
});
export const quoted = workflow({}, async () => {
  await config.get("quoted_secret");
  return { a: "x", y: "z" };
});
export const readsGlobalSecret = workflow({}, async () => {
  const v = await config.get<string>("global_token");
  logger.info("global " + v);
  return v === "GLOBAL-TOKEN-123" ? "got it" : "missing";
});
export const badArgs = workflow({}, async () => {
  try { await config.get("bad key with spaces"); return "accepted"; }
  catch (e) { return { code: (e as BifrostError).code, message: (e as Error).message }; }
});`,
  "nest.ts": `
import { workflow, z, workflows, executions, organizations, context, BifrostError } from "bifrost";
export const child = workflow({ params: z.object({ n: z.int() }) }, async ({ n }) => {
  await new Promise((r) => setTimeout(r, 50));
  return { n, doubled: n * 2, parent: context.trigger };
});
export const parent = workflow({ params: z.object({ n: z.int() }) }, async ({ n }) => {
  const result = await workflows.run<{ doubled: number }>("child", { n });
  const queued = await workflows.execute("child", { n: 100 });
  return { viaChild: result.doubled, queued };
});
export const failing = workflow({}, async () => { throw new TypeError("child broke"); });
export const callsFailing = workflow({}, async () => {
  try { await workflows.run("failing"); return "no error?"; }
  catch (e) { return { code: (e as BifrostError).code, message: (e as Error).message }; }
});
export const forever = workflow({ params: z.object({ depth: z.int().default(0) }) }, async ({ depth }) => {
  return workflows.run("forever", { depth: depth + 1 });
});
export const invalidChild = workflow({}, async () => {
  try { await workflows.run("child", { n: "not a number" }); return "ran"; }
  catch (e) { return { code: (e as BifrostError).code, message: (e as Error).message }; }
});
export const peek = workflow({ params: z.object({ id: z.string() }) }, async ({ id }) => {
  try { const e = await executions.get(id); return { found: e.id, logs: (await executions.logs(id)).length }; }
  catch (e) { return { code: (e as BifrostError).code }; }
});
export const recent = workflow({}, async () => (await executions.list({ workflow: "child", limit: 5 })).map((e) => e.orgId));
export const callByName = workflow({ params: z.object({ name: z.string() }) }, async ({ name }) => {
  try { return { result: await workflows.run(name), listed: (await workflows.list()).map((w) => w.name).includes(name) }; }
  catch (e) { return { code: (e as BifrostError).code, listed: (await workflows.list()).map((w) => w.name).includes(name) }; }
});
export const orgs = workflow({}, async () => {
  try { return (await organizations.list()).map((o) => o.name); }
  catch (e) { return { code: (e as BifrostError).code, message: (e as Error).message }; }
});`,
};

let t: TestPlatform;
let orgA: string;
let orgB: string;
let keyA: string;
let keyB: string;

const exec = async (name: string, payload: unknown = {}, key?: string) =>
  (await t.call({ method: "POST", url: `/api/workflows/${name}/execute`, payload: payload as object, key })).json();

beforeAll(async () => {
  t = await startTestPlatform(FILES, {}, { listen: true });
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
  t.write(`orgs/${orgB}/private.ts`, `import { workflow } from "bifrost";\nexport const bPrivate = workflow({ name: "b_private" }, async () => "b's secret");`);
  await t.platform.engine.indexer.refresh([`orgs/${orgB}/private.ts`]);
});
afterAll(async () => {
  await t?.close();
});

describe("config inside workflows", () => {
  it("an organization's value overrides the global one; other organizations see the global one", async () => {
    await exec("cfgSet", { key: "region", value: "eu", scope: "global" });
    await exec("cfgSet", { key: "region", value: "us" }, keyA);
    expect((await exec("cfgGet", { key: "region" }, keyA)).result.value).toBe("us");
    expect((await exec("cfgGet", { key: "region" }, keyB)).result.value).toBe("eu");
    expect((await exec("cfgGet", { key: "missing" }, keyB)).result.value).toBe("fallback");
  });

  it("types are inferred and kept", async () => {
    await exec("cfgSet", { key: "limit", value: 25 }, keyA);
    await exec("cfgSet", { key: "enabled", value: true }, keyA);
    await exec("cfgSet", { key: "map", value: { a: [1, 2] } }, keyA);
    const list = (await exec("cfgList", {}, keyA)).result as { key: string; type: string; value: unknown }[];
    const byKey = Object.fromEntries(list.map((e) => [e.key, [e.type, e.value]]));
    expect(byKey).toMatchObject({ limit: ["int", 25], enabled: ["bool", true], map: ["json", { a: [1, 2] }], region: ["string", "us"] });
  });

  it("organization workflows cannot write global values or another organization's", async () => {
    expect((await exec("tryGlobalWrite", {}, keyA)).result).toMatchObject({ code: "forbidden", name: "BifrostError" });
    const other = await exec("cfgSet", { key: "x", value: 1, scope: orgB }, keyA);
    expect(other.status).toBe("Failed");
    expect(other.error).toContain("own scope");
    const read = await exec("cfgGet", { key: "region", scope: orgB }, keyA);
    expect(read.status).toBe("Failed");
  });

  it("bad arguments are a clear error naming the argument", async () => {
    const r = (await exec("badArgs", {}, keyA)).result;
    expect(r.code).toBe("validation_failed");
    expect(r.message).toContain("key");
  });
});

describe("secrets", () => {
  beforeAll(async () => {
    await exec("cfgSet", { key: "api_token", value: "tok-9f8e7d6c5b4a", secret: true }, keyA);
  });

  it("are encrypted at rest and never listed", async () => {
    const rows = await t.platform.engine.database.db.selectFrom("config_values").selectAll().where("key", "=", "api_token").execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.type).toBe("secret");
    expect(rows[0]!.value).toMatch(/^v1:/);
    expect(rows[0]!.value).not.toContain("tok-9f8e7d6c5b4a");
    const list = (await exec("cfgList", {}, keyA)).result as { key: string; value: unknown; secret: boolean }[];
    expect(list.find((e) => e.key === "api_token")).toMatchObject({ secret: true, value: null });
    const http = (await t.call({ method: "GET", url: "/api/config", key: keyA })).json();
    expect(JSON.stringify(http)).not.toContain("tok-9f8e7d6c5b4a");
  });

  it("are redacted from the run's logs, variables and error", async () => {
    const e = await exec("leaky", {}, keyA);
    expect(e.status).toBe("Failed");
    const text = JSON.stringify(e);
    expect(text).not.toContain("tok-9f8e7d6c5b4a");
    expect(e.logs[0].message).toBe("using token [REDACTED] now");
    expect(e.error).toBe("upstream rejected [REDACTED]");
    expect(e.variables).toMatchObject({ token: "[REDACTED]", header: { authorization: "Bearer [REDACTED]" } });
    const stored = (await t.call({ method: "GET", url: `/api/executions/${e.id}`, key: keyA })).json();
    expect(JSON.stringify(stored)).not.toContain("tok-9f8e7d6c5b4a");
  });

  it("are redacted from the result", async () => {
    const e = await exec("leakyResult", {}, keyA);
    expect(e.result).toEqual({ echoed: "[REDACTED]", nested: { again: "x[REDACTED]y" } });
  });

  it("a nested run's record never shows a secret its parent passed it", async () => {
    const e = await exec("passesSecret", {}, keyA);
    expect(e.status, JSON.stringify(e.error)).toBe("Success");
    expect(e.result).toEqual({ echoed: "[REDACTED]" });
    const child = (await t.call({ method: "GET", url: `/api/executions?workflow=echoToken&limit=1`, key: keyA })).json().executions[0];
    const full = (await t.call({ method: "GET", url: `/api/executions/${child.id}`, key: keyA })).json();
    expect(full.parentId).toBe(e.id);
    expect(JSON.stringify(full)).not.toContain("tok-9f8e7d6c5b4a");
    expect(full.input).toEqual({ token: "[REDACTED]" });
    expect(full.logs[0].message).toBe("child got [REDACTED]");
  });

  it("a secret with quotes in it never breaks a run's record", async () => {
    await exec("cfgSet", { key: "quoted_secret", value: 'x","y', secret: true }, keyA);
    const e = await exec("quoted", {}, keyA);
    expect(e).toMatchObject({ status: "Success", result: { a: "x", y: "z" } });
  });

  it("global secrets are usable inside an organization's runs but not readable by its key from outside", async () => {
    expect((await t.call({ method: "PUT", url: "/api/config/global_token", payload: { value: "GLOBAL-TOKEN-123", secret: true, scope: "global" } })).statusCode).toBe(200);
    const inside = await exec("readsGlobalSecret", {}, keyA);
    expect(inside.result).toBe("got it");
    expect(inside.logs[0].message).toBe("global [REDACTED]");
    const outside = await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "config.get", args: ["global_token"] }, key: keyA });
    expect(outside.statusCode).toBe(403);
    expect(outside.body).not.toContain("GLOBAL-TOKEN-123");
    const admin = await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "config.get", args: ["global_token"] } });
    expect(admin.json().value).toBe("GLOBAL-TOKEN-123");
  });

  it("a wrong BIFROST_SECRET_KEY fails loudly rather than returning garbage", async () => {
    const { SecretBox } = await import("@bifrost/storage/secret-box.js");
    const sealed = new SecretBox(Buffer.alloc(32, 1)).seal('"x"');
    expect(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed)).toThrow(/not the key it was stored with/);
  });
});

describe("config over HTTP", () => {
  it("CRUD with validation, and isolation between organizations", async () => {
    const put = await t.call({ method: "PUT", url: "/api/config/ticket_queue", payload: { value: "Desk" }, key: keyB });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ key: "ticket_queue", type: "string", value: "Desk", scope: orgB });
    expect((await t.call({ method: "GET", url: "/api/config/ticket_queue", key: keyB })).json().value).toBe("Desk");
    expect((await t.call({ method: "GET", url: "/api/config/ticket_queue", key: keyA })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: `/api/config/ticket_queue?scope=${orgB}`, key: keyA })).statusCode).toBe(403);
    const badType = await t.call({ method: "PUT", url: "/api/config/n", payload: { value: "x", type: "int" }, key: keyB });
    expect(badType.statusCode).toBe(422);
    expect(badType.json().error.fields[0].path).toBe("value");
    expect((await t.call({ method: "PUT", url: "/api/config/bad%20key", payload: { value: 1 }, key: keyB })).statusCode).toBe(422);
    expect((await t.call({ method: "PUT", url: "/api/config/g2", payload: { value: 1, scope: "global" }, key: keyB })).statusCode).toBe(403);
    expect((await t.call({ method: "DELETE", url: "/api/config/ticket_queue", key: keyA })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: "/api/config/ticket_queue", key: keyB })).statusCode).toBe(204);
    // a platform admin manages any scope
    const admin = await t.call({ method: "PUT", url: "/api/config/for_b", payload: { value: 1, scope: orgB } });
    expect(admin.json().scope).toBe(orgB);
  });
});

describe("workflows, executions and organizations inside workflows", () => {
  it("workflows.run waits for the child's result; the child records its parent", async () => {
    const e = await exec("parent", { n: 21 }, keyA);
    expect(e.status).toBe("Success");
    expect(e.result.viaChild).toBe(42);
    const children = (await t.call({ method: "GET", url: "/api/executions?workflow=child&limit=10", key: keyA })).json().executions;
    const sync = children.find((c: { id: string }) => c.id !== e.result.queued && c.parentId === e.id);
    expect(sync).toMatchObject({ parentId: e.id, trigger: "workflow", orgId: orgA, status: "Success" });
    expect((await t.call({ method: "GET", url: `/api/executions/${sync.id}`, key: keyA })).json().input).toEqual({ n: 21 });
    const queued = (await t.call({ method: "GET", url: `/api/executions/${e.result.queued}`, key: keyA })).json();
    expect(queued).toMatchObject({ parentId: e.id, trigger: "workflow", workflowName: "child" });
  });

  it("a failing child is an error in the parent, naming the child run", async () => {
    const r = (await exec("callsFailing", {}, keyA)).result;
    expect(r.code).toBe("workflow_failed");
    expect(r.message).toMatch(/Workflow "failing" ended Failed \(execution [0-9a-f-]+\): child broke/);
  });

  it("invalid child input is a validation error, not a run", async () => {
    const r = (await exec("invalidChild", {}, keyA)).result;
    expect(r.code).toBe("validation_failed");
    expect(r.message).toContain("n");
  });

  it("a workflow calling itself forever stops at the depth limit with a clear error", async () => {
    const e = await exec("forever", {}, keyA);
    expect(e.status).toBe("Failed");
    expect(e.error).toContain("nest at most 10 deep");
  }, 60_000);

  it("parents waiting on children never deadlock the pool (more parents than workers)", async () => {
    const results = await Promise.all([1, 2, 3, 4].map((n) => exec("parent", { n }, keyA)));
    expect(results.map((r) => r.status)).toEqual(["Success", "Success", "Success", "Success"]);
  }, 60_000);

  it("executions are scoped to the caller's organization", async () => {
    const own = await exec("child", { n: 1 }, keyA);
    const theirs = await exec("child", { n: 2 }, keyB);
    expect((await exec("peek", { id: own.id }, keyA)).result).toEqual({ found: own.id, logs: 0 });
    expect((await exec("peek", { id: theirs.id }, keyA)).result).toEqual({ code: "not_found" });
    const orgIds = (await exec("recent", {}, keyA)).result as string[];
    expect(orgIds.length).toBeGreaterThan(0);
    expect(new Set(orgIds)).toEqual(new Set([orgA]));
  });

  it("an organization's workflows cannot run, list or get another organization's", async () => {
    expect((await exec("callByName", { name: "b_private" }, keyB)).result).toEqual({ result: "b's secret", listed: true });
    expect((await exec("callByName", { name: "b_private" }, keyA)).result).toEqual({ code: "not_found", listed: false });
    const id = (await t.call({ method: "GET", url: "/api/workflows/b_private", key: keyB })).json().id;
    expect((await exec("callByName", { name: id }, keyA)).result).toEqual({ code: "not_found", listed: false });
  });

  it("organizations are for platform admins only", async () => {
    expect((await exec("orgs", {})).result).toEqual(expect.arrayContaining(["Alpha", "Beta"]));
    expect((await exec("orgs", {}, keyA)).result).toMatchObject({ code: "forbidden" });
  });
});

describe("deleting an organization", () => {
  it("removes its keys, config, secrets, tables and endpoint keys, and nothing of other organizations", async () => {
    const { orgId, key } = await createOrgWithKey(t, "Doomed");
    await t.call({ method: "PUT", url: "/api/config/doomed_value", payload: { value: 1 }, key });
    await t.call({ method: "PUT", url: "/api/config/doomed_secret", payload: { value: "s3cr3t!", secret: true }, key });
    await t.call({ method: "POST", url: "/api/tables", payload: { name: "doomed_table" }, key });
    await t.call({ method: "POST", url: "/api/tables/doomed_table/documents", payload: { id: "d1", x: 1 }, key });
    const db = t.platform.engine.database.db;
    const count = async (table: "config_values" | "tables" | "table_documents", scope: string) =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).where("scope", "=", scope).executeTakeFirst())?.n);
    expect(await count("config_values", orgId)).toBe(2);
    expect(await count("table_documents", orgId)).toBe(1);
    const othersBefore = await count("config_values", orgA);
    expect((await t.call({ method: "DELETE", url: `/api/organizations/${orgId}` })).statusCode).toBe(204);
    expect(await count("config_values", orgId)).toBe(0);
    expect(await count("tables", orgId)).toBe(0);
    expect(await count("table_documents", orgId)).toBe(0);
    expect(await count("config_values", orgA)).toBe(othersBefore);
    expect((await t.call({ method: "GET", url: "/api/config", key })).statusCode).toBe(401);
  });
});

describe("the external SDK over HTTP", () => {
  const node = (path: string, env: Record<string, string>) =>
    run(process.execPath, [path], { env: { PATH: process.env.PATH ?? "", ...env }, cwd: join(import.meta.dirname, "../../..") }).then(
      (r) => r.stdout.trim(),
      (e: { stderr: string; stdout: string }) => `EXIT ${e.stderr}`,
    );
  // Scripts run from the repository root so `import "bifrost"` resolves like an installed package.
  const scriptIn = (body: string) => {
    const path = join(import.meta.dirname, `../../../.ext-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(path, `import { config, workflows, executions, organizations, BifrostError } from "bifrost";\n${body}\n`);
    return path;
  };

  it("reads, writes and runs with an organization key, exactly as inside a workflow", async () => {
    const path = scriptIn(`
      await config.set("from_laptop", { ok: true });
      const value = await config.get("from_laptop");
      const result = await workflows.run("child", { n: 5 });
      const list = await executions.list({ workflow: "child", limit: 1 });
      let orgError = null;
      try { await organizations.list(); } catch (e) { orgError = e.code + ":" + e.status; }
      console.log(JSON.stringify({ value, result, last: list[0].orgId, orgError }));`);
    try {
      const out = JSON.parse(await node(path, { BIFROST_URL: t.platform.url!, BIFROST_API_KEY: keyA }));
      expect(out).toEqual({ value: { ok: true }, result: { n: 5, doubled: 10, parent: "api" }, last: orgA, orgError: "forbidden:403" });
    } finally {
      (await import("node:fs")).rmSync(path, { force: true });
    }
  });

  it("says clearly when BIFROST_URL/BIFROST_API_KEY are missing or the key is wrong", async () => {
    const path = scriptIn(`try { await config.get("x"); } catch (e) { console.log(e.code + " | " + e.message); }`);
    try {
      expect(await node(path, {})).toMatch(/^not_configured \| config\.get\(\) needs the platform.*BIFROST_URL and BIFROST_API_KEY/);
      expect(await node(path, { BIFROST_URL: t.platform.url!, BIFROST_API_KEY: "bfk_wrong" })).toMatch(/^unauthorized \| .*rejected the API key \(401\)/);
      expect(await node(path, { BIFROST_URL: "http://127.0.0.1:1", BIFROST_API_KEY: "x" })).toMatch(/^unreachable \| config\.get\(\) could not reach/);
    } finally {
      (await import("node:fs")).rmSync(path, { force: true });
    }
  });

  it("retries reads through 502/503/504, but never writes", async () => {
    // A real proxy in front of the real platform that answers 503 to the first two requests.
    let seen = 0;
    const target = new URL(t.platform.url!);
    const proxy: Server = createServer((req, res) => {
      seen++;
      if (seen <= 2) {
        res.writeHead(503).end("busy");
        return;
      }
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const read = scriptIn(`console.log(JSON.stringify(await config.get("region")));`);
    const write = scriptIn(`try { await config.set("x", 1); console.log("ok"); } catch (e) { console.log(e.status); }`);
    try {
      seen = 0;
      expect(await node(read, { BIFROST_URL: url, BIFROST_API_KEY: keyA })).toBe('"us"'); // two 503s, then through
      expect(seen).toBe(3);
      seen = 0;
      expect(await node(write, { BIFROST_URL: url, BIFROST_API_KEY: keyA })).toBe("503"); // a write is tried once
      expect(seen).toBe(1);
    } finally {
      proxy.close();
      (await import("node:fs")).rmSync(read, { force: true });
      (await import("node:fs")).rmSync(write, { force: true });
    }
  });

  it("gives up after BIFROST_TIMEOUT_MS when the platform does not answer", async () => {
    const silent: Server = createServer(() => {
      /* accepts the request and never answers */
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const path = scriptIn(`const t0 = Date.now(); try { await config.set("x", 1); } catch (e) { console.log(e.code + " " + (Date.now() - t0 < 5000)); }`);
    try {
      expect(await node(path, { BIFROST_URL: url, BIFROST_API_KEY: keyA, BIFROST_TIMEOUT_MS: "300" })).toBe("timeout true");
    } finally {
      silent.closeAllConnections();
      silent.close();
      (await import("node:fs")).rmSync(path, { force: true });
    }
  });

  it("the SDK endpoint rejects unknown methods and bad payloads", async () => {
    const unknown = await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "nope.nothing", args: [] }, key: keyA });
    expect(unknown.statusCode).toBe(404);
    const bad = await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "config.get", args: "x" }, key: keyA });
    expect(bad.statusCode).toBe(422);
    expect((await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "config.get", args: ["k"] }, key: null })).statusCode).toBe(401);
  });
});
