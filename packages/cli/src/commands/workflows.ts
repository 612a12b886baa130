import { Client } from "../lib/client.js";
import { ApiError, CliError } from "../lib/errors.js";
import { describeType, type JsonSchema } from "../lib/params.js";
import { formatLoadError, printJson, printTable, type LoadError } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { err, out } from "../lib/style.js";

interface Options {
  profile?: string;
  org?: string;
  json?: boolean;
  category?: string;
  tag?: string;
  type?: string;
  search?: string;
}

interface Workflow {
  id: string;
  name: string;
  kind: string;
  orgId: string | null;
  description: string | null;
  category: string;
  tags: string[];
  filePath: string;
  exportName: string;
  executionMode: string;
  timeoutSeconds: number;
  schedule: unknown;
  endpointEnabled: boolean;
  isTool: boolean;
  paramsSchema: JsonSchema;
  updatedAt: string;
}


export async function list(opts: Options): Promise<number> {
  const client = new Client(resolveConnection(opts));
  const answer = await client.json<{ workflows: Workflow[]; loadErrors: LoadError[] }>("GET", "/api/workflows", {
    query: { category: opts.category, tag: opts.tag, type: opts.type, q: opts.search },
  });
  if (opts.json) {
    printJson(answer);
    return 0;
  }
  if (answer.workflows.length === 0) process.stderr.write("No workflows registered" + (opts.category || opts.tag || opts.type || opts.search ? " match." : ".") + "\n");
  else {
    printTable(
      ["NAME", "KIND", "CATEGORY", "MODE", "FILE", "DESCRIPTION"],
      answer.workflows.map((w) => [out.bold(w.name), w.kind, w.category, w.executionMode, w.filePath, w.description ?? ""]),
    );
  }
  if (answer.loadErrors.length) {
    process.stdout.write(`\n${out.red(out.bold(`${answer.loadErrors.length} file(s) failed to load:`))}\n`);
    for (const e of answer.loadErrors) process.stdout.write(`  ${formatLoadError(e)}\n`);
  }
  return 0;
}

export async function get(name: string, opts: Options): Promise<number> {
  const client = new Client(resolveConnection(opts));
  let w: Workflow;
  try {
    w = await client.json<Workflow>("GET", `/api/workflows/${encodeURIComponent(name)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new CliError(`Unknown workflow "${name}" on ${client.url}: "bifrost workflows" lists what is registered`);
    throw error;
  }
  if (opts.json) {
    printJson(w);
    return 0;
  }
  const s = process.stdout;
  s.write(`${out.bold(w.name)} ${out.dim(`(${w.kind}, ${w.id})`)}\n`);
  if (w.description) s.write(`  ${w.description}\n`);
  s.write(`  file      ${w.filePath} (export ${w.exportName})\n`);
  s.write(`  category  ${w.category}${w.tags.length ? ` · tags ${w.tags.join(", ")}` : ""}\n`);
  s.write(`  runs      ${w.executionMode}, timeout ${w.timeoutSeconds} s${w.schedule ? ` · schedule ${typeof w.schedule === "string" ? w.schedule : JSON.stringify(w.schedule)}` : ""}${w.endpointEnabled ? " · HTTP endpoint" : ""}${w.isTool ? " · AI tool" : ""}\n`);
  s.write(`  scope     ${w.orgId ? `organization ${w.orgId}` : "global"}\n`);
  const props = Object.entries(w.paramsSchema.properties ?? {});
  const required = new Set(w.paramsSchema.required ?? []);
  s.write(`${out.bold("parameters")}${props.length ? "" : " none"}\n`);
  if (props.length) {
    const rows = props.map(([key, p]) => [
      `  ${key}`,
      describeType(p),
      required.has(key) && p.default === undefined ? out.yellow("required") : p.default !== undefined ? `default ${JSON.stringify(p.default)}` : "optional",
      String(p.description ?? p.label ?? ""),
    ]);
    printTable(["", "", "", ""], rows);
  }
  process.stderr.write(err.dim(`Run it: bifrost run ${w.name}${props.map(([k]) => (required.has(k) ? ` --param ${k}=…` : "")).join("")}\n`));
  return 0;
}
