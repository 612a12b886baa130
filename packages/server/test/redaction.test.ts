/**
 * Secrets a run read never reach what the platform keeps or shows of it — whatever their
 * characters, however the workflow writes them (a string, inside objects, as JSON, in an
 * error's name or message, through a nested run), and wherever a limit cuts the text.
 * Checked in the stored rows, the API's record, the executions list and the live stream.
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

const LINE_LIMIT = 64 * 1024;
const VARIABLE_LIMIT = 4096;

const FILES = {
  "leak.ts": `
import { workflow, workflows, z, config, logger } from "bifrost";

export const leak = workflow(
  {
    params: z.object({ key: z.string(), fail: z.enum(["none", "name", "message"]).default("none"), before: z.int().default(5) }),
    retryPolicy: { maxRetries: 1, delaySeconds: 0 },
  },
  async ({ key, fail, before }) => {
    const s = (await config.get<string>(key))!;
    await new Promise((r) => setTimeout(r, 300)); // time for a live stream to subscribe
    logger.info(s);
    logger.warn("in an object", { s });
    logger.info({ deep: { list: [{ s }] } });
    console.log("as json", JSON.stringify({ s }));
    logger.info("json inside an object", { body: JSON.stringify({ s }) });
    logger.error("%s and %o and %j", s, { s }, { s });
    // \`before\` characters of the secret sit before the 64 KiB cut of a line.
    logger.info("~".repeat(${LINE_LIMIT} - before) + s + "~~");
    // ... and before the 4,096-character cut of a variable's JSON text (after its quote).
    const edgeVariable = "~".repeat(${VARIABLE_LIMIT} - 1 - before) + s + "~~";
    const copy = { s, nested: [{ s }] };
    if (fail === "name") {
      const e = new Error("boom");
      e.name = s;
      throw e;
    }
    if (fail === "message") throw new Error("failed with " + s + " " + JSON.stringify({ s }));
    return { s, nested: [{ s }], text: "token=" + s, copy, edge: edgeVariable.length };
  },
);

export const leakObject = workflow({ params: z.object({ key: z.string() }) }, async ({ key }) => {
  const creds = (await config.get<Record<string, string>>(key))!;
  logger.info(creds);
  logger.info("secret part", creds.client_secret, { id: creds.client_id });
  console.log(JSON.stringify(creds));
  const parts = { ...creds };
  throw new Error("rejected " + JSON.stringify(parts));
});

export const parentLeak = workflow({ params: z.object({ key: z.string(), pause: z.int().default(0) }) }, async ({ key, pause }) => {
  const s = (await config.get<string>(key))!;
  const ok = await workflows.run("childLeak", { s, fail: false, pause });
  logger.info("child said", ok);
  try {
    await workflows.run("childLeak", { s, fail: true, pause });
  } catch (e) {
    logger.error("child failed:", e);
    return { caught: (e as Error).name + ": " + (e as Error).message };
  }
  return "no error";
});

export const childLeak = workflow({ params: z.object({ s: z.string(), fail: z.boolean(), pause: z.int().default(0) }) }, async ({ s, fail, pause }) => {
  logger.warn("child has", { s });
  await new Promise((r) => setTimeout(r, pause)); // longer than SYNC_RECORD_DELAY_MS: its Running row is written
  const mine = s + "!";
  if (fail) {
    const e = new Error("child boom " + s);
    e.name = s;
    throw e;
  }
  return { s, mine };
});
`,
};

/**
 * Each secret starts with a run of letters no other text of a record contains, so any
 * 4 characters of it found anywhere — however escaped — are a leak.
 */
const SECRETS: Record<string, { value: string; cores: string[] }> = {
  quotes: { value: `QwXrPk'it"s\`HmNv\``, cores: ["QwXrPk", "HmNv"] },
  backslash: { value: "ZgKwMs\\path\\JnRvQz\\", cores: ["ZgKwMs", "JnRvQz"] },
  pem: {
    value: "-----BEGIN PRIVATE KEY-----\nMHGkQwXnPzSj\nPjRsVmYtKq\n-----END PRIVATE KEY-----\n",
    cores: ["MHGkQwXnPzSj", "PjRsVmYtKq"],
  },
  unicode: { value: "HxKmWqЖщЮ☃😀\u0007é\u2028end", cores: ["HxKmWq", "ЖщЮ☃"] },
  four: { value: "GkWq", cores: ["GkWq"] },
  json: { value: `{"client_id":"NvQzHs","client_secret":"PwXgKm\\"q"}`, cores: ["NvQzHs", "PwXgKm"] },
};
const OBJECT_SECRET = { client_id: "RkMzWqHj", client_secret: "JhVnPx'y\"z" };
const OBJECT_CORES = ["RkMzWqHj", "JhVnPx"];

