import { jsonSchema, streamText, tool, wrapLanguageModel, type ModelMessage, type StopCondition, type ToolSet } from "ai";
import type { ExecutionStatus } from "@bifrost/contracts/execution.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StoredAgent } from "@bifrost/storage/agents.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { HttpError } from "../../http-error.js";
import { providerError } from "../ai/ai-errors.js";
import { deadline, usageOf, type AiService, type AiUsage, type KnowledgeSource } from "../ai/ai.service.js";
import { visibleOrgOf } from "../sdk/scope.js";
import { canUse, type WorkflowsService } from "../workflows/workflows.service.js";

/** One tool call the model made, as the chat API reports it. */
export interface AgentToolCall {
  /** The workflow's name (or, for a tool the agent may not call, the name the model used). */
  tool: string;
  input: unknown;
  /** The execution the call ran as (trigger `agent`); null when it never started. */
  executionId: string | null;
  /** The execution's status, or `Rejected` (not a tool of this agent) / `Invalid` (arguments refused). */
  status: ExecutionStatus | "Rejected" | "Invalid";
  result?: unknown;
  error?: string;
}

export interface AgentChatResult {
  answer: string;
  toolCalls: AgentToolCall[];
  usage: AiUsage;
  /** Model calls made (each one may call tools). */
  iterations: number;
  /** `answer`: the model finished; `max_iterations` / `max_tokens`: a limit stopped it first. */
  stopReason: "answer" | "max_iterations" | "max_tokens";
  model: string;
  provider: string;
  knowledge: KnowledgeSource[];
}

/**
 * What a streamed chat sends as it happens (`POST /api/agents/{ref}/chat/stream`): pieces
 * of the answer, each tool call once it has run (with the execution it ran as), then the
 * whole result.
 */
export type AgentChatEvent = { type: "text"; text: string } | { type: "tool"; call: AgentToolCall } | { type: "done"; result: AgentChatResult };

/** Tool results longer than this (as JSON) reach the model truncated. */
const MAX_TOOL_RESULT_CHARS = 50_000;
/** Tool runs of one chat at the same time (a model may ask for many calls in one step). */
export const MAX_PARALLEL_TOOL_CALLS = 4;
/** Tool calls one chat may make in all; further calls go back to the model as errors. */
export const MAX_TOOL_CALLS_PER_CHAT = 50;

/** Runs at most `n` of the given tasks at once, in the order they ask. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** OpenAI-style function names allow [A-Za-z0-9_-]{1,64}: workflow names may also use dots and be longer. */
function toolNameFor(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  let candidate = base;
  for (let i = 2; taken.has(candidate); i++) candidate = `${base.slice(0, 60)}_${i}`;
  taken.add(candidate);
  return candidate;
}

function forModel(value: unknown): unknown {
  const json = JSON.stringify(value ?? null);
  return json.length > MAX_TOOL_RESULT_CHARS ? `${json.slice(0, MAX_TOOL_RESULT_CHARS)}… [truncated: ${json.length} characters in all]` : (value ?? null);
}

/**
 * One chat turn with an agent: the AI SDK's tool loop, where each tool is one of the
 * agent's `isTool` workflows run synchronously through the platform's one engine path
 * (trigger `agent`, in the caller's organization, as the caller). Bounded by the agent's
 * `maxIterations` (model calls) and `maxTokens` (all calls together). Tool failures and
 * invalid arguments go back to the model as tool errors; provider failures are 502/504.
 */
