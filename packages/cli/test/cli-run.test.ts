import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ESC, cli, envFor, eventually, startCli, startInstance, type Instance } from "./helpers.js";

const WORKFLOWS = `
import { workflow, z, logger } from "bifrost";

export const ticker = workflow(
  { params: z.object({ n: z.int().min(1), gapMs: z.int().default(150) }) },
  async ({ n, gapMs }) => {
    for (let i = 1; i <= n; i++) {
      logger.info("tick " + i);
      await new Promise((r) => setTimeout(r, gapMs));
    }
    logger.debug("debug detail");
    logger.warn("almost done");
    return { ticks: n };
  },
);

export const outcome = workflow(
  { params: z.object({ kind: z.enum(["ok", "fail", "partial", "slow"]) }), timeoutSeconds: 1 },
  async ({ kind }) => {
    logger.info("deciding " + kind);
    if (kind === "fail") throw new TypeError("the directory said no");
    if (kind === "partial") return { success: false, skipped: ["pc-2"] };
    if (kind === "slow") await new Promise((r) => setTimeout(r, 10_000));
    return { done: true };
  },
);

export const provision = workflow(
  {
    params: z.object({
      email: z.email(),
      licenses: z.int().min(1).max(10),
      ratio: z.number().default(0.5),
      admin: z.boolean().default(false),
      devices: z.array(z.string()).default([]),
      limits: z.array(z.int()).default([]),
      note: z.string().optional(),
    }),
  },
  async (params) => ({ types: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? "array:" + v.map((x) => typeof x).join(",") : typeof v])), params }),
);
`;

