import { z } from "zod";
import { BifrostError } from "./errors.js";
import { currentScope } from "./runtime.js";
import { call, httpTarget } from "./transport.js";

/**
 * AI: completions (plain text, or JSON typed and validated by a zod schema), streamed
 * completions, embeddings and model info, through the LLM provider the platform's admins
 * configured for the current organization (SPEC §2 `ai`). Every call's tokens are added
 * to the running execution's `tokensUsed`. Full reference: docs/sdk/ai.md.
 * @module
 */
import type { Message, Usage, KnowledgeSource, Completion, ModelInfo } from "@bifrost/contracts/ai.js";

export type { Message, Usage, KnowledgeSource, Completion, ModelInfo };

/** A JSON Schema given as a plain object instead of a zod schema (the answer is then `unknown`). */
export type JsonSchemaObject = { [key: string]: unknown };

export interface CompleteOptions {
  /** The user's message. Give this, `messages`, or both (the prompt comes last). */
  prompt?: string;
  /** The conversation so far, oldest first. */
  messages?: Message[];
  /** Instructions for the model. */
  system?: string;
  /**
   * Ask for JSON matching this schema: a zod schema (the result's `object` is then typed
   * and parsed with it) or a JSON Schema object. The server checks the answer against the
   * schema too.
   */
  responseFormat?: z.ZodType | JsonSchemaObject;
  /** Knowledge namespaces whose best matching chunks are added to the prompt. */
  knowledge?: string[];
  /** How many knowledge chunks to add. Default 5. */
  knowledgeLimit?: number;
  /** A model id of the provider instead of its default chat model. */
  model?: string;
  /** A provider's name (the organization's, else a global one) instead of the default provider. */
  provider?: string;
  /** The most tokens the answer may use. */
  maxTokens?: number;
  /** 0 to 2. */
  temperature?: number;
}

/** The answer of `complete` with a `responseFormat`: `object` is the parsed, validated JSON. */
export interface StructuredCompletion<T> extends Completion {
  object: T;
}

/** Longest wait for an AI call from outside the platform: the provider's own deadline applies on the server. */
const AI_CALL_TIMEOUT_MS = 15 * 60_000;

function isZod(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && "_zod" in value && typeof (value as { safeParse?: unknown }).safeParse === "function";
}

/** The options as they cross the wire: responseFormat as JSON Schema. */
function wire(input: string | CompleteOptions): string | Record<string, unknown> {
  if (typeof input === "string") return input;
  const { responseFormat, ...rest } = input;
  if (responseFormat === undefined) return rest;
  if (!isZod(responseFormat)) return { ...rest, responseFormat };
  try {
    return { ...rest, responseFormat: z.toJSONSchema(responseFormat, { io: "input" }) };
  } catch (error) {
    throw new BifrostError(`ai: responseFormat cannot be described as JSON Schema: ${error instanceof Error ? error.message : String(error)}`, "invalid_response_format");
  }
}

/**
 * Asks the organization's chat model. With a prompt string or without `responseFormat`,
 * the answer is text; with a zod `responseFormat`, the model is asked for JSON matching
 * it, and `object` is the answer parsed with the schema (typed as `z.infer` of it). The
 * tokens are added to the run's `tokensUsed`.
 *
 * Errors (`BifrostError`, by `code`): `ai_not_configured` (409), `provider_error` (502:
 * the provider's status and message), `provider_timeout` (504), `malformed_output` (502:
 * the model did not answer JSON), `schema_mismatch` (502: the JSON does not match the
 * schema; the message names each field).
 *
 * @example
 * ```ts
 * import { workflow, ai, z } from "bifrost";
 *
 * const Triage = z.object({
 *   category: z.enum(["hardware", "software", "access", "other"]),
 *   urgent: z.boolean(),
 *   summary: z.string(),
 * });
 *
 * export const triageTicket = workflow({ params: z.object({ text: z.string() }) }, async ({ text }) => {
 *   const { object, usage } = await ai.complete({
 *     system: "You triage IT support tickets.",
 *     prompt: text,
 *     responseFormat: Triage,
 *     knowledge: ["runbooks"],
 *   });
 *   // object: { category: "hardware" | …; urgent: boolean; summary: string }
 *   return { ...object, tokens: usage.totalTokens };
 * });
 *
 * const { text } = await ai.complete("Write a one-line greeting for a new employee.");
 * ```
 */
