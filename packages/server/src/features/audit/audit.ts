import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { AuditActor, AuditRepo } from "@bifrost/storage/audit.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Principal } from "../../auth.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set when a handler appended its own audit event (in the change's transaction). */
    audited?: boolean;
  }
}

export function actorOf(p: Principal | null): AuditActor {
  if (!p) return { kind: "anonymous", id: null, name: null };
  if (p.kind === "user") return { kind: "user", id: p.userId, name: p.email };
  return { kind: "apiKey", id: p.keyId, name: p.userId ? `${p.keyName} (${p.email})` : p.keyName };
}

/** Appends one event for the request's principal, in `db` (the change's transaction). */
export function audit(
  repo: AuditRepo,
  request: FastifyRequest,
  event: { action: string; target: string | null; orgId?: string | null; details?: Record<string, unknown> | null; actor?: AuditActor },
  db?: Kysely<Schema>,
): Promise<void> {
  request.audited = true;
  return repo.append(
    {
      actor: event.actor ?? actorOf(request.principal),
      orgId: event.orgId === undefined ? (request.principal?.orgId ?? null) : event.orgId,
      action: event.action,
      target: event.target,
      ip: request.ip,
      details: event.details ?? null,
    },
    db,
  );
}

/**
 * The audit of a change outside the database (a workspace or stored file), where no
 * transaction can hold both. The event is committed first, then the change is made: if
 * the event cannot be written, nothing changes (the request fails); if the change then
 * fails, a `<action>_failed` event follows. So no change is ever without its event; an
 * event may at worst stand for an attempt (a crash between the two), never the reverse.
 */
export interface ChangeAudit {
  before(): Promise<void>;
  failed(error: unknown): Promise<void>;
}

type AuditEventInput = Parameters<typeof audit>[2];

/** A `ChangeAudit` for the request's principal (see `withChangeAudit`). */
export function changeAudit(repo: AuditRepo, request: FastifyRequest, event: AuditEventInput): ChangeAudit {
  return {
    before: () => audit(repo, request, event),
    failed: (error) =>
      audit(repo, request, { ...event, action: `${event.action}_failed`, details: { ...event.details, error: (error instanceof Error ? error.message : String(error)).slice(0, 300) } }).catch(
        (e: unknown) => request.log.error({ err: e }, "audit event of a failed change not written"),
      ),
  };
}

/** Runs `change` after its event is committed, noting a failure after it (see `ChangeAudit`). */
export async function withChangeAudit<T>(a: ChangeAudit | undefined, change: () => Promise<T>): Promise<T> {
  if (!a) return change();
  await a.before();
  try {
    return await change();
  } catch (error) {
    await a.failed(error);
    throw error;
  }
}

/** A file change's audit (files and editor routes): the file's label as target, never its content. */
export const fileAudit =
  (repo: AuditRepo, request: FastifyRequest, action: string) =>
  (label: string): ChangeAudit =>
    changeAudit(repo, request, { action, target: label });

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Writes that are runs or reads by another name, not changes: they leave execution records instead. */
const NOT_CHANGES = [/\/execute$/, /\/run$/, /\/test$/, /\/submit$/, /\/chat$/, /\/chat\/stream$/, /^\/api\/ai\/stream$/, /^\/api\/files\/(read|list|exists)$/, /^\/api\/knowledge\/search$/, /^\/api\/tables\/:table\/(query|count)$/, /^\/api\/data-providers\//, /^\/mcp$/, /^\/api\/sdk\/call$/, /^\/api\/auth\/logout$/];

/**
 * The fallback for a write route without an event of its own (today: integration token
 * refresh, starting an OAuth authorization, cancelling a run): `<route family>.<method>`
 * with the route's path parameters as the target (never a body, so never a secret's
 * value), appended before the answer is sent — not in the change's transaction. Routes
 * that audit themselves set `request.audited` and are skipped.
 */
export function registerAuditOfChanges(app: FastifyInstance, repo: AuditRepo, familyOf: (method: string, url: string) => { name: string } | null): void {
  // Before the answer leaves: a client that saw the change can read its event.
  app.addHook("onSend", async (request, reply, payload) => {
    const url = request.routeOptions.url;
    if (request.audited || !url || !WRITES.has(request.method) || reply.statusCode >= 400 || NOT_CHANGES.some((r) => r.test(url))) return payload;
    let createdId: string | null = null;
    if (reply.statusCode === 201 && typeof payload === "string" && payload.length < 65_536) {
      try {
        const id = (JSON.parse(payload) as { id?: unknown }).id;
        if (typeof id === "string") createdId = id;
      } catch {
        // not JSON: no id to note
      }
    }
    const params = (request.params ?? {}) as Record<string, string>;
    const family = familyOf(request.method, url)?.name ?? "api";
    await repo
      .append({
        actor: actorOf(request.principal),
        orgId: request.principal?.orgId ?? null,
        action: `${family}.${request.method.toLowerCase()}`,
        target: createdId ?? (Object.values(params).join("/") || url),
        ip: request.ip,
        details: { route: `${request.method} ${url}`, status: reply.statusCode },
      })
      .catch((error: unknown) => request.log.error({ err: error }, "audit event not written"));
    return payload;
  });
}
