import type { LogLevel, LogLine } from "@bifrost/contracts/execution.js";
import type { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import type { EventBus } from "../events/event-bus.js";
import type { WriteBatcher } from "./write-batcher.js";

interface Buffer {
  seq: number;
  kept: number;
  dropped: number;
  pending: LogLine[];
  /** Every line of this attempt, so a sync caller gets them without reading them back. */
  all: LogLine[];
}

/**
 * Receives a run's log lines: numbers them, publishes each at once for live streams and
 * persists them in batches. A run may keep `maxLines`; past that, lines are counted and
 * a note says how many were dropped.
 */
export class LogSink {
  private readonly buffers = new Map<string, Buffer>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      executions: ExecutionsRepo;
      batcher: WriteBatcher;
      bus: EventBus;
      maxLines: number;
      flushMs?: number;
      /** Removes secrets the run has read from each line as it arrives. */
      redact?: (executionId: string, text: string) => string;
    },
  ) {}

  /** Starts collecting for a run; `lastSeq` continues numbering after an earlier attempt. */
  open(executionId: string, lastSeq = 0): void {
    this.buffers.set(executionId, { seq: lastSeq, kept: 0, dropped: 0, pending: [], all: [] });
  }

  append(executionId: string, level: LogLevel, message: string, ts: string): void {
    const b = this.buffers.get(executionId);
    if (!b) return;
    if (b.kept >= this.deps.maxLines) {
      b.dropped++;
      return;
    }
    b.kept++;
    const line: LogLine = { seq: ++b.seq, level, message: this.deps.redact ? this.deps.redact(executionId, message) : message, ts };
    b.pending.push(line);
    b.all.push(line);
    this.deps.bus.publish(executionId, { type: "log", line });
    this.timer ??= setTimeout(() => this.flushAll(), this.deps.flushMs ?? 50);
  }

  /** Lines received but not yet written (live streams read them to miss nothing). */
  unflushed(executionId: string): LogLine[] {
    return [...(this.buffers.get(executionId)?.pending ?? [])];
  }

  lastSeq(executionId: string): number {
    return this.buffers.get(executionId)?.seq ?? 0;
  }

  /**
   * Stops collecting for a run: queues what is left (and the dropped-lines note) for
   * writing — synchronously, so a write queued right after lands after it — and returns
   * this attempt's lines plus a promise of their being written.
   */
  close(executionId: string): { lines: LogLine[]; written: Promise<void> } {
    const b = this.buffers.get(executionId);
    if (!b) return { lines: [], written: Promise.resolve() };
    if (b.dropped > 0) {
      b.kept = -Infinity;
      this.append(executionId, "warn", `${b.dropped} more log lines were dropped: a run keeps at most ${this.deps.maxLines}`, new Date().toISOString());
    }
    const lines = b.pending.splice(0);
    this.buffers.delete(executionId);
    const written =
      lines.length > 0
        ? this.deps.batcher.write((trx) => this.deps.executions.appendLogs(lines.map((l) => ({ ...l, executionId })), trx))
        : Promise.resolve();
    return { lines: b.all, written };
  }

  private flushAll(): void {
    this.timer = null;
    const rows: (LogLine & { executionId: string })[] = [];
    for (const [executionId, b] of this.buffers) for (const l of b.pending.splice(0)) rows.push({ ...l, executionId });
    if (rows.length > 0) void this.deps.batcher.write((trx) => this.deps.executions.appendLogs(rows, trx)).catch(() => undefined);
  }
}
