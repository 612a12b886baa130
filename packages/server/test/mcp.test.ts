import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "tools.ts": `
import { tool, workflow, z, context } from "bifrost";
export const lookup = tool(
  { name: "lookup_user", description: "Find a user by email", params: z.object({ email: z.email() }) },
  async ({ email }) => ({ email, org: context.orgId, trigger: context.trigger }),
);
export const described = workflow({ name: "reset_password", isTool: true, toolDescription: "Reset a user's password", description: "internal" }, async () => "reset");
export const broken = tool({ name: "broken_tool", description: "Always fails" }, async () => { throw new Error("backend down"); });
export const notATool = workflow({ name: "internal_only" }, async () => "hidden");
`,
};

let t: TestPlatform;
let orgA: string;
let keyA: string;

async function connect(key: string | null, org?: string) {
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${t.platform.url}/mcp`), {
    requestInit: { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(org ? { "x-bifrost-org": org } : {}) } },
  });
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  t = await startTestPlatform(FILES, {}, { listen: true });
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  const { orgId: orgB } = await createOrgWithKey(t, "Beta");
  t.write(`orgs/${orgB}/b-tools.ts`, `import { tool } from "bifrost";\nexport const bOnly = tool({ name: "b_only_tool", description: "B's" }, async () => "b");`);
  await t.platform.engine.indexer.refresh([`orgs/${orgB}/b-tools.ts`]);
});
afterAll(async () => {
  await t?.close();
});

describe("MCP server", () => {
  it("lists the organization's tools with their JSON Schema (execute_code for platform admins only)", async () => {
    const client = await connect(keyA);
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name).sort();
    expect(names).toEqual(["broken_tool", "lookup_user", "reset_password"]);
    const admin = await connect(ADMIN_KEY, orgA);
    expect((await admin.listTools()).tools.map((x) => x.name)).toContain("execute_code");
    await admin.close();
    const lookup = tools.find((x) => x.name === "lookup_user")!;
    expect(lookup.description).toBe("Find a user by email");
    expect(lookup.inputSchema).toMatchObject({ type: "object", properties: { email: { type: "string", format: "email" } }, required: ["email"] });
    expect(tools.find((x) => x.name === "reset_password")!.description).toBe("Reset a user's password");
    await client.close();
  });

  it("calls a tool as an execution with trigger tool, in the key's organization", async () => {
    const client = await connect(keyA);
    const result = await client.callTool({ name: "lookup_user", arguments: { email: "ada@example.com" } });
    expect(result.isError).toBeFalsy();
    const payload = JSON.parse((result.content as { text: string }[])[0]!.text);
    expect(payload).toEqual({ email: "ada@example.com", org: orgA, trigger: "tool" });
    const executionId = (result._meta as { executionId: string }).executionId;
    const record = (await t.call({ method: "GET", url: `/api/executions/${executionId}`, key: keyA })).json();
    expect(record).toMatchObject({ workflowName: "lookup_user", trigger: "tool", status: "Success", orgId: orgA });
    await client.close();
  });

  it("returns validation errors, failures and unknown tools as tool errors", async () => {
    const client = await connect(keyA);
    const invalid = await client.callTool({ name: "lookup_user", arguments: { email: "nope" } });
    expect(invalid.isError).toBe(true);
    expect((invalid.content as { text: string }[])[0]!.text).toBe("Invalid arguments: email: must be a valid email");
    const failed = await client.callTool({ name: "broken_tool", arguments: {} });
    expect(failed.isError).toBe(true);
    expect((failed.content as { text: string }[])[0]!.text).toMatch(/^Error: backend down \(execution [0-9a-f-]+\)$/);
    const hidden = await client.callTool({ name: "internal_only", arguments: {} });
    expect(hidden.isError).toBe(true);
    const otherOrg = await client.callTool({ name: "b_only_tool", arguments: {} });
    expect(otherOrg.isError).toBe(true);
    expect((otherOrg.content as { text: string }[])[0]!.text).toContain("not found");
    await client.close();
  });

  it("execute_code runs inline TypeScript with the SDK in the organization a platform admin acts in", async () => {
    const orgClient = await connect(keyA);
    const denied = await orgClient.callTool({ name: "execute_code", arguments: { code: "return 1;" } });
    expect(denied.isError).toBe(true);
    expect((denied.content as { text: string }[])[0]!.text).toContain("platform admins only");
    await orgClient.close();
    const client = await connect(ADMIN_KEY, orgA);
    const ok = await client.callTool({
      name: "execute_code",
      arguments: { code: 'import { context } from "bifrost";\nreturn { sum: params.a + params.b, org: context.orgId };', params: { a: 2, b: 3 } },
    });
    expect(JSON.parse((ok.content as { text: string }[])[0]!.text)).toEqual({ sum: 5, org: orgA });
    const bad = await client.callTool({ name: "execute_code", arguments: { code: "return (" } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]!.text).toContain("does not compile");
    const huge = await client.callTool({ name: "execute_code", arguments: { code: "return 1;", timeoutSeconds: 2_000_000 } });
    expect(huge.isError).toBe(true);
    const runs = (await t.call({ method: "GET", url: "/api/executions?trigger=tool&limit=50", key: keyA })).json().executions;
    expect(runs.some((e: { workflowName: string }) => e.workflowName === "(inline code)")).toBe(true);
    await client.close();
  });

  it("needs an API key", async () => {
    const denied = async (key: string | null) => {
      try {
        await connect(key);
        return "connected";
      } catch (error) {
        return String((error as Error).message);
      }
    };
    expect(await denied(null)).toContain("Missing API key");
    expect(await denied("bfk_wrong")).toContain("Invalid or revoked API key");
    const res = await fetch(`${t.platform.url}/mcp`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status).toBe(405);
  });
});
