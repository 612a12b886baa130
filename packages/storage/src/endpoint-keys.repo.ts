import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { generateApiKey, hashApiKey } from "./api-keys.repo.js";
import type { Schema } from "./schema.js";
import { transactionFor, type InTransaction } from "./audit.repo.js";

import type { EndpointKey } from "@bifrost/contracts/keys.js";

export type { EndpointKey };

const ENDPOINT_PREFIX = "bfe_";

const toKey = (r: Schema["endpoint_keys"]): EndpointKey => ({
  id: r.id,
  scope: r.scope,
  workflowId: r.workflow_id,
  name: r.name,
  prefix: r.key_prefix,
  createdAt: r.created_at,
  rotatedAt: r.rotated_at,
  revokedAt: r.revoked_at,
});

function newSecret(): { key: string; hash: string; prefix: string } {
  const key = ENDPOINT_PREFIX + generateApiKey().slice(4);
  return { key, hash: hashApiKey(key), prefix: key.slice(0, ENDPOINT_PREFIX.length + 6) };
}

/** Keys for HTTP endpoints (`X-Bifrost-Key`), stored as SHA-256 like API keys. */
export class EndpointKeysRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  /** `also` (the audit event: never the key) commits with each change, or neither does. */
  async create(scope: string, workflowId: string | null, name: string, now = new Date().toISOString(), also?: (db: Kysely<Schema>, key: EndpointKey) => Promise<void>): Promise<{ key: string; endpointKey: EndpointKey }> {
    const secret = newSecret();
    const row = { id: randomUUID(), scope, workflow_id: workflowId, name, key_hash: secret.hash, key_prefix: secret.prefix, created_at: now, rotated_at: null, revoked_at: null };
    await transactionFor(this.db, also, async (trx) => {
      await trx.insertInto("endpoint_keys").values(row).execute();
      await also?.(trx, toKey(row));
    });
    return { key: secret.key, endpointKey: toKey(row) };
  }

  async findActiveByHash(hash: string): Promise<EndpointKey | null> {
    const row = await this.db.selectFrom("endpoint_keys").selectAll().where("key_hash", "=", hash).where("revoked_at", "is", null).executeTakeFirst();
    return row ? toKey(row) : null;
  }

  async get(id: string): Promise<EndpointKey | null> {
    const row = await this.db.selectFrom("endpoint_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toKey(row) : null;
  }

  /** Active keys, of one scope or (undefined) all. */
  async list(scope: string | undefined): Promise<EndpointKey[]> {
    let q = this.db.selectFrom("endpoint_keys").selectAll().where("revoked_at", "is", null).orderBy("created_at");
    if (scope !== undefined) q = q.where("scope", "=", scope);
    return (await q.execute()).map(toKey);
  }

  /** A new secret for the same key: the old one stops working at once. */
  async rotate(id: string, now = new Date().toISOString(), also?: InTransaction): Promise<string | null> {
    const secret = newSecret();
    return transactionFor(this.db, also, async (trx) => {
      const r = await trx
        .updateTable("endpoint_keys")
        .set({ key_hash: secret.hash, key_prefix: secret.prefix, rotated_at: now })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return null;
      await also?.(trx);
      return secret.key;
    });
  }

  async revoke(id: string, now = new Date().toISOString(), also?: InTransaction): Promise<boolean> {
    return transactionFor(this.db, also, async (trx) => {
      const r = await trx.updateTable("endpoint_keys").set({ revoked_at: now }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
      if (r.numUpdatedRows > 0n) await also?.(trx);
      return r.numUpdatedRows > 0n;
    });
  }
}
