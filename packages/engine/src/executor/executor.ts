import { randomUUID } from "node:crypto";
import type { ExecutionContextData } from "@bifrost/contracts/context.js";
import { isTerminalStatus, type AttemptSummary, type ExecutionStatus, type Trigger } from "@bifrost/contracts/execution.js";
import type { ExecutionPatch, ExecutionPrincipal, ExecutionsRepo, StoredExecution } from "@bifrost/storage/executions.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import type { EventBus } from "../events/event-bus.js";
import type { WorkerPool } from "../pool/worker-pool.js";
import type { Queue } from "../queue/queue.js";
import type { Registry } from "../registry/registry.js";
import type { LogSink } from "./log-sink.js";
import { retryDelayMs, toAttemptOutcome } from "./outcome.js";
import type { WriteBatcher } from "./write-batcher.js";

/** Inline code compiled for one run (`POST /api/workflows/code/execute`). */
export interface InlineTarget {
  modulePath: string;
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
  workspace: string;
  maxVariableChars: number;
}

export const INLINE_WORKFLOW_NAME = "(inline code)";

/**
 * The one engine path (SPEC §3): every run — sync or queued, workflow or inline code —
 * is created here, runs through `runAttempt` in a worker child, and ends with one
 * record. Sync callers just wait for the terminal state.
 */
