/**
 * Counts the LLM tokens each running execution spends (`ai.*` calls made by its code,
 * on whichever host performs them: the SDK calls of a run are served by the process
 * that runs it). The executor adds the count to the run's record when the attempt ends.
 */
export class UsageMeter {
  private readonly tokens = new Map<string, number>();

  /** Adds `count` tokens to `executionId`'s running total; ignores non-positive counts. */
  add(executionId: string, count: number): void {
    if (!Number.isFinite(count) || count <= 0) return;
    this.tokens.set(executionId, (this.tokens.get(executionId) ?? 0) + Math.round(count));
  }

  /** The tokens counted for `executionId` since the last take, and forgets them. */
  take(executionId: string): number {
    const n = this.tokens.get(executionId) ?? 0;
    this.tokens.delete(executionId);
    return n;
  }
}
