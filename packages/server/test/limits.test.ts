/**
 * The host enforces what a run may leave behind — the result, the log text, the variables
 * — whatever the workflow produces, and lists of executions stay small: a workflow that
 * writes ~100 MB ends with a clear status, and the platform's memory stays bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

const MiB = 1024 * 1024;
const LINE = 64 * 1024;

const manyVariables = Array.from({ length: 300 }, (_, i) => `  const v${i} = "${String(i).padStart(3, "0")}" + "~".repeat(4000);`).join("\n");

const FILES = {
  "big.ts": `
import { workflow, z, logger } from "bifrost";

// ~100 MB of output: 44 MiB of log lines (704 lines of 64 KiB), then a 60 MiB result.
export const flood = workflow({ timeoutSeconds: 120 }, async () => {
  const line = "L".repeat(${LINE} - 16);
  for (let i = 0; i < 704; i++) logger.info(String(i).padStart(15, "0") + " " + line);
  return { blob: "x".repeat(60 * ${MiB}) };
});

export const sized = workflow({ params: z.object({ bytes: z.int() }) }, async ({ bytes }) => ({ blob: "y".repeat(bytes) }));

export const partialBig = workflow({}, async () => ({ success: false, error: "partly", blob: "z".repeat(11 * ${MiB}) }));

export const longError = workflow({}, async () => {
  throw new Error("E".repeat(5000));
});

export const variablesGalore = workflow({}, async () => {
${manyVariables}
  return "ok";
});
`,
};

let t: TestPlatform;

/** The largest resident set of this process (the one hosting the platform) while `work` runs. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const value = await work();
    return { value, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(sampler);
  }
}

const waitFinal = (id: string, timeoutMs = 90_000) =>
  eventually(
    async () => {
      const r = await t.call({ method: "GET", url: `/api/executions/${id}/logs?after=1000000` });
      const status = r.json().status as string;
      return ["Success", "Failed", "CompletedWithErrors", "Timeout", "Cancelled", "Stuck"].includes(status) ? status : undefined;
    },
    timeoutMs,
    `execution ${id} to end`,
  );

beforeAll(async () => {
  // Room in the worker for a 60 MiB string and its JSON; the limits are the defaults.
  t = await startTestPlatform(FILES, { BIFROST_WORKER_MEMORY_MB: "512" });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe("a workflow that writes ~100 MB", () => {
  it("ends Failed (result_too_large), keeps 10 MiB of logs with one note, and the platform's memory stays bounded", async () => {
    // Warm up (first run of a child, first queries), then measure from a quiet state.
    expect((await t.call({ method: "POST", url: "/api/workflows/sized/execute", payload: { bytes: 10 } })).json().status).toBe("Success");
    const before = process.memoryUsage().rss;
    const { value: id, peak } = await peakRss(async () => {
      const started = await t.call({ method: "POST", url: "/api/workflows/flood/run" });
      expect(started.statusCode).toBe(202);
      const executionId = started.json().executionId as string;
      await waitFinal(executionId);
      return executionId;
    });
    const growth = peak - before;
    console.log(`rss before ${(before / MiB).toFixed(1)} MiB, peak during the run ${(peak / MiB).toFixed(1)} MiB, growth ${(growth / MiB).toFixed(1)} MiB`);

    const record = (await t.call({ method: "GET", url: `/api/executions/${id}` })).json();
    expect(record.status).toBe("Failed");
    expect(record.errorType).toBe("ResultTooLarge");
    expect(record.error).toContain(`a result may be at most ${10 * MiB} bytes (BIFROST_MAX_RESULT_BYTES)`);
    expect(record.error).toContain(`it is ${60 * MiB + 11} bytes of JSON`);
    expect(record.result).toBeNull();

    const logs = record.logs as { seq: number; level: string; message: string }[];
    const kept = logs.slice(0, -1);
    const note = logs.at(-1)!;
    const keptBytes = kept.reduce((n, l) => n + Buffer.byteLength(l.message), 0);
    expect(keptBytes).toBeLessThanOrEqual(10 * MiB);
    expect(keptBytes).toBeGreaterThan(10 * MiB - LINE);
    expect(kept.length).toBe(160); // 160 lines of 64 KiB make 10 MiB
    expect(kept.map((l) => Number(l.message.slice(0, 15)))).toEqual(Array.from({ length: 160 }, (_, i) => i));
    expect(note.level).toBe("warn");
    expect(note.message).toBe(`544 more log lines were dropped (${544 * LINE} bytes): a run keeps at most ${10 * MiB} bytes of log text (BIFROST_MAX_LOG_BYTES)`);

    // The list never carries logs or results: a page of everything stays small.
    const list = await t.call({ method: "GET", url: "/api/executions?limit=500" });
    expect(list.body.length).toBeLessThan(20_000);
    const listed = list.json().executions.find((e: { id: string }) => e.id === id);
    expect(listed).toMatchObject({ id, status: "Failed", errorType: "ResultTooLarge" });
    for (const field of ["result", "input", "variables", "logs", "errorStack", "attempts"]) expect(listed).not.toHaveProperty(field);

    // The run's 10 MiB of logs, 44 MiB received and 60 MiB refused never all sit in memory.
    expect(growth).toBeLessThan(160 * MiB);
  }, 120_000);
});

describe("result limit", () => {
  it("keeps a result up to BIFROST_MAX_RESULT_BYTES and fails one a byte over it", async () => {
    // {"blob":"…"} is the payload plus 11 bytes of JSON.
    const fits = (await t.call({ method: "POST", url: "/api/workflows/sized/execute", payload: { bytes: 10 * MiB - 11 } })).json();
    expect(fits.status).toBe("Success");
    expect(fits.result.blob).toHaveLength(10 * MiB - 11);
    const over = (await t.call({ method: "POST", url: "/api/workflows/sized/execute", payload: { bytes: 10 * MiB - 10 } })).json();
    expect(over).toMatchObject({ status: "Failed", errorType: "ResultTooLarge", result: null });
    expect(over.error).toContain(`it is ${10 * MiB + 1} bytes of JSON`);
  }, 60_000);

  it("applies to a CompletedWithErrors result too", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/partialBig/execute" })).json();
    expect(e).toMatchObject({ status: "Failed", errorType: "ResultTooLarge", result: null });
  }, 60_000);
});

describe("variables limit", () => {
  it("keeps variables up to BIFROST_MAX_VARIABLES_BYTES in all and says how many were left out", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/variablesGalore/execute" })).json();
    expect(e.status).toBe("Success");
    const names = Object.keys(e.variables);
    expect(Buffer.byteLength(JSON.stringify(e.variables))).toBeLessThanOrEqual(MiB + 200);
    // Each variable is 4,003 characters of text, 4,005 of JSON: cut at 4,096 they all stay whole.
    expect(e.variables.v0).toBe("000" + "~".repeat(4000));
    const keptCount = names.filter((n) => n.startsWith("v")).length;
    expect(keptCount).toBeGreaterThan(250);
    expect(keptCount).toBeLessThan(300);
    expect(e.variables["…"]).toBe(`${300 - keptCount} more variables were not kept: a run keeps at most ${MiB} bytes of variables (BIFROST_MAX_VARIABLES_BYTES)`);
  });
});

describe("executions list", () => {
  it("shows summaries: no input, result or variables, and the first 1,000 characters of a long error", async () => {
    const e = (await t.call({ method: "POST", url: "/api/workflows/longError/execute" })).json();
    expect(e.error).toHaveLength(5000);
    const listed = (await t.call({ method: "GET", url: "/api/executions?workflow=longError&limit=1" })).json().executions[0];
    expect(listed.id).toBe(e.id);
    expect(listed.error).toBe("E".repeat(1000) + "…");
    expect(Object.keys(listed).sort()).toEqual(
      ["id", "workflowId", "workflowName", "orgId", "userId", "trigger", "status", "error", "errorType", "durationMs", "createdAt", "startedAt", "completedAt", "attempt", "parentId", "tokensUsed", "timeSaved", "value"].sort(),
    );
    const full = (await t.call({ method: "GET", url: `/api/executions/${e.id}` })).json();
    expect(full.error).toHaveLength(5000);
  });
});
