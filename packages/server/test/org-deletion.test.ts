/**
 * Deleting an organization cancels the runs it still had waiting, and a run of a deleted
 * organization that reaches a worker anyway (a retry, a message in flight) is cancelled
 * instead of run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "org-jobs.ts": `
import { workflow, logger, context } from "bifrost";
export const later = workflow({}, async () => { logger.info("later ran"); return "ran"; });
// Fails its first attempt; the retry is due 30 s later.
export const retriesLate = workflow({ retryPolicy: { maxRetries: 1, delaySeconds: 30 } }, async () => {
  if (context.attempt === 1) throw new Error("first attempt fails");
  logger.info("retry ran");
  return "retried";
});
// Runs ~1.5 s, fails, and is retried 1 s later.
export const slowThenRetried = workflow({ retryPolicy: { maxRetries: 1, delaySeconds: 1 } }, async () => {
  if (context.attempt === 1) {
    await new Promise((r) => setTimeout(r, 1500));
    throw new Error("first attempt fails");
  }
  logger.info("attempt 2 ran");
  return "ran for a deleted organization";
});
`,
};

let t: TestPlatform;

const get = async (id: string) => (await t.call({ method: "GET", url: `/api/executions/${id}` })).json();
const reaching = (id: string, check: (r: any) => boolean, what: string, timeoutMs = 15_000) =>
  eventually(async () => {
    const r = await get(id);
    return check(r) ? r : undefined;
  }, timeoutMs, what);

beforeAll(async () => {
  t = await startTestPlatform(FILES);
});
afterAll(async () => {
  await t?.close();
});

describe("deleting an organization", () => {
  it("cancels its delayed and retry-waiting runs (they never run) and answers a caller waiting on one", async () => {
    const { orgId, key } = await createOrgWithKey(t, "Leaving");
    const delayed = (await t.call({ method: "POST", url: "/api/workflows/later/run?delaySeconds=2", key })).json().executionId as string;
    expect((await get(delayed)).status).toBe("Scheduled");
    // A sync caller whose run failed once and waits 30 s for its retry.
    const waiting = t.call({ method: "POST", url: "/api/workflows/retriesLate/execute", key });
    const retrying = await eventually(
      async () => (await t.call({ method: "GET", url: "/api/executions?workflow=retriesLate&status=Scheduled" })).json().executions[0]?.id as string | undefined,
      10_000,
      "the retry to be scheduled",
    );

    expect((await t.call({ method: "DELETE", url: `/api/organizations/${orgId}` })).statusCode).toBe(204);

    for (const id of [delayed, retrying]) {
      expect(await get(id)).toMatchObject({ status: "Cancelled", errorType: "Cancelled", error: "The execution was cancelled: its organization was deleted" });
    }
    const answer = (await waiting).json();
    expect(answer).toMatchObject({ id: retrying, status: "Cancelled", error: "The execution was cancelled: its organization was deleted" });
    // Past the delay, the run still has not run.
    await new Promise((r) => setTimeout(r, 2500));
    const after = await get(delayed);
    expect(after).toMatchObject({ status: "Cancelled", result: null, startedAt: null });
    expect(after.logs).toEqual([]);
  }, 30_000);

  it("a run of the deleted organization that reaches a worker afterwards (its retry) is cancelled, not run", async () => {
    const { orgId, key } = await createOrgWithKey(t, "Racing");
    const id = (await t.call({ method: "POST", url: "/api/workflows/slowThenRetried/run", key })).json().executionId as string;
    await reaching(id, (r) => r.status === "Running" && r.startedAt !== null, "the first attempt to start");
    // Running while the organization goes: not cancelled by the deletion; its retry is
    // queued after it, for an organization that no longer exists.
    expect((await t.call({ method: "DELETE", url: `/api/organizations/${orgId}` })).statusCode).toBe(204);
    const e = await reaching(id, (r) => ["Success", "Failed", "Cancelled"].includes(r.status), "the run to end", 20_000);
    expect(e).toMatchObject({ status: "Cancelled", error: "The execution was cancelled: its organization was deleted", result: null });
    expect(e.attempts[0]).toMatchObject({ attempt: 1, status: "Failed", error: "first attempt fails" });
    expect(e.logs.map((l: { message: string }) => l.message)).not.toContain("attempt 2 ran");
  }, 30_000);
});
