import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scheduler } from "@bifrost/engine/scheduler/scheduler.js";
import type { Registry } from "@bifrost/engine/registry/registry.js";
import { createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "endpoints.ts": `
import { workflow, z, context } from "bifrost";
export const createTicket = workflow(
  { name: "create_ticket", endpointEnabled: true, allowedMethods: ["POST", "GET"], params: z.object({ title: z.string().min(1), priority: z.int().min(1).max(5).default(3) }) },
  async ({ title, priority }) => ({ title, priority, org: context.orgId, trigger: context.trigger }),
);
export const strict = workflow({ name: "strict_endpoint", endpointEnabled: true, disableGlobalKey: true }, async () => "own key only");
export const open = workflow({ name: "public_ping", endpointEnabled: true, publicEndpoint: true, allowedMethods: ["GET"] }, async () => ({ pong: true }));
export const later = workflow({ name: "async_endpoint", endpointEnabled: true, executionMode: "async" }, async () => "done later");
export const fails = workflow({ name: "failing_endpoint", endpointEnabled: true }, async () => { throw new Error("backend down"); });
export const internal = workflow({ name: "not_an_endpoint" }, async () => "hidden");
`,
  "schedules.ts": `
import { workflow, z } from "bifrost";
export const everySecond = workflow({ name: "every_second", schedule: "* * * * * *" }, async () => "tick");
export const hourly = workflow({ name: "hourly", schedule: { cron: "0 * * * *", timezone: "Europe/Amsterdam" } }, async () => "hour");
export const catchUp = workflow({ name: "catch_up", schedule: { cron: "0 3 * * *", catchUp: "once" } }, async () => "caught up");
export const everyTen = workflow({ name: "every_ten", schedule: { cron: "*/10 * * * * *", overlap: "allow" } }, async () => "ten");
export const slowTick = workflow({ name: "slow_tick", schedule: "*/2 * * * * *" }, async () => { await new Promise((r) => setTimeout(r, 5000)); return "slow"; });
export const badCron = workflow({ name: "bad_cron", schedule: "61 * * * *" }, async () => "never");
export const needsInput = workflow({ name: "needs_input", schedule: "0 * * * *", params: z.object({ tenant: z.string() }) }, async () => "never");
`,
};

let t: TestPlatform;
let orgA: string;
let orgB: string;
let keyA: string;
let keyB: string;

async function endpoint(method: string, path: string, options: { key?: string | null; payload?: unknown; query?: string } = {}) {
  return t.platform.app.inject({
    method: method as "GET",
    url: `${path}${options.query ? `?${options.query}` : ""}`,
    headers: options.key ? { "x-bifrost-key": options.key } : {},
    ...(options.payload === undefined ? {} : { payload: options.payload as object }),
  });
}

beforeAll(async () => {
  t = await startTestPlatform(FILES, { BIFROST_SCHEDULER: "false", BIFROST_ENDPOINT_RATE_LIMIT: "20" });
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
});
afterAll(async () => {
  await t?.close();
});