export class Executor {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: ExecutorDeps) {}

  /** Runs now and resolves with the final record (after retries, if any). */
  async executeSync(req: StartRequest): Promise<StoredExecution> {
    const record = this.newRecord(req, "Pending");
    void this.deps.batcher.write((trx) => this.deps.executions.insert(record, trx));
    const after = await this.runAttempt(record, req.workflow, req.inline, true);
    if (isTerminalStatus(after.status)) return after;
    return this.waitForTerminal(record.id);
  }

  /** Queues a run and resolves with its id once the record and the job are committed. */
  async enqueue(req: StartRequest, delayMs = 0): Promise<StoredExecution> {
    const record = this.newRecord(req, delayMs > 0 ? "Scheduled" : "Pending");
    await this.deps.batcher.write(async (trx) => {
      await this.deps.executions.insert(record, trx);
      await this.deps.queue.enqueue({ executionId: record.id }, { delayMs, trx });
    });
    this.deps.bus.publish(record.id, { type: "status", status: record.status, terminal: false });
    return record;
  }

  /** The queue consumer: runs one delivered execution, at most once at a time. */
  async handleQueued(executionId: string): Promise<void> {
    if (this.running.has(executionId)) return;
    const exec = await this.deps.executions.get(executionId);
    if (!exec || isTerminalStatus(exec.status)) return; // a duplicate delivery finds it done
    if (exec.status === "Cancelling") {
      await this.finish(exec.id, { status: "Cancelled", error: "The execution was cancelled", errorType: "Cancelled", completedAt: new Date().toISOString() });
      return;
    }
    const workflow = exec.workflowId ? this.deps.registry.getById(exec.workflowId) : undefined;
    if (!workflow) {
      await this.finish(exec.id, {
        status: "Failed",
        error: `Workflow "${exec.workflowName}" no longer exists`,
        errorType: "WorkflowNotFound",
        completedAt: new Date().toISOString(),
      });
      return;
    }
    const startedAt = new Date().toISOString();
    const claimed = await this.deps.executions.update(exec.id, { status: "Running", startedAt }, ["Pending", "Scheduled", "Running"]);
    if (!claimed) return; // cancelled meanwhile
    this.deps.bus.publish(exec.id, { type: "status", status: "Running", terminal: false });
    await this.runAttempt({ ...exec, startedAt }, workflow, undefined, false);
  }

  /**
   * Cancels a pending or running execution. Running ones are stopped by killing their
   * worker child; returns the status it moved to, or null when it was not cancellable.
   */
  async cancel(executionId: string): Promise<ExecutionStatus | null> {
    const controller = this.running.get(executionId);
    if (controller) {
      await this.deps.batcher.write((trx) => this.deps.executions.update(executionId, { status: "Cancelling" }, ["Running", "Pending"], trx));
      this.deps.bus.publish(executionId, { type: "status", status: "Cancelling", terminal: false });
      controller.abort();
      return "Cancelling";
    }
    const now = new Date().toISOString();
    const done = await this.deps.batcher.write((trx) =>
      this.deps.executions.update(
        executionId,
        { status: "Cancelled", error: "The execution was cancelled", errorType: "Cancelled", completedAt: now },
        ["Pending", "Scheduled"],
        trx,
      ),
    );
    if (!done) return null;
    await this.deps.queue.remove(executionId);
    this.deps.bus.publish(executionId, { type: "status", status: "Cancelled", terminal: true });
    return "Cancelled";
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

  private newRecord(req: StartRequest, status: ExecutionStatus): StoredExecution {
    const now = new Date().toISOString();
    return {
      id: randomUUID(),
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
    markRunningOnStart: boolean,
  ): Promise<StoredExecution> {
    const { id } = exec;
    const timeoutSeconds = inline?.timeoutSeconds ?? workflow?.timeoutSeconds ?? 300;
    const controller = new AbortController();
    this.running.set(id, controller);
    const lastSeq = exec.attempt > 1 ? ((await this.deps.executions.logs(id, { includeDebug: true })).at(-1)?.seq ?? 0) : 0;
    this.deps.logs.open(id, lastSeq);
    if (exec.attempt > 1) this.deps.logs.append(id, "info", `Attempt ${exec.attempt} of ${(workflow?.retryPolicy?.maxRetries ?? 0) + 1}`, new Date().toISOString());
    let startedAt = exec.startedAt ?? new Date().toISOString();
    let started = performance.now();
    const task = await this.deps.pool.run(
      {
        type: "run",
        modulePath: inline?.modulePath ?? workflow!.modulePath,
        exportName: inline ? null : workflow!.exportName,
        params: exec.input ?? {},
        context: this.contextFor(exec, workflow),
        maxVariableChars: this.deps.maxVariableChars,
      },
      {
        timeoutMs: timeoutSeconds * 1000,
        signal: controller.signal,
        onStart: () => {
          started = performance.now();
          if (!markRunningOnStart) return;
          startedAt = new Date().toISOString();
          void this.deps.batcher.write((trx) => this.deps.executions.update(id, { status: "Running", startedAt, attempt: exec.attempt }, ["Pending"], trx));
          this.deps.bus.publish(id, { type: "status", status: "Running", terminal: false });
        },
        onLog: (level, message, ts) => this.deps.logs.append(id, level, message, ts),
      },
    );
    this.running.delete(id);
    const durationMs = Math.round(performance.now() - started);
    const completedAt = new Date().toISOString();
    const outcome = toAttemptOutcome(task, timeoutSeconds, this.deps.workspace);
    const flushed = this.deps.logs.close(id); // queued before the final write, so readers see all lines once it is visible
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
        attempt: exec.attempt + 1,
        attempts: [...exec.attempts, summary],
        error: null,
        errorType: null,
      };
      await this.deps.batcher.write(async (trx) => {
        await this.deps.executions.update(id, patch, ["Running", "Pending"], trx);
        await this.deps.queue.enqueue({ executionId: id }, { delayMs: delay, trx });
      });
      await flushed;
      this.deps.bus.publish(id, { type: "status", status: patch.status!, terminal: false });
      return { ...exec, ...patch, status: patch.status! } as StoredExecution;
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
    };
    await this.finish(id, patch);
    await flushed;
    return {
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
    };
  }

  private async finish(id: string, patch: ExecutionPatch): Promise<void> {
    await this.deps.batcher.write((trx) =>
      this.deps.executions.update(id, patch, ["Pending", "Scheduled", "Running", "Cancelling"], trx),
    );
    this.deps.bus.publish(id, { type: "status", status: patch.status!, terminal: true });
  }
}
