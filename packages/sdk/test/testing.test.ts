import { describe, expect, it } from "vitest";
import { config, context, logger, tables, workflow, workflows, organizations, z, UserError } from "bifrost";
import { runWorkflow, TestPlatform } from "bifrost/testing";

const greet = workflow(
  { name: "greet", params: z.object({ name: z.string().min(1), times: z.int().default(2) }), timeSaved: 3 },
  async ({ name, times }) => {
    logger.info(`hi ${name}`);
    console.log("from console", times);
    if (name === "roi") context.roi.timeSaved = 30;
    return { greeting: `Hello ${name}`.repeat(times), org: context.orgName };
  },
);

const usesSecret = workflow({ name: "uses_secret" }, async () => {
  const token = await config.get<string>("token");
  const region = await config.get("region", { default: "eu" });
  logger.info(`calling with ${token}`);
  if (!token) throw new Error("no token");
  throw new UserError(`rejected ${token} in ${String(region)}`);
});

const parent = workflow({ name: "parent", params: z.object({ name: z.string() }) }, async ({ name }) => {
  const child = await workflows.run<{ greeting: string }>("greet", { name, times: 1 });
  return { child: child.greeting };
});

describe("bifrost/testing", () => {
  it("runs a handler with validated params (defaults applied), context and captured logs", async () => {
    const run = await runWorkflow(greet, { name: "Ada" }, { context: { orgId: "org-1", orgName: "Contoso" } });
    expect(run).toMatchObject({ status: "Success", result: { greeting: "Hello AdaHello Ada", org: "Contoso" }, error: null });
    expect(run.logs.map((l) => [l.level, l.message])).toEqual([
      ["info", "hi Ada"],
      ["info", "from console 2"],
    ]);
    expect(run.context).toMatchObject({ orgId: "org-1", isGlobalScope: false, roi: { timeSaved: 3, value: 0 } });
  });

  it("reports invalid params like the platform: the handler never runs", async () => {
    const run = await runWorkflow(greet, { name: "" });
    expect(run.status).toBe("Failed");
    expect(run.validationErrors).toEqual([{ path: "name", message: expect.any(String) }]);
    expect(run.logs).toEqual([]);
  });

  it("answers config from the test platform and redacts secrets from logs and errors", async () => {
    const platform = new TestPlatform({ secrets: { token: "s3cr3t-value" }, globalConfig: { region: "us" } });
    const run = await runWorkflow(usesSecret, {}, { platform });
    expect(run).toMatchObject({ status: "Failed", errorType: "UserError", error: "rejected [REDACTED] in us" });
    expect(run.logs[0]!.message).toBe("calling with [REDACTED]");
  });

  it("runs nested workflows in-process and records them", async () => {
    const platform = new TestPlatform({ workflows: [greet] });
    const run = await runWorkflow(parent, { name: "Bo" }, { platform });
    expect(run.result).toEqual({ child: "Hello Bo" });
    expect(platform.runs.map((r) => [r.workflowName, r.parentId === null])).toEqual([
      ["greet", false],
      ["parent", true],
    ]);
  });

  it("records ROI changes and partial failures", async () => {
    expect((await runWorkflow(greet, { name: "roi" })).context.roi.timeSaved).toBe(30);
    const partial = workflow({}, async () => ({ success: false, failed: 2 }));
    expect((await runWorkflow(partial)).status).toBe("CompletedWithErrors");
  });

  it("answers tables in memory with the platform's filter semantics", async () => {
    const platform = new TestPlatform();
    await platform.tables.create("devices");
    await platform.tables.insertBatch("devices", [
      { id: "a", ram: 16, os: "Windows 11" },
      { id: "b", ram: 8, os: "macOS" },
      { id: "c", ram: "32", os: "Windows 10" },
    ]);
    const bigWindows = workflow({}, async () => tables.query("devices", { where: { ram: { gte: 8 }, os: { startsWith: "Windows" } }, orderBy: "ram" }));
    const run = await runWorkflow(bigWindows, {}, { platform });
    // "32" is a string: it never compares with a number
    expect((run.result as { documents: { id: string }[] }).documents.map((d) => d.id)).toEqual(["a"]);
  });

  it("says clearly when a module has no in-memory stand-in, and lets tests add one", async () => {
    const listsOrgs = workflow({}, async () => organizations.list());
    const denied = await runWorkflow(listsOrgs);
    expect(denied.error).toContain("only platform admins");
    const asAdmin = await runWorkflow(listsOrgs, {}, { platform: new TestPlatform({ organizations: [{ id: "o1", name: "Contoso" }] }), context: { isPlatformAdmin: true } });
    expect(asAdmin.result).toEqual([expect.objectContaining({ id: "o1", name: "Contoso" })]);

    const custom = workflow({}, async () => (await import("bifrost")).config.get("x"));
    const platform = new TestPlatform();
    platform.handle("config.get", () => "faked");
    expect((await runWorkflow(custom, {}, { platform })).result).toBe("faked");
  });
});