export function complete(prompt: string): Promise<Completion>;
export function complete<S extends z.ZodType>(options: CompleteOptions & { responseFormat: S }): Promise<StructuredCompletion<z.output<S>>>;
export function complete(options: CompleteOptions & { responseFormat: JsonSchemaObject }): Promise<StructuredCompletion<unknown>>;
export function complete(options: CompleteOptions): Promise<Completion>;
export async function complete(input: string | CompleteOptions): Promise<Completion | StructuredCompletion<unknown>> {
  const result = await call<Completion & { object?: unknown }>("ai.complete", [wire(input)], { minTimeoutMs: AI_CALL_TIMEOUT_MS });
  const schema = typeof input === "string" ? undefined : input.responseFormat;
  if (!isZod(schema)) return result;
  const parsed = schema.safeParse(result.object);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"} ${i.message}`).join("; ");
    throw new BifrostError(`The answer of model ${result.model} does not match responseFormat: ${issues}`, "schema_mismatch", 502);
  }
  return { ...result, object: parsed.data };
}

/** What the server sends when a stream ends. */
interface StreamResult {
  model: string;
  provider: string;
  finishReason: string;
  usage: Usage;
  knowledge: KnowledgeSource[];
}

/**
 * A streamed completion: iterate it with `for await` to get the text as it arrives.
 * Once the loop has finished, `text`, `usage`, `model` and `finishReason` are set.
 * Breaking out of the loop stops the request to the provider.
 */
export interface AiStream extends AsyncIterable<string> {
  /** Everything received so far. */
  readonly text: string;
  /** The tokens spent, once the stream has ended (null before). */
  readonly usage: Usage | null;
  readonly model: string | null;
  readonly finishReason: string | null;
  readonly knowledge: KnowledgeSource[];
}

class TextStream implements AiStream {
  text = "";
  usage: Usage | null = null;
  model: string | null = null;
  finishReason: string | null = null;
  knowledge: KnowledgeSource[] = [];
  private used = false;

  constructor(private readonly input: string | Record<string, unknown>) {}

  private finish(result: StreamResult): void {
    this.usage = result.usage;
    this.model = result.model;
    this.finishReason = result.finishReason;
    this.knowledge = result.knowledge;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.used) throw new BifrostError("ai.stream(): a stream can be read once: call ai.stream() again for another answer", "stream_consumed");
    this.used = true;
    return currentScope()?.call ? this.pull() : this.http();
  }

  /** Inside a run: pulled from the host over IPC. */
  private async *pull(): AsyncGenerator<string, void, undefined> {
    const { streamId } = await call<{ streamId: string }>("ai.streamStart", [this.input]);
    let ended = false;
    try {
      for (;;) {
        const batch = await call<{ chunks: string[]; done: boolean; result?: StreamResult }>("ai.streamNext", [streamId]);
        for (const chunk of batch.chunks) {
          this.text += chunk;
          yield chunk;
        }
        if (batch.done) {
          ended = true;
          if (batch.result) this.finish(batch.result);
          return;
        }
      }
    } finally {
      if (!ended) await call("ai.streamCancel", [streamId]).catch(() => undefined);
    }
  }

  /** Outside: one NDJSON response from `POST /api/ai/stream`. */
  private async *http(): AsyncGenerator<string, void, undefined> {
    const target = httpTarget("ai.stream");
    const controller = new AbortController();
    // The wait for each next line; the server enforces the provider's own deadline too.
    const idleMs = Math.max(target.timeoutMs, AI_CALL_TIMEOUT_MS);
    let timer = setTimeout(() => controller.abort(), idleMs);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), idleMs);
    };
    const body = typeof this.input === "string" ? { prompt: this.input } : this.input;
    let res: Response;
    try {
      res = await fetch(`${target.url}/api/ai/stream`, { method: "POST", headers: target.headers, body: JSON.stringify(body), signal: controller.signal });
    } catch (error) {
      clearTimeout(timer);
      const timedOut = controller.signal.aborted;
      throw new BifrostError(
        timedOut ? `ai.stream() got no answer from ${target.url} within ${idleMs} ms` : `ai.stream() could not reach ${target.url}: ${(error as Error).message}`,
        timedOut ? "timeout" : "unreachable",
      );
    }
    if (!res.ok || !res.body) {
      clearTimeout(timer);
      const err = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      if (res.status === 401) throw new BifrostError(`ai.stream(): the platform at ${target.url} rejected the API key (401): check BIFROST_API_KEY`, "unauthorized", 401);
      throw new BifrostError(err?.error?.message ?? `ai.stream() failed with HTTP ${res.status}`, err?.error?.code ?? "http_error", res.status);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    let ended = false;
    try {
      for (;;) {
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (error) {
          const timedOut = controller.signal.aborted;
          throw new BifrostError(
            timedOut ? `ai.stream(): no data from ${target.url} for ${idleMs} ms` : `ai.stream(): the connection to ${target.url} broke: ${(error as Error).message}`,
            timedOut ? "timeout" : "unreachable",
          );
        }
        if (read.done) break;
        rearm();
        pending += read.value;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (!line) continue;
          const part = JSON.parse(line) as { type: "text"; text: string } | ({ type: "done" } & StreamResult) | { type: "error"; error: { code: string; message: string; status?: number } };
          if (part.type === "text") {
            this.text += part.text;
            yield part.text;
          } else if (part.type === "done") {
            ended = true;
            this.finish(part);
          } else {
            ended = true;
            throw new BifrostError(part.error.message, part.error.code, part.error.status);
          }
        }
      }
      if (!ended) throw new BifrostError(`ai.stream(): the stream from ${target.url} ended before the answer was complete`, "stream_incomplete", 502);
    } finally {
      clearTimeout(timer);
      if (!ended) controller.abort();
      reader.releaseLock();
    }
  }
}

