import { z } from "zod";

/** Limits of the tables module (documented in docs/sdk/tables.md). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const MAX_BATCH = 1000;
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

export const TableName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "must start with a letter and use letters, digits, _ and - (up to 64)");

export const DocumentId = z.string().min(1, "must not be empty").max(256, "must be at most 256 characters");

/** A JSON object; its `id`, when present, is checked by the service (path `<doc>.id`). */
export const DocumentBody = z.record(z.string(), z.unknown(), { error: "must be a JSON object" });

export const Scope = z.string().min(1).optional();

export const ScopeOptions = z.object({ scope: Scope }).strict();
export const CreateOptions = z.object({ scope: Scope, ifNotExists: z.boolean().optional() }).strict();

export const WhereShape = z.record(z.string(), z.unknown(), { error: "must be an object of field conditions" });

export const Limit = z.int().min(0).max(MAX_LIMIT);
export const Offset = z.int().min(0);

export const QueryShape = z
  .object({
    where: WhereShape.optional(),
    orderBy: z.string().optional(),
    orderDir: z.enum(["asc", "desc"]).optional(),
    limit: Limit.optional(),
    offset: Offset.optional(),
  })
  .strict();
export const QueryOptions = QueryShape.extend({ scope: Scope }).strict();
export const CountOptions = z.object({ where: WhereShape.optional(), scope: Scope }).strict();

export const Documents = z.array(DocumentBody).max(MAX_BATCH, `may hold at most ${MAX_BATCH} documents`);
export const Ids = z.array(DocumentId).max(MAX_BATCH, `may hold at most ${MAX_BATCH} ids`);
