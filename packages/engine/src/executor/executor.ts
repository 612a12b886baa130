import { randomUUID } from "node:crypto";
import type { ExecutionContextData } from "@bifrost/contracts/context.js";
import { isTerminalStatus, type AttemptSummary, type ExecutionStatus, type LogLine, type Trigger } from "@bifrost/contracts/execution.js";
import type { ExecutionPatch, ExecutionPrincipal, ExecutionsRepo, StoredExecution } from "@bifrost/storage/executions.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import type { EventBus } from "../events/event-bus.js";
import type { WorkerPool } from "../pool/worker-pool.js";
import type { Queue } from "../queue/queue.js";
import type { Registry } from "../registry/registry.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { LogSink } from "./log-sink.js";
import { retryDelayMs, toAttemptOutcome } from "./outcome.js";
import { CHILD_VARIABLE_SLACK_CHARS, limitOutcome, scrubTask, type OutcomeLimits } from "./outcome-limits.js";
import type { Redactor } from "./redactor.js";
import type { UsageMeter } from "./usage-meter.js";
import { cancelledPatch, interruptedPatch } from "./interrupted.js";
import { ORGANIZATION_DELETED_ERROR } from "@bifrost/storage/organizations.repo.js";
import type { ModuleStore } from "../compiler/module-store.js";
import type { WriteBatcher } from "./write-batcher.js";
import { isEgressMethod } from "@bifrost/contracts/egress.js";
import type { EgressService } from "../egress/egress-service.js";

/** Inline code compiled for one run (`POST /api/workflows/code/execute`). */
export interface InlineTarget {
  modulePath: string;
  /** SHA-256 of the bundle: any process can fetch it from the database by this. */
  hash: string;
  timeoutSeconds: number;
}

export interface StartRequest {
  workflow?: StoredWorkflow;
  inline?: InlineTarget;
  input: Record<string, unknown>;
  orgId: string | null;
  userId: string | null;
  principal: ExecutionPrincipal;
  trigger: Trigger;
  parentId?: string | null;
}

export interface ExecutorDeps {
  executions: ExecutionsRepo;
  batcher: WriteBatcher;
  queue: Queue;
  bus: EventBus;
  pool: WorkerPool;
  registry: Registry;
  logs: LogSink;
  redactor: Redactor;
  /** LLM tokens each run spent, added to its record when an attempt ends. */
  usage: UsageMeter;
  /** Finds (or fetches) the bundle a workflow's hash names. */
  modules: ModuleStore;
  /** Re-reads the registry from the database (a worker whose copy may be behind). */
  reloadRegistry?: () => Promise<void>;
  /** Performs SDK calls made by running workflows (set by the server; null = none available). */
  sdk: () => SdkHandler | null;
  workspace: string;
  /** What the host keeps of a run's result and variables (the child is not trusted to). */
  limits: OutcomeLimits;
  /** Whether an organization still exists (a run of a deleted one is cancelled, not run). */
  organizationExists: (id: string) => Promise<boolean>;
  /** Performs the network requests of running workflows under the egress policy (none: they fail). */
  egress?: EgressService;
}

export type SdkHandler = (caller: SdkCaller, method: string, args: unknown[]) => Promise<unknown>;

export const INLINE_WORKFLOW_NAME = "(inline code)";

/**
 * A sync run that ends within this time is written once, as its final record; one that
 * runs longer is written as Running at this point, so a host crash leaves a trace that
 * recovery marks Stuck. (A crash within the window loses a run whose caller got no answer.)
 */
export const SYNC_RECORD_DELAY_MS = 100;

/** How often a process refreshes the heartbeat of the queued runs it runs. */
export const HEARTBEAT_MS = 2_000;
/** A heartbeat older than this means the process running the run is gone. */
export const HEARTBEAT_STALE_MS = 8_000;
/**
 * A sync run whose heartbeat is older than this is ended by whichever process notices
 * (see reapAbandoned). Longer than HEARTBEAT_STALE_MS: a false positive here ends a run
 * that is still running, whereas a queued run is only re-looked at.
 */
