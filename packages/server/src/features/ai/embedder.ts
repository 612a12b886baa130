/**
 * What the knowledge base needs from the AI module: embeddings from the embedding
 * provider an organization uses. Implemented by the AI service; the knowledge service
 * depends only on this.
 */
export interface Embedding {
  /** The embedding model that produced the vectors (stored with them: vectors of two models never mix). */
  model: string;
  /** One vector per input text, in order. */
  vectors: number[][];
  /** Tokens the provider reported for the request (0 when it reports none). */
  tokens: number;
}

export interface Embedder {
  /**
   * Embeds `texts` with the embedding model configured for `orgId` (its own provider, else
   * the global one). Resolves null when no embedding model is configured, so callers can
   * fall back (knowledge search falls back to full-text ranking). Provider failures reject
   * with an HttpError (502 `provider_error`, 504 `provider_timeout`). Tokens are charged to
   * `executionId` when given.
   */
  embed(orgId: string | null, texts: string[], executionId?: string | null): Promise<Embedding | null>;
}
