/**
 * A real OpenAI-compatible HTTP server on loopback, for tests of the `ai`, `knowledge` and
 * agent features. It speaks the wire format the AI SDK's OpenAI-compatible provider uses
 * (chat completions with and without streaming, tool calls, JSON output, embeddings,
 * models), records every request, and answers from a script the test controls. It also
 * speaks Anthropic's Messages API (`/v1/messages`, key in `x-api-key`) from the same script.
 *
 * Without a script, a chat completion answers `echo: <last user message>`, and embeddings
 * are deterministic bag-of-words vectors (texts sharing words are close by cosine).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ToolCallReply {
  name: string;
  /** The tool's arguments (sent as a JSON string, as OpenAI does). */
  arguments: unknown;
}

/** One scripted answer to a chat completion. */
export type ChatReply =
  | { content: string; toolCalls?: undefined; delayMs?: number }
  | { toolCalls: ToolCallReply[]; content?: string; delayMs?: number }
  /** An HTTP error from the provider (e.g. 500, 429, 401) with an OpenAI-style error body. */
  | { status: number; message: string; delayMs?: number }
  /** A reply that is not JSON at all (a broken provider or proxy). */
  | { raw: string; delayMs?: number };

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  /** Anthropic's key header (`/v1/messages`). */
  xApiKey?: string | undefined;
  body: Record<string, unknown>;
}

export interface LlmServerOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Dimension of the embedding vectors. Default 64. */
  dimensions?: number;
  /** Computes a reply from the request when the script is empty (e.g. an agent's tool loop). */
  respond?: (body: ChatRequestBody) => ChatReply | undefined;
}

export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  stream?: boolean;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown } };
  max_tokens?: number;
  [key: string]: unknown;
}

export interface LlmServer {
  /** Base URL ending in `/v1`, as OpenAI-compatible providers are configured. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queues replies for the next chat completions (first in, first out). */
  enqueue(...replies: ChatReply[]): void;
  /** Queues an error or delay for the next embeddings request. */
  enqueueEmbedding(reply: { status: number; message: string } | { delayMs: number }): void;
  /** Chat completions received (requests to /v1/chat/completions). */
  chats(): ChatRequestBody[];
  /** Requests whose client went away before the answer was complete. */
  aborted(): number;
  /** Anthropic Messages API requests received (requests to /v1/messages). */
  messages(): AnthropicRequestBody[];
  close(): Promise<void>;
}

export interface AnthropicRequestBody {
  model: string;
  max_tokens: number;
  system?: string | Array<{ type: string; text: string }>;
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  tools?: Array<{ name: string; description?: string; input_schema?: unknown }>;
  tool_choice?: { type: string; name?: string };
  [key: string]: unknown;
}

