import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";
import { startLlmServer, type LlmServer } from "./llm-server.js";

const API_KEY = "sk-agents-loopback-77c1";

const FILES = {
  "tools.ts": `
import { tool, workflow, z, context } from "bifrost";
export const lookupUser = tool(
  { name: "lookup_user", description: "Find a user by email", params: z.object({ email: z.email() }) },
  async ({ email }) => ({ email, name: "Ada", org: context.orgName, trigger: context.trigger }),
);
export const resetPassword = tool({ name: "reset.password", description: "Reset a password", params: z.object({ email: z.email() }) }, async ({ email }) => {
  if (email.startsWith("fail")) throw new Error("directory unreachable");
  return { reset: true };
});
export const deleteEverything = tool({ name: "delete_everything", params: z.object({}) }, async () => "deleted");
export const plain = workflow({ name: "plain_workflow" }, async () => "not a tool");
`,
};

let t: TestPlatform;
let llm: LlmServer;
let orgA: string;
let keyA: string;
let orgB: string;
let keyB: string;

const post = (url: string, payload: Record<string, unknown>, options: { key?: string; org?: string } = {}) => t.call({ method: "POST", url, payload, ...options });
const chat = (agent: string, message: string, options: { key?: string; org?: string; history?: unknown[] } = {}) =>
  post(`/api/agents/${agent}/chat`, { message, ...(options.history ? { history: options.history } : {}) }, options);
const agent = async (body: Record<string, unknown>) => {
  const res = await post("/api/agents", body);
  if (res.statusCode !== 201) throw new Error(`creating agent: ${res.body}`);
  return res.json() as { id: string; name: string; scope: string };
};
const execution = async (id: string, key?: string) => (await t.call({ method: "GET", url: `/api/executions/${id}`, key })).json();

beforeAll(async () => {
  llm = await startLlmServer({ apiKey: API_KEY });
  t = await startTestPlatform(FILES);
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
  const provider = await post("/api/ai/providers", { name: "loopback", kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, chatModel: "test-chat" });
  expect(provider.statusCode).toBe(201);
  await agent({ name: "helpdesk", description: "Helps with accounts", systemPrompt: "You are the helpdesk. Use the tools.", tools: ["lookup_user", "reset.password"] });
  await agent({ name: "alpha-bot", systemPrompt: "Alpha only.", tools: ["lookup_user"], scope: orgA });
});
afterAll(async () => {
  await t?.close();
  await llm?.close();
});

describe("defining agents", () => {
  it("refuses tools that are not isTool workflows, bad fields, and duplicates", async () => {
    const bad = await post("/api/agents", { name: "x", systemPrompt: "s", tools: ["plain_workflow", "missing", "lookup_user"] });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields).toEqual([
      { path: "tools.0", message: 'workflow "plain_workflow" is not offered as a tool (set isTool: true)' },
      { path: "tools.1", message: 'no workflow "missing" in the agent\'s scope' },
    ]);
    const fields = await post("/api/agents", { name: "bad name", systemPrompt: "", maxIterations: 0, unknown: 1 });
    expect(fields.statusCode).toBe(422);
    expect(fields.json().error.fields.map((f: { path: string }) => f.path).sort()).toEqual(["(body)", "maxIterations", "name", "systemPrompt"]);
    expect((await post("/api/agents", { name: "helpdesk", systemPrompt: "again" })).statusCode).toBe(409);
  });

  it("organization keys read their own and global agents, never another organization's, and change none", async () => {
    const listA = (await t.call({ method: "GET", url: "/api/agents", key: keyA })).json().agents.map((a: { name: string }) => a.name);
    expect(listA).toEqual(["alpha-bot", "helpdesk"]);
    const listB = (await t.call({ method: "GET", url: "/api/agents", key: keyB })).json().agents.map((a: { name: string }) => a.name);
    expect(listB).toEqual(["helpdesk"]);
    const alpha = (await t.call({ method: "GET", url: "/api/agents/alpha-bot", key: keyA })).json();
    expect(alpha).toMatchObject({ name: "alpha-bot", scope: orgA, tools: ["lookup_user"], maxIterations: 10, maxTokens: 100000 });
    expect((await t.call({ method: "GET", url: `/api/agents/${alpha.id}`, key: keyB })).statusCode).toBe(404);
    expect((await t.call({ method: "GET", url: "/api/agents/alpha-bot", key: keyB })).statusCode).toBe(404);
    expect((await post("/api/agents", { name: "mine", systemPrompt: "s" }, { key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "PUT", url: `/api/agents/${alpha.id}`, payload: { systemPrompt: "x" }, key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "DELETE", url: `/api/agents/${alpha.id}`, key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "GET", url: `/api/agents?scope=${orgA}`, key: keyB })).statusCode).toBe(403);
  });

  it("update and delete (admins)", async () => {
    const temp = await agent({ name: "temp", systemPrompt: "s" });
    const updated = await t.call({ method: "PUT", url: `/api/agents/${temp.id}`, payload: { description: "d", tools: ["lookup_user"], maxTokens: 500 } });
    expect(updated.json()).toMatchObject({ description: "d", tools: ["lookup_user"], maxTokens: 500, systemPrompt: "s" });
    expect((await t.call({ method: "PUT", url: `/api/agents/${temp.id}`, payload: { tools: ["plain_workflow"] } })).statusCode).toBe(422);
    expect((await t.call({ method: "DELETE", url: "/api/agents/temp" })).statusCode).toBe(204);
    expect((await t.call({ method: "GET", url: `/api/agents/${temp.id}` })).statusCode).toBe(404);
  });
});

