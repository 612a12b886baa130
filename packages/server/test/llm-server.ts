/**
 * A real OpenAI-compatible HTTP server on loopback, for tests of the `ai`, `knowledge` and
 * agent features. It speaks the wire format the AI SDK's OpenAI-compatible provider uses
 * (chat completions with and without streaming, tool calls, JSON output, embeddings,
 * models), records every request, and answers from a script the test controls.
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
  close(): Promise<void>;
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

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0]!;
      let body: Record<string, unknown> = {};
      try {
        body = await readJson(req);
      } catch {
        return sendJson(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } });
      }
      requests.push({ path, authorization: req.headers.authorization, body });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