export const SYNC_REAP_AFTER_MS = 30_000;

/** Whether a run's row exists yet: sync runs insert it late (see SYNC_RECORD_DELAY_MS). */
interface RowState {
  written: boolean;
  timer: NodeJS.Timeout | null;
}

/** Coalesces the `get`s of one tick into one query (queued runs arrive in batches). */
class ExecutionLoader {
  private pending = new Map<string, ((e: StoredExecution | null) => void)[]>();
  private scheduled = false;
  constructor(private readonly repo: ExecutionsRepo) {}

  load(id: string): Promise<StoredExecution | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(id) ?? [];
      waiters.push(resolve);
      this.pending.set(id, waiters);
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        const batch = this.pending;
        this.pending = new Map();
        this.scheduled = false;
        this.repo.getMany([...batch.keys()]).then(
          (found) => batch.forEach((ws, key) => ws.forEach((w) => w(found.get(key) ?? null))),
          reject,
        );
      });
    });
  }
}

/**
 * The one engine path (SPEC §3): every run — sync or queued, workflow or inline code —
 * is created here, runs through `runAttempt` in a worker child, and ends with one
 * record. Sync callers just wait for the terminal state.
 */
export class Executor {
  private readonly running = new Map<string, AbortController>();
  /** Queued runs this process runs: their heartbeat is refreshed while they run. */
  private readonly beating = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly loader: ExecutionLoader;

  constructor(private readonly deps: ExecutorDeps) {
    this.loader = new ExecutionLoader(deps.executions);
  }

  /**
   * Runs now and resolves with the final record (after retries, if any). `logs` are the
   * run's lines when it ended in one attempt; otherwise read them from the store.
   */
  async executeSync(req: StartRequest): Promise<{ record: StoredExecution; logs: LogLine[] | null }> {
    // The caller is waiting, so the short wait for a free worker needs no state of its own.
    const startedAt = new Date().toISOString();
    const record: StoredExecution = { ...this.newRecord(req, "Running"), startedAt, heartbeatAt: startedAt, sync: true };
    const row: RowState = { written: false, timer: null };
    row.timer = setTimeout(() => {
      row.written = true;
      // From now on the row says Running: keep its heartbeat fresh, so that if this
      // process dies another one marks the run Stuck (see reapAbandoned).
      this.beat(record.id, true);
      void this.deps.batcher.write((trx) => this.deps.executions.insert(this.storable(record), trx)).catch(() => undefined);
    }, SYNC_RECORD_DELAY_MS);
    let outcome: { record: StoredExecution; logs: LogLine[] };
    try {
      outcome = await this.runAttempt(record, req.workflow, req.inline, row);
    } finally {
      this.beat(record.id, false);
    }
    const { record: after, logs } = outcome;
    if (isTerminalStatus(after.status)) return { record: after, logs };
    return { record: await this.waitForTerminal(record.id), logs: null };
  }

  /** Queues a run and resolves with its id once the record and the job are committed. */
  async enqueue(req: StartRequest, delayMs = 0): Promise<StoredExecution> {
    // A queued run's input is read back from the store: secrets in it arrive redacted.
    const record = this.storable(this.newRecord(req, delayMs > 0 ? "Scheduled" : "Pending"));
    if (delayMs > 0) record.notBefore = new Date(Date.now() + delayMs).toISOString();
    await this.deps.batcher.write(async (trx) => {
      await this.deps.executions.insert(record, trx);
      if (this.deps.queue.transactional) await this.deps.queue.enqueue({ executionId: record.id }, { delayMs, trx });
    });
    // A broker cannot join the transaction: publish once the record is committed, so a
    // worker never gets a message for a run it cannot find.
    if (!this.deps.queue.transactional) await this.deps.queue.enqueue({ executionId: record.id }, { delayMs });
    this.deps.bus.publish(record.id, { type: "status", status: record.status, terminal: false });
    return record;
  }