/** The words of a text, lower-cased, for the echo usage counts and bag-of-words vectors. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A deterministic unit vector: each word adds 1 to a hashed coordinate. */
export function bagOfWordsVector(text: string, dimensions = 64): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const w of words(text)) {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
    v[h % dimensions]! += 1;
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join(" ");
  return "";
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startLlmServer(options: LlmServerOptions = {}): Promise<LlmServer> {
  const dimensions = options.dimensions ?? 64;
  const requests: RecordedRequest[] = [];
  const script: ChatReply[] = [];
  const embeddingScript: Array<{ status: number; message: string } | { delayMs: number }> = [];
  let seq = 0;
  let aborted = 0;

  async function chat(body: ChatRequestBody, res: ServerResponse): Promise<void> {
    const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
    const reply: ChatReply = script.shift() ?? options.respond?.(body) ?? { content: `echo: ${textOf(lastUser?.content)}` };
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    if ("status" in reply) return sendJson(res, reply.status, { error: { message: reply.message, type: "server_error", code: reply.status } });
    if ("raw" in reply) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(reply.raw);
      return;
    }
    const promptTokens = body.messages.reduce((n, m) => n + words(textOf(m.content)).length, 0);
    const content = reply.content ?? null;
    const completionTokens = words(content ?? "").length + (reply.toolCalls ? reply.toolCalls.length * 5 : 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const id = `chatcmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls = reply.toolCalls?.map((call, index) => ({
      index,
      id: `call_${seq}_${index}`,
      type: "function",
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const finishReason = toolCalls ? "tool_calls" : "stop";
    if (!body.stream) {
      return sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content, ...(toolCalls ? { tool_calls: toolCalls.map(({ index: _i, ...c }) => c) } : {}) }, finish_reason: finishReason }],
        usage,
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    const base = { id, object: "chat.completion.chunk", created, model: body.model };
    send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
    // Content in pieces of a few characters, so a client sees several chunks.
    for (const piece of (content ?? "").match(/[\s\S]{1,6}/g) ?? []) {
      send({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
      await sleep(1);
    }
    if (toolCalls) send({ ...base, choices: [{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: null }] });
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason }] });
    send({ ...base, choices: [], usage });
    res.write("data: [DONE]\n\n");
    res.end();
  }

  async function embeddings(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const scripted = embeddingScript.shift();
    if (scripted && "delayMs" in scripted) await sleep(scripted.delayMs);
    if (res.destroyed) return;
    if (scripted && "status" in scripted) return sendJson(res, scripted.status, { error: { message: scripted.message, type: "server_error" } });
    const input = Array.isArray(body.input) ? (body.input as unknown[]).map(String) : [String(body.input ?? "")];
    const tokens = input.reduce((n, t) => n + words(t).length, 0);
    sendJson(res, 200, {
      object: "list",
      model: body.model,
      data: input.map((text, index) => ({ object: "embedding", index, embedding: bagOfWordsVector(text, dimensions) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  /**
   * Anthropic's Messages API (`POST /v1/messages`), from the same script: text, tool_use
   * blocks for tool calls, errors in Anthropic's shape, and its SSE event stream.
   */
  async function messages(body: AnthropicRequestBody, res: ServerResponse): Promise<void> {
    const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
    const reply: ChatReply = script.shift() ?? { content: `echo: ${textOf(lastUser?.content)}` };
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    if ("status" in reply) return sendJson(res, reply.status, { type: "error", error: { type: reply.status === 401 ? "authentication_error" : "api_error", message: reply.message } });
    if ("raw" in reply) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(reply.raw);
      return;
    }
    const systemText = typeof body.system === "string" ? body.system : (body.system ?? []).map((b) => b.text).join(" ");
    const inputTokens = words(systemText).length + body.messages.reduce((n, m) => n + words(textOf(m.content)).length, 0);
    const content = reply.content ?? "";
    const outputTokens = words(content).length + (reply.toolCalls ? reply.toolCalls.length * 5 : 0);
    const id = `msg_${++seq}`;
    const blocks: Array<Record<string, unknown>> = [
      ...(content ? [{ type: "text", text: content }] : []),
      ...(reply.toolCalls ?? []).map((call, i) => ({ type: "tool_use", id: `toolu_${seq}_${i}`, name: call.name, input: call.arguments })),
    ];
    const stopReason = reply.toolCalls ? "tool_use" : "end_turn";
    if (!body.stream) {
      return sendJson(res, 200, { id, type: "message", role: "assistant", model: body.model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: outputTokens } });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (event: string, data: Record<string, unknown>) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    send("message_start", { message: { id, type: "message", role: "assistant", model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 0 } } });
    for (const [index, block] of blocks.entries()) {
      if (block.type === "text") {
        send("content_block_start", { index, content_block: { type: "text", text: "" } });
        for (const piece of content.match(/[\s\S]{1,6}/g) ?? []) {
          send("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
          await sleep(1);
        }
      } else {
        send("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
        send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } });
      }
      send("content_block_stop", { index });
    }
    send("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
    send("message_stop", {});
    res.end();
  }

  const server: Server = createServer((req, res) => {
    res.on("close", () => {
      if (!res.writableEnded) aborted++;
    });
    void (async () => {
      const path = (req.url ?? "/").split("?")[0]!;
      let body: Record<string, unknown> = {};
      try {
        body = await readJson(req);
      } catch {
        return sendJson(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } });
      }
      const xApiKey = typeof req.headers["x-api-key"] === "string" ? req.headers["x-api-key"] : undefined;
      requests.push({ path, authorization: req.headers.authorization, xApiKey, body });
      if (req.method === "POST" && path === "/v1/messages") {
        if (options.apiKey && xApiKey !== options.apiKey) return sendJson(res, 401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
        return messages(body as AnthropicRequestBody, res);
      }
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
      }
      if (req.method === "POST" && path === "/v1/chat/completions") return chat(body as ChatRequestBody, res);
      if (req.method === "POST" && path === "/v1/embeddings") return embeddings(body, res);
      if (req.method === "GET" && path === "/v1/models") {
        return sendJson(res, 200, { object: "list", data: [{ id: "test-chat", object: "model" }, { id: "test-embed", object: "model" }] });
      }
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    })().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => void script.push(...replies),
    enqueueEmbedding: (reply) => void embeddingScript.push(reply),
    chats: () => requests.filter((r) => r.path === "/v1/chat/completions").map((r) => r.body as ChatRequestBody),
    aborted: () => aborted,
    messages: () => requests.filter((r) => r.path === "/v1/messages").map((r) => r.body as AnthropicRequestBody),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
