import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { ChatRequest, CreateAgent, ScopeQuery, UpdateAgent } from "./agents.schemas.js";

const AgentSchema = z
  .object({
    id: z.string(),
    scope: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    systemPrompt: z.string(),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    tools: z.array(z.string()),
    knowledge: z.array(z.string()),
    maxIterations: z.number(),
    maxTokens: z.number(),
    access: z.object({ level: z.enum(["authenticated", "roleBased"]), roles: z.array(z.string()) }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ title: "Agent" });
const ChatAnswer = z
  .object({
    answer: z.string(),
    toolCalls: z.array(z.looseObject({})),
    usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number() }),
    iterations: z.number(),
    stopReason: z.string(),
    model: z.string(),
    provider: z.string(),
    knowledge: z.array(z.object({ namespace: z.string(), key: z.string(), score: z.number() })),
  })
  .loose();

export const agentsDocs: FeatureDocs = {
  tag: "Agents",
  description: "AI agents that call tool workflows, and chatting with them",
  routes: {
    "GET /api/agents": { summary: "List agents", query: ScopeQuery, responses: { 200: z.object({ agents: z.array(AgentSchema) }) } },
    "POST /api/agents": { summary: "Create an agent", body: CreateAgent, responses: { 201: AgentSchema }, errors: [409] },
    "GET /api/agents/:ref": { summary: "Get an agent by id or name", responses: { 200: AgentSchema } },
    "PUT /api/agents/:ref": { summary: "Change an agent", body: UpdateAgent, responses: { 200: AgentSchema }, errors: [409] },
    "DELETE /api/agents/:ref": { summary: "Delete an agent", responses: { 204: null } },
    "POST /api/agents/:ref/chat": { summary: "Chat: the agent answers, calling its tools", body: ChatRequest, responses: { 200: ChatAnswer }, errors: [409, 429, 502] },
    "POST /api/agents/:ref/chat/stream": {
      summary: "Chat, streamed: the answer as it is written, then each tool call with its run",
      description:
        "Newline-delimited JSON, one object a line: `{ type: \"text\", text }` pieces, `{ type: \"tool\", … , executionId }` for each tool call, then `{ type: \"done\", result }` (the same answer as `/chat`) or `{ type: \"error\", error: { code, message, status } }`. Closing the connection stops the chat.",
      body: ChatRequest,
      responses: { 200: { schema: z.string(), description: "A stream of JSON lines", contentType: "application/x-ndjson" } },
    },
  },
};