  /** The queue consumer: runs one delivered execution, at most once at a time. */
  async handleQueued(executionId: string): Promise<void> {
    if (this.running.has(executionId)) return;
    const startedAt = new Date().toISOString();
    // The common case, a run waiting for this message: take it and read it in one statement.
    let exec = await this.deps.batcher.writeOne((db) => this.deps.executions.claimWaiting(executionId, startedAt, db));
    if (!exec) {
      const found = await this.loader.load(executionId);
      if (!found || isTerminalStatus(found.status)) return; // a duplicate delivery finds it done
      if (found.status === "Cancelling") {
        await this.finish(found.id, cancelledPatch(new Date().toISOString()));
        return;
      }
      if (found.status === "Running" && found.heartbeatAt && Date.now() - Date.parse(found.heartbeatAt) < HEARTBEAT_STALE_MS) {
        // Another process is running it (a duplicate delivery, or a redelivery after a
        // connection drop): look again once its heartbeat would be stale. If that process
        // finishes, the next look finds the run done; if it died, the run continues here.
        await this.deps.queue.enqueue({ executionId: found.id }, { delayMs: HEARTBEAT_STALE_MS });
        return;
      }
      if (found.orgId !== null && !(await this.deps.organizationExists(found.orgId))) {
        // Its organization was deleted after the run was queued (the claims refuse such
        // runs): cancel it instead of running it.
        await this.finish(found.id, { ...cancelledPatch(new Date().toISOString()), error: ORGANIZATION_DELETED_ERROR });
        return;
      }
      // Left Running by a process that died (stale heartbeat): take it over, unless another
      // delivery does first. (Or waiting again since the claim above: take it the same way.)
      const observed = { status: found.status, heartbeatAt: found.heartbeatAt ?? null };
      const claimed = await this.deps.batcher.writeOne((db) => this.deps.executions.claim(found.id, startedAt, observed, db));
      if (!claimed) return;
      exec = { ...found, status: "Running", startedAt: null, heartbeatAt: startedAt, sync: false };
    }
    let workflow = exec.workflowId ? this.deps.registry.getById(exec.workflowId) : undefined;
    if (!workflow && exec.workflowId && this.deps.reloadRegistry) {
      // Saved a moment ago on a server: this process's copy of the registry may be behind.
      await this.deps.reloadRegistry();
      workflow = this.deps.registry.getById(exec.workflowId);
    }
    if (!workflow) {
      await this.finish(exec.id, {
        status: "Failed",
        error: `Workflow "${exec.workflowName}" no longer exists`,
        errorType: "WorkflowNotFound",
        completedAt: new Date().toISOString(),
      });
      return;
    }
    this.deps.bus.publish(exec.id, { type: "status", status: "Running", terminal: false });
    this.beat(exec.id, true);
    // Run the exact code the run was queued for, even if this process's registry is behind.
    const pinned =
      exec.moduleHash && exec.exportName && exec.moduleHash !== workflow.sourceHash
        ? { ...workflow, sourceHash: exec.moduleHash, exportName: exec.exportName }
        : workflow;
    try {
      // The attempt starts when a worker child takes it, which is recorded then: a run
      // claimed but still waiting for a child is queued again if this process dies.
      await this.runAttempt({ ...exec, startedAt: null }, pinned, undefined, { written: true, timer: null }, true);
    } finally {
      this.beat(exec.id, false);
    }
  }

  /**
   * Cancels a pending or running execution. A running one is marked Cancelling and a
   * `cancel` event goes out on its channel: whichever process runs it kills its worker
   * child (the bus carries it across processes in the distributed mode). Returns the
   * status it moved to, or null when it was not cancellable.
   */
  async cancel(executionId: string): Promise<ExecutionStatus | null> {
    const running = await this.deps.batcher.write((trx) =>
      this.deps.executions.update(executionId, { status: "Cancelling" }, ["Running"], trx),
    );
    if (running || this.running.has(executionId)) {
      this.deps.bus.publish(executionId, { type: "status", status: "Cancelling", terminal: false });
      this.deps.bus.publish(executionId, { type: "cancel" });
      return "Cancelling";
    }
    const now = new Date().toISOString();
    const done = await this.deps.batcher.write((trx) =>
      this.deps.executions.update(
        executionId,
        cancelledPatch(now),
        ["Pending", "Scheduled"],
        trx,
      ),
    );
    if (!done) return null;
    await this.deps.queue.remove(executionId);
    this.deps.bus.publish(executionId, { type: "status", status: "Cancelled", terminal: true });
    return "Cancelled";
  }

