import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

/**
 * Work a writer does in the same transaction as its change — the audit event of it.
 * Repositories that take one run the change and it together, or neither.
 */
export type InTransaction = (db: Kysely<Schema>) => Promise<void>;

/** `work` in a transaction when there is something to commit with it (`also`), else as it is: no extra round trips. */
export function transactionFor<T>(db: Kysely<Schema>, also: unknown, work: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  return also ? db.transaction().execute(work) : work(db);
}

/** Who did something: a signed-in user, an API key, or nobody known (a failed sign-in). */
export interface AuditActor {
  kind: "user" | "apiKey" | "anonymous";
  id: string | null;
  name: string | null;
}

export interface NewAuditEvent {
  actor: AuditActor;
  orgId: string | null;
  /** `<thing>.<verb>`, e.g. `user.create`, `auth.login_failed`. */
  action: string;
  /** What it was done to, e.g. a user's id or a config key (never a secret's value). */
  target: string | null;
  ip: string | null;
  details?: Record<string, unknown> | null;
}

export interface AuditEvent extends Omit<NewAuditEvent, "details"> {
  id: number;
  at: string;
  details: Record<string, unknown> | null;
}

export interface AuditFilter {
  /** undefined = every organization's and the global ones. */
  orgId?: string;
  action?: string;
  actorId?: string;
  target?: string;
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

/** The append-only audit trail. Writers pass their transaction so an event commits with its change. */
export class AuditRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async append(event: NewAuditEvent, db: Kysely<Schema> = this.db, now = new Date().toISOString()): Promise<void> {
    await db
      .insertInto("audit_events")
      .values({
        at: now,
        actor_kind: event.actor.kind,
        actor_id: event.actor.id,
        actor_name: event.actor.name,
        organization_id: event.orgId,
        action: event.action,
        target: event.target,
        ip: event.ip,
        details: event.details ? JSON.stringify(event.details) : null,
      })
      .execute();
  }

  /** Newest first. */
  async list(filter: AuditFilter): Promise<{ events: AuditEvent[]; hasMore: boolean }> {
    let q = this.db.selectFrom("audit_events").selectAll();
    if (filter.orgId !== undefined) q = q.where("organization_id", "=", filter.orgId);
    if (filter.action) q = filter.action.endsWith(".") ? q.where("action", "like", `${filter.action}%`) : q.where("action", "=", filter.action);
    if (filter.actorId) q = q.where("actor_id", "=", filter.actorId);
    if (filter.target) q = q.where("target", "=", filter.target);
    if (filter.since) q = q.where("at", ">=", filter.since);
    if (filter.until) q = q.where("at", "<", filter.until);
    const rows = await q.orderBy("id", "desc").limit(filter.limit + 1).offset(filter.offset).execute();
    return {
      hasMore: rows.length > filter.limit,
      events: rows.slice(0, filter.limit).map((r) => ({
        id: Number(r.id),
        at: r.at,
        actor: { kind: r.actor_kind as AuditActor["kind"], id: r.actor_id, name: r.actor_name },
        orgId: r.organization_id,
        action: r.action,
        target: r.target,
        ip: r.ip,
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
      })),
    };
  }
}
