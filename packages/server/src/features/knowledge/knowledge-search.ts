import type { SdkCaller } from "@bifrost/contracts/sdk.js";

/** One search hit: the best matching chunk of a stored document. */
export interface KnowledgeHit {
  namespace: string;
  key: string;
  /** The matching chunk's text. */
  content: string;
  metadata: Record<string, unknown>;
  /** Cosine similarity (0..1) with embeddings; a normalized full-text rank without. */
  score: number;
}

/**
 * What the AI module needs from the knowledge base: `ai.complete({ knowledge: ["ns"] })`
 * adds the best matching chunks to the prompt. Implemented by the knowledge service, with
 * the caller's visibility rules (its organization's namespaces, then global ones).
 */
export interface KnowledgeSearch {
  search(caller: SdkCaller, query: string, options: { namespace: string | string[]; limit?: number }): Promise<KnowledgeHit[]>;
}