  /**
   * Ends the sync runs whose process died: their heartbeat stopped and no queue message
   * will bring them back. Each is retried through the queue when its workflow's policy
   * retries crashes, else marked Stuck; a Cancelling one becomes Cancelled. Any process
   * may call this (the engine does, periodically); two reapers never act on one run.
   */
  async reapAbandoned(staleAfterMs = SYNC_REAP_AFTER_MS): Promise<number> {
    const now = new Date();
    const staleBefore = new Date(now.getTime() - staleAfterMs).toISOString();
    const completedAt = now.toISOString();
    let reaped = 0;
    for (const e of await this.deps.executions.abandonedSync(staleBefore)) {
      if (this.running.has(e.id)) continue; // ours: alive, its heartbeat write is only late
      const observed = { status: e.status, heartbeatAt: e.heartbeatAt ?? null };
      const error = `The process running this execution stopped (no heartbeat since ${e.heartbeatAt ?? e.startedAt ?? e.createdAt})`;
      const patch = interruptedPatch(e, e.workflowId ? this.deps.registry.getById(e.workflowId) : undefined, error, completedAt);
      const retry = patch.status === "Pending";
      const ended = await this.deps.batcher.write(async (trx) => {
        const ok = await this.deps.executions.reap(e.id, observed, patch, trx);
        if (ok && retry && this.deps.queue.transactional) await this.deps.queue.enqueue({ executionId: e.id }, { trx });
        return ok;
      });
      if (!ended) continue; // another process got there first
      if (retry && !this.deps.queue.transactional) await this.deps.queue.enqueue({ executionId: e.id });
      this.deps.bus.publish(e.id, { type: "status", status: patch.status!, terminal: !retry });
      reaped++;
    }
    return reaped;
  }

  /**
   * Publishes again the Pending runs untouched for `afterMs`, and the Scheduled ones
   * overdue by `afterMs`: with a broker, a run whose process died between committing its
   * record and publishing its message has no message at all. Each is marked
   * (compare-and-set) before it is published, so several processes doing this publish a
   * run once per period. A run that was only waiting in a long
   * backlog gets a duplicate message, which the claim makes harmless.
   */
  async republishStale(afterMs: number): Promise<number> {
    if (this.deps.queue.transactional) return 0; // the jobs table commits with the record
    const now = new Date();
    const before = new Date(now.getTime() - afterMs).toISOString();
    let published = 0;
    for (const run of await this.deps.executions.stalePending(before)) {
      const marked = await this.deps.batcher.writeOne((db) => this.deps.executions.markRepublished(run.id, run.heartbeatAt, now.toISOString(), db));
      if (!marked) continue;
      await this.deps.queue.enqueue({ executionId: run.id });
      published++;
    }
    return published;
  }

  /** Resolves with the record once the execution reached a terminal state. */
  async waitForTerminal(executionId: string): Promise<StoredExecution> {
    await new Promise<void>((resolve) => {
      const off = this.deps.bus.subscribe(executionId, (e) => {
        if (e.type === "status" && e.terminal) {
          off();
          resolve();
        }
      });
      void this.deps.executions.get(executionId).then((r) => {
        if (!r || isTerminalStatus(r.status)) {
          off();
          resolve();
        }
      });
    });
    const record = await this.deps.executions.get(executionId);
    if (!record) throw new Error(`execution ${executionId} disappeared`);
    return record;
  }

  isRunningHere(executionId: string): boolean {
    return this.running.has(executionId);
  }

  /** The record as it may be stored: input with the secrets the run knows redacted. */
  private storable<T extends StoredExecution>(record: T): T {
    return this.deps.redactor.has(record.id) ? { ...record, input: this.deps.redactor.value(record.id, record.input) } : record;
  }

  private newRecord(req: StartRequest, status: ExecutionStatus): StoredExecution {
    const now = new Date().toISOString();
    const id = randomUUID();
    // A nested run knows its parent's secrets: they are redacted from its record too.
    if (req.parentId) this.deps.redactor.inherit(req.parentId, id);
    return {
      id,
      workflowId: req.workflow?.id ?? null,
      workflowName: req.workflow?.name ?? INLINE_WORKFLOW_NAME,
      orgId: req.orgId,
      userId: req.userId,
      trigger: req.trigger,
      status,
      input: req.input,
      result: null,
      error: null,
      errorType: null,
      errorStack: null,
      validationErrors: null,
      variables: null,
      durationMs: null,
      createdAt: now,
      startedAt: null,
      completedAt: null,
      attempt: 1,
      attempts: [],
      parentId: req.parentId ?? null,
      tokensUsed: 0,
      timeSaved: 0,
      value: 0,
      principal: req.principal,
      moduleHash: req.workflow?.sourceHash ?? req.inline?.hash ?? null,
      exportName: req.workflow?.exportName ?? null,
    };
  }

  private contextFor(exec: StoredExecution, workflow: StoredWorkflow | undefined): ExecutionContextData {
    return {
      executionId: exec.id,
      workflowId: exec.workflowId,
      workflowName: exec.workflowName,
      orgId: exec.orgId,
      orgName: exec.principal.orgName,
      userId: exec.userId,
      email: exec.principal.email,
      userName: exec.principal.userName,
      isPlatformAdmin: exec.principal.isPlatformAdmin,
      isGlobalScope: exec.orgId === null,
      parameters: (exec.input ?? {}) as Record<string, unknown>,
      trigger: exec.trigger,
      roi: { timeSaved: workflow?.timeSaved ?? 0, value: workflow?.value ?? 0 },
      attempt: exec.attempt,
    };
  }

