/**
 * Counts the LLM tokens each running execution spends (`ai.*` calls made by its code,
 * on whichever host performs them: the SDK calls of a run are served by the process
 * that runs it). The executor adds the count to the run's record when the attempt ends.
 */
export class UsageMeter {
  private readonly tokens = new Map<string, number>();

  /** An attempt of `executionId` starts here: its tokens are counted until `take`. */
  begin(executionId: string): void {
    if (!this.tokens.has(executionId)) this.tokens.set(executionId, 0);
  }

  /**
   * Adds `count` tokens to `executionId`'s running total. Ignored for a run not running
   * here (a provider call that outlived its run), so nothing is kept that no one takes.
   */
  add(executionId: string, count: number): void {
    if (!Number.isFinite(count) || count <= 0) return;
    const current = this.tokens.get(executionId);
    if (current === undefined) return;
    this.tokens.set(executionId, current + Math.round(count));
  }

  /** The tokens counted for `executionId` since its attempt began, and forgets it. */
  take(executionId: string): number {
    const n = this.tokens.get(executionId) ?? 0;
    this.tokens.delete(executionId);
    return n;
  }
}