describe("chatting with an agent", () => {
  it("runs the tool the model calls as an execution with trigger agent in the caller's organization, then answers", async () => {
    llm.enqueue({ toolCalls: [{ name: "lookup_user", arguments: { email: "ada@example.com" } }] }, { content: "Ada works at Alpha." });
    const res = await chat("helpdesk", "who is ada@example.com?", { key: keyA, history: [{ role: "user", content: "hello" }, { role: "assistant", content: "hi, how can I help?" }] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      answer: "Ada works at Alpha.",
      iterations: 2,
      stopReason: "answer",
      model: "test-chat",
      provider: "loopback",
      toolCalls: [{ tool: "lookup_user", input: { email: "ada@example.com" }, status: "Success", result: { email: "ada@example.com", name: "Ada", org: "Alpha", trigger: "agent" } }],
    });
    expect(body.usage.totalTokens).toBe(body.usage.inputTokens + body.usage.outputTokens);
    expect(body.usage.totalTokens).toBeGreaterThan(0);

    const run = await execution(body.toolCalls[0].executionId, keyA);
    expect(run).toMatchObject({ workflowName: "lookup_user", trigger: "agent", orgId: orgA, status: "Success" });
    expect((await t.call({ method: "GET", url: `/api/executions/${run.id}`, key: keyB })).statusCode).toBe(404);

    const [first, second] = llm.chats().slice(-2);
    expect(first!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(first!.messages[0]!.content).toBe("You are the helpdesk. Use the tools.");
    expect(first!.tools!.map((x) => x.function.name)).toEqual(["lookup_user", "reset_password"]);
    expect(first!.tools![0]!.function).toMatchObject({ description: "Find a user by email", parameters: { type: "object", properties: { email: { type: "string", format: "email" } }, required: ["email"] } });
    const toolMessage = second!.messages.find((m) => m.role === "tool")!;
    expect(String(toolMessage.content)).toContain('"name":"Ada"');
  });

  it("a failing tool and invalid arguments go back to the model as tool errors, not a 500", async () => {
    llm.enqueue(
      { toolCalls: [{ name: "reset_password", arguments: { email: "fail@example.com" } }, { name: "lookup_user", arguments: { email: "not-an-email" } }] },
      { content: "I could not reset it." },
    );
    const res = await chat("helpdesk", "reset fail@example.com", { key: keyB });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.answer).toBe("I could not reset it.");
    expect(body.toolCalls).toEqual([
      { tool: "reset.password", input: { email: "fail@example.com" }, executionId: expect.any(String), status: "Failed", error: "Error: directory unreachable" },
      { tool: "lookup_user", input: { email: "not-an-email" }, executionId: null, status: "Invalid", error: "Invalid arguments: email: must be a valid email" },
    ]);
    expect(await execution(body.toolCalls[0].executionId, keyB)).toMatchObject({ trigger: "agent", orgId: orgB, status: "Failed" });
    const toolMessages = llm.chats().at(-1)!.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
    expect(toolMessages).toEqual([expect.stringContaining("directory unreachable"), expect.stringContaining("Invalid arguments: email: must be a valid email")]);
  });

  it("one chat makes at most 50 tool calls: further ones go back to the model as errors and never run", async () => {
    const calls = Array.from({ length: 60 }, (_, i) => ({ name: "lookup_user", arguments: { email: `user${i}@example.com` } }));
    llm.enqueue({ toolCalls: calls }, { content: "Looked them up." });
    const res = await chat("helpdesk", "look up everyone", { key: keyA });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { toolCalls: Array<{ status: string; executionId: string | null; error?: string }> };
    expect(body.toolCalls).toHaveLength(60);
    expect(body.toolCalls.filter((c) => c.status === "Success")).toHaveLength(50);
    const refused = body.toolCalls.filter((c) => c.status === "Rejected");
    expect(refused).toHaveLength(10);
    expect(refused.every((c) => c.executionId === null && /already made 50 tool calls/.test(c.error!))).toBe(true);
  });

  it("a tool the agent may not call is refused and never runs", async () => {
    const before = (await t.call({ method: "GET", url: "/api/executions?workflow=delete_everything" })).json().executions.length;
    llm.enqueue({ toolCalls: [{ name: "delete_everything", arguments: {} }] }, { content: "I am not allowed to do that." });
    const body = (await chat("helpdesk", "delete everything", { key: keyA })).json();
    expect(body).toMatchObject({ answer: "I am not allowed to do that.", iterations: 2, toolCalls: [{ tool: "delete_everything", executionId: null, status: "Rejected", error: '"delete_everything" is not a tool of agent "helpdesk"' }] });
    expect((await t.call({ method: "GET", url: "/api/executions?workflow=delete_everything" })).json().executions.length).toBe(before);
    expect(String(llm.chats().at(-1)!.messages.find((m) => m.role === "tool")!.content)).toContain("delete_everything");
  });

  it("stops at maxIterations, and at maxTokens", async () => {
    await agent({ name: "looper", systemPrompt: "Keep looking.", tools: ["lookup_user"], maxIterations: 3 });
    const chatsBefore = llm.chats().length;
    for (let i = 0; i < 3; i++) llm.enqueue({ toolCalls: [{ name: "lookup_user", arguments: { email: `u${i}@example.com` } }] });
    const body = (await chat("looper", "find everyone", { key: keyA })).json();
    expect(body).toMatchObject({ answer: "", iterations: 3, stopReason: "max_iterations" });
    expect(body.toolCalls.map((c: { status: string }) => c.status)).toEqual(["Success", "Success", "Success"]);
    expect(llm.chats().length - chatsBefore).toBe(3);

    // A system prompt of 150 words costs more than the 100-token budget on the first call.
    await agent({ name: "budget", systemPrompt: "word ".repeat(150), tools: ["lookup_user"], maxTokens: 100 });
    llm.enqueue({ toolCalls: [{ name: "lookup_user", arguments: { email: "a@example.com" } }] });
    const limited = (await chat("budget", "go", { key: keyA })).json();
    expect(limited).toMatchObject({ iterations: 1, stopReason: "max_tokens", toolCalls: [{ status: "Success" }] });
    expect(limited.usage.totalTokens).toBeGreaterThanOrEqual(100);
  });

  it("an organization key cannot chat with another organization's agent (404); admins reach it in that organization", async () => {
    const alpha = (await t.call({ method: "GET", url: "/api/agents/alpha-bot", key: keyA })).json();
    expect((await chat("alpha-bot", "hi", { key: keyB })).statusCode).toBe(404);
    expect((await chat(alpha.id, "hi", { key: keyB })).statusCode).toBe(404);
    expect((await chat("alpha-bot", "hi")).statusCode).toBe(404); // an admin without X-Bifrost-Org sees global agents by name
    const asAdmin = await chat("alpha-bot", "hi", { org: orgA });
    expect(asAdmin.json()).toMatchObject({ answer: "echo: hi", iterations: 1, toolCalls: [] });
    expect((await chat("nope", "hi", { key: keyA })).statusCode).toBe(404);
    const invalid = await post("/api/agents/helpdesk/chat", { message: "", history: [{ role: "tool", content: "x" }] }, { key: keyA });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error.fields.map((f: { path: string }) => f.path)).toEqual(["message", "history.0.role"]);
  });

  it("an agent with knowledge namespaces answers with the caller's organization's knowledge (full-text without an embedding provider)", async () => {
    await agent({ name: "kb-bot", systemPrompt: "Answer from the runbooks.", knowledge: ["runbooks"] });
    const stored = await post("/api/sdk/call", { method: "knowledge.store", args: ["VPN access: install FortiClient and sign in with your Contoso account.", { namespace: "runbooks", key: "vpn" }] }, { key: keyA });
    expect(stored.statusCode, stored.body).toBe(200);
    await post("/api/sdk/call", { method: "knowledge.store", args: ["Beta VPN: use WireGuard with the Beta token.", { namespace: "runbooks", key: "vpn-beta" }] }, { key: keyB });
    const body = (await chat("kb-bot", "how do I get VPN access?", { key: keyA })).json();
    expect(body.knowledge).toEqual([{ namespace: "runbooks", key: "vpn", score: expect.any(Number) }]);
    const system = String(llm.chats().at(-1)!.messages.find((m) => m.role === "system")?.content);
    expect(system).toContain("Answer from the runbooks.");
    expect(system).toContain("install FortiClient");
    expect(system).not.toContain("WireGuard");
  });

  it("a provider that is down is 502, an error answer 502 with its message, a hang 504", async () => {
    await post("/api/ai/providers", { name: "down", kind: "openai-compatible", baseUrl: "http://127.0.0.1:1/v1", chatModel: "m" });
    await agent({ name: "downbot", systemPrompt: "s", provider: "down" });
    const down = await chat("downbot", "hi", { key: keyA });
    expect(down.statusCode).toBe(502);
    expect(down.json().error).toMatchObject({ code: "provider_error", message: expect.stringContaining('"down" could not be reached') });

    llm.enqueue({ status: 500, message: "model crashed" });
    const failed = await chat("helpdesk", "hi", { key: keyA });
    expect(failed.statusCode).toBe(502);
    expect(failed.json().error.message).toBe('The AI provider "loopback" answered HTTP 500: model crashed');

    await post("/api/ai/providers", { name: "slow", kind: "openai-compatible", baseUrl: llm.url, apiKey: API_KEY, chatModel: "test-chat", timeoutMs: 300 });
    await agent({ name: "slowbot", systemPrompt: "s", provider: "slow" });
    llm.enqueue({ content: "late", delayMs: 3000 });
    const hung = await chat("slowbot", "hi", { key: keyA });
    expect(hung.statusCode).toBe(504);
    expect(hung.json().error.code).toBe("provider_timeout");
  });

  it("streams the chat as NDJSON: answer pieces, each tool call with its run once it ran, then the result", async () => {
    llm.enqueue({ toolCalls: [{ name: "lookup_user", arguments: { email: "ada@example.com" } }] }, { content: "Ada works at Alpha, in the London office." });
    const res = await post("/api/agents/helpdesk/chat/stream", { message: "who is ada@example.com?" }, { key: keyA });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/x-ndjson; charset=utf-8");
    const events = res.body.trim().split("\n").map((l) => JSON.parse(l));
    const tool = events.findIndex((e) => e.type === "tool");
    const texts = events.filter((e) => e.type === "text");
    expect(events[tool].call).toMatchObject({ tool: "lookup_user", status: "Success", executionId: expect.any(String) });
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.map((e) => e.text).join("")).toBe("Ada works at Alpha, in the London office.");
    expect(events.indexOf(texts[0])).toBeGreaterThan(tool);
    expect(events.at(-1)).toMatchObject({ type: "done", result: { answer: "Ada works at Alpha, in the London office.", stopReason: "answer", toolCalls: [{ executionId: events[tool].call.executionId }] } });
    expect(await execution(events[tool].call.executionId, keyA)).toMatchObject({ workflowName: "lookup_user", trigger: "agent", orgId: orgA });

    // A failure after the stream started is its last line; one before it is an error answer.
    llm.enqueue({ status: 500, message: "model crashed" });
    const failed = await post("/api/agents/helpdesk/chat/stream", { message: "hi" }, { key: keyA });
    expect(JSON.parse(failed.body.trim().split("\n").at(-1)!)).toEqual({ type: "error", error: { code: "provider_error", status: 502, message: 'The AI provider "loopback" answered HTTP 500: model crashed' } });
    expect((await post("/api/agents/helpdesk/chat/stream", { message: "" }, { key: keyA })).statusCode).toBe(422);
    expect((await post("/api/agents/alpha-bot/chat/stream", { message: "hi" }, { key: keyB })).statusCode).toBe(404);
  });
});
