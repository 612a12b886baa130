import { inspect } from "node:util";
import { REDACTED } from "@bifrost/contracts/sdk.js";

/** Secrets shorter than this are not redacted: "1" or "no" would shred every log line. */
export const MIN_SECRET_LENGTH = 4;

/** A secret's characters as `JSON.stringify` writes them inside a string. */
function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/**
 * A secret's characters as `util.inspect` (the log formatter, `console.log` of an object)
 * writes them inside a quoted string. Inspect picks its quote per string — `'` unless the
 * string holds one, then `"` or a backtick — so a secret inside a longer string may be
 * written either way: with `'` escaped (`\'`) or left as is.
 */
function inspectEscaped(s: string, singleQuoted: boolean): string {
  let out = "";
  for (const ch of s) out += ch === "'" ? (singleQuoted ? "\\'" : "'") : inspect(ch).slice(1, -1);
  return out;
}

const ESCAPES = [jsonEscaped, (s: string) => inspectEscaped(s, true), (s: string) => inspectEscaped(s, false)];

/**
 * Every way a secret can appear in text the platform stores: as is, escaped once (a string
 * inside JSON or inside an inspected object), and escaped twice (JSON text logged inside an
 * object, or JSON inside JSON).
 */
function formsOf(secret: string): string[] {
  const forms = new Set([secret]);
  const once = ESCAPES.map((escape) => escape(secret));
  for (const f of once) forms.add(f);
  for (const f of once) if (f !== secret) for (const escape of ESCAPES) forms.add(escape(f));
  return [...forms];
}

/** The strings a secret value stands for: its text, and for a JSON value each string inside it. */
function secretTexts(value: unknown): string[] {
  if (typeof value === "string") return [value];
  const texts: string[] = [];
  const text = JSON.stringify(value);
  if (text !== undefined) texts.push(text);
  const walk = (v: unknown): void => {
    if (typeof v === "string") texts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return texts;
}

interface RunSecrets {
  secrets: Set<string>;
  /** Every form of every secret, longest first (a form containing another is replaced whole). */
  forms: string[];
}

/** What `clip` made of a text: at most `max` characters, and whether anything was cut. */
export interface Clipped {
  text: string;
  cut: boolean;
}

/**
 * Remembers the secret values each running execution has read and removes them from
 * what the platform stores and shows of that run: log lines (as they arrive), result,
 * variables, error text. Redaction happens before any cut (`clip`), so a limit never
 * leaves the beginning of a secret behind.
 */
export class Redactor {
  private readonly runs = new Map<string, RunSecrets>();

  add(executionId: string, value: unknown): void {
    const texts = secretTexts(value).filter((t) => t.length >= MIN_SECRET_LENGTH);
    if (texts.length === 0) return;
    const run = this.runs.get(executionId) ?? { secrets: new Set<string>(), forms: [] };
    for (const t of texts) run.secrets.add(t);
    this.runs.set(executionId, this.withForms(run));
  }

  has(executionId: string): boolean {
    return this.runs.has(executionId);
  }

  text(executionId: string, text: string): string;
  text(executionId: string, text: string | null): string | null;
  text(executionId: string, text: string | null): string | null {
    const run = this.runs.get(executionId);
    if (!run || text === null) return text;
    let out = text;
    for (const form of run.forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  }

  /**
   * A JSON value with every secret replaced inside its strings and keys. Walks the value
   * (rewriting JSON text could break it: a secret may contain quotes).
   */
  value<T>(executionId: string, value: T): T {
    if (!this.runs.has(executionId) || value === null || value === undefined) return value;
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

  /**
   * Redacts `text`, then cuts it to at most `max` characters. Whenever text was cut —
   * here, or before it arrived (`cutBefore`: the child or the pool cut it, which the text
   * says with its marker) — the end is checked too: characters there that begin a secret
   * are dropped, so no cut leaves a secret's prefix. `cutAtStart` does the same for text
   * whose beginning was cut off (the tail of a stream).
   */
  clip(executionId: string, text: string, max: number, options: { cutBefore?: boolean; cutAtStart?: boolean } = {}): Clipped {
    const forms = this.runs.get(executionId)?.forms ?? [];
    let cut = options.cutBefore ?? false;
    let out = text;
    // Every secret that starts before `max` ends before this: it is redacted whole.
    const reach = max + (forms[0]?.length ?? 0);
    if (out.length > reach) {
      out = out.slice(0, reach);
      cut = true;
    }
    out = this.text(executionId, out);
    if (out.length > max) {
      out = out.slice(0, max);
      cut = true;
    }
    if (cut) out = dropPartialAtEnd(out, forms);
    if (options.cutAtStart) out = dropPartialAtStart(out, forms);
    return { text: out, cut };
  }

  /** Copies what one run has read to another (a nested run gets its parent's secrets). */
  inherit(from: string, to: string): void {
    const source = this.runs.get(from);
    if (!source) return;
    const run = this.runs.get(to) ?? { secrets: new Set<string>(), forms: [] };
    for (const s of source.secrets) run.secrets.add(s);
    this.runs.set(to, this.withForms(run));
  }

  release(executionId: string): void {
    this.runs.delete(executionId);
  }

  private withForms(run: RunSecrets): RunSecrets {
    const forms = new Set<string>();
    for (const s of run.secrets) for (const f of formsOf(s)) forms.add(f);
    return { secrets: run.secrets, forms: [...forms].sort((a, b) => b.length - a.length) };
  }
}

/** Length of the longest end of `text` that is the beginning (not all) of one of `forms`. */
function partialAtEnd(text: string, forms: string[]): number {
  let longest = 0;
  for (const form of forms) {
    const tail = text.slice(Math.max(0, text.length - (form.length - 1)));
    for (let i = tail.indexOf(form[0]!); i !== -1 && tail.length - i > longest; i = tail.indexOf(form[0]!, i + 1)) {
      if (form.startsWith(tail.slice(i))) {
        longest = tail.length - i;
        break;
      }
    }
  }
  return longest;
}

function dropPartialAtEnd(text: string, forms: string[]): string {
  let out = text;
  // What is left could end with a secret's beginning again (repeated characters): a few rounds.
  for (let round = 0; round < 4; round++) {
    const n = partialAtEnd(out, forms);
    if (n === 0) break;
    out = out.slice(0, out.length - n);
  }
  return out;
}

function dropPartialAtStart(text: string, forms: string[]): string {
  const reversed = (s: string) => [...s].reverse().join("");
  if (forms.length === 0) return text;
  return reversed(dropPartialAtEnd(reversed(text), forms.map(reversed)));
}