describe("HTTP endpoints", () => {
  let ownKey: { id: string; key: string };
  let globalKeyA: string;

  beforeAll(async () => {
    ownKey = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "crm webhook", workflow: "create_ticket" }, key: keyA })).json();
    globalKeyA = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "org A global" }, key: keyA })).json().key;
  });

  it("the workflow's own key runs it in the key's organization, body merged with query", async () => {
    const r = await endpoint("POST", "/api/endpoints/create_ticket", { key: ownKey.key, payload: { title: "Printer" }, query: "priority=5" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ title: "Printer", priority: 5, org: orgA, trigger: "endpoint" });
    const id = r.headers["x-bifrost-execution-id"] as string;
    expect((await t.call({ method: "GET", url: `/api/executions/${id}`, key: keyA })).json()).toMatchObject({ trigger: "endpoint", orgId: orgA });
    const viaUrl = await endpoint("POST", `/api/execute/${ownKey.key}`, { payload: { title: "By URL" } });
    expect(viaUrl.json().title).toBe("By URL");
  });

  it("the global key works unless the workflow disables it; its own key always does", async () => {
    expect((await endpoint("GET", "/api/endpoints/create_ticket", { key: globalKeyA, query: "title=Via+GET" })).json().title).toBe("Via GET");
    const refused = await endpoint("POST", "/api/endpoints/strict_endpoint", { key: globalKeyA });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toContain("does not accept the global endpoint key");
    const own = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "strict", workflow: "strict_endpoint" }, key: keyA })).json().key;
    expect((await endpoint("POST", "/api/endpoints/strict_endpoint", { key: own })).json()).toBe("own key only");
    // a workflow's own key does not open another workflow
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: own, payload: { title: "x" } })).statusCode).toBe(401);
  });

  it("public endpoints need no key; others do; wrong keys are 401", async () => {
    expect((await endpoint("GET", "/api/endpoints/public_ping")).json()).toEqual({ pong: true });
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { payload: { title: "x" } })).statusCode).toBe(401);
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: "bfe_wrong", payload: { title: "x" } })).statusCode).toBe(401);
    // an API key is not an endpoint key
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: keyA, payload: { title: "x" } })).statusCode).toBe(401);
  });

  it("methods outside allowedMethods are 405 with Allow; unknown or disabled endpoints 404", async () => {
    const r = await endpoint("DELETE", "/api/endpoints/create_ticket", { key: ownKey.key });
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe("POST, GET");
    expect((await endpoint("POST", "/api/endpoints/public_ping")).statusCode).toBe(405);
    expect((await endpoint("POST", "/api/endpoints/not_an_endpoint", { key: globalKeyA })).statusCode).toBe(404);
    expect((await endpoint("POST", "/api/endpoints/nope", { key: globalKeyA })).statusCode).toBe(404);
  });

  it("bad input is 422 per field; async answers 202; a failure is 500 with the execution id", async () => {
    const bad = await endpoint("POST", "/api/endpoints/create_ticket", { key: ownKey.key, payload: { title: "" }, query: "priority=9" });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields.map((f: { path: string }) => f.path)).toEqual(["title", "priority"]);
    const queued = await endpoint("POST", "/api/endpoints/async_endpoint", { key: globalKeyA });
    expect(queued.statusCode).toBe(202);
    expect(queued.json().executionId).toMatch(/[0-9a-f-]{36}/);
    const failed = await endpoint("POST", "/api/endpoints/failing_endpoint", { key: globalKeyA });
    expect(failed.statusCode).toBe(500);
    expect(failed.json().error).toMatchObject({ code: "execution_failed", message: "backend down", status: "Failed" });
  });

  it("keys rotate and revoke; another organization cannot see or touch them", async () => {
    const created = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "rotating", workflow: "create_ticket" }, key: keyA })).json();
    const rotated = (await t.call({ method: "POST", url: `/api/endpoint-keys/${created.id}/rotate`, key: keyA })).json();
    expect(rotated.key).not.toBe(created.key);
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: created.key, payload: { title: "x" } })).statusCode).toBe(401);
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: rotated.key, payload: { title: "x" } })).statusCode).toBe(200);
    expect((await t.call({ method: "POST", url: `/api/endpoint-keys/${created.id}/rotate`, key: keyB })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: `/api/endpoint-keys/${created.id}`, key: keyB })).statusCode).toBe(404);
    const listB = (await t.call({ method: "GET", url: "/api/endpoint-keys", key: keyB })).json().endpointKeys;
    expect(listB).toEqual([]);
    expect((await t.call({ method: "DELETE", url: `/api/endpoint-keys/${created.id}`, key: keyA })).statusCode).toBe(204);
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: rotated.key, payload: { title: "x" } })).statusCode).toBe(401);
    const rows = await t.platform.engine.database.db.selectFrom("endpoint_keys").select(["key_hash"]).execute();
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.key_hash))).toBe(true);
    const nonEndpoint = await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "x", workflow: "not_an_endpoint" }, key: keyA });
    expect(nonEndpoint.statusCode).toBe(422);
    expect((await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "x", scope: "global" }, key: keyA })).statusCode).toBe(403);
  });

  it("rate-limits each key with 429 and Retry-After", async () => {
    const key = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "burst", workflow: "create_ticket" }, key: keyA })).json().key;
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 22; i++) {
      const r = await endpoint("POST", "/api/endpoints/create_ticket", { key, payload: { title: `n${i}` } });
      statuses.push(r.statusCode);
      if (r.statusCode === 429) retryAfter = r.headers["retry-after"] as string;
    }
    expect(statuses.filter((s) => s === 200).length).toBe(20);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // another key is not affected
    expect((await endpoint("POST", "/api/endpoints/create_ticket", { key: ownKey.key, payload: { title: "other key" } })).statusCode).toBe(200);
  });
});

