import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isPostgresUrl, openDatabase } from "@bifrost/storage/database.js";
import { ExecutionsRepo, type NewExecution } from "@bifrost/storage/executions.repo.js";
import { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import { ApiKeysRepo, hashApiKey } from "@bifrost/storage/api-keys.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { forEachDatabase } from "./databases.js";

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

describe("openDatabase", () => {
  it("chooses the backend by URL", async () => {
    expect(["postgres://u@h/db", "postgresql://h:5432/db", "POSTGRES://h/db"].every(isPostgresUrl)).toBe(true);
    expect(["./data/bifrost.db", "sqlite:./x.db", "sqlite:///tmp/x.db", ":memory:", "/var/postgres://x"].some(isPostgresUrl)).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "bifrost-url-"));
    try {
      for (const url of [":memory:", join(dir, "a.db"), `sqlite:${join(dir, "b.db")}`, `sqlite://${join(dir, "c", "c.db")}`]) {
        const database = await openDatabase(url);
        expect(database.dialect).toBe("sqlite");
        await database.close();
      }
      await expect(openDatabase("sqlite:")).rejects.toThrow(/names no SQLite file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

forEachDatabase((t) => {
  it(`opens through openDatabase as ${t.dialect}`, () => {
    expect(t.database.dialect).toBe(t.dialect);
  });


  describe("migrations", () => {
    it("are idempotent: opening the same database again keeps the data", async () => {
      const orgs = new OrganizationsRepo(t.database.db);
      const org = await orgs.create("Persisted");
      const again = await t.open();
      expect(await new OrganizationsRepo(again.db).get(org.id)).toMatchObject({ name: "Persisted" });
    });
  });

  describe("jobs", () => {
    it("claims due jobs once, in order, and completes only its own claim", async () => {
      const jobs = new JobsRepo(t.database.db);
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
      const jobs = new JobsRepo(t.database.db);
      const now = new Date().toISOString();
      await jobs.enqueue("r1", now, now);
      await jobs.claim("dead-owner:1", now, 10);
      expect(await jobs.releaseLocked("live-owner")).toContain("r1");
      expect((await jobs.claim("live-owner:1", new Date().toISOString(), 10)).map((j) => j.executionId)).toContain("r1");
    });

    it("concurrent claimers never take the same job (200 jobs, 4 claimers, each with its own connections)", async () => {
      const past = new Date(Date.now() - 1000).toISOString();
      const setup = new JobsRepo(t.database.db);
      for (let i = 0; i < 200; i++) await setup.enqueue(`c${String(i).padStart(3, "0")}`, past, past);
      const handles = await Promise.all([1, 2, 3, 4].map(() => t.open()));
      const perClaimer = await Promise.all(
        handles.map(async (h, n) => {
          const jobs = new JobsRepo(h.db);
          const got: string[] = [];
          for (let round = 0; ; round++) {
            const claimed = await jobs.claim(`claimer-${n}:${round}`, new Date().toISOString(), 7);
            if (claimed.length === 0) break;
            got.push(...claimed.map((j) => j.executionId).filter((id) => id.startsWith("c")));
          }
          return got;
        }),
      );
      const all = perClaimer.flat();
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
      expect(await setup.claim("late:1", new Date().toISOString(), 10)).toEqual([]);
    });
  });

  describe("executions", () => {
    it("compare-and-set updates only from the expected statuses", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      await repo.insert(exec("cas"));
      expect(await repo.update("cas", { status: "Cancelled" }, ["Pending"])).toBe(true);
      expect(await repo.update("cas", { status: "Running" }, ["Pending"])).toBe(false);
      expect((await repo.get("cas"))?.status).toBe("Cancelled");
    });

    it("stores JSON faithfully and filters by org", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      await repo.insert(exec("o1", { orgId: "org-1", input: { nested: { list: [1, "two", null] } } }));
      await repo.insert(exec("o2", { orgId: "org-2" }));
      await repo.update("o1", { result: { ok: true, n: 1.5 }, variables: { x: "y" } });
      const got = await repo.get("o1");
      expect(got).toMatchObject({ input: { nested: { list: [1, "two", null] } }, result: { ok: true, n: 1.5 }, variables: { x: "y" } });
      expect((await repo.list({ orgId: "org-1", limit: 10, offset: 0 })).executions.map((e) => e.id)).toEqual(["o1"]);
      expect((await repo.list({ orgId: null, limit: 100, offset: 0 })).executions.every((e) => e.orgId === null)).toBe(true);
    });

    it("keeps log lines in order and can leave out debug", async () => {
      const repo = new ExecutionsRepo(t.database.db);
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
      const keys = new ApiKeysRepo(t.database.db);
      const { key, apiKey } = await keys.create(null, "k");
      expect(key).toMatch(/^bfk_[A-Za-z0-9_-]{43}$/);
      expect((await keys.findActiveByHash(hashApiKey(key)))?.id).toBe(apiKey.id);
      await keys.revoke(apiKey.id);
      expect(await keys.findActiveByHash(hashApiKey(key))).toBeNull();
      expect(await keys.revoke(apiKey.id)).toBe(false);
    });
  });
});
