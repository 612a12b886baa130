import type { FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { AuditActor, AuditRepo } from "@bifrost/storage/audit.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Principal } from "../../auth.js";

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
