import { resultTooLargeMessage } from "@bifrost/contracts/errors.js";
import type { RunOutcome } from "@bifrost/contracts/ipc.js";
import type { TaskResult } from "../pool/worker-pool.js";
import type { AttemptOutcome } from "./outcome.js";
import type { Redactor } from "./redactor.js";

/**
 * What the host keeps of one attempt's outcome. The child is not trusted to keep these:
 * the host checks every outcome against them, after redacting it.
 */
export interface OutcomeLimits {
  /** Largest result, in bytes of its JSON; a larger one fails the run (`result_too_large`). */
  maxResultBytes: number;
  /** Longest JSON text kept for one variable; longer ones are cut and marked. */
  maxVariableChars: number;
  /** Most bytes (JSON) of all of a run's variables together; the rest are left out. */
  maxVariablesBytes: number;
}

export const DEFAULT_OUTCOME_LIMITS: OutcomeLimits = {
  maxResultBytes: 10 * 1024 * 1024,
  maxVariableChars: 4096,
  maxVariablesBytes: 1024 * 1024,
};

/** Longest `error` kept (characters). */
export const MAX_ERROR_CHARS = 64 * 1024;
/** Longest `errorStack` kept (characters). */
export const MAX_ERROR_STACK_CHARS = 64 * 1024;
/** Longest `errorType` kept (characters). */
export const MAX_ERROR_TYPE_CHARS = 200;

/** How the child (serialize.ts) and the host mark a cut text. */
const CUT = "… [truncated]";
/** How the child (serialize.ts) and the host mark a cut variable. */
const VARIABLE_CUT = /… \[truncated, (\d+) characters\]$/;
/** The key under which the variables a run could not keep are counted. */
export const OMITTED_VARIABLES_KEY = "…";

/**
 * How much more than the host keeps the child sends of each variable, so the host — not the
 * child — decides where a value is cut, after redacting it.
 */
export const CHILD_VARIABLE_SLACK_CHARS = 64 * 1024;

/**
 * Redacts the texts of a task result that outcome mapping transforms before they are
 * stored — a stack is filtered by line, a crash report takes the last lines of stderr and
 * joins them — so that no transformation splits a secret before it is looked for.
 */
export function scrubTask(task: TaskResult<RunOutcome>, redactor: Redactor, id: string): TaskResult<RunOutcome> {
  if (!redactor.has(id)) return task;
  if (task.kind === "crashed") {
    // The pool keeps the tail of stderr: its first characters may end a secret.
    return { ...task, stderr: redactor.clip(id, task.stderr, task.stderr.length, { cutAtStart: true }).text };
  }
  if (task.kind !== "done" || task.outcome.ok) return task;
  const e = task.outcome.error;
  const error = { ...e, message: redactor.text(id, String(e.message)), type: redactor.text(id, String(e.type)), ...(e.stack ? { stack: redactor.text(id, String(e.stack)) } : {}) };
  return { ...task, outcome: { ...task.outcome, error } };
}

/** Redacts, then cuts, a text the child may already have cut (its marker says so). */
function boundText(redactor: Redactor, id: string, text: string | null, max: number): string | null {
  if (text === null) return null;
  const s = String(text);
  const cutBefore = s.endsWith(CUT);
  const { text: kept, cut } = redactor.clip(id, cutBefore ? s.slice(0, -CUT.length) : s, max, { cutBefore });
  return cut ? `${kept}${CUT}` : kept;
}

/** One variable as stored: redacted, then cut to `maxChars` of JSON text when longer. */
function boundVariable(redactor: Redactor, id: string, value: unknown, maxChars: number): unknown {
  if (typeof value === "string") {
    const marked = VARIABLE_CUT.exec(value);
    if (marked) {
      // Cut by the child: the string is the beginning of the value's JSON text.
      const { text } = redactor.clip(id, value.slice(0, marked.index), maxChars, { cutBefore: true });
      return `${text}… [truncated, ${marked[1]} characters]`;
    }
  }
  const redacted = redactor.value(id, value);
  const json = JSON.stringify(redacted) ?? "null";
  if (json.length <= maxChars) return redacted;
  return `${redactor.clip(id, json, maxChars).text}… [truncated, ${json.length} characters]`;
}

function boundVariables(redactor: Redactor, id: string, variables: Record<string, unknown> | null, limits: OutcomeLimits): Record<string, unknown> | null {
  if (variables === null || typeof variables !== "object") return null;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(variables);
  let bytes = 2;
  let kept = 0;
  for (const [name, value] of entries) {
    const key = redactor.text(id, name);
    const bounded = boundVariable(redactor, id, value, limits.maxVariableChars);
    const size = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(bounded) ?? "null") + 2;
    if (bytes + size > limits.maxVariablesBytes) break;
    out[key] = bounded;
    bytes += size;
    kept++;
  }
  if (kept < entries.length) {
    const left = entries.length - kept;
    out[OMITTED_VARIABLES_KEY] =
      `${left} more variable${left === 1 ? " was" : "s were"} not kept: a run keeps at most ${limits.maxVariablesBytes} bytes of variables (BIFROST_MAX_VARIABLES_BYTES)`;
  }
  return out;
}

/**
 * The outcome as the run's record keeps it: every text redacted before it is cut, the
 * variables within their limits, and a result over `maxResultBytes` turned into a failure.
 */
export function limitOutcome(outcome: AttemptOutcome, redactor: Redactor, id: string, limits: OutcomeLimits): AttemptOutcome {
  const bounded: AttemptOutcome = {
    ...outcome,
    error: boundText(redactor, id, outcome.error, MAX_ERROR_CHARS),
    errorType: boundText(redactor, id, outcome.errorType, MAX_ERROR_TYPE_CHARS),
    errorStack: boundText(redactor, id, outcome.errorStack, MAX_ERROR_STACK_CHARS),
    validationErrors: redactor.value(id, outcome.validationErrors),
    variables: boundVariables(redactor, id, outcome.variables, limits),
    result: redactor.value(id, outcome.result),
  };
  if (bounded.result === null || bounded.result === undefined) return bounded;
  const json = JSON.stringify(bounded.result);
  // Each character is at least one byte: measure the UTF-8 size only when it could matter.
  const bytes = json === undefined ? 0 : json.length > limits.maxResultBytes / 3 ? Buffer.byteLength(json) : json.length;
  if (bytes <= limits.maxResultBytes) return bounded;
  return resultTooLarge(bounded, bytes, limits.maxResultBytes);
}

/** The failure a too large result becomes. */
function resultTooLarge(outcome: AttemptOutcome, bytes: number, maxBytes: number): AttemptOutcome {
  return {
    ...outcome,
    status: "Failed",
    code: "result_too_large",
    result: null,
    error: resultTooLargeMessage(bytes, maxBytes),
    errorType: "ResultTooLarge",
    errorStack: null,
    validationErrors: null,
    roi: { timeSaved: 0, value: 0 },
  };
}
