import type { ErrorCode, SerializedError } from "@bifrost/contracts/errors.js";

/** JSON-safe copy of `value`: BigInts as strings, functions and symbols described, cycles cut. */
export function toJsonSafe(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(value, (_key, v: unknown) => {
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
  return text === undefined ? null : JSON.parse(text);
}

/** A variable's value for the execution record: JSON-safe, and cut when its JSON is long. */
export function snapshotVariables(vars: Map<string, unknown>, maxChars: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of vars) {
    let safe: unknown;
    try {
      safe = toJsonSafe(value);
    } catch (error) {
      safe = `[unserializable: ${error instanceof Error ? error.message : String(error)}]`;
    }
    const text = JSON.stringify(safe) ?? "null";
    out[name] = text.length > maxChars ? `${text.slice(0, maxChars)}… [truncated, ${text.length} characters]` : safe;
  }
  return out;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(["user", "non_retriable"]);

/** Turns anything thrown into the cross-process error shape. */
export function serializeError(error: unknown, fallback: ErrorCode = "unexpected"): SerializedError {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const e = error as Error & { bifrostErrorCode?: string };
    const code = e.bifrostErrorCode && KNOWN_CODES.has(e.bifrostErrorCode) ? (e.bifrostErrorCode as ErrorCode) : fallback;
    const type = e.name && e.name !== "Error" ? e.name : (e.constructor?.name ?? "Error");
    return { code, type, message: String(e.message), ...(e.stack ? { stack: String(e.stack) } : {}) };
  }
  return { code: fallback, type: "Error", message: `A non-error value was thrown: ${String(error)}` };
}
