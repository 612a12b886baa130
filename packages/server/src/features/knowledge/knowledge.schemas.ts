import { z } from "zod";
import { DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from "./chunker.js";

/** Limits of the knowledge module (documented in docs/sdk/knowledge.md). */
export const MAX_CONTENT_BYTES = 1024 * 1024;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_BATCH = 100;
export const MAX_QUERY_CHARS = 8000;
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 5;
export const MAX_SEARCH_NAMESPACES = 20;
export const MAX_KEY_CHARS = 512;
/** Chunks one store call may create (each is embedded and held in memory until written). */
export const MAX_CHUNKS_PER_CALL = 2000;
export const DEFAULT_NAMESPACE = "default";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

export const Namespace = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "must be 1 to 128 letters, digits, _ . : or - and start with a letter or digit");

const noNul = (s: string) => !s.includes("\u0000");

export const Key = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_KEY_CHARS, `must be at most ${MAX_KEY_CHARS} characters`)
  .refine(noNul, "must not contain NUL (\\u0000) characters");

export const Content = z
  .string({ error: "must be a string" })
  .refine((s) => s.trim().length > 0, "must contain text (it is empty or only whitespace)")
  .refine((s) => bytes(s) <= MAX_CONTENT_BYTES, `must be at most ${MAX_CONTENT_BYTES} bytes (1 MiB) of UTF-8`)
  .refine(noNul, "must not contain NUL (\\u0000) characters");

export const Metadata = z
  .record(z.string(), z.unknown(), { error: "must be a JSON object" })
  .refine((m) => bytes(JSON.stringify(m)) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes of JSON`);

export const Scope = z.string().min(1).optional();

export const Query = z
  .string({ error: "must be a string" })
  .refine((s) => s.trim().length > 0, "must contain text")
  .refine((s) => s.length <= MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
  .refine(noNul, "must not contain NUL (\\u0000) characters");

const ChunkShape = {
  chunkSize: z.int().min(MIN_CHUNK_SIZE).max(MAX_CHUNK_SIZE).optional(),
  chunkOverlap: z.int().min(0).optional(),
};

/** The overlap may be at most half the chunk size (the default size when none is given). */
const overlapFits = (o: { chunkSize?: number; chunkOverlap?: number }, ctx: z.RefinementCtx) => {
  const size = o.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (o.chunkOverlap !== undefined && o.chunkOverlap > size / 2) {
    ctx.addIssue({ code: "custom", path: ["chunkOverlap"], message: `must be at most half of chunkSize (${Math.floor(size / 2)})` });
  }
};

export const StoreOptions = z
  .object({ namespace: Namespace.optional(), key: Key.optional(), metadata: Metadata.optional(), scope: Scope, ...ChunkShape })
  .strict()
  .superRefine(overlapFits);

export const NewDocument = z.object({ content: Content, key: Key.optional(), metadata: Metadata.optional(), namespace: Namespace.optional() }).strict();

export const Documents = z.array(NewDocument).min(1, "must hold at least one document").max(MAX_BATCH, `may hold at most ${MAX_BATCH} documents`);

export const StoreManyOptions = z
  .object({ namespace: Namespace.optional(), scope: Scope, ...ChunkShape })
  .strict()
  .superRefine(overlapFits);

export const SearchShape = {
  namespace: z.union([Namespace, z.array(Namespace).min(1, "must name at least one namespace").max(MAX_SEARCH_NAMESPACES, `may name at most ${MAX_SEARCH_NAMESPACES} namespaces`)]).optional(),
  limit: z.int().min(1).max(MAX_LIMIT).optional(),
  minScore: z.number().min(-1).max(1).optional(),
  metadataFilter: z.record(z.string(), z.unknown(), { error: "must be an object of metadata field conditions" }).optional(),
};

export const SearchOptions = z.object({ ...SearchShape, scope: Scope }).strict();

export const KeyOptions = z.object({ namespace: Namespace.optional(), scope: Scope }).strict();

export const ScopeOptions = z.object({ scope: Scope }).strict();

export { DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE };
