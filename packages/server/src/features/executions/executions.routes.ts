import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { EXECUTION_STATUSES, LOG_LEVELS, TRIGGERS, isTerminalStatus, type LogLine, type LogSearchPage } from "@bifrost/contracts/execution.js";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StoredExecution } from "@bifrost/storage/executions.repo.js";
import { principalOf, type Principal } from "../../auth.js";
import { HttpError, notFound } from "../../http-error.js";
import { callerOf, visibleOrgOf } from "../sdk/scope.js";
import { visibleExecution } from "./executions.sdk.js";
import { isoDate, parseBody } from "../../parse.js";
import { executionView } from "./execution-view.js";

export const ListQuery = z.object({
  workflow: z.string().optional(),
  /** One organization's runs, for callers who see several (MSP users, platform admins). */
  organizationId: z.string().min(1).max(100).optional(),
  /** One person's runs (a user id). */
  user: z.string().min(1).max(100).optional(),
  /** Text in the workflow's name or the run's error. */
  q: z.string().max(200).optional(),
  /** The runs a run started (its children). */
  parent: z.string().min(1).max(100).optional(),
  status: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(EXECUTION_STATUSES)))
    .optional(),
  trigger: z.enum(TRIGGERS).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const LogSearchQuery = z
  .object({
    level: z
      .string()
      .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
      .pipe(z.array(z.enum(LOG_LEVELS)))
      .optional(),
    workflow: z.string().max(200).optional(),
    organizationId: z.string().min(1).max(100).optional(),
    q: z.string().max(200).optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
    /** Read by the auth layer (the organization acted in), like X-Bifrost-Org. */
    org: z.string().optional(),
  })
  .strict();

const HEARTBEAT_MS = 15_000;
/** How often an open log stream checks the store for an end the bus did not deliver. */
const STORE_CHECK_MS = 3_000;

/** Execution history, logs (stored and live) and cancellation (SPEC §4). */
export function executionsRoutes(app: FastifyInstance, deps: { engine: Engine }): void {
  const { engine } = deps;
  const repo = engine.repos.executions;

  /**
   * Another organization's run, or for an organization member another person's, is "not
   * found". MSP members without X-Bifrost-Org read every organization's history.
   */
  const visible = async (p: Principal, id: string): Promise<StoredExecution> => {
    const record = p.level === "mspMember" && p.orgId === null ? await repo.get(id) : await visibleExecution(repo, callerOf(p), id);
    if (!record || (p.level === "orgMember" && record.userId !== p.userId)) throw notFound("Execution");
    return record;
  };
  const historyOrg = (p: Principal) => (p.level === "mspMember" && p.orgId === null ? undefined : visibleOrgOf(callerOf(p)));

  app.get("/api/executions", async (req) => {
    const p = principalOf(req);
    const q = parseBody(ListQuery, req.query);
    const { parent, organizationId, user, q: text, ...filters } = q;
    // Filters narrow what the caller may see, never widen it: another organization than the
    // one acted in, or (for an organization member) another person, finds nothing.
    const scope = historyOrg(p);
    const self = p.level === "orgMember" ? (p.userId ?? "") : undefined;
    if ((scope !== undefined && organizationId !== undefined && organizationId !== scope) || (self !== undefined && user !== undefined && user !== self)) {
      return { executions: [], limit: q.limit, offset: q.offset, hasMore: false };
    }
    const page = await repo.list({ ...filters, text, parentId: parent, orgId: scope !== undefined ? scope : organizationId, userId: self ?? user });
    // Summaries: logs, results, input and variables are read per execution.
    return { executions: page.executions, limit: q.limit, offset: q.offset, hasMore: page.hasMore };
  });

  /**
   * The admins' log search across runs (platform admins, organization admins: the
   * permission table): lines newest first, by level, workflow, organization, text and
   * time. An organization admin, or anyone acting in one organization, searches that
   * organization only; asking for another one finds nothing. Debug lines only for
   * platform admins, as everywhere else.
   */
  app.get("/api/executions/logs", async (req): Promise<LogSearchPage> => {
    const p = principalOf(req);
    const q = parseBody(LogSearchQuery, req.query);
    const scope = historyOrg(p);
    const empty = { lines: [], limit: q.limit, offset: q.offset, hasMore: false };
    if (scope !== undefined && q.organizationId !== undefined && q.organizationId !== scope) return empty;
    const orgId = scope !== undefined ? scope : q.organizationId;
    const page = await repo.searchLogs({ orgId, workflow: q.workflow, levels: q.level, text: q.q, since: q.since, until: q.until, limit: q.limit, offset: q.offset, includeDebug: p.isPlatformAdmin });
    return { lines: page.lines, limit: q.limit, offset: q.offset, hasMore: page.hasMore };
  });

  app.get<{ Params: { id: string } }>("/api/executions/:id", async (req) => {
    const p = principalOf(req);
    const record = await visible(p, req.params.id);
    return executionView(record, await repo.logs(record.id, { includeDebug: p.isPlatformAdmin }));
  });

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>("/api/executions/:id/logs", async (req) => {
    const p = principalOf(req);
    const record = await visible(p, req.params.id);
    const after = Number(req.query.after ?? 0) || 0;
    return { logs: await repo.logs(record.id, { afterSeq: after, includeDebug: p.isPlatformAdmin }), status: record.status };
  });

  app.post<{ Params: { id: string } }>("/api/executions/:id/cancel", async (req, reply) => {
    const p = principalOf(req);
    const record = await visible(p, req.params.id);
    if (isTerminalStatus(record.status)) {
      throw new HttpError(409, "not_cancellable", `Execution is already ${record.status}`);
    }
    const status = await engine.executor.cancel(record.id);
    if (!status) throw new HttpError(409, "not_cancellable", "Execution finished before it could be cancelled");
    return reply.status(202).send({ id: record.id, status });
  });

  /**
   * Server-sent events: every stored line after `Last-Event-ID` (or `?after=`), then live
   * lines as they are written, then an `end` event with the final status. Event ids are
   * the lines' `seq`, so a client that reconnects resumes without gaps or repeats.
   */
  app.get<{ Params: { id: string }; Querystring: { after?: string } }>("/api/executions/:id/logs/stream", async (req, reply) => {
    const p = principalOf(req);
    const record = await visible(p, req.params.id);
    const lastEventId = req.headers["last-event-id"];
    let last = Number((Array.isArray(lastEventId) ? lastEventId[0] : lastEventId) ?? req.query.after ?? 0) || 0;
    const includeDebug = p.isPlatformAdmin;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 1000\n\n");

    let closed = false;
    let replaying = true;
    const backlog: Parameters<Parameters<typeof engine.bus.subscribe>[1]>[0][] = [];
    const send = (line: LogLine) => {
      if (closed || line.seq <= last) return;
      last = line.seq;
      if (!includeDebug && line.level === "debug") return;
      res.write(`id: ${line.seq}\nevent: log\ndata: ${JSON.stringify(line)}\n\n`);
    };
    let finishing = false;
    const finish = async (status: string) => {
      // Claimed synchronously: the backlog and the final check may both get here.
      if (closed || finishing) return;
      finishing = true;
      for (const line of await repo.logs(record.id, { afterSeq: last, includeDebug: true })) send(line);
      if (closed) return;
      res.write(`event: end\ndata: ${JSON.stringify({ status })}\n\n`);
      cleanup();
      res.end();
    };
    /**
     * Lines a worker in another process published before this stream subscribed, but had
     * not yet written when it read the store, show up as a jump in `seq`: fetch them
     * (the worker writes every ~50 ms) before sending on, so the stream has no gaps.
     */
    const fillGap = async (upTo: number) => {
      for (let attempt = 0; attempt < 6 && last < upTo && !closed; attempt++) {
        for (const line of await repo.logs(record.id, { afterSeq: last, includeDebug: true, limit: upTo - last })) {
          if (line.seq <= upTo) send(line);
        }
        if (last < upTo) await new Promise((r) => setTimeout(r, 40));
      }
    };
    // One event at a time, in order, even when one of them has to wait for the store.
    let queue: Promise<void> = Promise.resolve();
    const handle = (e: (typeof backlog)[number]) => {
      queue = queue
        .then(async () => {
          if (e.type === "log") {
            if (e.line.seq > last + 1) await fillGap(e.line.seq - 1);
            send(e.line);
          } else if (e.type === "status" && e.terminal) {
            await finish(e.status);
          }
        })
        .catch(() => undefined);
    };
    const off = engine.bus.subscribe(record.id, (e) => (replaying ? backlog.push(e) : handle(e)));
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    // The bus may drop events (Redis restarting, a publisher that died): the store is the
    // truth. Lost lines show up as a gap in `seq` and are filled; a lost final status is
    // found here, so no stream waits forever for an end that was already written.
    const watchdog = setInterval(() => {
      void repo.get(record.id).then(
        (r) => {
          if (!closed && !replaying && (!r || isTerminalStatus(r.status))) handle({ type: "status", status: r?.status ?? "Stuck", terminal: true });
        },
        () => undefined,
      );
    }, STORE_CHECK_MS);
    function cleanup() {
      closed = true;
      off();
      clearInterval(heartbeat);
      clearInterval(watchdog);
    }
    req.raw.on("close", cleanup);

    for (const line of await repo.logs(record.id, { afterSeq: last, includeDebug: true })) send(line);
    for (const line of engine.logs.unflushed(record.id)) send(line);
    const current = await repo.get(record.id);
    replaying = false;
    for (const e of backlog.splice(0)) handle(e);
    if (!current || isTerminalStatus(current.status)) {
      await queue;
      await finish(current?.status ?? "Stuck");
    }
  });
}
