import { REDACTED } from "@bifrost/contracts/sdk.js";

/** Secrets shorter than this are not redacted: "1" or "no" would shred every log line. */
const MIN_LENGTH = 4;

/**
 * Remembers the secret values each running execution has read and removes them from
 * what the platform stores and shows of that run: log lines (as they arrive), result,
 * variables and error text.
 */
export class Redactor {
  private readonly secrets = new Map<string, Set<string>>();
  /** Per execution, its secrets longest first (a secret containing another is replaced whole). */
  private readonly ordered = new Map<string, string[]>();

  add(executionId: string, value: unknown): void {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (!text || text.length < MIN_LENGTH) return;
    let set = this.secrets.get(executionId);
    if (!set) this.secrets.set(executionId, (set = new Set()));
    set.add(text);
    // The same secret as it appears inside JSON text (quotes and backslashes escaped).
    const escaped = JSON.stringify(text).slice(1, -1);
    if (escaped !== text) set.add(escaped);
    this.ordered.set(executionId, [...set].sort((a, b) => b.length - a.length));
  }

  has(executionId: string): boolean {
    return this.secrets.has(executionId);
  }

  text(executionId: string, text: string): string;
  text(executionId: string, text: string | null): string | null;
  text(executionId: string, text: string | null): string | null {
    const set = this.secrets.get(executionId);
    if (!set || text === null) return text;
    // Only the raw form: the JSON-escaped forms are for text that is JSON.
    let out = text;
    for (const s of this.ordered.get(executionId) ?? []) out = out.split(s).join(REDACTED);
    return out;
  }

  /**
   * A JSON value with every secret replaced inside its strings and keys. Walks the value
   * (rewriting JSON text could break it: a secret may contain quotes).
   */
  value<T>(executionId: string, value: T): T {
    if (!this.secrets.has(executionId) || value === null || value === undefined) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return this.text(executionId, v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(executionId, k), walk(x)]));
      }
      return v;
    };
    return walk(value) as T;
  }

  /** Copies what one run has read to another (a nested run gets its parent's secrets). */
  inherit(from: string, to: string): void {
    const set = this.secrets.get(from);
    if (!set) return;
    const target = this.secrets.get(to) ?? new Set<string>();
    for (const s of set) target.add(s);
    this.secrets.set(to, target);
    this.ordered.set(to, [...target].sort((a, b) => b.length - a.length));
  }

  release(executionId: string): void {
    this.secrets.delete(executionId);
    this.ordered.delete(executionId);
  }
}
