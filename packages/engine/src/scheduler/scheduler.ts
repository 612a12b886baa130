import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import { isTerminalStatus } from "@bifrost/contracts/execution.js";
import { normalizeSchedule } from "@bifrost/contracts/workflow-options.js";
import type { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import type { SchedulesRepo } from "@bifrost/storage/schedules.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import type { Executor } from "../executor/executor.js";
import type { InputValidator } from "../executor/input-validator.js";
import type { Registry } from "../registry/registry.js";

/** Most ticks looked at in one pass (a schedule every minute, down for ~16 h). */
const MAX_TICKS_PER_PASS = 1000;

export interface SchedulerDeps {
  registry: Registry;
  schedules: SchedulesRepo;
  executions: ExecutionsRepo;
  organizations: OrganizationsRepo;
  executor: Executor;
  validator: InputValidator;
  log: (level: "info" | "warn" | "error", message: string) => void;
  /** How often due ticks are looked for. Default 1000 ms. */
  pollMs?: number;
  /** A tick this late counts as missed (the platform was down). Default 60 s. */
  graceMs?: number;
}

/** Parses a workflow's schedule; throws with a message naming what is wrong. */
export function cronOf(w: Pick<StoredWorkflow, "schedule">): { cron: Cron; spec: ReturnType<typeof normalizeSchedule> } {
  const spec = normalizeSchedule(w.schedule!);
  return { cron: new Cron(spec.cron, { timezone: spec.timezone, paused: true }), spec };
}

/**
 * Fires the `schedule` of each workflow on time, as a queued run with trigger `schedule`.
 * Each tick fires at most once however many schedulers share the database: firing
 * starts by claiming the tick's row (workflow, tick) in `schedule_ticks`.
 */
export class Scheduler {
  readonly id = `scheduler-${randomUUID()}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private offChange: (() => void) | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    await this.sync();
    this.offChange = this.deps.registry.onChange(() => void this.sync().catch((e) => this.deps.log("error", `scheduler: ${String(e)}`)));
    const loop = () => {
      if (this.stopped) return;
      this.running = this.runOnce().catch((e) => this.deps.log("error", `scheduler: ${String(e)}`));
      void this.running.then(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.deps.pollMs ?? 1000);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offChange?.();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Workflows with a schedule, and the problem with each schedule that cannot run. */
  scheduled(): { workflow: StoredWorkflow; error: string | null }[] {
    return this.deps.registry
      .list()
      .filter((w) => w.schedule !== null && w.kind === "workflow")
      .map((w) => ({ workflow: w, error: this.problem(w) }));
  }

  /** Why a schedule cannot fire: a bad expression or time zone, or params without defaults. */
  problem(w: StoredWorkflow): string | null {
    try {
      cronOf(w);
    } catch (error) {
      return `invalid schedule: ${error instanceof Error ? error.message : String(error)}`;
    }
    const fields = this.deps.validator.validate(`${w.id}:${w.sourceHash}`, w.paramsSchema, {});
    return fields ? `scheduled runs get no input, but ${fields.map((f) => `${f.path} ${f.message}`).join("; ")}` : null;
  }

  /** Tracks new and changed schedules from now on: ticks before that are not owed. */
  async sync(now = new Date()): Promise<void> {
    for (const { workflow, error } of this.scheduled()) {
      if (error) continue;
      await this.deps.schedules.ensure(workflow.id, JSON.stringify(normalizeSchedule(workflow.schedule!)), now.toISOString());
    }
  }

  /** The next `count` times a workflow's schedule fires. */
  nextRuns(w: StoredWorkflow, count: number, from = new Date()): string[] {
    try {
      return cronOf(w).cron.nextRuns(count, from).map((d) => d.toISOString());
    } catch {
      return [];
    }
  }

  /**
   * Fires what is due at `now` (one pass; the loop calls it every `pollMs`). Every tick
   * since the last one fires, oldest first, unless it is skipped — and a skip is logged:
   * ticks more than the grace late were missed (catchUp "skip"; "once" makes up for them
   * with one run), and a tick that comes while the previous scheduled run still goes is
   * skipped (overlap "skip"). A pass that comes late (a busy process) owes each tick in
   * between, not only the last.
   */
  async runOnce(now = new Date()): Promise<void> {
    const grace = this.deps.graceMs ?? 60_000;
    for (const { workflow, error } of this.scheduled()) {
      if (error) continue;
      const state = await this.deps.schedules.get(workflow.id);
      if (!state || state.paused) continue;
      const { cron, spec } = cronOf(workflow);
      const due: Date[] = [];
      let from = new Date(state.lastTick ?? now.toISOString());
      for (let i = 0; i < MAX_TICKS_PER_PASS; i++) {
        const next = cron.nextRun(from);
        if (!next || next > now) break;
        due.push(next);
        from = next;
      }
      const missed = due.filter((d) => now.getTime() - d.getTime() > grace); // the oldest ones
      const owed = due.slice(missed.length).map((d) => d.toISOString());
      if (missed.length > 0) {
        const last = missed.at(-1)!.toISOString();
        if (spec.catchUp === "once") {
          owed.unshift(last);
        } else {
          this.deps.log("warn", `schedule of ${workflow.name}: skipped ticks missed while the platform was down (up to ${last})`);
          await this.deps.schedules.advance(workflow.id, last, null);
        }
      }
      let previousId = state.lastExecutionId;
      for (const tick of owed) {
        const fired = await this.fire(workflow, spec.overlap, tick, previousId);
        if (fired === "lost") break; // another scheduler fires these ticks: the next pass reads what it did
        if (fired) previousId = fired;
      }
    }
  }

  /** Fires one tick: the new run's id, null when skipped, "lost" when another scheduler fired it. */
  private async fire(workflow: StoredWorkflow, overlap: "skip" | "allow", tick: string, previousId: string | null): Promise<string | null | "lost"> {
    if (overlap === "skip" && previousId) {
      const previous = await this.deps.executions.get(previousId);
      if (previous && !isTerminalStatus(previous.status)) {
        this.deps.log("warn", `schedule of ${workflow.name}: tick ${tick} skipped, the previous scheduled run ${previous.id} is still ${previous.status}`);
        await this.deps.schedules.advance(workflow.id, tick, null);
        return null;
      }
    }
    if (!(await this.deps.schedules.claimTick(workflow.id, tick, this.id))) {
      await this.deps.schedules.advance(workflow.id, tick, null);
      return "lost";
    }
    const orgName = workflow.orgId ? ((await this.deps.organizations.get(workflow.orgId))?.name ?? null) : null;
    const queued = await this.deps.executor.enqueue({
      workflow,
      input: {},
      orgId: workflow.orgId,
      userId: null,
      // Global workflows are the platform's own code (only admins write the workspace root).
      principal: { keyId: null, userName: "scheduler", email: null, orgName, isPlatformAdmin: workflow.orgId === null },
      trigger: "schedule",
    });
    await this.deps.schedules.recordTickExecution(workflow.id, tick, queued.id);
    await this.deps.schedules.advance(workflow.id, tick, queued.id);
    return queued.id;
  }
}
