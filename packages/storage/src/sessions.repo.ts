import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

export interface Session {
  id: string;
  userId: string;
  /** The CSRF token cookie-authenticated writes must echo in X-Bifrost-CSRF. */
  csrfToken: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export const sha256 = (value: string): string => createHash("sha256").update(value).digest("hex");

const toSession = (r: Schema["sessions"]): Session => ({
  id: r.id,
  userId: r.user_id,
  csrfToken: r.csrf_token,
  ip: r.ip,
  userAgent: r.user_agent,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
});

/**
 * Server-side sessions. The cookie carries a random 256-bit token; only its SHA-256 is
 * stored. A session ends at `expiresAt` (absolute lifetime), when unused for the idle
 * lifetime, or when revoked (logout, password change, the user disabled).
 */
export class SessionsRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(
    userId: string,
    options: { absoluteMs: number; ip?: string | null; userAgent?: string | null },
    db: Kysely<Schema> = this.db,
    now = new Date(),
  ): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString("base64url");
    const row: Schema["sessions"] = {
      id: randomUUID(),
      user_id: userId,
      token_hash: sha256(token),
      csrf_token: randomBytes(24).toString("base64url"),
      ip: options.ip ?? null,
      user_agent: options.userAgent?.slice(0, 500) ?? null,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + options.absoluteMs).toISOString(),
      revoked_at: null,
    };
    await db.insertInto("sessions").values(row).execute();
    return { token, session: toSession(row) };
  }

  /** The live session of this token: not revoked, not past its absolute end, used within `idleMs`. */
  async findLive(token: string, idleMs: number, now = new Date()): Promise<Session | null> {
    const r = await this.db
      .selectFrom("sessions")
      .selectAll()
      .where("token_hash", "=", sha256(token))
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now.toISOString())
      .where("last_seen_at", ">", new Date(now.getTime() - idleMs).toISOString())
      .executeTakeFirst();
    return r ? toSession(r) : null;
  }

  async touch(id: string, now = new Date()): Promise<void> {
    await this.db.updateTable("sessions").set({ last_seen_at: now.toISOString() }).where("id", "=", id).execute();
  }

  async revoke(id: string, db: Kysely<Schema> = this.db, now = new Date()): Promise<boolean> {
    const r = await db.updateTable("sessions").set({ revoked_at: now.toISOString() }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Revokes every live session of the user but `exceptId`; returns how many. */
  async revokeAllOf(userId: string, exceptId: string | null = null, db: Kysely<Schema> = this.db, now = new Date()): Promise<number> {
    let q = db.updateTable("sessions").set({ revoked_at: now.toISOString() }).where("user_id", "=", userId).where("revoked_at", "is", null);
    if (exceptId) q = q.where("id", "!=", exceptId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async listLive(userId: string, now = new Date()): Promise<Session[]> {
    const rows = await this.db
      .selectFrom("sessions")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now.toISOString())
      .orderBy("created_at")
      .execute();
    return rows.map(toSession);
  }
}
