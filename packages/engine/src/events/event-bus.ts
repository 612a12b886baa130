/**
 * Live events between parts of the platform: log lines and status changes of an
 * execution. In-process here; the distributed mode implements the same interface over
 * Redis pub/sub.
 */
import type { ExecutionStatus, LogLine } from "@bifrost/contracts/execution.js";

export type ExecutionEvent =
  | { type: "log"; line: LogLine }
  | { type: "status"; status: ExecutionStatus; terminal: boolean }
  /** Asks whichever process runs the execution to stop it (cancellation across processes). */
  | { type: "cancel" }
  /** On the registry channel: workflows changed, reload them. */
  | { type: "registry" };

export interface EventBus {
  publish(executionId: string, event: ExecutionEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(executionId: string, handler: (event: ExecutionEvent) => void): () => void;
}

export class MemoryEventBus implements EventBus {
  private readonly handlers = new Map<string, Set<(event: ExecutionEvent) => void>>();

  publish(executionId: string, event: ExecutionEvent): void {
    const set = this.handlers.get(executionId);
    if (!set) return;
    for (const handler of [...set]) handler(event);
  }

  subscribe(executionId: string, handler: (event: ExecutionEvent) => void): () => void {
    let set = this.handlers.get(executionId);
    if (!set) this.handlers.set(executionId, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(executionId);
    };
  }
}