/**
 * Streams the chat model's answer: `for await` over the result yields text pieces as they
 * arrive. Takes the same input as `complete` except `responseFormat`. Inside a run the
 * pieces are pulled from the host; outside, they come over one HTTP response
 * (`POST /api/ai/stream`). Errors are thrown from the loop, with the codes of `complete`.
 *
 * @example
 * ```ts
 * import { workflow, ai, logger, z } from "bifrost";
 *
 * export const draftReply = workflow({ params: z.object({ ticket: z.string() }) }, async ({ ticket }) => {
 *   const answer = ai.stream({ system: "Draft a polite reply.", prompt: ticket, maxTokens: 400 });
 *   for await (const piece of answer) logger.info(piece);
 *   return { reply: answer.text, tokens: answer.usage?.totalTokens };
 * });
 * ```
 */
export function stream(input: string | Omit<CompleteOptions, "responseFormat">): AiStream {
  if (typeof input !== "string" && (input as CompleteOptions).responseFormat !== undefined) {
    throw new BifrostError("ai.stream(): responseFormat is not supported when streaming: use ai.complete()", "invalid_options");
  }
  return new TextStream(wire(input));
}

/**
 * Embeds texts with the organization's embedding model: one vector per text, in order.
 * The tokens are added to the run's `tokensUsed`.
 *
 * @example
 * ```ts
 * import { ai } from "bifrost";
 *
 * const [a, b] = await ai.embed(["reset my password", "I forgot my password"]);
 * const cosine = a!.reduce((s, x, i) => s + x * b![i]!, 0); // vectors are usually unit length
 * ```
 */
export function embed(texts: string | string[]): Promise<number[][]> {
  return call<number[][]>("ai.embed", [texts], { minTimeoutMs: AI_CALL_TIMEOUT_MS });
}

/**
 * The chat and embedding models the current organization uses (its own provider, else
 * the global one); `null` parts are not configured.
 *
 * @example
 * ```ts
 * import { ai } from "bifrost";
 *
 * const info = await ai.getModelInfo();
 * if (!info.chat) throw new Error("Ask an admin to configure an AI provider");
 * console.log(`answering with ${info.chat.model} (${info.chat.provider})`);
 * ```
 */
export function getModelInfo(): Promise<ModelInfo> {
  return call<ModelInfo>("ai.getModelInfo", [], { idempotent: true });
}
