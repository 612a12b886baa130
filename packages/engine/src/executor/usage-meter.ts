/**
 * What a running execution's `ai.*` calls share with the executor: the LLM tokens they
 * spend, and the signal that ends them. The SDK calls of a run are served by the process
 * that runs it, so both live here, per attempt: `begin` when the attempt starts, `take`
 * when it ends (the executor adds the tokens to the record, and calls still in flight —
 * a run that timed out, was cancelled or crashed — are aborted).
 */
export class UsageMeter {
  private readonly runs = new Map<string, { tokens: number; controller: AbortController }>();

  /** An attempt of `executionId` starts here. */
  begin(executionId: string): void {
    if (!this.runs.has(executionId)) this.runs.set(executionId, { tokens: 0, controller: new AbortController() });
  }

  /**
   * Adds `count` tokens to `executionId`'s running total. Ignored for a run not running
   * here (a provider call that outlived its run), so nothing is kept that no one takes.
   */
  add(executionId: string, count: number): void {
    if (!Number.isFinite(count) || count <= 0) return;
    const run = this.runs.get(executionId);
    if (run) run.tokens += Math.round(count);
  }

  /** Aborts when the attempt of `executionId` ends; undefined for a run not running here. */
  signal(executionId: string): AbortSignal | undefined {
    return this.runs.get(executionId)?.controller.signal;
  }

  /** The tokens counted for `executionId` since its attempt began; ends the attempt's calls. */
  take(executionId: string): number {
    const run = this.runs.get(executionId);
    if (!run) return 0;
    this.runs.delete(executionId);
    run.controller.abort(new Error("the execution ended"));
    return run.tokens;
  }
}
