import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogSearchPage } from "@bifrost/contracts/execution.js";
import { createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * The admins' log search across runs (GET /api/executions/logs: level, workflow,
 * organization, text, time, pages) and its organization isolation; and the `org` query
 * parameter a browser's EventSource sends instead of X-Bifrost-Org; and the `parent` filter
 * of GET /api/executions (a run page's child runs).
 */

const FILES = {
  "noisy.ts": `
import { workflow, workflows, z, logger } from "bifrost";
export const noisy = workflow({ name: "noisy", params: z.object({ tag: z.string() }) }, async ({ tag }) => {
  logger.debug("debug detail " + tag);
  logger.info("started " + tag);
  logger.warn("disk 100% full on " + tag);
  logger.error("PSA unreachable for " + tag);
  return { tag };
});
export const parentRun = workflow({ name: "parent_run", params: z.object({}) }, async () => {
  await workflows.run("quiet", {});
  await workflows.run("quiet", {});
  return { children: 2 };
});
export const quiet = workflow({ name: "quiet", params: z.object({}) }, async () => {
  logger.info("quiet run_1 done");
  return {};
});
`,
};

let t: TestPlatform;
let orgA: { orgId: string; key: string };
let orgB: { orgId: string; key: string };
const runs: Record<string, string> = {};

async function run(workflow: string, input: object, org?: string): Promise<string> {
  const res = await t.call({ method: "POST", url: `/api/workflows/${workflow}/execute`, payload: input, org });
  if (res.statusCode !== 200) throw new Error(`${workflow}: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

async function search(query: string, options: { key?: string | null; org?: string; headers?: Record<string, string> } = {}) {
  return t.call({ method: "GET", url: `/api/executions/logs${query}`, ...options });
}

async function lines(query: string, options: { key?: string; org?: string } = {}): Promise<LogSearchPage> {
  const res = await search(query, options);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as LogSearchPage;
}

async function session(email: string, password: string): Promise<string> {
  const res = await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
  return ([] as string[])
    .concat(res.headers["set-cookie"] ?? [])
    .map((c) => c.split(";")[0])
    .join("; ");
}

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  orgA = await createOrgWithKey(t, "Contoso");
  orgB = await createOrgWithKey(t, "Fabrikam");
  runs.a = await run("noisy", { tag: "contoso-1" }, orgA.orgId);
  runs.b = await run("noisy", { tag: "fabrikam-1" }, orgB.orgId);
  runs.quiet = await run("quiet", {}, orgA.orgId);
  runs.global = await run("noisy", { tag: "global-1" });
  // The worker writes lines shortly after the run ends: wait until every one is stored.
  await eventually(async () => ((await lines("?limit=500")).lines.length >= 4 * 3 + 1 ? true : undefined), 15_000, "stored log lines");
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe("log search across runs", () => {
  it("a platform admin finds lines of every organization, newest first, with their run", async () => {
    const page = await lines("?limit=500");
    expect(page.lines).toHaveLength(13);
    const times = page.lines.map((l) => l.ts);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(page.lines.map((l) => l.executionId))).toEqual(new Set(Object.values(runs)));
    const hit = page.lines.find((l) => l.message === "PSA unreachable for fabrikam-1")!;
    expect(hit).toMatchObject({ executionId: runs.b, workflowName: "noisy", orgId: orgB.orgId, status: "Success", level: "error" });
    // Platform admins see debug lines, as on a run's page.
    expect(page.lines.some((l) => l.level === "debug")).toBe(true);
  });

  it("filters by level, workflow, organization, text and time", async () => {
    const errors = await lines("?level=error");
    expect(errors.lines.map((l) => l.message).sort()).toEqual(["PSA unreachable for contoso-1", "PSA unreachable for fabrikam-1", "PSA unreachable for global-1"]);
    const warnOrError = await lines("?level=warn,error");
    expect(warnOrError.lines.every((l) => l.level === "warn" || l.level === "error")).toBe(true);
    expect(warnOrError.lines).toHaveLength(6);
    expect((await lines("?workflow=quiet")).lines.map((l) => l.message)).toEqual(["quiet run_1 done"]);
    const inA = await lines(`?organizationId=${orgA.orgId}`);
    expect(new Set(inA.lines.map((l) => l.executionId))).toEqual(new Set([runs.a, runs.quiet]));
    // Text is matched literally and regardless of case: % and _ are no wildcards.
    expect((await lines(`?q=${encodeURIComponent("psa UNREACHABLE for contoso")}`)).lines.map((l) => l.executionId)).toEqual([runs.a]);
    expect((await lines(`?q=${encodeURIComponent("100%")}`)).lines).toHaveLength(3);
    expect((await lines(`?q=${encodeURIComponent("0% f")}`)).lines).toHaveLength(3);
    expect((await lines(`?q=${encodeURIComponent("%full")}`)).lines).toHaveLength(0);
    expect((await lines(`?q=${encodeURIComponent("run_1")}`)).lines).toHaveLength(1);
    expect((await lines(`?q=${encodeURIComponent("run_")}&workflow=noisy`)).lines).toHaveLength(0);
    const all = (await lines("?limit=500")).lines;
    const middle = all[6]!.ts;
    const since = await lines(`?since=${encodeURIComponent(middle)}&limit=500`);
    expect(since.lines.length).toBeGreaterThan(0);
    expect(since.lines.every((l) => l.ts >= middle)).toBe(true);
    const until = await lines(`?until=${encodeURIComponent(middle)}&limit=500`);
    expect(until.lines.every((l) => l.ts < middle)).toBe(true);
    expect(since.lines.length + until.lines.length).toBe(all.length);
  });

  it("pages: limit, offset and hasMore, without repeats", async () => {
    const first = await lines("?limit=5");
    const second = await lines("?limit=5&offset=5");
    const rest = await lines("?limit=10&offset=10");
    expect(first.hasMore).toBe(true);
    expect(second.hasMore).toBe(true);
    expect(rest.hasMore).toBe(false);
    expect(rest.lines).toHaveLength(3);
    const keys = [...first.lines, ...second.lines, ...rest.lines].map((l) => `${l.executionId}:${l.seq}`);
    expect(new Set(keys).size).toBe(13);
  });

  it("an organization admin searches its own organization only, without debug lines", async () => {
    const mine = await lines("?limit=500", { key: orgA.key });
    expect(new Set(mine.lines.map((l) => l.executionId))).toEqual(new Set([runs.a, runs.quiet]));
    expect(mine.lines.some((l) => l.level === "debug")).toBe(false);
    // Asking for another organization finds nothing (its lines are not revealed).
    expect((await lines(`?organizationId=${orgB.orgId}`, { key: orgA.key })).lines).toEqual([]);
    // A platform admin acting in one organization (X-Bifrost-Org) searches that one.
    const acting = await lines("?limit=500", { org: orgB.orgId });
    expect(new Set(acting.lines.map((l) => l.executionId))).toEqual(new Set([runs.b]));
    expect((await lines(`?organizationId=${orgA.orgId}`, { org: orgB.orgId })).lines).toEqual([]);
  });

  it("MSP members and customer users are refused (403)", async () => {
    for (const [email, organizationId] of [
      ["member@contoso.example", orgA.orgId],
      ["tech@msp.example", null],
    ] as const) {
      const created = await t.call({ method: "POST", url: "/api/users", payload: { email, name: email, password: "a long enough pass phrase", ...(organizationId ? { organizationId } : {}) } });
      expect(created.statusCode, created.body).toBe(201);
      const cookie = await session(email, "a long enough pass phrase");
      const res = await search("", { key: null, headers: { cookie } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("forbidden");
      // Their own history still answers.
      expect((await t.call({ method: "GET", url: "/api/executions", key: null, headers: { cookie } })).statusCode).toBe(200);
    }
  });

  it("bad filters are a 422 naming the field", async () => {
    const cases: [string, string][] = [
      ["?level=loud", "level.0"],
      ["?limit=0", "limit"],
      ["?limit=501", "limit"],
      ["?offset=-1", "offset"],
      ["?since=yesterday", "since"],
      [`?q=${"x".repeat(201)}`, "q"],
      ["?colour=red", "(body)"],
    ];
    for (const [query, path] of cases) {
      const res = await search(query);
      expect(res.statusCode, query).toBe(422);
      expect(res.json().error.fields.map((f: { path: string }) => f.path), query).toEqual([path]);
    }
  });
});

describe("the org query parameter (EventSource cannot send X-Bifrost-Org)", () => {
  const stream = (id: string, query: string, key?: string) => t.call({ method: "GET", url: `/api/executions/${id}/logs/stream${query}`, key });

  it("acts in the organization it names, with the header's checks", async () => {
    // Acting in Fabrikam, Contoso's run does not exist; in Contoso it streams.
    expect((await stream(runs.a!, `?org=${orgB.orgId}`)).statusCode).toBe(404);
    const ok = await stream(runs.a!, `?org=${orgA.orgId}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["content-type"]).toContain("text/event-stream");
    expect(ok.body).toContain("PSA unreachable for contoso-1");
    expect(ok.body).toContain("event: end");
    // The global run is not visible from inside an organization.
    expect((await stream(runs.global!, `?org=${orgA.orgId}`)).statusCode).toBe(404);
    expect((await stream(runs.global!, "")).statusCode).toBe(200);
    // An unknown organization is 404; an organization key naming another one is 403.
    expect((await stream(runs.a!, "?org=no-such-org")).statusCode).toBe(404);
    expect((await stream(runs.a!, `?org=${orgB.orgId}`, orgA.key)).statusCode).toBe(403);
    expect((await stream(runs.a!, `?org=${orgA.orgId}`, orgA.key)).statusCode).toBe(200);
    // Lists respect it too (any GET), and the header wins over it.
    const listed = await t.call({ method: "GET", url: `/api/executions?org=${orgB.orgId}` });
    expect(listed.json().executions.map((e: { id: string }) => e.id)).toEqual([runs.b]);
    const both = await t.call({ method: "GET", url: `/api/executions?org=${orgB.orgId}`, org: orgA.orgId });
    expect(new Set(both.json().executions.map((e: { id: string }) => e.id))).toEqual(new Set([runs.a, runs.quiet]));
  });

  it("writes ignore it: a POST acts only where its header says", async () => {
    const res = await t.call({ method: "POST", url: `/api/workflows/quiet/execute?org=${orgB.orgId}`, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json().orgId).toBeNull();
  });
});

