import { embedMany, generateText, jsonSchema, NoObjectGeneratedError, Output, streamText, type LanguageModel, type LanguageModelUsage, type ModelMessage } from "ai";
import type { Completion as CompletionBase, KnowledgeSource, ModelInfo, Usage as AiUsage } from "@bifrost/contracts/ai.js";
import type { FieldError } from "@bifrost/contracts/execution.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { InputValidator } from "@bifrost/engine/executor/input-validator.js";
import type { UsageMeter } from "@bifrost/engine/executor/usage-meter.js";
import { HttpError, validationFailed } from "../../http-error.js";
import type { KnowledgeHit, KnowledgeSearch } from "../knowledge/knowledge-search.js";
import { notConfigured, providerError, type ProviderCall } from "./ai-errors.js";
import type { AiProvidersService, ResolvedProvider } from "./ai-providers.service.js";
import type { CompleteOptions } from "./ai.schemas.js";
import type { Embedder, Embedding } from "./embedder.js";
import { embeddingModel, languageModel, secretsOf } from "./provider-models.js";

export type { AiUsage, KnowledgeSource, ModelInfo };

/** The answer of `complete`; with a responseFormat, `object` is the validated JSON. */
export interface Completion extends CompletionBase {
  object?: unknown;
}

/** What a streamed completion yields: text pieces, then one `done` with the totals. */
export type StreamPart = { type: "text"; text: string } | { type: "done"; model: string; provider: string; finishReason: string; usage: AiUsage; knowledge: KnowledgeSource[] };

/** How many knowledge chunks a completion gets by default. */
const KNOWLEDGE_LIMIT = 5;

export function usageOf(u: LanguageModelUsage | undefined): AiUsage {
  const input = u?.inputTokens ?? 0;
  const output = u?.outputTokens ?? 0;
  return { inputTokens: input, outputTokens: output, totalTokens: u?.totalTokens ?? input + output };
}

/**
 * An abort signal that fires after `ms` (restartable, for the gap between streamed chunks)
 * or when `outer` aborts (a consumer that went away).
 */
export interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  restart(): void;
  clear(abort?: boolean): void;
}

export function deadline(ms: number, ...outer: (AbortSignal | undefined)[]): Deadline {
  const controller = new AbortController();
  let fired = false;
  for (const o of outer) {
    if (!o) continue;
    if (o.aborted) controller.abort(new Error("the consumer stopped reading"));
    else o.addEventListener("abort", () => controller.abort(new Error("the consumer stopped reading")), { once: true });
  }
  const arm = () => setTimeout(() => {
    fired = true;
    controller.abort(new Error(`no answer within ${ms} ms`));
  }, ms);
  let timer = arm();
  return {
    signal: controller.signal,
    timedOut: () => fired,
    restart() {
      clearTimeout(timer);
      timer = arm();
    },
    /** Stops the timer; `abort` also cancels the request (a consumer that went away). */
    clear(abort = false) {
      clearTimeout(timer);
      if (abort && !controller.signal.aborted) controller.abort(new Error("the consumer stopped reading"));
    },
  };
}

/** What every completion sends, streamed or not: never retried (a retry could spend tokens twice). */
function modelCall(p: { model: LanguageModel; system?: string; messages: ModelMessage[] }, options: CompleteOptions, abortSignal: AbortSignal) {
  return { model: p.model, system: p.system, messages: p.messages, maxOutputTokens: options.maxTokens, temperature: options.temperature, maxRetries: 0, abortSignal };
}

/** The JSON inside a Markdown code fence (```json … ```), or undefined when the text is not exactly that. */
function unfence(text: string | undefined): unknown {
  const m = text ? /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(text) : null;
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!);
  } catch {
    return undefined;
  }
}

function knowledgeBlock(hits: KnowledgeHit[]): string {
  const items = hits.map((h, i) => `[${i + 1}] ${h.namespace}/${h.key} (score ${h.score.toFixed(2)})\n${h.content}`);
  return `Relevant knowledge from the organization's knowledge base. Use it when it helps answer, and say so when it does not cover the question.\n\n${items.join("\n\n")}`;
}

/**
 * The `ai` module (SPEC §2): completions (text or JSON validated against a schema),
 * streamed completions, embeddings, model info, through the provider an organization
 * uses. Every call's tokens are charged to the calling execution; provider failures are
 * 502 `provider_error`, deadlines 504 `provider_timeout`, nothing configured 409
 * `ai_not_configured`. Implements the knowledge base's `Embedder` port.
 */
export class AiService implements Embedder {
  private knowledge: KnowledgeSearch | null;

