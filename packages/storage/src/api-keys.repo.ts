import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

import type { ApiKey } from "@bifrost/contracts/keys.js";

export type { ApiKey };

export const API_KEY_PREFIX = "bfk_";

/** SHA-256 hex of a key. API keys carry 256 bits of entropy, so no slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A new random key: `bfk_` + 43 base64url characters (256 bits). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString("base64url");
}

function toApiKey(row: Schema["api_keys"]): ApiKey {
  return {
    id: row.id,
    orgId: row.organization_id,
    name: row.name,
    prefix: row.key_prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    userId: row.user_id,
  };
}

export class ApiKeysRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Stores the hash of a new key and returns the key itself, which is never stored. */
  async create(orgId: string | null, name: string, now = new Date(), userId: string | null = null, db: Kysely<Schema> = this.db): Promise<{ key: string; apiKey: ApiKey }> {
    const key = generateApiKey();
    const row = {
      id: randomUUID(),
      organization_id: orgId,
      name,
      key_hash: hashApiKey(key),
      key_prefix: key.slice(0, API_KEY_PREFIX.length + 6),
      created_at: now.toISOString(),
      revoked_at: null,
      user_id: userId,
    };
    await db.insertInto("api_keys").values(row).execute();
    return { key, apiKey: toApiKey(row) };
  }

  /** The active key with this hash, if any. */
  async findActiveByHash(hash: string): Promise<ApiKey | null> {
    const row = await this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("key_hash", "=", hash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row ? toApiKey(row) : null;
  }

  async get(id: string): Promise<ApiKey | null> {
    const row = await this.db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toApiKey(row) : null;
  }

  /** Keys of one organization, or of the platform admins when `orgId` is null; `userId`: one user's personal keys. */
  async list(orgId: string | null | undefined, userId?: string): Promise<ApiKey[]> {
    let query = this.db.selectFrom("api_keys").selectAll().orderBy("created_at");
    if (userId !== undefined) query = query.where("user_id", "=", userId);
    if (orgId === null) query = query.where("organization_id", "is", null);
    else if (orgId !== undefined) query = query.where("organization_id", "=", orgId);
    return (await query.execute()).map(toApiKey);
  }

  async revoke(id: string, now = new Date(), db: Kysely<Schema> = this.db): Promise<boolean> {
    const result = await db
      .updateTable("api_keys")
      .set({ revoked_at: now.toISOString() })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
