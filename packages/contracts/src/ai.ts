/**
 * The `ai` module's shapes, shared by the SDK (`packages/sdk/src/ai.ts`) and the server
 * that performs the calls (`packages/server/src/features/ai`).
 */

/** One message of a conversation. */
export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Tokens a call spent, as the provider reported them. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** A knowledge-base chunk that was added to the prompt (`knowledge` option). */
export interface KnowledgeSource {
  namespace: string;
  key: string;
  /** Similarity to the question (0..1). */
  score: number;
}

/** The answer of `complete`. */
export interface Completion {
  /** The model's answer as text (for a JSON answer: the raw JSON). */
  text: string;
  /** The model that answered. */
  model: string;
  /** The configured provider's name. */
  provider: string;
  /** Why the model stopped: `stop`, `length` (maxTokens reached), … */
  finishReason: string;
  usage: Usage;
  /** The knowledge chunks added to the prompt (empty without `knowledge`). */
  knowledge: KnowledgeSource[];
}

export interface ModelInfo {
  /** The chat provider and its default model, or null when none is configured. */
  chat: { provider: string; kind: string; scope: string; model: string | null } | null;
  /** The embedding provider and model, or null when none is configured. */
  embedding: { provider: string; kind: string; scope: string; model: string } | null;
}
