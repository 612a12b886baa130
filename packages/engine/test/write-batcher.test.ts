import { describe, expect, it } from "vitest";
import { WriteBatcher } from "@bifrost/engine/executor/write-batcher.js";
import { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import { forEachDatabase } from "../../storage/test/databases.js";

const principal = { keyId: null, userName: null, email: null, orgName: null, isPlatformAdmin: true };
const run = (id: string) => ({ id, workflowId: null, workflowName: "wf", orgId: null, userId: null, trigger: "api" as const, status: "Pending" as const, input: null, createdAt: "2025-01-01T00:00:00.000Z", parentId: null, principal });

forEachDatabase((t) => {
  describe("WriteBatcher", () => {
    it("a one-statement write alone runs without a transaction; queued with others it joins theirs", async () => {
      const batcher = new WriteBatcher(t.database.db);
      const repo = new ExecutionsRepo(t.database.db);
      const alone = await batcher.writeOne(async (db) => {
        await repo.insert(run("wb-alone"), db);
        return db.isTransaction;
      });
      expect(alone).toBe(false);
      const [joined, other] = await Promise.all([
        batcher.writeOne(async (db) => {
          await repo.insert(run("wb-joined"), db);
          return db.isTransaction;
        }),
        batcher.write(async (trx) => {
          await repo.insert(run("wb-other"), trx);
          return trx.isTransaction;
        }),
      ]);
      expect([joined, other]).toEqual([true, true]);
      expect((await repo.getMany(["wb-alone", "wb-joined", "wb-other"])).size).toBe(3);
    });

    it("a failing write fails only its caller, alone or batched", async () => {
      const batcher = new WriteBatcher(t.database.db);
      const repo = new ExecutionsRepo(t.database.db);
      await repo.insert(run("wb-dup"));
      await expect(batcher.writeOne((db) => repo.insert(run("wb-dup"), db))).rejects.toThrow();
      const results = await Promise.allSettled([
        batcher.writeOne((db) => repo.insert(run("wb-dup"), db)),
        batcher.writeOne((db) => repo.insert(run("wb-fine"), db)),
      ]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
      expect(await repo.get("wb-fine")).not.toBeNull();
    });
  });
});
