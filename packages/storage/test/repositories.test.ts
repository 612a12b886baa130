import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import { ConfigRepo } from "@bifrost/storage/config.repo.js";
import { CustomFormsRepo } from "@bifrost/storage/custom-forms.repo.js";
import { EndpointKeysRepo } from "@bifrost/storage/endpoint-keys.repo.js";
import { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { SchedulesRepo } from "@bifrost/storage/schedules.repo.js";
import { TablesRepo } from "@bifrost/storage/tables.repo.js";
import { WorkflowsRepo, type StoredFile, type StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { forEachDatabase } from "./databases.js";

/** Every repository's dialect-sensitive paths (types read back, upserts, row counts, text order) on each backend. */
forEachDatabase((t) => {
  describe("organizations", () => {
    it("list by name in code point order, and delete everything stored for the organization", async () => {
      const orgs = new OrganizationsRepo(t.database.db);
      const b = await orgs.create("Beta");
      const a = await orgs.create("alpha");
      const e = await orgs.create("édition");
      expect((await orgs.list()).map((o) => o.name)).toEqual(["Beta", "alpha", "édition"]);
      expect(await orgs.rename(e.id, "Edition")).toMatchObject({ name: "Edition" });

      await new ApiKeysRepo(t.database.db).create(a.id, "k");
      await new ConfigRepo(t.database.db).set(a.id, "k", "string", '"v"');
      await new EndpointKeysRepo(t.database.db).create(a.id, null, "e");
      await new CustomFormsRepo(t.database.db).create(a.id, { name: "f", workflowId: "w", title: null, description: null, fields: [] });
      const tables = new TablesRepo(t.database);
      await tables.createTable(a.id, "t");
      await tables.insertDocuments(a.id, "t", [{ id: "1", data: '{"id":"1"}' }]);

      expect(await orgs.delete(a.id)).toBe(true);
      expect(await orgs.delete(a.id)).toBe(false);
      expect(await new ApiKeysRepo(t.database.db).list(a.id)).toEqual([]);
      expect(await new ConfigRepo(t.database.db).list([a.id])).toEqual([]);
      expect(await new EndpointKeysRepo(t.database.db).list(a.id)).toEqual([]);
      expect(await new CustomFormsRepo(t.database.db).list([a.id])).toEqual([]);
      expect(await tables.listTables(a.id)).toEqual([]);
      expect(await orgs.get(b.id)).not.toBeNull();
    });
  });

  describe("config", () => {
    it("upserts per scope and key, and reports deletes", async () => {
      const config = new ConfigRepo(t.database.db);
      await config.set("global", "b", "string", '"1"', "2025-01-01T00:00:00.000Z");
      await config.set("global", "B", "int", "2", "2025-01-01T00:00:00.000Z");
      await config.set("global", "b", "int", "3", "2025-02-01T00:00:00.000Z");
      expect(await config.get("global", "b")).toEqual({ scope: "global", key: "b", type: "int", value: "3", createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-02-01T00:00:00.000Z" });
      expect((await config.list(["global", "org-x"])).map((r) => r.key)).toEqual(["B", "b"]);
      expect(await config.list([])).toEqual([]);
      expect(await config.delete("global", "b")).toBe(true);
      expect(await config.delete("global", "b")).toBe(false);
    });
  });

  describe("schedules", () => {
    it("tracks state, moves only forward, and claims each tick once", async () => {
      const schedules = new SchedulesRepo(t.database.db);
      await schedules.ensure("w1", "* * * * *", "2025-01-01T00:00:00.000Z");
      await schedules.ensure("w1", "* * * * *", "2025-06-01T00:00:00.000Z"); // same expression: state kept
      expect(await schedules.get("w1")).toEqual({ workflowId: "w1", paused: false, cron: "* * * * *", lastTick: "2025-01-01T00:00:00.000Z", lastExecutionId: null });
      await schedules.setPaused("w1", true);
      expect((await schedules.get("w1"))?.paused).toBe(true);
      await schedules.advance("w1", "2025-01-01T00:02:00.000Z", "e2");
      await schedules.advance("w1", "2025-01-01T00:01:00.000Z", "e1"); // a slower scheduler
      expect(await schedules.get("w1")).toMatchObject({ lastTick: "2025-01-01T00:02:00.000Z", lastExecutionId: "e2" });

      const claims = await Promise.all([1, 2, 3, 4].map((n) => schedules.claimTick("w1", "2025-01-01T00:03:00.000Z", `s${n}`)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      await schedules.recordTickExecution("w1", "2025-01-01T00:03:00.000Z", "e3");
      expect(await schedules.ticks("w1")).toEqual([{ tick: "2025-01-01T00:03:00.000Z", executionId: "e3", firedBy: expect.stringMatching(/^s[1-4]$/) }]);
      await schedules.pruneTicks("2025-01-02T00:00:00.000Z");
      expect(await schedules.ticks("w1")).toEqual([]);
      expect((await schedules.all()).map((s) => s.workflowId)).toContain("w1");

      await schedules.ensure("w1", "0 * * * *", "2025-07-01T00:00:00.000Z"); // a new expression starts over
      expect(await schedules.get("w1")).toMatchObject({ cron: "0 * * * *", lastTick: "2025-07-01T00:00:00.000Z" });
    });
  });

  describe("endpoint keys", () => {
    it("rotate and revoke only active keys", async () => {
      const keys = new EndpointKeysRepo(t.database.db);
      const { endpointKey } = await keys.create("scope-e", "w1", "k1", "2025-01-01T00:00:00.000Z");
      const rotated = await keys.rotate(endpointKey.id);
      expect(rotated).toMatch(/^bfe_/);
      expect((await keys.get(endpointKey.id))?.rotatedAt).not.toBeNull();
      expect(await keys.revoke(endpointKey.id)).toBe(true);
      expect(await keys.revoke(endpointKey.id)).toBe(false);
      expect(await keys.rotate(endpointKey.id)).toBeNull();
      expect(await keys.list("scope-e")).toEqual([]);
    });
  });

  describe("custom forms", () => {
    it("are unique by scope and name, with fields as JSON", async () => {
      const forms = new CustomFormsRepo(t.database.db);
      const fields = [{ name: "ram", label: "RAM (GB)", default: 8 }, { name: "hidden", hidden: true, default: { a: [1, null] } }];
      const form = await forms.create("global", { name: "onboard", workflowId: "w1", title: "Onboard", description: null, fields });
      await expect(forms.create("global", { name: "onboard", workflowId: "w2", title: null, description: null, fields: [] })).rejects.toThrow();
      expect(await forms.findByName("global", "onboard")).toEqual(form);
      expect(await forms.update(form.id, { name: "onboard", workflowId: "w3", title: null, description: "d", fields: [] })).toMatchObject({ workflowId: "w3", description: "d", fields: [] });
      expect(await forms.delete(form.id)).toBe(true);
      expect(await forms.delete(form.id)).toBe(false);
    });
  });

  describe("workflows", () => {
    it("saves files and their workflows atomically and reads them back", async () => {
      const repo = new WorkflowsRepo(t.database.db);
      const now = "2025-01-01T00:00:00.000Z";
      const wf: StoredWorkflow = {
        id: "wf-1", name: "hello", kind: "workflow", orgId: null, description: null, category: "General", tags: ["a"],
        filePath: "hello.ts", exportName: "default", executionMode: "sync", timeoutSeconds: 1.5, retryPolicy: null,
        schedule: null, endpointEnabled: false, allowedMethods: ["POST"], disableGlobalKey: false, publicEndpoint: false,
        isTool: false, toolDescription: null, timeSaved: 2.25, value: 0.1, cacheTtl: null, paramsSchema: { type: "object" },
        sourceHash: "h", modulePath: "/m.js", updatedAt: now,
      };
      const file: StoredFile = { path: "hello.ts", orgId: null, sourceHash: "h", modulePath: "/m.js", inputs: { "hello.ts": "h" }, definitions: [], errors: [], createdAt: now, updatedAt: now };
      await repo.save([{ path: "hello.ts", file, workflows: [wf] }]);
      await repo.save([{ path: "hello.ts", file, workflows: [wf] }]); // saving again replaces
      expect(await repo.listWorkflows()).toEqual([wf]);
      expect(await repo.listFiles()).toEqual([file]);
      await repo.save([{ path: "hello.ts", file: null, workflows: [] }]);
      expect(await repo.listWorkflows()).toEqual([]);
    });
  });

  describe("executions", () => {
    it("reads numbers back as numbers: 64-bit integers, doubles, counts", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
      await repo.insert({ id: "num", workflowId: null, workflowName: "wf", orgId: null, userId: null, trigger: "api", status: "Pending", input: null, createdAt: "2025-01-01T00:00:00.000Z", parentId: null, principal });
      await repo.update("num", { durationMs: 3_000_000_000, tokensUsed: 2 ** 40, timeSaved: 0.1 + 0.2, value: 1e-300, attempt: 2 });
      expect(await repo.get("num")).toMatchObject({ durationMs: 3_000_000_000, tokensUsed: 2 ** 40, timeSaved: 0.1 + 0.2, value: 1e-300, attempt: 2, input: null });
      expect((await repo.getMany(["num", "none"])).size).toBe(1);
      const since = await repo.list({ since: "2025-01-01T00:00:00.000Z", until: "2025-01-01T00:00:00.001Z", limit: 10, offset: 0 });
      expect(since.executions.map((e) => e.id)).toEqual(["num"]);
      const { n } = await t.database.db.selectFrom("executions").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
      expect(typeof n).toBe("number");
    });

    it("two deliveries of one run: exactly one claim wins, pending or taken over from a dead process", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
      await repo.insert({ id: "dup", workflowId: null, workflowName: "wf", orgId: null, userId: null, trigger: "api", status: "Pending", input: null, createdAt: "2025-01-01T00:00:00.000Z", parentId: null, principal });
      const pending = { status: "Pending" as const, heartbeatAt: null };
      const first = await Promise.all([repo.claim("dup", "2025-01-01T00:00:01.000Z", pending), repo.claim("dup", "2025-01-01T00:00:01.001Z", pending)]);
      expect(first.filter(Boolean)).toHaveLength(1);
      // Its process dies; two redeliveries see the same stale heartbeat: one takes it over.
      const stale = { status: "Running" as const, heartbeatAt: (await repo.get("dup"))!.heartbeatAt! };
      const second = await Promise.all([repo.claim("dup", "2025-01-01T00:01:00.000Z", stale), repo.claim("dup", "2025-01-01T00:01:00.001Z", stale)]);
      expect(second.filter(Boolean)).toHaveLength(1);
      // A heartbeat refreshed since it was read: the run is alive, nobody takes it.
      expect(await repo.claim("dup", "2025-01-01T00:02:00.000Z", stale)).toBe(false);
    });

    it("Pending runs untouched for a while are found, and marked re-published by one process only", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
      const base = { workflowId: null, workflowName: "wf", orgId: null, userId: null, trigger: "api" as const, input: null, parentId: null, principal };
      await repo.insert({ ...base, id: "old-pending", status: "Pending", createdAt: "2025-01-01T00:00:00.000Z" });
      await repo.insert({ ...base, id: "new-pending", status: "Pending", createdAt: "2025-01-01T00:09:00.000Z" });
      await repo.insert({ ...base, id: "old-running", status: "Running", createdAt: "2025-01-01T00:00:00.000Z" });
      const before = "2025-01-01T00:05:00.000Z";
      const mine = async (at: string) => (await repo.stalePending(at)).map((r) => r.id).filter((id) => id.includes("-pending") || id === "old-running");
      expect(await mine(before)).toEqual(["old-pending"]);
      const marks = await Promise.all([
        repo.markRepublished("old-pending", null, "2025-01-01T00:06:00.000Z"),
        repo.markRepublished("old-pending", null, "2025-01-01T00:06:00.001Z"),
      ]);
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect(await mine(before)).toEqual([]); // not again until the period passed
      expect(await mine("2025-01-01T00:07:00.000Z")).toEqual(["old-pending"]);
    });

    it("Scheduled runs count as waiting only once overdue", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
      const base = { workflowId: null, workflowName: "wf", orgId: null, userId: null, trigger: "api" as const, input: null, parentId: null, principal, createdAt: "2025-01-01T00:00:00.000Z" };
      await repo.insert({ ...base, id: "sched-overdue", status: "Scheduled", notBefore: "2025-01-01T00:01:00.000Z" });
      await repo.insert({ ...base, id: "sched-future", status: "Scheduled", notBefore: "2025-01-02T00:00:00.000Z" });
      const mine = async (at: string) => (await repo.stalePending(at)).map((r) => r.id).filter((id) => id.startsWith("sched-"));
      expect(await mine("2025-01-01T00:05:00.000Z")).toEqual(["sched-overdue"]);
      expect(await repo.markRepublished("sched-overdue", null, "2025-01-01T00:06:00.000Z")).toBe(true);
      expect(await mine("2025-01-01T00:05:00.000Z")).toEqual([]);
      expect((await repo.get("sched-overdue"))!.notBefore).toBe("2025-01-01T00:01:00.000Z");
    });

    it("sync runs left Running by a dead process are found and reaped once", async () => {
      const repo = new ExecutionsRepo(t.database.db);
      const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
      const base = { workflowId: null, workflowName: "wf", orgId: null, userId: null, trigger: "api" as const, input: null, createdAt: "2025-01-01T00:00:00.000Z", parentId: null, principal };
      await repo.insert({ ...base, id: "sync-dead", status: "Running", heartbeatAt: "2025-01-01T00:00:00.000Z", sync: true });
      await repo.insert({ ...base, id: "sync-alive", status: "Running", heartbeatAt: "2025-01-01T00:10:00.000Z", sync: true });
      await repo.insert({ ...base, id: "queued-dead", status: "Running", heartbeatAt: "2025-01-01T00:00:00.000Z" });
      const found = await repo.abandonedSync("2025-01-01T00:05:00.000Z");
      expect(found.map((e) => e.id)).toEqual(["sync-dead"]); // queued runs are the queue's to redeliver
      const observed = { status: "Running" as const, heartbeatAt: "2025-01-01T00:00:00.000Z" };
      const reaps = await Promise.all([repo.reap("sync-dead", observed, { status: "Stuck" }), repo.reap("sync-dead", observed, { status: "Stuck" })]);
      expect(reaps.filter(Boolean)).toHaveLength(1);
      expect((await repo.get("sync-dead"))!.status).toBe("Stuck");
    });
  });

  if (t.dialect === "postgres") {
    it("postgres: text columns sort by code point whatever the database locale", async () => {
      const { rows } = await sql<{ collation_name: string | null; n: number }>`
        SELECT collation_name, count(*) AS n FROM information_schema.columns
        WHERE table_schema = current_schema() AND data_type = 'text' AND table_name NOT LIKE 'kysely%'
        GROUP BY collation_name`.execute(t.database.db);
      expect(rows).toEqual([{ collation_name: "C", n: expect.any(Number) }]);
    });
  }
});
