import type { LogLevel, LogLine } from "@bifrost/contracts/execution.js";
import type { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import type { EventBus } from "../events/event-bus.js";
import type { Redactor } from "./redactor.js";
import type { WriteBatcher } from "./write-batcher.js";

/** Longest log line kept (characters); longer lines are cut and marked. */
export const MAX_LOG_LINE_CHARS = 64 * 1024;
/** How a cut line ends (the child marks its own cuts the same way). */
export const LINE_CUT = "… [line truncated]";
/** Default for the log text a run keeps in all (BIFROST_MAX_LOG_BYTES). */
export const DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024;

interface RunLog {
  seq: number;
  kept: number;
  /** Bytes of the lines kept so far in the whole run (earlier attempts included). */
  bytes: number;
  dropped: number;
  droppedBytes: number;
  /** Which limit dropped the first line: lines per attempt, or bytes per run. */
  full: "lines" | "bytes" | null;
  pending: LogLine[];
  /** Every line of this attempt, so a sync caller gets them without reading them back. */
  all: LogLine[];
}

/**
 * Receives a run's log lines: redacts each, cuts it to `MAX_LOG_LINE_CHARS`, numbers it,
 * publishes it at once for live streams and persists lines in batches. A run keeps at
 * most `maxLines` lines per attempt and `maxBytes` bytes of log text in all; past either,
 * lines are dropped and one note at the end says how many and how much.
 */
export class LogSink {
  private readonly buffers = new Map<string, RunLog>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      executions: ExecutionsRepo;
      batcher: WriteBatcher;
      bus: EventBus;
      maxLines: number;
      /** Log text a run keeps in all, in bytes (UTF-8). Default 10 MiB. */
      maxBytes?: number;
      flushMs?: number;
      /** Removes the secrets each run has read from its lines, before they are cut. */
      redactor: Redactor;
    },
  ) {}

  private get maxBytes(): number {
    return this.deps.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
  }

  /**
   * Starts collecting for a run; `lastSeq` continues numbering after an earlier attempt,
   * whose lines took `bytesSoFar` of the run's log budget.
   */
  open(executionId: string, lastSeq = 0, bytesSoFar = 0): void {
    this.buffers.set(executionId, {
      seq: lastSeq,
      kept: 0,
      bytes: bytesSoFar,
      dropped: 0,
      droppedBytes: 0,
      full: bytesSoFar >= this.maxBytes ? "bytes" : null,
      pending: [],
      all: [],
    });
  }

  append(executionId: string, level: LogLevel, message: string, ts: string): void {
    const b = this.buffers.get(executionId);
    if (!b) return;
    if (b.full || b.kept >= this.deps.maxLines) {
      // Dropped unread: count what arrived (a dropped line is never redacted nor stored).
      b.full ??= "lines";
      b.dropped++;
      b.droppedBytes += Buffer.byteLength(message);
      return;
    }
    const cutBefore = message.endsWith(LINE_CUT);
    const clipped = this.deps.redactor.clip(executionId, cutBefore ? message.slice(0, -LINE_CUT.length) : message, MAX_LOG_LINE_CHARS, { cutBefore });
    const text = clipped.cut ? `${clipped.text}${LINE_CUT}` : clipped.text;
    const size = Buffer.byteLength(text);
    if (b.bytes + size > this.maxBytes) {
      b.full = "bytes";
      b.dropped++;
      b.droppedBytes += size;
      return;
    }
    b.kept++;
    b.bytes += size;
    this.keep(executionId, b, { seq: ++b.seq, level, message: text, ts });
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
      const limit =
        b.full === "bytes"
          ? `a run keeps at most ${this.maxBytes} bytes of log text (BIFROST_MAX_LOG_BYTES)`
          : `a run keeps at most ${this.deps.maxLines} lines per attempt (BIFROST_MAX_LOG_LINES)`;
      const note = `${b.dropped} more log line${b.dropped === 1 ? " was" : "s were"} dropped (${b.droppedBytes} bytes): ${limit}`;
      this.keep(executionId, b, { seq: ++b.seq, level: "warn", message: note, ts: new Date().toISOString() });
    }
    const lines = b.pending.splice(0);
    this.buffers.delete(executionId);
    const written =
      lines.length > 0
        ? this.deps.batcher.write((trx) => this.deps.executions.appendLogs(lines.map((l) => ({ ...l, executionId })), trx))
        : Promise.resolve();
    return { lines: b.all, written };
  }

  private keep(executionId: string, b: RunLog, line: LogLine): void {
    b.pending.push(line);
    b.all.push(line);
    this.deps.bus.publish(executionId, { type: "log", line });
    this.timer ??= setTimeout(() => this.flushAll(), this.deps.flushMs ?? 50);
  }

  private flushAll(): void {
    this.timer = null;
    const rows: (LogLine & { executionId: string })[] = [];
    for (const [executionId, b] of this.buffers) for (const l of b.pending.splice(0)) rows.push({ ...l, executionId });
    if (rows.length > 0) void this.deps.batcher.write((trx) => this.deps.executions.appendLogs(rows, trx)).catch(() => undefined);
  }
}