describe("bifrost run", () => {
  let b: Instance;

  beforeAll(async () => {
    b = await startInstance({ "flows.ts": WORKFLOWS });
  });
  afterAll(async () => {
    await b?.stop();
  });

  it("streams the log lines live and in order on stderr, then prints the result as JSON on stdout", async () => {
    const run = startCli(["run", "ticker", "--param", "n=6"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    const arrivals: { at: number; text: string }[] = [];
    run.proc.stderr!.on("data", (c) => arrivals.push({ at: Date.now(), text: String(c) }));
    const r = await run.done;
    const ended = Date.now();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ticks: 6 });
    const lines = r.stderr.split("\n").filter((l) => / (INFO|WARN|DEBUG|ERROR) /.test(l));
    expect(lines.map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, ""))).toEqual([
      "INFO  tick 1",
      "INFO  tick 2",
      "INFO  tick 3",
      "INFO  tick 4",
      "INFO  tick 5",
      "INFO  tick 6",
      "WARN  almost done",
    ]);
    expect(r.stderr).toMatch(/✓ Success in \d+(\.\d+)? m?s\n/);
    // live: the first line was on the terminal long before the run ended
    const first = arrivals.find((a) => a.text.includes("tick 1"))!;
    expect(ended - first.at).toBeGreaterThan(500);
    // NO_COLOR: not one escape sequence
    expect(r.stderr + r.stdout).not.toContain(ESC);
  });

  it("shows debug lines with --debug, and the whole record with --output json", async () => {
    const r = await cli(["run", "ticker", "-p", "n=1", "-p", "gapMs=1", "--debug", "--output", "json"], { env: envFor(b) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/DEBUG debug detail/);
    const record = JSON.parse(r.stdout);
    expect(record).toMatchObject({ workflowName: "ticker", status: "Success", result: { ticks: 1 }, input: { n: 1, gapMs: 1 } });
    expect(record.logs.map((l: { message: string }) => l.message)).toEqual(["tick 1", "debug detail", "almost done"]);
    const quiet = await cli(["run", "ticker", "-p", "n=1", "-p", "gapMs=1", "--json", "--quiet"], { env: envFor(b) });
    expect(quiet.stderr).toBe("");
    expect(JSON.parse(quiet.stdout).status).toBe("Success");
  });

  it("exits 0 for Success, 1 for Failed and Timeout, 2 for CompletedWithErrors", async () => {
    const [ok, fail, partial, slow] = await Promise.all(
      ["ok", "fail", "partial", "slow"].map((kind) => cli(["run", "outcome", "--param", `kind=${kind}`], { env: envFor(b, undefined, { NO_COLOR: "1" }) })),
    );
    expect([ok!.code, JSON.parse(ok!.stdout)]).toEqual([0, { done: true }]);

    expect(fail!.code).toBe(1);
    expect(fail!.stdout).toBe("");
    expect(fail!.stderr).toContain("✗ Failed");
    expect(fail!.stderr).toContain("TypeError: the directory said no");
    expect(fail!.stderr).toMatch(/flows\.ts:\d+:\d+/); // the stack points at the user's file

    expect(partial!.code).toBe(2);
    expect(JSON.parse(partial!.stdout)).toEqual({ success: false, skipped: ["pc-2"] });
    expect(partial!.stderr).toContain("CompletedWithErrors");

    expect(slow!.code).toBe(1);
    expect(slow!.stderr).toContain("✗ Timeout");
  });

  it("types --param values by the workflow's JSON Schema, on top of --input", async () => {
    const input = join(b.dir, "input.json");
    writeFileSync(input, JSON.stringify({ email: "ada@example.com", licenses: 1, note: "from file" }));
    const r = await cli(
      ["run", "provision", "--input", input, "--param", "licenses=3", "-p", "ratio=0.25", "-p", "admin=true", "-p", "devices=pc-1,pc-2", "-p", "limits=[1,2]"],
      { env: envFor(b) },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.params).toEqual({ email: "ada@example.com", licenses: 3, ratio: 0.25, admin: true, devices: ["pc-1", "pc-2"], limits: [1, 2], note: "from file" });
    expect(out.types).toMatchObject({ licenses: "number", ratio: "number", admin: "boolean", devices: "array:string,string", limits: "array:number,number", note: "string" });

    const stdin = await cli(["run", "provision", "--input", "-"], { env: envFor(b), input: JSON.stringify({ email: "bo@example.com", licenses: 2 }) });
    expect(JSON.parse(stdin.stdout).params).toMatchObject({ email: "bo@example.com", licenses: 2 });
  });

  it("exits 3 for bad input, with each field the server refused on its own line", async () => {
    const r = await cli(["run", "provision", "--param", "email=not-an-email", "--param", "licenses=99"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe('Error: Invalid input for "provision":');
    expect(lines.slice(1).map((l) => l.trim().split(":")[0]).sort()).toEqual(["email", "licenses"]);

    const notJson = await cli(["run", "provision", "--input", "-"], { env: envFor(b), input: "{nope" });
    expect(notJson.code).toBe(3);
    expect(notJson.stderr).toContain("--input (standard input) is not valid JSON");
    const noEquals = await cli(["run", "provision", "--param", "licenses"], { env: envFor(b) });
    expect(noEquals.code).toBe(3);
    expect(noEquals.stderr).toContain("--param licenses: write it as name=value");
  });

  it("exits 4 when the run cannot start: unknown workflow, bad key, unreachable server", async () => {
    const unknown = await cli(["run", "nope"], { env: envFor(b) });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr.trim()).toBe(`Error: Unknown workflow "nope" on ${b.url}: "bifrost workflows" lists what is registered (and what failed to load)`);
    const badKey = await cli(["run", "ticker", "-p", "n=1"], { env: envFor(b, "bfk_wrong-000000000000000000000000000000000000") });
    expect(badKey.code).toBe(4);
    expect(badKey.stderr).toContain("Invalid or revoked API key");
    const down = await cli(["run", "ticker"], { env: { ...envFor(b), BIFROST_URL: "http://127.0.0.1:9" } });
    expect(down.code).toBe(4);
    expect(down.stderr).toContain("Cannot reach http://127.0.0.1:9");
  });

  it("--async queues the run and prints only its execution id", async () => {
    const r = await cli(["run", "ticker", "-p", "n=1", "-p", "gapMs=1", "--async"], { env: envFor(b) });
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const record = await eventually(async () => {
      const e = (await b.api("GET", `/api/executions/${id}`)).json;
      return e.status === "Success" ? e : undefined;
    });
    expect(record.result).toEqual({ ticks: 1 });
  });

  it("Ctrl-C (SIGINT) cancels the run on the server", async () => {
    const run = startCli(["run", "ticker", "-p", "n=100", "-p", "gapMs=100"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    await eventually(() => (run.stderr().includes("tick 2") ? true : undefined), 15_000, "the run to log");
    const id = /execution ([0-9a-f-]{36})/.exec(run.stderr())![1]!;
    run.proc.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cancelling execution ${id}`);
    expect(r.stderr).toContain("✗ Cancelled");
    const record = (await b.api("GET", `/api/executions/${id}`)).json;
    expect(record.status).toBe("Cancelled");
    expect(record.logs.length).toBeLessThan(100);
  });

  it("colours levels and statuses on a terminal, and none with NO_COLOR=1", async () => {
    // `script` gives the CLI a pseudo-terminal, as an engineer's shell does.
    const inPty = (extra: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const env = { ...envFor(b, undefined, extra), TERM: "xterm-256color" };
        const command = `${process.execPath} ${CLI} run outcome --param kind=fail`;
        const p = spawn("script", ["-qec", command, "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        p.stdout.on("data", (c) => (out += c));
        p.on("close", () => resolve(out));
      });
    const coloured = await inPty({});
    expect(coloured).toContain("deciding fail");
    expect(coloured).toContain(`${ESC}31m`); // red: Failed
    expect(coloured).toContain(`${ESC}36mINFO`); // cyan level
    const plainText = await inPty({ NO_COLOR: "1" });
    expect(plainText).toContain("deciding fail");
    expect(plainText).toContain("✗ Failed");
    expect(plainText).not.toContain(ESC);
  });
});

describe("bifrost executions and workflows", () => {
  let b: Instance;
  let id: string;

  beforeAll(async () => {
    b = await startInstance({
      "flows.ts": WORKFLOWS,
      "broken.ts": `import { workflow } from "bifrost";\nexport const broken = workflow({}, async () => {\n  return (;\n});\n`,
    });
    id = (await b.api("POST", "/api/workflows/ticker/execute", { n: 3, gapMs: 1 })).json.id;
    await b.api("POST", "/api/workflows/outcome/execute", { kind: "fail" });
  });
  afterAll(async () => {
    await b?.stop();
  });

  it("lists executions newest first, with the API's filters", async () => {
    const all = await cli(["executions"], { env: envFor(b) });
    expect(all.code).toBe(0);
    const rows = all.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^ID\s+WORKFLOW\s+STATUS\s+TRIGGER\s+CREATED\s+DURATION$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(1, 3))).toEqual([
      ["outcome", "Failed"],
      ["ticker", "Success"],
    ]);
    const failed = await cli(["executions", "list", "--status", "Failed", "--json"], { env: envFor(b) });
    expect(JSON.parse(failed.stdout).executions.map((e: { workflowName: string }) => e.workflowName)).toEqual(["outcome"]);
    const bad = await cli(["executions", "list", "--status", "Sleeping"], { env: envFor(b) });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("status");
  });

  it("shows one execution and its logs", async () => {
    const get = await cli(["executions", "get", id], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(get.code).toBe(0);
    expect(get.stdout).toContain("ticker Success");
    expect(get.stdout).toMatch(/result\n {2}\{\n {4}"ticks": 3/);
    expect(get.stdout).toContain("INFO  tick 3");
    const logs = await cli(["executions", "logs", id, "--json"], { env: envFor(b) });
    expect(logs.stdout.trim().split("\n").map((l) => JSON.parse(l).message)).toEqual(["tick 1", "tick 2", "tick 3", "almost done"]);
    const missing = await cli(["executions", "get", "00000000-0000-0000-0000-000000000000"], { env: envFor(b) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
  });

  it("follows a running execution's logs until it ends", async () => {
    const queued = (await b.api("POST", "/api/workflows/ticker/run", { n: 4, gapMs: 150 })).json.executionId;
    const r = await cli(["executions", "logs", queued, "--follow"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).map((l) => l.replace(/^\S+ /, ""))).toEqual(["INFO  tick 1", "INFO  tick 2", "INFO  tick 3", "INFO  tick 4", "WARN  almost done"]);
    expect(r.stderr).toContain("ended: Success");
  });

  it("lists what is registered and the files that failed to load, with file:line:column", async () => {
    const r = await cli(["workflows"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+KIND/);
    expect(r.stdout.split("\n").slice(1, 4).map((l) => l.split(/\s+/)[0])).toEqual(["outcome", "provision", "ticker"]);
    expect(r.stdout).toContain("1 file(s) failed to load:");
    expect(r.stdout).toContain("broken.ts:3:11: Expression expected.");

    const one = await cli(["workflows", "get", "provision"], { env: envFor(b, undefined, { NO_COLOR: "1" }) });
    expect(one.stdout).toMatch(/licenses\s+integer\s+required/);
    expect(one.stdout).toMatch(/ratio\s+number\s+default 0\.5/);
    expect(one.stdout).toMatch(/devices\s+string\[\]/);
    const unknown = await cli(["workflows", "get", "nope"], { env: envFor(b) });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown workflow "nope"');
  });
});