  constructor(
    private readonly deps: { providers: AiProvidersService; usage: UsageMeter; validator: InputValidator; knowledge?: KnowledgeSearch; log?: (message: string) => void },
  ) {
    this.knowledge = deps.knowledge ?? null;
    // The AI SDK prints compatibility warnings to the console; route them to the platform's log.
    const log = deps.log;
    const g = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
    if (g.AI_SDK_LOG_WARNINGS === undefined) {
      g.AI_SDK_LOG_WARNINGS = log
        ? (o: { warnings: { type: string; feature?: string; details?: string; message?: string }[]; provider: string; model: string }) => {
            for (const w of o.warnings) log(`AI SDK warning (${o.provider} / ${o.model}): ${w.message ?? w.details ?? w.feature ?? w.type}`);
          }
        : false;
    }
  }

  /** Wires the knowledge base (built after this service: it embeds through it). */
  setKnowledge(knowledge: KnowledgeSearch): void {
    this.knowledge = knowledge;
  }

  /** Aborts when the calling run's attempt ends (timeout, cancel, crash): its provider calls stop with it. */
  private runSignal(executionId: string | null | undefined): AbortSignal | undefined {
    return executionId ? this.deps.usage.signal(executionId) : undefined;
  }

  private charge(executionId: string | null | undefined, tokens: number): void {
    if (executionId) this.deps.usage.add(executionId, tokens);
  }

  /** Compiles responseFormat before any token is spent: a schema ajv cannot use is the caller's 422. */
  private outputValidator(schema: Record<string, unknown>): (input: unknown) => FieldError[] | null {
    try {
      return this.deps.validator.isolated(schema);
    } catch (error) {
      throw validationFailed([{ path: "responseFormat", message: `is not a usable JSON Schema: ${error instanceof Error ? error.message : String(error)}` }]);
    }
  }

  /**
   * The chat model a caller uses: `provider` named (its organization's, else global), else
   * the organization's chat provider, else the global one; `model`, else the provider's.
   */
  async chatTarget(caller: SdkCaller, choice: { provider?: string | null; model?: string | null } = {}) {
    const provider = await this.deps.providers.resolve(caller.orgId, "chat", choice.provider ?? undefined);
    if (!provider) throw notConfigured("chat", caller.orgId);
    const modelId = choice.model ?? provider.row.chatModel;
    if (!modelId) throw validationFailed([{ path: "model", message: `is required: provider "${provider.row.name}" has no default chat model` }]);
    const call: Omit<ProviderCall, "timedOut"> = { provider: provider.row.name, model: modelId, timeoutMs: provider.row.timeoutMs, secrets: secretsOf(provider) };
    return { provider, modelId, model: languageModel(provider, modelId), call };
  }

  /** The best matching knowledge for `query`, as a block for the system prompt (null when nothing matched). */
  async knowledgeFor(caller: SdkCaller, query: string, namespaces: string[], limit = KNOWLEDGE_LIMIT): Promise<{ block: string | null; sources: KnowledgeSource[] }> {
    if (!this.knowledge) throw new HttpError(501, "knowledge_unavailable", "knowledge: the knowledge base is not available on this platform");
    const hits = query.trim() ? await this.knowledge.search(caller, query, { namespace: namespaces, limit }) : [];
    return { block: hits.length > 0 ? knowledgeBlock(hits) : null, sources: hits.map((h) => ({ namespace: h.namespace, key: h.key, score: h.score })) };
  }

  /** Everything a chat request needs: provider, model, prompt with knowledge, deadline data. */
  private async prepare(caller: SdkCaller, options: CompleteOptions) {
    const target = await this.chatTarget(caller, options);
    const messages: ModelMessage[] = [...(options.messages ?? [])] as ModelMessage[];
    if (options.prompt !== undefined) messages.push({ role: "user", content: options.prompt });
    let system = options.system;
    let sources: KnowledgeSource[] = [];
    if (options.knowledge) {
      const query = [...messages].reverse().find((m) => m.role === "user")?.content;
      const found = await this.knowledgeFor(caller, typeof query === "string" ? query : "", options.knowledge, options.knowledgeLimit);
      if (found.block) system = [system, found.block].filter(Boolean).join("\n\n");
      sources = found.sources;
    }
    return { ...target, messages, system, sources };
  }

