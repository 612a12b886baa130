import { readFileSync } from "node:fs";
import { Client } from "../lib/client.js";
import { ApiError, CliError, EXIT } from "../lib/errors.js";
import { followLogs } from "../lib/follow.js";
import { buildParams, type JsonSchema } from "../lib/params.js";
import { formatDuration, formatLogLine, note, printJson } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { err } from "../lib/style.js";

/** `bifrost run`'s exit statuses, by how the run ended. */
export const RUN_EXIT = {
  Success: 0,
  Failed: 1,
  Timeout: 1,
  Cancelled: 1,
  Stuck: 1,
  CompletedWithErrors: 2,
  badInput: EXIT.badInput,
  /** The run could not be started or followed: unknown workflow, bad key, unreachable server. */
  notRun: 4,
} as const;

interface RunOptions {
  profile?: string;
  param: string[];
  input?: string;
  org?: string;
  async?: boolean;
  debug?: boolean;
  quiet?: boolean;
  output: "result" | "json";
  json?: boolean;
}

interface ExecutionRecord {
  id: string;
  workflowName: string;
  status: string;
  result: unknown;
  error: string | null;
  errorType: string | null;
  errorStack?: string | null;
  durationMs: number | null;
  [key: string]: unknown;
}

/** `--input file.json` or `--input -`: a JSON object of parameters. */
function readInput(input: string | undefined): Record<string, unknown> {
  if (input === undefined) return {};
  let text: string;
  try {
    text = readFileSync(input === "-" ? 0 : input, "utf8");
  } catch (error) {
    throw new CliError(`--input ${input}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`, EXIT.badInput);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--input ${input === "-" ? "(standard input)" : input} is not valid JSON: ${(error as Error).message}`, EXIT.badInput);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`--input ${input === "-" ? "(standard input)" : input} must be a JSON object of parameters`, EXIT.badInput);
  }
  return value as Record<string, unknown>;
}

/** Errors before the run started: bad input stays 3, anything else means "not run" (4). */
function notRun(error: unknown): never {
  if (error instanceof CliError && error.exitCode === EXIT.badInput) throw error;
  if (error instanceof CliError) throw new CliError(error.message, RUN_EXIT.notRun, error.details);
  throw error;
}

export async function run(name: string, opts: RunOptions): Promise<number> {
  const json = opts.json || opts.output === "json";
  const base = readInput(opts.input);
  let client: Client;
  let workflow: { id: string; name: string; paramsSchema: JsonSchema };
  try {
    client = new Client(resolveConnection(opts));
    workflow = await client.json("GET", `/api/workflows/${encodeURIComponent(name)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      notRun(new CliError(`Unknown workflow "${name}" on ${client!.url}: "bifrost workflows" lists what is registered (and what failed to load)`));
    }
    notRun(error);
  }
  const params = buildParams(opts.param, workflow.paramsSchema, base, `"${workflow.name}"`);

  let queued: { executionId: string; status: string };
  try {
    queued = await client.json("POST", `/api/workflows/${encodeURIComponent(workflow.id)}/run`, { body: params });
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      throw new CliError(`Invalid input for "${workflow.name}": ${error.fields.length ? "" : error.message}`.replace(/: $/, ":"), EXIT.badInput, error.details);
    }
    notRun(error);
  }
  const id = queued.executionId;

  if (opts.async) {
    if (json) printJson(queued);
    else {
      process.stdout.write(`${id}\n`);
      note(err.dim(`Queued ${workflow.name} (${queued.status}). Follow it: bifrost executions logs ${id} --follow`));
    }
    return 0;
  }

  // Ctrl-C cancels the run on the server; a second Ctrl-C leaves at once (the run goes on).
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      note(err.yellow(`Left without waiting: execution ${id} may still be cancelling.`));
      process.exit(130);
    }
    note(err.yellow(`Cancelling execution ${id}… (Ctrl-C again to leave without waiting)`));
    client.json<{ status: string }>("POST", `/api/executions/${encodeURIComponent(id)}/cancel`).then(
      (r) => note(err.yellow(`Execution ${id} is ${r.status}`)),
      (error: unknown) => note(err.yellow(error instanceof ApiError && error.status === 409 ? `Too late to cancel: ${error.message}` : `Could not cancel: ${(error as Error).message}`)),
    );
  };
  process.on("SIGINT", onSigint);

  if (!opts.quiet) note(err.dim(`▶ ${workflow.name} · execution ${id}`));
  let record: ExecutionRecord;
  try {
    await followLogs(client, id, (line) => {
      if (opts.quiet || (line.level === "debug" && !opts.debug)) return;
      process.stderr.write(`${formatLogLine(line)}\n`);
    });
    record = await client.json<ExecutionRecord>("GET", `/api/executions/${encodeURIComponent(id)}`);
  } catch (error) {
    notRun(error);
  } finally {
    process.off("SIGINT", onSigint);
  }

  const code = (RUN_EXIT as Record<string, number>)[record.status] ?? EXIT.error;
  if (!opts.quiet || code !== 0) {
    const took = record.durationMs !== null ? ` in ${formatDuration(record.durationMs)}` : "";
    if (record.status === "Success") note(`${err.green("✓")} ${err.green("Success")}${took}`);
    else if (record.status === "CompletedWithErrors") note(`${err.yellow("!")} ${err.yellow("CompletedWithErrors")}${took}: the workflow returned success: false`);
    else {
      note(`${err.red("✗")} ${err.red(record.status)}${took}${record.error ? `: ${record.errorType ? `${record.errorType}: ` : ""}${record.error}` : ""}`);
      const stack = record.errorStack?.split("\n").slice(1, 6).join("\n");
      if (stack) note(err.dim(stack));
    }
  }
  if (json) printJson(record);
  else if (record.status === "Success" || record.status === "CompletedWithErrors") printJson(record.result ?? null);
  return code;
}