const windows = (cores: string[]) => cores.flatMap((c) => (c.length <= 4 ? [c] : Array.from({ length: c.length - 3 }, (_, i) => c.slice(i, i + 4))));

/** Every way the secret can be written by the platform's transformations. */
const formsOf = (s: string) => {
  const once = [JSON.stringify(s).slice(1, -1), inspect(s).slice(1, -1), inspect(`'"\`${s}`).slice(5, -1)];
  return [...new Set([s, ...once, ...once.flatMap((f) => [JSON.stringify(f).slice(1, -1), inspect(f).slice(1, -1)])])];
};

/** Fails when `text` holds 4 characters of a secret's letters. */
function expectNoLeak(text: string, cores: string[], where: string) {
  for (const w of windows(cores)) expect(text.includes(w), `${where} contains "${w}"`).toBe(false);
}

/** A cut text must not end with the beginning of the secret (4 characters or more, or all but one of a short one). */
function expectNoPrefixAtCut(kept: string, secret: string, where: string) {
  for (const form of formsOf(secret)) {
    for (let k = Math.min(4, form.length - 1); k < form.length; k++) {
      expect(kept.endsWith(form.slice(0, k)), `${where} ends with the first ${k} characters of the secret`).toBe(false);
    }
  }
}

async function readSse(res: Response): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  return text;
}

let t: TestPlatform;
let key: string;
const ids: string[] = [];

const call = (method: "GET" | "POST" | "PUT", url: string, payload?: unknown) => t.call({ method, url, key, ...(payload === undefined ? {} : { payload: payload as object }) });
const execute = async (name: string, payload: object) => {
  const r = await call("POST", `/api/workflows/${name}/execute`, payload);
  expect(r.statusCode, r.body).toBe(200);
  const record = r.json();
  ids.push(record.id);
  return { record, body: r.body };
};

