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

  add(executionId: string, value: unknown): void {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (!text || text.length < MIN_LENGTH) return;
    let set = this.secrets.get(executionId);
    if (!set) this.secrets.set(executionId, (set = new Set()));
    set.add(text);
    // The same secret as it appears inside JSON text (quotes and backslashes escaped).
    const escaped = JSON.stringify(text).slice(1, -1);
    if (escaped !== text) set.add(escaped);
  }

  has(executionId: string): boolean {
    return this.secrets.has(executionId);
  }

  text(executionId: string, text: string): string;
  text(executionId: string, text: string | null): string | null;
  text(executionId: string, text: string | null): string | null {
    const set = this.secrets.get(executionId);
    if (!set || text === null) return text;
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...set].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** A JSON value with every secret replaced inside its strings (and keys). */
  value<T>(executionId: string, value: T): T {
    if (!this.secrets.has(executionId) || value === null || value === undefined) return value;
    return JSON.parse(this.text(executionId, JSON.stringify(value))) as T;
  }

  release(executionId: string): void {
    this.secrets.delete(executionId);
  }
}
