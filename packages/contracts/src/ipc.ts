import type { ExecutionContextData } from "./context.js";
import type { SerializedError } from "./errors.js";
import type { FieldError, LogLevel } from "./execution.js";
import type { IndexedDefinition } from "./workflow-options.js";

/**
 * Messages between the worker host and a worker child (Node IPC, JSON). The child never
 * holds a database handle: everything it may do beyond computing goes through `rpc`.
 */
export interface RunTask {
  type: "run";
  taskId: string;
  /**
   * The compiled ESM module: its absolute path on the host; the child gets only the
   * file name (children cannot read the host's bundle folder).
   */
  modulePath: string;
  /** The module's code, sent the first time a child runs it; the child keeps it in its private folder. */
  moduleCode?: string;
  /** The export to run; null for inline code, whose module exports a default function. */
  exportName: string | null;
  params: unknown;
  context: ExecutionContextData;
  /**
   * Longest JSON text the child sends for one captured variable (longer ones are cut and
   * marked `… [truncated, N characters]`). A first bound for the IPC channel only: the
   * host sends more than it keeps, redacts, then cuts to its own limit.
   */
  maxVariableChars: number;
  /**
   * Largest result (bytes of its JSON) the child sends; a larger one fails the run with
   * `result_too_large` without crossing the IPC channel. The host checks again.
   */
  maxResultBytes?: number;
}

export interface IndexTask {
  type: "index";
  taskId: string;
  /** As in {@link RunTask}. */
  modulePath: string;
  moduleCode?: string;
}

export interface RpcReply {
  type: "rpc-reply";
  id: number;
  ok: boolean;
  value?: unknown;
  error?: SerializedError;
}

export type HostMessage = RunTask | IndexTask | RpcReply;

export type RunOutcome =
  | {
      ok: true;
      result: unknown;
      variables: Record<string, unknown>;
      roi: { timeSaved: number; value: number };
    }
  | {
      ok: false;
      error: SerializedError;
      validation?: FieldError[];
      variables: Record<string, unknown>;
      roi: { timeSaved: number; value: number };
    };

export type IndexOutcome =
  | { ok: true; definitions: IndexedDefinition[]; errors: { exportName: string; message: string }[] }
  | { ok: false; error: SerializedError };

export type ChildMessage =
  | { type: "ready"; pid: number }
  | { type: "log"; taskId: string; level: LogLevel; message: string; ts: string }
  /** `retiring`: the child is about to exit (after a stray error) and must not get another task. */
  | { type: "run-done"; taskId: string; outcome: RunOutcome; heapUsed: number; retiring?: boolean }
  | { type: "index-done"; taskId: string; outcome: IndexOutcome; heapUsed: number }
  | { type: "rpc"; id: number; taskId: string; method: string; args: unknown[] };