export async function runAgentChat(
  deps: { ai: AiService; workflows: WorkflowsService; engine: Engine },
  caller: SdkCaller,
  agent: StoredAgent,
  input: { message: string; history: { role: "user" | "assistant"; content: string }[] },
  /** Streamed callers: each piece of the answer and each finished tool call, as they happen; `signal` stops the chat. */
  stream: { emit?: (event: AgentChatEvent) => void; signal?: AbortSignal } = {},
): Promise<AgentChatResult> {
  const target = await deps.ai.chatTarget(caller, { provider: agent.provider, model: agent.model });

  let system = agent.systemPrompt;
  let sources: KnowledgeSource[] = [];
  if (agent.knowledge.length > 0) {
    const found = await deps.ai.knowledgeFor(caller, input.message, agent.knowledge);
    if (found.block) system = `${system}\n\n${found.block}`;
    sources = found.sources;
  }

  const records = new Map<string, AgentToolCall>();
  const names = new Map<string, StoredWorkflow>();
  const taken = new Set<string>();
  const tools: ToolSet = {};
  const limit = limiter(MAX_PARALLEL_TOOL_CALLS);
  let callsMade = 0;
  for (const name of agent.tools) {
    const w = deps.engine.registry.resolve(name, visibleOrgOf(caller));
    if (!w || !w.isTool || w.kind === "data_provider" || !canUse(caller, w.access)) continue; // removed since the agent was saved, or not this person's
    const llmName = toolNameFor(w.name, taken);
    names.set(llmName, w);
    const { $schema: _schema, ...schema } = w.paramsSchema;
    tools[llmName] = tool({
      description: w.toolDescription ?? w.description ?? w.name,
      inputSchema: jsonSchema({ type: "object", ...schema }),
      execute: async (args: unknown, { toolCallId }) => {
        const entry: AgentToolCall = { tool: w.name, input: args, executionId: null, status: "Invalid" };
        records.set(toolCallId, entry);
        if (++callsMade > MAX_TOOL_CALLS_PER_CHAT) {
          entry.status = "Rejected";
          entry.error = `This chat already made ${MAX_TOOL_CALLS_PER_CHAT} tool calls, the most one chat may make`;
          throw new Error(entry.error);
        }
        return limit(async () => {
          let record;
          try {
            ({ record } = await deps.workflows.executeSync(caller, w.id, args, "agent"));
          } catch (error) {
            if (!(error instanceof HttpError)) throw error;
            const fields = error.fields?.map((f) => `${f.path}: ${f.message}`).join("; ");
            entry.status = error.status === 422 && error.fields ? "Invalid" : "Rejected";
            entry.error = fields ? `Invalid arguments: ${fields}` : error.message;
            throw new Error(entry.error);
          }
          entry.executionId = record.id;
          entry.status = record.status;
          if (record.status === "Success" || record.status === "CompletedWithErrors") {
            entry.result = record.result;
            return forModel(record.result);
          }
          entry.error = `${record.errorType ?? "Error"}: ${record.error ?? record.status}`;
          throw new Error(`${entry.error} (execution ${record.id})`);
        });
      },
    });
  }

  // Each model call gets the provider's deadline, restarted by every streamed piece; tool
  // runs have their own (the workflow's timeout).
  let current: ReturnType<typeof deadline> | null = null;
  const model = wrapLanguageModel({
    model: target.model,
    middleware: {
      specificationVersion: "v3",
      wrapStream: async ({ params, model: inner }) => {
        const d = deadline(target.call.timeoutMs, params.abortSignal);
        current = d;
        try {
          const { stream: parts, ...rest } = await inner.doStream({ ...params, abortSignal: d.signal });
          const timed = new TransformStream<(typeof parts extends ReadableStream<infer P> ? P : never)>({
            transform(part, out) {
              d.restart();
              out.enqueue(part);
            },
            flush: () => d.clear(),
          });
          return { ...rest, stream: parts.pipeThrough(timed) };
        } catch (error) {
          d.clear();
          throw error;
        }
      },
    },
  });

  const overBudget: StopCondition<ToolSet> = ({ steps }) => steps.reduce((n, s) => n + usageOf(s.usage).totalTokens, 0) >= agent.maxTokens;
  const messages: ModelMessage[] = [...input.history, { role: "user", content: input.message }];
  let steps, totalUsage, text;
  try {
    const result = streamText({
      model,
      system,
      messages,
      tools,
      stopWhen: [({ steps }) => steps.length >= agent.maxIterations, overBudget],
      maxOutputTokens: agent.maxTokens,
      maxRetries: 0,
      abortSignal: stream.signal,
      // Errors arrive as stream parts below; the default handler would print them.
      onError: () => undefined,
    });
    for await (const part of result.fullStream) {
      if (part.type === "text-delta" && part.text) stream.emit?.({ type: "text", text: part.text });
      else if ((part.type === "tool-result" || part.type === "tool-error") && records.has(part.toolCallId)) stream.emit?.({ type: "tool", call: records.get(part.toolCallId)! });
      else if (part.type === "error") throw part.error;
      else if (part.type === "abort") throw new Error(part.reason ?? "the consumer stopped reading");
    }
    [steps, totalUsage, text] = await Promise.all([result.steps, result.totalUsage, result.text]);
  } catch (error) {
    const last = current as ReturnType<typeof deadline> | null;
    throw providerError(error, { ...target.call, timedOut: () => last?.timedOut() ?? false });
  }

  const toolCalls: AgentToolCall[] = [];
  for (const step of steps) {
    for (const part of step.content) {
      if (part.type !== "tool-call") continue;
      const recorded = records.get(part.toolCallId);
      if (recorded) toolCalls.push(recorded);
      else {
        const known = names.get(part.toolName);
        const reason = (part as { error?: unknown }).error;
        toolCalls.push({
          tool: known?.name ?? part.toolName,
          input: part.input,
          executionId: null,
          status: known ? "Invalid" : "Rejected",
          error: known ? `Invalid arguments: ${reason instanceof Error ? reason.message : String(reason)}` : `"${part.toolName}" is not a tool of agent "${agent.name}"`,
        });
      }
    }
  }
  const usage = usageOf(totalUsage);
  const last = steps.at(-1);
  const finished = last !== undefined && last.finishReason !== "tool-calls";
  const stopReason = finished ? "answer" : usage.totalTokens >= agent.maxTokens ? "max_tokens" : "max_iterations";
  return { answer: text, toolCalls, usage, iterations: steps.length, stopReason, model: target.modelId, provider: target.provider.row.name, knowledge: sources };
}
