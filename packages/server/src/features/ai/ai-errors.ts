import { APICallError, NoObjectGeneratedError, NoOutputGeneratedError, RetryError } from "ai";
import { REDACTED } from "@bifrost/contracts/sdk.js";
import { HttpError } from "../../http-error.js";

/** Longest provider message quoted in an error (some providers answer with whole HTML pages). */
const MAX_QUOTED = 500;

export const notConfigured = (what: "chat" | "embeddings", scope: string | null) =>
  new HttpError(
    409,
    "ai_not_configured",
    `No AI provider is configured for ${what} ${scope ? "in this organization or globally" : "globally"}: a platform admin adds one with POST /api/ai/providers and chooses it with PUT /api/ai/settings`,
  );

function quote(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return t.length > MAX_QUOTED ? `${t.slice(0, MAX_QUOTED)}…` : t;
}

/** Replaces every secret (API key, header values) in a message with [REDACTED]. */
export function scrub(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

export interface ProviderCall {
  /** The provider's configured name, for messages. */
  provider: string;
  model: string;
  timeoutMs: number;
  /** Values that must never appear in an error (the API key, header values). */
  secrets: readonly string[];
  /** True when our own timer aborted the request. */
  timedOut: () => boolean;
}

/**
 * Turns whatever the AI SDK or the provider threw into the API's taxonomy: 504
 * `provider_timeout` when our deadline fired, 502 `malformed_output` when a JSON answer was
 * not JSON, 502 `provider_error` for everything else the provider did (its status and
 * message quoted), with secrets scrubbed. HttpErrors pass through.
 */
export function providerError(error: unknown, call: ProviderCall): HttpError {
  if (error instanceof HttpError) return error;
  const safe = (m: string) => scrub(m, call.secrets);
  if (call.timedOut()) {
    return new HttpError(504, "provider_timeout", `The AI provider "${call.provider}" did not answer within ${call.timeoutMs} ms (model ${call.model}); the request was aborted`);
  }
  let e = error;
  if (RetryError.isInstance(e)) e = e.lastError;
  if (NoObjectGeneratedError.isInstance(e)) {
    const text = e.text ?? "";
    return new HttpError(
      502,
      "malformed_output",
      safe(`The model ${call.model} (provider "${call.provider}") did not answer with a JSON value as responseFormat asks: ${text ? `it answered ${JSON.stringify(quote(text))}` : "its answer was empty"}`),
    );
  }
  if (NoOutputGeneratedError.isInstance(e)) {
    return new HttpError(502, "malformed_output", `The model ${call.model} (provider "${call.provider}") gave no answer to use (it stopped without text)`);
  }
  if (APICallError.isInstance(e)) {
    const status = e.statusCode;
    const detail = quote(e.message || e.responseBody || "no message");
    if (status === undefined) return new HttpError(502, "provider_error", safe(`The AI provider "${call.provider}" could not be reached: ${detail}`));
    const hint = status === 401 || status === 403 ? " (check the provider's API key)" : status === 404 ? ` (does the model ${call.model} exist?)` : status === 429 ? " (rate limited)" : "";
    return new HttpError(502, "provider_error", safe(`The AI provider "${call.provider}" answered HTTP ${status}${hint}: ${detail}`));
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError(502, "provider_error", safe(`The AI provider "${call.provider}" failed (model ${call.model}): ${quote(message)}`));
}