describe("schedules", () => {
  const engine = () => t.platform.engine;
  const scheduledRuns = async (name: string, since = "2000-01-01T00:00:00Z") =>
    (await t.call({ method: "GET", url: `/api/executions?workflow=${name}&trigger=schedule&limit=500&since=${since}` })).json().executions as { id: string; status: string }[];
  /** Puts a schedule's state back in time (advance() only moves forward, by design). */
  const rewind = (name: string, to: Date) =>
    engine().database.db.updateTable("schedule_state").set({ last_tick: to.toISOString(), last_execution_id: null }).where("workflow_id", "=", engine().registry.resolve(name, null)!.id).execute();

  it("lists schedules with their next run times and problems", async () => {
    const { schedules } = (await t.call({ method: "GET", url: "/api/schedules?count=3" })).json();
    const byName = Object.fromEntries(schedules.map((s: { workflowName: string }) => [s.workflowName, s]));
    expect(byName.hourly).toMatchObject({ cron: "0 * * * *", timezone: "Europe/Amsterdam", catchUp: "skip", overlap: "skip", paused: false, error: null });
    expect(byName.hourly.nextRuns).toHaveLength(3);
    expect(new Date(byName.hourly.nextRuns[0]).getUTCMinutes()).toBe(0);
    expect(byName.bad_cron.error).toContain("invalid schedule");
    expect(byName.bad_cron.nextRuns).toEqual([]);
    expect(byName.needs_input.error).toContain("tenant is required");
  });

  it("fires a due tick once, with trigger schedule, even with two schedulers racing", async () => {
    const e = engine();
    const second = new Scheduler({
      registry: e.registry,
      schedules: e.repos.schedules,
      executions: e.repos.executions,
      organizations: e.repos.organizations,
      executor: e.executor,
      validator: e.validator,
      log: () => undefined,
    });
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 + 10_000); // a whole second, in the future
    await e.scheduler.sync(start); // owed from the tick after it
    for (let i = 1; i <= 3; i++) {
      const at = new Date(start.getTime() + i * 1000 + 200);
      await Promise.all([e.scheduler.runOnce(at), second.runOnce(at), e.scheduler.runOnce(at), second.runOnce(at)]);
    }
    const wf = e.registry.resolve("every_second", null)!;
    const ticks = await e.repos.schedules.ticks(wf.id);
    expect(ticks.map((x) => x.tick)).toEqual([1, 2, 3].map((i) => new Date(start.getTime() + i * 1000).toISOString()));
    const runs = await eventually(async () => {
      const r = await scheduledRuns("every_second");
      return r.length === 3 && r.every((x) => x.status === "Success") ? r : undefined;
    });
    expect(new Set(runs.map((r) => r.id)).size).toBe(3);
  });

  it("skips ticks missed while down, unless catchUp is once (then runs one)", async () => {
    const e = engine();
    // Half past the hour: no tick of the hourly schedule is within the 60 s grace.
    const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 60_000);
    const longAgo = new Date(now.getTime() - 5 * 86_400_000);
    for (const name of ["hourly", "catch_up"]) await rewind(name, longAgo);
    const hourlyBefore = (await scheduledRuns("hourly")).length;
    await e.scheduler.runOnce(now);
    expect(await scheduledRuns("hourly")).toHaveLength(hourlyBefore);
    expect((await e.repos.schedules.get(e.registry.resolve("hourly", null)!.id))!.lastTick! > longAgo.toISOString()).toBe(true);
    await eventually(async () => ((await scheduledRuns("catch_up")).length === 1 ? true : undefined));
    await e.scheduler.runOnce(now); // nothing more is owed
    expect(await scheduledRuns("catch_up")).toHaveLength(1);
  });

  it("skips a tick while the previous scheduled run still goes", async () => {
    const e = engine();
    const wf = e.registry.resolve("slow_tick", null)!;
    const since = new Date().toISOString();
    const base = Math.ceil(Date.now() / 2000) * 2000 + 60_000;
    await rewind("slow_tick", new Date(base - 1));
    await e.scheduler.runOnce(new Date(base + 100));
    await eventually(async () => ((await scheduledRuns("slow_tick", since)).some((r) => r.status === "Running") ? true : undefined));
    await e.scheduler.runOnce(new Date(base + 2100)); // next tick: the first run still goes
    expect(await scheduledRuns("slow_tick", since)).toHaveLength(1);
    const state = await e.repos.schedules.get(wf.id);
    expect(state!.lastTick).toBe(new Date(base + 2000).toISOString());
  });

  it("a pass that comes late fires every tick still within the grace, oldest first; overlap skips are logged", async () => {
    const e = engine();
    const logged: string[] = [];
    const names = ["every_ten", "slow_tick"];
    const late = new Scheduler({
      // only these two schedules: the others' ticks are not this test's
      registry: { list: () => e.registry.list().filter((w) => names.includes(w.name)) } as unknown as Registry,
      schedules: e.repos.schedules,
      executions: e.repos.executions,
      organizations: e.repos.organizations,
      executor: e.executor,
      validator: e.validator,
      log: (_level, message) => logged.push(message),
    });
    await late.sync();
    const since = new Date().toISOString();
    const base = Math.floor(Date.now() / 10_000) * 10_000 - 86_400_000; // a day ago: no other test fires ticks there
    const at = (ms: number) => new Date(base + ms).toISOString();
    const inPass = (ticks: { tick: string }[]) => ticks.map((x) => x.tick).filter((x) => x >= at(0) && x <= at(25_000));
    for (const name of names) await rewind(name, new Date(base - 1));
    await late.runOnce(new Date(base + 25_000));
    // overlap "allow": each of the three ticks runs
    const ten = e.registry.resolve("every_ten", null)!;
    expect(inPass(await e.repos.schedules.ticks(ten.id))).toEqual([at(0), at(10_000), at(20_000)]);
    expect(await eventually(async () => ((await scheduledRuns("every_ten", since)).length === 3 ? true : undefined))).toBe(true);
    // overlap "skip": the first tick runs (for 5 s); each tick after it is skipped, and logged
    const slow = e.registry.resolve("slow_tick", null)!;
    expect(inPass(await e.repos.schedules.ticks(slow.id))).toEqual([at(0)]);
    const skipped = Array.from({ length: 12 }, (_, i) => at(2000 * (i + 1)));
    expect(logged.filter((m) => m.startsWith("schedule of slow_tick: tick "))).toEqual(
      skipped.map((tick) => expect.stringMatching(new RegExp(`^schedule of slow_tick: tick ${tick} skipped, the previous scheduled run \\S+ is still (Pending|Running)$`))),
    );
    expect((await e.repos.schedules.get(slow.id))!.lastTick).toBe(at(24_000));
    expect(await scheduledRuns("slow_tick", since)).toHaveLength(1);
  });

  it("pause and resume through the API; only admins for global schedules", async () => {
    expect((await t.call({ method: "POST", url: "/api/schedules/every_second/pause", key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "POST", url: "/api/schedules/every_second/pause" })).json()).toMatchObject({ paused: true });
    const e = engine();
    const before = (await scheduledRuns("every_second")).length;
    await e.scheduler.runOnce(new Date(Date.now() + 60_000));
    expect((await scheduledRuns("every_second")).length).toBe(before);
    const listed = (await t.call({ method: "GET", url: "/api/schedules" })).json().schedules.find((s: { workflowName: string }) => s.workflowName === "every_second");
    expect(listed).toMatchObject({ paused: true, nextRuns: [] });
    expect((await t.call({ method: "POST", url: "/api/schedules/every_second/resume" })).json()).toMatchObject({ paused: false });
    expect((await t.call({ method: "POST", url: "/api/schedules/create_ticket/pause" })).statusCode).toBe(404);
  });
});

describe("the scheduler loop", () => {
  it("fires on time by itself in a running platform", async () => {
    const live = await startTestPlatform({ "s.ts": FILES["schedules.ts"] });
    try {
      const runs = await eventually(async () => {
        const r = (await live.call({ method: "GET", url: "/api/executions?workflow=every_second&trigger=schedule&status=Success" })).json().executions;
        return r.length >= 2 ? r : undefined;
      }, 8000, "two scheduled runs");
      expect(runs[0].trigger).toBe("schedule");
    } finally {
      await live.close();
    }
  });
});