  private async runAttempt(
    exec: StoredExecution,
    workflow: StoredWorkflow | undefined,
    inline: InlineTarget | undefined,
    row: RowState = { written: true, timer: null },
    /** Record the start when a child takes the task (queued runs; a sync run's row says Running from its creation). */
    markStart = false,
  ): Promise<{ record: StoredExecution; logs: LogLine[] }> {
    const { id } = exec;
    const timeoutSeconds = inline?.timeoutSeconds ?? workflow?.timeoutSeconds ?? 300;
    const controller = new AbortController();
    this.running.set(id, controller);
    this.deps.usage.begin(id);
    const offCancel = this.deps.bus.subscribe(id, (event) => {
      if (event.type === "cancel") controller.abort();
    });
    // A retry continues the run's numbering and its log budget.
    const earlier = exec.attempt > 1 ? await this.deps.executions.logStats(id) : { lastSeq: 0, bytes: 0 };
    this.deps.logs.open(id, earlier.lastSeq, earlier.bytes);
    if (exec.attempt > 1) this.deps.logs.append(id, "info", `Attempt ${exec.attempt} of ${(workflow?.retryPolicy?.maxRetries ?? 0) + 1}`, new Date().toISOString());
    let startedAt = exec.startedAt ?? new Date().toISOString();
    let started = performance.now();
    let modulePath: string;
    try {
      modulePath = await this.deps.modules.ensure(inline?.hash ?? workflow!.sourceHash);
    } catch (error) {
      // Reported like a module that fails to import: the run fails, clearly.
      modulePath = inline?.modulePath ?? workflow!.modulePath;
      this.deps.logs.append(id, "error", `could not load the compiled workflow: ${error instanceof Error ? error.message : String(error)}`, new Date().toISOString());
    }
    // The run's network requests: aborted when the task ends, however it ends.
    const egress = this.deps.egress?.session() ?? null;
    const task = await this.deps.pool.run(
      {
        type: "run",
        modulePath,
        exportName: inline ? null : workflow!.exportName,
        params: exec.input ?? {},
        context: this.contextFor(exec, workflow),
        // More than the host keeps: the host cuts, after redacting (see outcome-limits.ts).
        maxVariableChars: this.deps.limits.maxVariableChars + CHILD_VARIABLE_SLACK_CHARS,
        maxResultBytes: this.deps.limits.maxResultBytes,
      },
      {
        timeoutMs: timeoutSeconds * 1000,
        signal: controller.signal,
        nested: (exec.principal.depth ?? 0) > 0 && exec.parentId !== null,
        // One worker process never serves two tenants (nor an admin and an organization).
        tenant: `${exec.principal.isPlatformAdmin ? "admin" : "org"}:${exec.orgId ?? "global"}`,
        onStart: () => {
          started = performance.now();
          if (!markStart) return;
          startedAt = new Date().toISOString();
          void this.deps.batcher.writeOne((db) => this.deps.executions.markStarted(id, startedAt, db)).catch(() => undefined);
        },
        onLog: (level, message, ts) => this.deps.logs.append(id, level, message, ts),
        onRpc: (method, args) => {
          if (isEgressMethod(method)) return egress ? egress.handle(method, args) : Promise.reject(new Error("this platform performs no network requests for workflows"));
          const handler = this.deps.sdk();
          if (!handler) return Promise.reject(new Error(`SDK call ${method} is not available on this platform`));
          return handler(this.callerOf(exec), method, args);
        },
      },
    );
    egress?.close();
    this.running.delete(id);
    offCancel();
    try {
      return await this.conclude(exec, workflow, row, task, started, startedAt, timeoutSeconds);
    } catch (error) {
      // Whatever went wrong while recording the outcome, the run must not stay Running.
      this.deps.logs.close(id);
      const message = this.deps.redactor.clip(id, error instanceof Error ? error.message : String(error), 1000).text;
      this.deps.redactor.release(id);
      this.deps.usage.take(id);
      const patch: ExecutionPatch = {
        status: "Failed",
        error: `The platform could not record this run's outcome: ${message}`,
        errorType: "InternalError",
        completedAt: new Date().toISOString(),
      };
      if (this.takeRow(row)) {
        await this.deps.batcher.write((trx) => this.deps.executions.insert({ ...exec, ...patch, status: "Failed" } as StoredExecution, trx)).catch(() => undefined);
        this.deps.bus.publish(id, { type: "status", status: "Failed", terminal: true });
      } else {
        await this.finish(id, patch).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Maps the task's result to the run's new state and writes it (final, or a retry). */
  private async conclude(
    exec: StoredExecution,
    workflow: StoredWorkflow | undefined,
    row: RowState,
    task: Awaited<ReturnType<WorkerPool["run"]>>,
    started: number,
    startedAt: string,
    timeoutSeconds: number,
  ): Promise<{ record: StoredExecution; logs: LogLine[] }> {
    const { id } = exec;
    const durationMs = Math.round(performance.now() - started);
    const completedAt = new Date().toISOString();
    // Secrets are removed before anything is cut or transformed, then the limits apply.
    const r = this.deps.redactor;
    const outcome = limitOutcome(toAttemptOutcome(scrubTask(task, r, id), timeoutSeconds, this.deps.workspace), r, id, this.deps.limits);
    const tokensUsed = exec.tokensUsed + this.deps.usage.take(id);
    const { lines, written: flushed } = this.deps.logs.close(id); // queued before the final write, so readers see all lines once it is visible
    const delay = retryDelayMs(workflow, outcome, exec.attempt);
    const summary: AttemptSummary = {
      attempt: exec.attempt,
      status: outcome.status,
      error: outcome.error,
      errorType: outcome.errorType,
      startedAt,
      completedAt,
      durationMs,
    };
    if (delay !== null) {
      const patch: ExecutionPatch = {
        status: delay > 0 ? "Scheduled" : "Pending",
        notBefore: delay > 0 ? new Date(Date.now() + delay).toISOString() : null,
        attempt: exec.attempt + 1,
        attempts: [...exec.attempts, summary],
        error: null,
        errorType: null,
        tokensUsed,
      };
      const next = { ...exec, ...patch, status: patch.status! } as StoredExecution;
      const insert = this.takeRow(row);
      await this.deps.batcher.write(async (trx) => {
        if (insert) await this.deps.executions.insert(this.storable(next), trx);
        else await this.deps.executions.update(id, patch, ["Running", "Pending"], trx);
        if (this.deps.queue.transactional) await this.deps.queue.enqueue({ executionId: id }, { delayMs: delay, trx });
      });
      if (!this.deps.queue.transactional) await this.deps.queue.enqueue({ executionId: id }, { delayMs: delay });
      await flushed;
      this.deps.bus.publish(id, { type: "status", status: patch.status!, terminal: false });
      return { record: next, logs: lines };
    }
    const patch: ExecutionPatch = {
      status: outcome.status,
      result: outcome.result,
      error: outcome.error,
      errorType: outcome.errorType,
      errorStack: outcome.errorStack,
      validationErrors: outcome.validationErrors,
      variables: outcome.variables,
      durationMs,
      startedAt,
      completedAt,
      attempts: exec.attempts.length > 0 ? [...exec.attempts, summary] : [],
      timeSaved: outcome.status === "Success" ? outcome.roi.timeSaved : 0,
      value: outcome.status === "Success" ? outcome.roi.value : 0,
      tokensUsed,
    };
    const record: StoredExecution = {
      ...exec,
      ...(patch as Required<Pick<ExecutionPatch, "status">>),
      result: outcome.result,
      error: outcome.error,
      errorType: outcome.errorType,
      errorStack: outcome.errorStack,
      validationErrors: outcome.validationErrors,
      variables: outcome.variables,
      durationMs,
      startedAt,
      completedAt,
      attempts: patch.attempts!,
      timeSaved: patch.timeSaved!,
      value: patch.value!,
      tokensUsed,
    };
    const stored = this.storable(record);
    this.deps.redactor.release(id);
    if (this.takeRow(row)) {
      await this.deps.batcher.writeOne((db) => this.deps.executions.insert(stored, db));
      this.deps.bus.publish(id, { type: "status", status: record.status, terminal: true });
    } else {
      await this.finish(id, patch);
    }
    await flushed;
    return { record, logs: lines };
  }

  /** Keeps the heartbeat of this process's queued runs fresh (one batched write per tick). */
  private beat(id: string, on: boolean): void {
    if (on) this.beating.add(id);
    else this.beating.delete(id);
    if (this.beating.size > 0 && !this.heartbeatTimer) {
      this.heartbeatTimer = setInterval(() => {
        const ids = [...this.beating];
        const now = new Date().toISOString();
        void this.deps.batcher.writeOne((db) => this.deps.executions.heartbeat(ids, now, db)).catch(() => undefined);
      }, HEARTBEAT_MS);
      this.heartbeatTimer.unref();
    } else if (this.beating.size === 0 && this.heartbeatTimer) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
  }

  /** Who the run's SDK calls act as: the principal that started it, in its organization. */
  private callerOf(exec: StoredExecution): SdkCaller {
    return {
      orgId: exec.orgId,
      orgName: exec.principal.orgName,
      isPlatformAdmin: exec.principal.isPlatformAdmin,
      keyId: exec.principal.keyId,
      userName: exec.principal.userName,
      userId: exec.userId,
      email: exec.principal.email,
      executionId: exec.id,
      depth: exec.principal.depth ?? 0,
    };
  }

  /** True when the run's row was never written: the caller inserts the final record instead. */
  private takeRow(row: RowState): boolean {
    if (row.timer) clearTimeout(row.timer);
    const insert = !row.written;
    row.written = true;
    return insert;
  }

  private async finish(id: string, patch: ExecutionPatch): Promise<void> {
    await this.deps.batcher.writeOne((db) => this.deps.executions.update(id, patch, ["Pending", "Scheduled", "Running", "Cancelling"], db));
    this.deps.bus.publish(id, { type: "status", status: patch.status!, terminal: true });
  }
}
