import { Client } from "../lib/client.js";
import { followLogs } from "../lib/follow.js";
import { formatDuration, formatJson, formatLogLine, formatTime, paintStatus, printJson, printTable, type LogLine } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { colourEnabled, err, out } from "../lib/style.js";

interface Options {
  profile?: string;
  org?: string;
  json?: boolean;
  [key: string]: unknown;
}

interface Execution {
  id: string;
  workflowName: string;
  orgId: string | null;
  trigger: string;
  status: string;
  input: unknown;
  result: unknown;
  error: string | null;
  errorType: string | null;
  errorStack?: string | null;
  variables: unknown;
  durationMs: number | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  attempt: number;
  logs?: LogLine[];
}

const path = (id: string) => `/api/executions/${encodeURIComponent(id)}`;

/** `bifrost executions list`: the API's filters, newest first. */
export async function list(opts: Options): Promise<number> {
  const client = new Client(resolveConnection(opts));
  const page = await client.json<{ executions: Execution[]; hasMore: boolean; limit: number; offset: number }>("GET", "/api/executions", {
    query: {
      workflow: opts.workflow as string | undefined,
      status: opts.status as string | undefined,
      trigger: opts.trigger as string | undefined,
      since: opts.since as string | undefined,
      until: opts.until as string | undefined,
      limit: opts.limit as number | undefined,
      offset: opts.offset as number | undefined,
    },
  });
  if (opts.json) {
    printJson(page);
    return 0;
  }
  if (page.executions.length === 0) {
    process.stderr.write("No executions match.\n");
    return 0;
  }
  printTable(
    ["ID", "WORKFLOW", "STATUS", "TRIGGER", "CREATED", "DURATION"],
    page.executions.map((e) => [e.id, e.workflowName, paintStatus(e.status), e.trigger, formatTime(e.createdAt), formatDuration(e.durationMs)]),
  );
  if (page.hasMore) process.stderr.write(err.dim(`More with --offset ${page.offset + page.executions.length}\n`));
  return 0;
}

/** `bifrost executions get <id>`: a readable record; `--json` for all of it. */
export async function get(id: string, opts: Options): Promise<number> {
  const client = new Client(resolveConnection(opts));
  const e = await client.json<Execution>("GET", path(id));
  if (opts.json) {
    printJson(e);
    return 0;
  }
  const paint = colourEnabled(process.stdout) ? out : null;
  const w = process.stdout;
  w.write(`${out.bold(e.workflowName)} ${paintStatus(e.status)}  ${out.dim(e.id)}\n`);
  w.write(`  trigger ${e.trigger} · attempt ${e.attempt} · created ${formatTime(e.createdAt)}${e.durationMs !== null ? ` · took ${formatDuration(e.durationMs)}` : ""}\n`);
  if (e.orgId) w.write(`  organization ${e.orgId}\n`);
  w.write(`${out.bold("input")}\n${indent(formatJson(e.input, paint))}\n`);
  if (e.error) w.write(`${out.bold("error")}\n  ${out.red(`${e.errorType ? `${e.errorType}: ` : ""}${e.error}`)}\n`);
  if (e.errorStack) w.write(`${out.dim(indent(e.errorStack.split("\n").slice(1, 8).join("\n").trim()))}\n`);
  if (e.result !== null && e.result !== undefined) w.write(`${out.bold("result")}\n${indent(formatJson(e.result, paint))}\n`);
  if (e.variables) w.write(`${out.bold("variables")}\n${indent(formatJson(e.variables, paint))}\n`);
  if (e.logs?.length) {
    w.write(`${out.bold("logs")}\n`);
    for (const line of e.logs) w.write(`  ${formatLogLine(line, out)}\n`);
  }
  return 0;
}

const indent = (text: string) => text.replace(/^/gm, "  ");

/** `bifrost executions logs <id> [--follow]`: stored lines, or the live stream until the end. */
export async function logs(id: string, opts: Options): Promise<number> {
  const client = new Client(resolveConnection(opts));
  const print = (line: LogLine) => {
    if (line.level === "debug" && !opts.debug) return;
    process.stdout.write(opts.json ? `${JSON.stringify(line)}\n` : `${formatLogLine(line, out)}\n`);
  };
  if (opts.follow) {
    const status = await followLogs(client, id, print);
    if (opts.json) process.stdout.write(`${JSON.stringify({ end: true, status })}\n`);
    else process.stderr.write(`${err.dim("ended:")} ${paintStatus(status, err)}\n`);
    return 0;
  }
  const answer = await client.json<{ logs: LogLine[]; status: string }>("GET", `${path(id)}/logs`);
  for (const line of answer.logs) print(line);
  if (!opts.json) process.stderr.write(`${err.dim("status:")} ${paintStatus(answer.status, err)}\n`);
  return 0;
}
