import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { EmbeddingModel, wrapLanguageModel } from "ai";
import type { ResolvedProvider } from "./ai-providers.service.js";

/** A provider's chat model (the AI SDK's current model specification, so middleware can wrap it). */
export type ChatModel = Parameters<typeof wrapLanguageModel>[0]["model"];

/**
 * AI SDK models for a configured provider. Built per request from the stored settings
 * (cheap), so a change made through the API on one server is seen by every process.
 */
export function languageModel(p: ResolvedProvider, modelId: string): ChatModel {
  if (p.row.kind === "anthropic") {
    // The key is always passed explicitly: the platform never falls back to ANTHROPIC_API_KEY.
    return createAnthropic({ apiKey: p.apiKey ?? "", headers: p.headers, ...(p.row.baseUrl ? { baseURL: p.row.baseUrl } : {}) })(modelId);
  }
  return openAiCompatible(p).chatModel(modelId);
}

/** Null when the provider cannot embed (Anthropic has no embedding models). */
export function embeddingModel(p: ResolvedProvider, modelId: string): EmbeddingModel | null {
  if (p.row.kind !== "openai-compatible") return null;
  return openAiCompatible(p).embeddingModel(modelId);
}

function openAiCompatible(p: ResolvedProvider) {
  return createOpenAICompatible({
    name: p.row.name,
    baseURL: p.row.baseUrl!,
    ...(p.apiKey ? { apiKey: p.apiKey } : {}),
    headers: p.headers,
    ...(p.row.queryParams ? { queryParams: p.row.queryParams } : {}),
    // Usage of streamed answers is reported in a last chunk only when asked for.
    includeUsage: true,
    // responseFormat sends the JSON Schema (OpenAI, Azure, vLLM and Ollama accept it).
    supportsStructuredOutputs: true,
  });
}

/** The values of a provider that must never appear in a message, a log or a result. */
export function secretsOf(p: ResolvedProvider): string[] {
  return [p.apiKey, ...Object.values(p.headers)].filter((s): s is string => typeof s === "string" && s.length > 0);
}
