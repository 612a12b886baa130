import { colourEnabled, err, out, type Painter } from "./style.js";

/** Pretty JSON on stdout, with colours on a terminal (like `gh api` and `jq`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${formatJson(value, colourEnabled(process.stdout) ? out : null)}\n`);
}

export function formatJson(value: unknown, paint: Painter | null): string {
  const text = JSON.stringify(value === undefined ? null : value, null, 2);
  if (!paint) return text;
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (m, str: string | undefined, colon: string | undefined, lit: string | undefined, num: string | undefined) => {
    if (str) return colon ? `${paint.blue(str)}${colon}` : paint.green(str);
    if (lit) return paint.magenta(lit);
    if (num) return paint.cyan(num);
    return m;
  });
}

/** Columns padded to their widest cell; the last column is not padded. */
export function printTable(headers: string[], rows: string[][], paintHeader = out.bold): void {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))))
      .join("  ")
      .trimEnd();
  if (headers.some((h) => h !== "")) process.stdout.write(`${paintHeader(line(headers))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

/** A status in its colour: green success, red failures, yellow partial, blue in flight. */
export function paintStatus(status: string, paint: Painter = out): string {
  switch (status) {
    case "Success":
      return paint.green(status);
    case "Failed":
    case "Timeout":
    case "Stuck":
      return paint.red(status);
    case "CompletedWithErrors":
    case "Cancelled":
    case "Cancelling":
      return paint.yellow(status);
    default:
      return paint.blue(status);
  }
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `2026-11-21 02:53:22` in local time, for tables. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface LogLine {
  seq: number;
  level: string;
  message: string;
  ts: string;
}

const LEVEL_STYLE: Record<string, (p: Painter, s: string) => string> = {
  debug: (p, s) => p.gray(s),
  info: (p, s) => p.cyan(s),
  warn: (p, s) => p.yellow(s),
  error: (p, s) => p.red(s),
};

/** `12:00:01.234 INFO  message` (stderr colours): one execution log line. */
export function formatLogLine(line: LogLine, paint: Painter = err): string {
  const d = new Date(line.ts);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const time = Number.isNaN(d.getTime()) ? line.ts : `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  const level = line.level.toUpperCase().padEnd(5);
  const styled = (LEVEL_STYLE[line.level] ?? ((_p: Painter, s: string) => s))(paint, level);
  const message = line.level === "debug" ? paint.gray(line.message) : line.level === "error" ? paint.red(line.message) : line.message;
  return `${paint.dim(time)} ${styled} ${message}`;
}

/** A progress or status line on stderr (stdout stays for results). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** A load error of a workspace file. */
export interface LoadError {
  filePath: string;
  exportName: string | null;
  message: string;
}

/** A load error as `file: message` in red, continuation lines indented. */
export function formatLoadError(e: LoadError, paint = out, localPath?: (remote: string) => string): string {
  const file = localPath ? localPath(e.filePath) : e.filePath;
  let message = e.message;
  if (localPath && file !== e.filePath) message = message.split(e.filePath).join(file);
  const [first, ...rest] = message.split("\n");
  const lead = first!.startsWith(file) ? first! : `${file}${e.exportName ? ` (${e.exportName})` : ""}: ${first}`;
  return [paint.red(lead), ...rest.map((l) => paint.dim(`    ${l.trim()}`))].join("\n");
}
