import { resultTooLargeMessage, type ErrorCode, type SerializedError } from "@bifrost/contracts/errors.js";

/** A result larger than the host keeps: the run fails without sending it over IPC. */
export class ResultTooLargeError extends Error {
  override name = "ResultTooLarge";
  readonly bifrostErrorCode = "result_too_large";
}

/** The JSON text of `value` made JSON-safe: BigInts as strings, functions and symbols described, cycles cut. */
function jsonSafeText(value: unknown): string | undefined {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "function") return `[Function ${(v as { name?: string }).name || "anonymous"}]`;
    if (typeof v === "symbol") return v.toString();
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[Circular]";
      seen.add(v);
    }
    return v;
  });
}

/**
 * JSON-safe copy of `value` (see jsonSafeText). With `maxBytes`, a value whose JSON is
 * larger throws `ResultTooLargeError`.
 */
export function toJsonSafe(value: unknown, maxBytes?: number): unknown {
  const text = jsonSafeText(value);
  if (text === undefined) return null;
  if (maxBytes !== undefined && text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text);
    if (bytes > maxBytes) throw new ResultTooLargeError(resultTooLargeMessage(bytes, maxBytes));
  }
  return JSON.parse(text);
}

/**
 * A variable's value for the execution record: JSON-safe, and cut when its JSON is longer
 * than `maxChars` (marked `… [truncated, N characters]`, which tells the host that it was
 * cut: the host redacts what it got and drops a secret's beginning at the cut).
 */
export function snapshotVariables(vars: Map<string, unknown>, maxChars: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of vars) {
    let text: string;
    try {
      text = jsonSafeText(value) ?? "null";
    } catch (error) {
      out[name] = `[unserializable: ${error instanceof Error ? error.message : String(error)}]`;
      continue;
    }
    out[name] = text.length > maxChars ? `${text.slice(0, maxChars)}… [truncated, ${text.length} characters]` : JSON.parse(text);
  }
  return out;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(["user", "non_retriable", "result_too_large"]);

/**
 * Longest error message, type or stack the child sends. A first bound for the IPC channel,
 * above what the host keeps: the host redacts, then cuts to its own limits.
 */
const MAX_ERROR_TEXT = 1024 * 1024;

function bounded(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}… [truncated]` : text;
}

/** Turns anything thrown into the cross-process error shape. */
export function serializeError(error: unknown, fallback: ErrorCode = "unexpected"): SerializedError {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const e = error as Error & { bifrostErrorCode?: string };
    const code = e.bifrostErrorCode && KNOWN_CODES.has(e.bifrostErrorCode) ? (e.bifrostErrorCode as ErrorCode) : fallback;
    const type = e.name && e.name !== "Error" ? e.name : (e.constructor?.name ?? "Error");
    return { code, type: bounded(String(type)), message: bounded(String(e.message)), ...(e.stack ? { stack: bounded(String(e.stack)) } : {}) };
  }
  return { code: fallback, type: "Error", message: bounded(`A non-error value was thrown: ${String(error)}`) };
}
