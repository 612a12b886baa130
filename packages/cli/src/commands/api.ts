import { readFileSync } from "node:fs";
import { Client, apiError } from "../lib/client.js";
import { CliError, EXIT } from "../lib/errors.js";
import { printJson } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { err } from "../lib/style.js";

interface ApiOptions {
  profile?: string;
  org?: string;
  data?: string;
  field: string[];
  rawField: string[];
  header: string[];
  include?: boolean;
  silent?: boolean;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
const NO_BODY = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);

function readSource(value: string, what: string): string {
  if (value === "-") return readFileSync(0, "utf8");
  if (value.startsWith("@")) {
    try {
      return readFileSync(value.slice(1), "utf8");
    } catch (error) {
      throw new CliError(`${what} ${value}: ${(error as Error).message}`, EXIT.badInput);
    }
  }
  return value;
}

/** `-f name=value`: numbers, booleans, null and JSON arrays/objects are typed; `@file` reads a file. */
function typedField(raw: string): unknown {
  if (raw.startsWith("@")) return readSource(raw, "--field");
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw === "null") return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  if (/^\s*[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function splitPair(pair: string, sep: string, flag: string): [string, string] {
  const i = pair.indexOf(sep);
  if (i <= 0) throw new CliError(`${flag} ${pair}: write it as name${sep}value`, EXIT.badInput);
  return [pair.slice(0, i).trim(), pair.slice(i + 1)];
}

/** `bifrost api METHOD path`: an authenticated request, pretty JSON out, non-2xx → exit 1. */
export async function api(methodArg: string, pathArg: string, opts: ApiOptions): Promise<number> {
  const method = methodArg.toUpperCase();
  if (!METHODS.has(method)) throw new CliError(`"${methodArg}" is not an HTTP method (GET, POST, PUT, PATCH, DELETE)`, EXIT.badInput);
  const path = pathArg.startsWith("/") ? pathArg : `/api/${pathArg}`;

  const fields: Record<string, unknown> = {};
  for (const pair of opts.field) {
    const [k, v] = splitPair(pair, "=", "--field");
    fields[k] = typedField(v);
  }
  for (const pair of opts.rawField) {
    const [k, v] = splitPair(pair, "=", "--raw-field");
    fields[k] = v;
  }
  const headers: Record<string, string> = {};
  for (const pair of opts.header) {
    const [k, v] = splitPair(pair, ":", "--header");
    headers[k.toLowerCase()] = v.trim();
  }

  let body: string | undefined;
  const query: Record<string, string> = {};
  if (opts.data !== undefined) {
    body = readSource(opts.data, "--data");
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      if (!headers["content-type"]) throw new CliError(`--data is not valid JSON: ${(error as Error).message}`, EXIT.badInput);
    }
    if (Object.keys(fields).length) {
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError("--field needs --data to be a JSON object (or no --data)", EXIT.badInput);
      body = JSON.stringify({ ...parsed, ...fields });
    }
  } else if (Object.keys(fields).length) {
    if (NO_BODY.has(method)) {
      for (const [k, v] of Object.entries(fields)) query[k] = typeof v === "string" ? v : JSON.stringify(v);
    } else body = JSON.stringify(fields);
  }

  const client = new Client(resolveConnection(opts));
  const res = await client.send(method, path, { body, query, headers });
  if (opts.include) {
    process.stderr.write(`${err.bold(`HTTP ${res.status} ${res.statusText}`)}\n`);
    for (const [k, v] of res.headerEntries()) process.stderr.write(`${err.dim(`${k}: ${v}`)}\n`);
    process.stderr.write("\n");
  }
  if (!res.ok) {
    const error = await apiError(res, client);
    if (!opts.silent && error.body !== null && error.body !== "") {
      if (typeof error.body === "string") process.stdout.write(`${error.body}\n`);
      else printJson(error.body);
    }
    process.stderr.write(`${err.red("Error:")} ${error.message} (HTTP ${res.status})\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
    return EXIT.error;
  }
  const type = res.header("content-type") ?? "";
  if (opts.silent || res.status === 204 || method === "HEAD") {
    res.cancel();
    return 0;
  }
  if (type.includes("text/event-stream") || type.includes("ndjson")) {
    // Streams (logs, AI) are passed through as they arrive.
    for await (const chunk of res.stream()) process.stdout.write(chunk);
    return 0;
  }
  const text = await res.text();
  if (type.includes("json") && text) {
    try {
      printJson(JSON.parse(text));
      return 0;
    } catch {
      // fall through: print as text
    }
  }
  if (text) process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  return 0;
}
