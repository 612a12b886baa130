import { z } from "zod";
import { AI_PROVIDER_KINDS } from "@bifrost/storage/ai-providers.repo.js";

export const ProviderName = z
  .string()
  .min(1, "must not be empty")
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, "may use letters, digits and _ . - only");

const HttpUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL");

const HeaderMap = z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be a valid HTTP header name"), z.string().max(8000));
const QueryMap = z.record(z.string().min(1).max(200), z.string().max(2000));
const ModelId = z.string().min(1, "must not be empty").max(300);
const TimeoutMs = z.int().min(100).max(3_600_000);

/** Default wait for one provider request (a whole completion, or the gap between two streamed chunks). */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** `POST /api/ai/providers`. */
export const CreateProvider = z
  .object({
    name: ProviderName,
    kind: z.enum(AI_PROVIDER_KINDS),
    /** Required for openai-compatible (e.g. https://api.openai.com/v1); Anthropic defaults to its API. */
    baseUrl: HttpUrl.optional(),
    apiKey: z.string().min(1).max(8000).optional(),
    headers: HeaderMap.optional(),
    queryParams: QueryMap.optional(),
    chatModel: ModelId.optional(),
    embeddingModel: ModelId.optional(),
    timeoutMs: TimeoutMs.optional(),
    scope: z.string().min(1).optional(),
  })
  .strict();

/** `PUT /api/ai/providers/{id}`: fields given replace; `null` clears; `apiKey`/`headers` omitted stay as they are. */
export const UpdateProvider = z
  .object({
    name: ProviderName.optional(),
    baseUrl: HttpUrl.nullable().optional(),
    apiKey: z.string().min(1).max(8000).nullable().optional(),
    headers: HeaderMap.nullable().optional(),
    queryParams: QueryMap.nullable().optional(),
    chatModel: ModelId.nullable().optional(),
    embeddingModel: ModelId.nullable().optional(),
    timeoutMs: TimeoutMs.optional(),
  })
  .strict();

/** `PUT /api/ai/settings`: which provider (by name or id) a scope uses; null clears, omitted keeps. */
export const UpdateSettings = z
  .object({
    scope: z.string().min(1).optional(),
    chatProvider: z.string().min(1).nullable().optional(),
    embeddingProvider: z.string().min(1).nullable().optional(),
  })
  .strict();

export const ScopeQuery = z.object({ scope: z.string().min(1).optional() }).strict();

export const Message = z
  .object({
    role: z.enum(["system", "user", "assistant"]),
    content: z.string().max(2_000_000),
  })
  .strict();

/** The options of `ai.complete` / `ai.stream` as they cross the wire (responseFormat already JSON Schema). */
export const CompleteOptions = z
  .object({
    prompt: z.string().min(1, "must not be empty").max(2_000_000).optional(),
    messages: z.array(Message).min(1, "must have at least one message").max(1000).optional(),
    system: z.string().max(2_000_000).optional(),
    /** JSON Schema of the answer (the SDK converts a zod schema with z.toJSONSchema). */
    responseFormat: z.record(z.string(), z.unknown()).optional(),
    knowledge: z.array(z.string().min(1).max(200)).min(1).max(20).optional(),
    /** How many knowledge chunks to add to the prompt. Default 5. */
    knowledgeLimit: z.int().min(1).max(50).optional(),
    model: ModelId.optional(),
    /** A provider name (the caller's organization's, else global) instead of the default one. */
    provider: ProviderName.optional(),
    maxTokens: z.int().min(1).max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict()
  .refine((o) => o.prompt !== undefined || o.messages !== undefined, { message: "give a prompt or messages", path: ["prompt"] });

export type CompleteOptions = z.output<typeof CompleteOptions>;

/** A bare prompt string, or the options object. */
export const CompleteInput = z.union([z.string().min(1, "must not be empty").max(2_000_000), CompleteOptions]);

export function toOptions(input: z.output<typeof CompleteInput>): CompleteOptions {
  return typeof input === "string" ? { prompt: input } : input;
}

export const EmbedTexts = z.union([z.string(), z.array(z.string().max(1_000_000)).min(1, "must have at least one text").max(10_000)]);
