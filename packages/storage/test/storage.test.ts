import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlite, type Database } from "@bifrost/storage/database.js";
import { ExecutionsRepo, type NewExecution } from "@bifrost/storage/executions.repo.js";
import { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import { ApiKeysRepo, hashApiKey } from "@bifrost/storage/api-keys.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";

const dir = mkdtempSync(join(tmpdir(), "bifrost-storage-"));
let database: Database;

beforeAll(async () => {
  database = await openSqlite(join(dir, "db", "test.db"));
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
const exec = (id: string, over: Partial<NewExecution> = {}): NewExecution => ({
  id,
  workflowId: "w1",
  workflowName: "wf",
  orgId: null,
  userId: null,
  trigger: "api",
  status: "Pending",
  input: { a: 1 },
  createdAt: new Date().toISOString(),
  parentId: null,
  principal,
  ...over,
});

describe("migrations", () => {
  it("are idempotent: opening the same file again keeps the data", async () => {
    const orgs = new OrganizationsRepo(database.db);
    const org = await orgs.create("Persisted");
    const again = await openSqlite(join(dir, "db", "test.db"));
    expect(await new OrganizationsRepo(again.db).get(org.id)).toMatchObject({ name: "Persisted" });
    await again.close();
  });
});

describe("jobs", () => {
  it("claims due jobs once, in order, and completes only its own claim", async () => {
    const jobs = new JobsRepo(database.db);
    const now = new Date();
    const past = new Date(now.getTime() - 1000).toISOString();
    const future = new Date(now.getTime() + 60_000).toISOString();
    await jobs.enqueue("j1", past, past);
    await jobs.enqueue("j2", now.toISOString(), past);
    await jobs.enqueue("j3", future, past);
    await jobs.enqueue("j1", past, past); // a duplicate enqueue keeps one row
    const first = await jobs.claim("owner:1", now.toISOString(), 10);
    expect(first.map((j) => j.executionId)).toEqual(["j1", "j2"]);
    expect(await jobs.claim("owner:2", now.toISOString(), 10)).toEqual([]); // nothing claimed twice
    expect(await jobs.nextRunAt()).toBe(future);

    // j1 is re-armed (a retry queued while its delivery finishes): completing the old claim leaves it.
    await jobs.enqueue("j1", past, past);
    await jobs.complete(first[0]!.id, "owner:1");
    await jobs.complete(first[1]!.id, "owner:1");
    const again = await jobs.claim("owner:3", now.toISOString(), 10);
    expect(again.map((j) => j.executionId)).toEqual(["j1"]);
  });

  it("releases jobs locked by a previous process", async () => {
    const jobs = new JobsRepo(database.db);
    const now = new Date().toISOString();
    await jobs.enqueue("r1", now, now);
    await jobs.claim("dead-owner:1", now, 10);
    expect(await jobs.releaseLocked("live-owner")).toContain("r1");
    expect((await jobs.claim("live-owner:1", new Date().toISOString(), 10)).map((j) => j.executionId)).toContain("r1");
  });
});

describe("executions", () => {
  it("compare-and-set updates only from the expected statuses", async () => {
    const repo = new ExecutionsRepo(database.db);
    await repo.insert(exec("cas"));
    expect(await repo.update("cas", { status: "Cancelled" }, ["Pending"])).toBe(true);
    expect(await repo.update("cas", { status: "Running" }, ["Pending"])).toBe(false);
    expect((await repo.get("cas"))?.status).toBe("Cancelled");
  });

  it("stores JSON faithfully and filters by org", async () => {
    const repo = new ExecutionsRepo(database.db);
    await repo.insert(exec("o1", { orgId: "org-1", input: { nested: { list: [1, "two", null] } } }));
    await repo.insert(exec("o2", { orgId: "org-2" }));
    await repo.update("o1", { result: { ok: true, n: 1.5 }, variables: { x: "y" } });
    const got = await repo.get("o1");
    expect(got).toMatchObject({ input: { nested: { list: [1, "two", null] } }, result: { ok: true, n: 1.5 }, variables: { x: "y" } });
    expect((await repo.list({ orgId: "org-1", limit: 10, offset: 0 })).executions.map((e) => e.id)).toEqual(["o1"]);
    expect((await repo.list({ orgId: null, limit: 100, offset: 0 })).executions.every((e) => e.orgId === null)).toBe(true);
  });

  it("keeps log lines in order and can leave out debug", async () => {
    const repo = new ExecutionsRepo(database.db);
    const ts = new Date().toISOString();
    await repo.appendLogs([
      { executionId: "L", seq: 1, level: "info", message: "a", ts },
      { executionId: "L", seq: 2, level: "debug", message: "b", ts },
      { executionId: "L", seq: 3, level: "error", message: "c", ts },
    ]);
    expect((await repo.logs("L", { includeDebug: false })).map((l) => l.message)).toEqual(["a", "c"]);
    expect((await repo.logs("L", { includeDebug: true, afterSeq: 1 })).map((l) => l.seq)).toEqual([2, 3]);
  });
});

describe("api keys", () => {
  it("are found by hash only while active", async () => {
    const keys = new ApiKeysRepo(database.db);
    const { key, apiKey } = await keys.create(null, "k");
    expect(key).toMatch(/^bfk_[A-Za-z0-9_-]{43}$/);
    expect((await keys.findActiveByHash(hashApiKey(key)))?.id).toBe(apiKey.id);
    await keys.revoke(apiKey.id);
    expect(await keys.findActiveByHash(hashApiKey(key))).toBeNull();
    expect(await keys.revoke(apiKey.id)).toBe(false);
  });
});