describe("GET /api/executions?parent=", () => {
  it("lists the runs a run started, within the caller's organization", async () => {
    const parent = await run("parent_run", {}, orgA.orgId);
    const children = await t.call({ method: "GET", url: `/api/executions?parent=${parent}` });
    expect(children.statusCode).toBe(200);
    const listed = children.json().executions as { parentId: string; workflowName: string; trigger: string }[];
    expect(listed).toHaveLength(2);
    expect(listed.every((c) => c.parentId === parent && c.workflowName === "quiet" && c.trigger === "workflow")).toBe(true);
    // Another organization's key finds none of them; its own key finds both.
    expect((await t.call({ method: "GET", url: `/api/executions?parent=${parent}`, key: orgB.key })).json().executions).toEqual([]);
    expect((await t.call({ method: "GET", url: `/api/executions?parent=${parent}`, key: orgA.key })).json().executions).toHaveLength(2);
    expect((await t.call({ method: "GET", url: `/api/executions?parent=${runs.a}` })).json().executions).toEqual([]);
    const bad = await t.call({ method: "GET", url: `/api/executions?parent=${"x".repeat(101)}` });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields[0].path).toBe("parent");
  });
});

describe("GET /api/executions filters: organization, person and text", () => {
  it("narrow what the caller may see, and never widen it", async () => {
    const ids = async (query: string, options: { key?: string | null; org?: string; headers?: Record<string, string> } = {}) => {
      const res = await t.call({ method: "GET", url: `/api/executions${query}`, ...options });
      expect(res.statusCode, res.body).toBe(200);
      return new Set((res.json().executions as { id: string }[]).map((e) => e.id));
    };
    // Organization: a platform admin acting in every organization picks one.
    const inB = await ids(`?organizationId=${orgB.orgId}&limit=500`);
    expect(inB.has(runs.b!)).toBe(true);
    expect(inB.has(runs.a!) || inB.has(runs.global!)).toBe(false);
    // An organization's key asking for another organization finds nothing.
    expect(await ids(`?organizationId=${orgB.orgId}`, { key: orgA.key })).toEqual(new Set());
    // Text: in the workflow's name (any case), literally (`%` is no wildcard).
    const quiet = await ids("?q=QUIE&limit=500");
    expect(quiet.has(runs.quiet!) && !quiet.has(runs.a!)).toBe(true);
    expect(await ids("?q=%25&limit=500")).toEqual(new Set());
    // A person: a customer user runs a workflow; its admin filters by that user, and the user
    // asking for someone else's runs finds nothing.
    const password = "another long pass phrase";
    const made = await t.call({ method: "POST", url: "/api/users", payload: { email: "runner@contoso.example", name: "Runner", password, organizationId: orgA.orgId } });
    expect(made.statusCode, made.body).toBe(201);
    const userId = made.json().user.id as string;
    const cookie = await session("runner@contoso.example", password);
    const csrf = decodeURIComponent(/bifrost_csrf=([^;]+)/.exec(cookie)![1]!);
    const started = await t.call({ method: "POST", url: "/api/workflows/quiet/execute", payload: {}, key: null, headers: { cookie, "x-bifrost-csrf": csrf } });
    expect(started.statusCode, started.body).toBe(200);
    // (A short sync run's record is written in the next batch: wait until it is listed.)
    await eventually(async () => ((await ids(`?user=${userId}`, { key: orgA.key })).size > 0 ? true : undefined), 10_000, "the user's run listed");
    expect(await ids(`?user=${userId}`, { key: orgA.key })).toEqual(new Set([started.json().id]));
    expect(await ids(`?user=${userId}`)).toEqual(new Set([started.json().id]));
    expect(await ids("", { key: null, headers: { cookie } })).toEqual(new Set([started.json().id]));
    expect(await ids("?user=someone-else", { key: null, headers: { cookie } })).toEqual(new Set());
    const bad = await t.call({ method: "GET", url: `/api/executions?q=${"x".repeat(201)}` });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields[0].path).toBe("q");
  });
});
