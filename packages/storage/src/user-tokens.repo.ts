import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";
import { sha256 } from "./sessions.repo.js";

/** `invite` and `reset` set a user's password; `setup` creates the first platform admin. */
export type UserTokenPurpose = "invite" | "reset" | "setup";

export interface UserToken {
  purpose: UserTokenPurpose;
  userId: string | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

/** What redeeming a token found: the token, or why it cannot be used. */
export type Redeemed = { ok: true; token: UserToken } | { ok: false; reason: "unknown" | "expired" | "used" };

/** One-time links (stored as SHA-256 of the token): invitations, password resets, first-admin setup. */
export class UserTokensRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(
    purpose: UserTokenPurpose,
    userId: string | null,
    options: { ttlMs: number; createdBy?: string | null },
    db: Kysely<Schema> = this.db,
    now = new Date(),
  ): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString("base64url");
    const expiresAt = new Date(now.getTime() + options.ttlMs).toISOString();
    // A new link replaces the user's unused ones of the same purpose.
    if (userId) await db.deleteFrom("user_tokens").where("user_id", "=", userId).where("purpose", "=", purpose).where("used_at", "is", null).execute();
    else await db.deleteFrom("user_tokens").where("purpose", "=", purpose).where("used_at", "is", null).execute();
    await db
      .insertInto("user_tokens")
      .values({ token_hash: sha256(token), purpose, user_id: userId, created_by: options.createdBy ?? null, created_at: now.toISOString(), expires_at: expiresAt, used_at: null })
      .execute();
    return { token, expiresAt };
  }

  /** Marks the token used (once: a second redeem finds it used) when it is live. */
  async redeem(token: string, db: Kysely<Schema> = this.db, now = new Date()): Promise<Redeemed> {
    const hash = sha256(token);
    const r = await db.selectFrom("user_tokens").selectAll().where("token_hash", "=", hash).executeTakeFirst();
    if (!r) return { ok: false, reason: "unknown" };
    if (r.used_at) return { ok: false, reason: "used" };
    if (r.expires_at <= now.toISOString()) return { ok: false, reason: "expired" };
    const u = await db.updateTable("user_tokens").set({ used_at: now.toISOString() }).where("token_hash", "=", hash).where("used_at", "is", null).executeTakeFirst();
    if (u.numUpdatedRows === 0n) return { ok: false, reason: "used" };
    return { ok: true, token: { purpose: r.purpose as UserTokenPurpose, userId: r.user_id, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: now.toISOString() } };
  }

  /** Without using it: what the token is, if it is live. */
  async peek(token: string, now = new Date()): Promise<Redeemed> {
    const r = await this.db.selectFrom("user_tokens").selectAll().where("token_hash", "=", sha256(token)).executeTakeFirst();
    if (!r) return { ok: false, reason: "unknown" };
    if (r.used_at) return { ok: false, reason: "used" };
    if (r.expires_at <= now.toISOString()) return { ok: false, reason: "expired" };
    return { ok: true, token: { purpose: r.purpose as UserTokenPurpose, userId: r.user_id, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: null } };
  }
}