beforeAll(async () => {
  t = await startTestPlatform(FILES, {}, { listen: true });
  ({ key } = await createOrgWithKey(t, "Redacted"));
  for (const [name, { value }] of Object.entries(SECRETS)) {
    expect((await call("PUT", `/api/config/secret_${name}`, { value, secret: true })).statusCode).toBe(200);
  }
  expect((await call("PUT", "/api/config/secret_object", { value: OBJECT_SECRET, secret: true })).statusCode).toBe(200);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe.each(Object.entries(SECRETS))("a secret with %s", (name, { value, cores }) => {
  const before = value.length > 5 ? 5 : value.length - 1;

  it("is redacted from logs (as a string, in objects, as JSON), the result and the variables, also where a line or a variable is cut", async () => {
    const { record, body } = await execute("leak", { key: `secret_${name}`, before });
    expect(record.status, record.error).toBe("Success");
    expectNoLeak(body, cores, "the /execute answer");
    expect(record.logs[0].message).toBe("[REDACTED]");
    expect(record.result).toMatchObject({ s: "[REDACTED]", nested: [{ s: "[REDACTED]" }], text: "token=[REDACTED]" });
    expect(record.variables.s).toBe("[REDACTED]");
    expect(record.variables.copy).toEqual({ s: "[REDACTED]", nested: [{ s: "[REDACTED]" }] });

    const edgeLine = record.logs.find((l: { message: string }) => l.message.startsWith("~~~~"));
    expect(edgeLine.message.endsWith("… [line truncated]")).toBe(true);
    const keptLine = edgeLine.message.slice(0, -"… [line truncated]".length);
    expect(keptLine.length).toBeLessThanOrEqual(LINE_LIMIT);
    expectNoPrefixAtCut(keptLine, value, "the cut log line");

    const edgeVariable = record.variables.edgeVariable as string;
    expect(edgeVariable).toMatch(/… \[truncated, \d+ characters\]$/);
    const keptVariable = edgeVariable.replace(/… \[truncated, \d+ characters\]$/, "");
    expect(keptVariable.length).toBeLessThanOrEqual(VARIABLE_LIMIT);
    expectNoPrefixAtCut(keptVariable, JSON.stringify(value).slice(1, -1), "the cut variable");
    expectNoPrefixAtCut(keptVariable, value, "the cut variable");

    const stored = await call("GET", `/api/executions/${record.id}`);
    expectNoLeak(stored.body, cores, "the stored record");
  });

  it("is redacted from a failure's errorType (its name), message and stack, in every attempt, in the list and the live stream", async () => {
    const started = await call("POST", "/api/workflows/leak/run", { key: `secret_${name}`, fail: "name", before });
    expect(started.statusCode).toBe(202);
    const id = started.json().executionId as string;
    ids.push(id);
    const stream = await readSse(await fetch(`${t.platform.url}/api/executions/${id}/logs/stream`, { headers: { authorization: `Bearer ${key}` } }));
    expect(stream).toContain("event: end");
    expect(stream).toContain('"message":"[REDACTED]"');
    expectNoLeak(stream, cores, "the live log stream");

    const record = (await call("GET", `/api/executions/${id}`)).json();
    expect(record.status).toBe("Failed");
    expect(record.errorType).toBe("[REDACTED]");
    expect(record.attempts.map((a: { errorType: string }) => a.errorType)).toEqual(["[REDACTED]", "[REDACTED]"]);
    const listed = (await call("GET", "/api/executions?workflow=leak&limit=500")).json().executions.find((e: { id: string }) => e.id === id);
    expect(listed.errorType).toBe("[REDACTED]");

    const byMessage = await execute("leak", { key: `secret_${name}`, fail: "message", before });
    expect(byMessage.record.status).toBe("Failed");
    expect(byMessage.record.error).toBe('failed with [REDACTED] {"s":"[REDACTED]"}');
    expect(byMessage.record.errorStack).toContain("failed with [REDACTED]");
    expectNoLeak(byMessage.body, cores, "the failed record");
  });

  it("is redacted from a nested run (workflows.run): its input, logs, result, error and errorType, and the parent's record", async () => {
    const { record, body } = await execute("parentLeak", { key: `secret_${name}` });
    expect(record.status, record.error).toBe("Success");
    expect(record.result.caught).toMatch(/^\[REDACTED\]: Workflow "childLeak" ended Failed .*child boom \[REDACTED\]$/);
    expectNoLeak(body, cores, "the parent's record");
    const children = (await call("GET", `/api/executions?workflow=childLeak&limit=500`)).json().executions.filter((e: { parentId: string }) => e.parentId === record.id);
    expect(children).toHaveLength(2);
    for (const child of children) {
      const full = await call("GET", `/api/executions/${child.id}`);
      expect(full.json().input.s).toBe("[REDACTED]");
      expect(full.json().logs[0].message).toBe("child has { s: '[REDACTED]' }");
      expectNoLeak(full.body, cores, "the nested run's record");
    }
    expect(children.find((c: { status: string }) => c.status === "Failed").errorType).toBe("[REDACTED]");
  });
});

describe("a JSON secret (an object)", () => {
  it("is redacted as a whole and each of its strings", async () => {
    const { record, body } = await execute("leakObject", { key: "secret_object" });
    expect(record.status).toBe("Failed");
    expectNoLeak(body, OBJECT_CORES, "the record");
    expect(record.logs[1].message).toBe("secret part [REDACTED] { id: '[REDACTED]' }");
    expect(record.logs[2].message).toBe("[REDACTED]");
  });
});

describe("a slow database", () => {
  it("a nested run's record written after the run ended (the delayed Running row) still has its input redacted", async () => {
    // Every batch of writes waits a second first: the nested runs' Running rows, queued
    // SYNC_RECORD_DELAY_MS after they started (they run 300 ms), are written after the
    // runs ended and their secrets were released (as on a loaded database).
    const batcher = t.platform.engine.batcher as unknown as { flush(): Promise<void> };
    const flush = batcher.flush;
    batcher.flush = async function (this: unknown) {
      await new Promise((r) => setTimeout(r, 1000));
      return flush.call(this);
    };
    try {
      const { record } = await execute("parentLeak", { key: "secret_quotes", pause: 300 });
      expect(record.status, record.error).toBe("Success");
      const children = (await call("GET", `/api/executions?workflow=childLeak&limit=500`)).json().executions.filter((e: { parentId: string }) => e.parentId === record.id);
      expect(children).toHaveLength(2);
      for (const child of children) {
        const full = await call("GET", `/api/executions/${child.id}`);
        expect(full.json().input.s).toBe("[REDACTED]");
        expectNoLeak(full.body, SECRETS.quotes!.cores, "the nested run's record");
      }
    } finally {
      delete (batcher as Partial<typeof batcher>).flush; // the prototype's again
    }
  });
});

describe("everything stored and listed", () => {
  it("holds nothing of any secret: the rows of every run and log line, and the executions list", async () => {
    const all = Object.values(SECRETS).flatMap((s) => s.cores).concat(OBJECT_CORES);
    const db = t.platform.engine.database.db;
    const rows = await db.selectFrom("executions").selectAll().execute();
    expect(rows.length).toBeGreaterThanOrEqual(ids.length);
    expectNoLeak(JSON.stringify(rows), all, "the executions table");
    expectNoLeak(JSON.stringify(await db.selectFrom("execution_logs").selectAll().execute()), all, "the execution_logs table");
    const list = await t.call({ method: "GET", url: "/api/executions?limit=500", key: ADMIN_KEY });
    expect(list.json().executions.length).toBeGreaterThanOrEqual(ids.length);
    expectNoLeak(list.body, all, "the executions list");
  });
});