  async complete(caller: SdkCaller, options: CompleteOptions): Promise<Completion> {
    const schema = options.responseFormat ? (({ $schema: _s, ...rest }) => rest)(options.responseFormat) : undefined;
    const checkOutput = schema ? this.outputValidator(schema) : null;
    const p = await this.prepare(caller, options);
    const d = deadline(p.call.timeoutMs, this.runSignal(caller.executionId));
    const fail = (error: unknown) => providerError(error, { ...p.call, timedOut: d.timedOut });
    let answer: { text: string; finishReason: string; usage: AiUsage; object?: unknown };
    try {
      const result = await generateText({
        ...modelCall(p, options, d.signal),
        ...(schema ? { output: Output.object({ schema: jsonSchema(schema) }) } : {}),
      });
      answer = { text: result.text, finishReason: result.finishReason, usage: usageOf(result.totalUsage) };
      this.charge(caller.executionId, answer.usage.totalTokens);
      if (schema) answer.object = result.output as unknown;
    } catch (error) {
      if (!NoObjectGeneratedError.isInstance(error)) throw fail(error);
      // A malformed answer still cost tokens. Models without JSON support often wrap
      // JSON in a Markdown code fence: that much is unwrapped, nothing more.
      const usage = usageOf(error.usage);
      this.charge(caller.executionId, usage.totalTokens);
      const fenced = unfence(error.text);
      if (fenced === undefined) throw fail(error);
      answer = { text: error.text ?? "", finishReason: error.finishReason ?? "stop", usage, object: fenced };
    } finally {
      d.clear();
    }
    const completion: Completion = { text: answer.text, model: p.modelId, provider: p.provider.row.name, finishReason: answer.finishReason, usage: answer.usage, knowledge: p.sources };
    if (!schema) return completion;
    const fields = checkOutput!(answer.object);
    if (fields) {
      throw new HttpError(
        502,
        "schema_mismatch",
        `The answer of model ${p.modelId} (provider "${p.provider.row.name}") does not match responseFormat: ${fields.map((f) => `${f.path} ${f.message}`).join("; ")}`,
        fields,
      );
    }
    return { ...completion, object: answer.object };
  }

  /**
   * A streamed completion. The provider request starts on the first `next()`; failures
   * before the first piece reject that call (so HTTP can still answer with a status).
   * Each gap between pieces may last up to the provider's timeout; `signal` (a consumer
   * that stops reading) aborts the request.
   */
  async *stream(caller: SdkCaller, options: CompleteOptions, signal?: AbortSignal): AsyncGenerator<StreamPart, void, undefined> {
    if (options.responseFormat) throw validationFailed([{ path: "responseFormat", message: "is not supported when streaming: use ai.complete" }]);
    const p = await this.prepare(caller, options);
    const d = deadline(p.call.timeoutMs, signal, this.runSignal(caller.executionId));
    let finished = false;
    try {
      const result = streamText({
        ...modelCall(p, options, d.signal),
        // Errors arrive as stream parts below; the default handler would print them.
        onError: () => undefined,
      });
      for await (const part of result.fullStream) {
        d.restart();
        if (part.type === "text-delta") {
          if (part.text) yield { type: "text", text: part.text };
        } else if (part.type === "error") {
          throw part.error;
        } else if (part.type === "abort") {
          throw new Error(part.reason ?? "aborted");
        } else if (part.type === "finish") {
          const usage = usageOf(part.totalUsage);
          this.charge(caller.executionId, usage.totalTokens);
          finished = true;
          yield { type: "done", model: p.modelId, provider: p.provider.row.name, finishReason: part.finishReason, usage, knowledge: p.sources };
        }
      }
      if (!finished) throw new Error("the provider closed the stream before it finished");
    } catch (error) {
      throw providerError(error, { ...p.call, timedOut: d.timedOut });
    } finally {
      d.clear(!finished);
    }
  }

  /** `Embedder`: vectors from the embedding model `orgId` uses; null when none is configured. */
  async embed(orgId: string | null, texts: string[], executionId?: string | null): Promise<Embedding | null> {
    const provider = await this.deps.providers.resolve(orgId, "embeddings");
    const modelId = provider?.row.embeddingModel;
    const model = provider && modelId ? embeddingModel(provider, modelId) : null;
    if (!provider || !modelId || !model) return null;
    if (texts.length === 0) return { model: modelId, vectors: [], tokens: 0 };
    const d = deadline(provider.row.timeoutMs, this.runSignal(executionId));
    try {
      const result = await embedMany({ model, values: texts, maxRetries: 0, abortSignal: d.signal });
      const tokens = result.usage?.tokens ?? 0;
      this.charge(executionId, tokens);
      return { model: modelId, vectors: result.embeddings, tokens };
    } catch (error) {
      throw providerError(error, { provider: provider.row.name, model: modelId, timeoutMs: provider.row.timeoutMs, secrets: secretsOf(provider), timedOut: d.timedOut });
    } finally {
      d.clear();
    }
  }

  /** `ai.embed`: like `embed`, but a missing embedding provider is the caller's 409. */
  async embedTexts(caller: SdkCaller, texts: string[]): Promise<{ model: string; vectors: number[][]; tokens: number }> {
    const result = await this.embed(caller.orgId, texts, caller.executionId);
    if (!result) throw notConfigured("embeddings", caller.orgId);
    return result;
  }

  async modelInfo(caller: SdkCaller): Promise<ModelInfo> {
    const describe = (p: ResolvedProvider | null) => (p ? { provider: p.row.name, kind: p.row.kind, scope: p.row.scope } : null);
    const chat = await this.deps.providers.resolve(caller.orgId, "chat");
    const embedding = await this.deps.providers.resolve(caller.orgId, "embeddings");
    return {
      chat: chat ? { ...describe(chat)!, model: chat.row.chatModel } : null,
      embedding: embedding?.row.embeddingModel ? { ...describe(embedding)!, model: embedding.row.embeddingModel } : null,
    };
  }
}
