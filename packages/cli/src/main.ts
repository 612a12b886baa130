#!/usr/bin/env node
/**
 * The `bifrost` command. Process roles (`start`, `server`, `worker`, `scheduler`,
 * `admin-key`) run the platform; the engineer commands (`login`, `init`, `watch`, `pull`,
 * `run`, `executions`, `workflows`, `api`) work with an instance over its HTTP API;
 * `sdk generate` works locally.
 *
 * This file only declares the commands: each action imports its module when it runs, so
 * `bifrost --help` and `bifrost whoami` load commander and a few small files, never the
 * server, engine or storage packages.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { CliError, EXIT } from "./lib/errors.js";
import { err } from "./lib/style.js";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Examples shown under a command's `--help`. */
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;

/** Commander's parsed options: each command module declares the shape it reads (commander checks choices and arity). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Options = any;

/**
 * An action that loads its module on demand. The command's options are merged with the
 * program's (`--profile`); the returned number is the exit status.
 */
function lazy(load: (args: unknown[], opts: Options) => Promise<number | void>) {
  return async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const args = received.slice(0, -2);
    try {
      const code = await load(args, command.optsWithGlobals());
      if (typeof code === "number") process.exitCode = code;
    } finally {
      (await import("./lib/client.js")).closeConnections();
    }
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a whole number, not "${value}"`, EXIT.badInput);
  return n;
};

const program = new Command("bifrost")
  .description("Bifrost: run the platform, or work with an instance from your terminal")
  .version(version, "-v, --version")
  .option("--profile <name>", "the login profile to use (default: BIFROST_PROFILE or \"default\")")
  .showSuggestionAfterError(true)
  .configureHelp({ sortSubcommands: false })
  .addHelpText(
    "after",
    `
Connection: a profile saved by "bifrost login" (~/.config/bifrost/config.json), or the
environment: BIFROST_URL, BIFROST_API_KEY and BIFROST_ORG override the profile.
Platform processes (start, server, worker, scheduler, admin-key) read PORT, HOST,
BIFROST_DATA_DIR, BIFROST_WORKSPACE, BIFROST_ADMIN_API_KEY, … (see docs/configuration.md).
Colours: off with NO_COLOR=1 or when the output is not a terminal.
${examples(
  "bifrost start                                  # the platform on http://127.0.0.1:3000",
  "bifrost login http://127.0.0.1:3000 --key bfk_…",
  "bifrost init my-workflows && cd my-workflows && npm install && npm test",
  "bifrost watch                                  # this folder, live on the instance",
  "bifrost run greet --param name=Ada",
  "bifrost api GET /api/workflows",
)}
Documentation: docs/cli.md`,
  );

// ── Process roles ───────────────────────────────────────────────────────────────────

program.commandsGroup("Run the platform:");
program
  .command("start")
  .description("Run the platform (API, workers, queue) on PORT (default 3000)")
  .action(async () => (await import("./roles.js")).runRole("start"));
program
  .command("server")
  .description("Run an API server that leaves queued runs to workers (distributed mode)")
  .action(async () => (await import("./roles.js")).runRole("server"));
program
  .command("worker")
  .description("Run a worker: executes queued runs from the shared queue, no HTTP")
  .action(async () => (await import("./roles.js")).runRole("worker"));
program
  .command("scheduler")
  .description("Run only the cron scheduler against the data directory of a running platform (any number may run: each tick still fires once)")
  .action(async () => (await import("./roles.js")).runRole("scheduler"));
program
  .command("admin-key")
  .argument("[name]", "a name for the key", "admin key (cli)")
  .description("Create a new platform-admin API key and print it (the platform may be running)")
  .action(async (name: string) => (await import("./roles.js")).runRole("admin-key", name));

// ── Connecting ──────────────────────────────────────────────────────────────────────

program.commandsGroup("Connect to an instance:");
program
  .command("login")
  .argument("[url]", "the instance's base URL (default: BIFROST_URL, the profile's URL, or http://127.0.0.1:3000)")
  .description("Check an API key against an instance and save it as a profile")
  .option("--key <key>", "the API key (default: asked for, or read from standard input when it is not a terminal)")
  .option("--org <id>", "default organization for a platform-admin key (sent as X-Bifrost-Org)")
  .option("--json", "print the saved profile and identity as JSON")
  .addHelpText(
    "after",
    examples(
      "bifrost login http://127.0.0.1:3000            # asks for the key",
      "bifrost login https://bifrost.example.com --key bfk_… --profile prod",
      'echo "$KEY" | bifrost login http://127.0.0.1:3000',
    ) + "\nThe profile is stored in ~/.config/bifrost/config.json (mode 0600).\n",
  )
  .action(lazy(async ([url], opts) => (await import("./commands/login.js")).login(url as string | undefined, opts)));
program
  .command("logout")
  .description("Forget the profile's key")
  .option("--json", "print what was removed as JSON")
  .addHelpText("after", examples("bifrost logout", "bifrost logout --profile prod"))
  .action(lazy(async (_args, opts) => (await import("./commands/login.js")).logout(opts)));
program
  .command("whoami")
  .description("Show the instance, key and organization in use")
  .option("--org <id>", "act in this organization (platform-admin keys)")
  .option("--json", "print the identity as JSON")
  .addHelpText("after", examples("bifrost whoami", "bifrost whoami --profile prod --json"))
  .action(lazy(async (_args, opts) => (await import("./commands/login.js")).whoami(opts)));

// ── Writing workflows ───────────────────────────────────────────────────────────────

program.commandsGroup("Write workflows:");
program
  .command("init")
  .argument("[dir]", "the folder to create", ".")
  .description("Create a workspace folder: package.json, strict tsconfig, an example workflow and its unit test")
  .option("--sdk <spec>", "npm spec of the SDK dependency (default: this Bifrost's packages/sdk as a file: link)")
  .option("--cli <spec>", "npm spec of the CLI dev dependency (default: this CLI's package as a file: link)")
  .option("--name <name>", "the package name (default: the folder's name)")
  .option("--force", "write into a folder that already has files (existing files are kept)")
  .option("--json", "print the files written as JSON")
  .addHelpText(
    "after",
    examples("bifrost init my-workflows", "cd my-workflows && npm install && npm test && npx tsc", "bifrost init . --sdk file:../bifrost/packages/sdk"),
  )
  .action(lazy(async ([dir], opts) => (await import("./commands/init.js")).init(dir as string, opts)));
program
  .command("watch")
  .argument("[dir]", "the local folder", ".")
  .description("Push a folder's workflow files to the instance's workspace, then keep it in sync as you save")
  .option("--once", "push once and exit (CI deploys): exit 1 when a file fails to load")
  .option("--prune", "also delete files on the instance that this folder does not have")
  .option("--dry-run", "show what would change, change nothing")
  .option("--remote-dir <path>", "the workspace folder to sync into (default: the workspace root)", "")
  .option("--json", "print results as JSON lines (one per push) instead of text")
  .addHelpText(
    "after",
    examples(
      "bifrost watch                         # this folder, until Ctrl-C",
      "bifrost watch ./workflows --once      # deploy from CI; non-zero exit on load errors",
      "bifrost watch --once --prune          # make the instance's workspace match this folder",
      "bifrost watch --remote-dir orgs/<org id>",
    ) +
      `
Files pushed: *.ts, *.mts and *.json (not package.json, package-lock.json, tsconfig*.json),
except tests (*.test.ts, *.spec.ts), *.d.ts, node_modules and dot folders. Files on the
instance that this folder did not push are never deleted without --prune. What was
pushed is remembered in <dir>/.bifrost/state.json.
`,
  )
  .action(lazy(async ([dir], opts) => (await import("./commands/watch.js")).watch(dir as string, opts)));
program
  .command("pull")
  .argument("[dir]", "the local folder", ".")
  .description("Download the instance's workspace into a folder")
  .option("--remote-dir <path>", "only this workspace folder", "")
  .option("--force", "overwrite local files that differ")
  .option("--json", "print the files as JSON")
  .addHelpText("after", examples("bifrost pull my-workflows", "bifrost pull . --remote-dir orgs/<org id> --force"))
  .action(lazy(async ([dir], opts) => (await import("./commands/pull.js")).pull(dir as string, opts)));

// ── Running and inspecting ──────────────────────────────────────────────────────────

program.commandsGroup("Run and inspect:");
program
  .command("run")
  .argument("<workflow>", "workflow name or id")
  .description("Run a workflow, streaming its logs, then print its result")
  .option("-p, --param <name=value>", "a parameter, typed by the workflow's schema (repeatable)", collect, [])
  .option("-i, --input <file>", "parameters from a JSON file, or - for standard input (--param values override)")
  .option("--org <id>", "run in this organization (platform-admin keys)")
  .option("--async", "queue the run and print its execution id, without waiting")
  .option("--debug", "show debug log lines (platform-admin keys)")
  .option("-q, --quiet", "no log lines, only the result")
  .addOption(new Option("-o, --output <format>", "result: the result; json: the whole execution record").choices(["result", "json"]).default("result"))
  .option("--json", "same as --output json")
  .addHelpText(
    "after",
    examples(
      "bifrost run greet --param name=Ada --param excited=true",
      "bifrost run create_user --input user.json --param licenses=3",
      "echo '{\"name\":\"Bo\"}' | bifrost run greet --input -",
      "bifrost run nightly_sync --async           # prints the execution id",
      "bifrost run greet -p name=Ada --output json | jq .durationMs",
    ) +
      `
Log lines go to standard error, the result (JSON) to standard output. Ctrl-C cancels the
run on the server.

Exit status: 0 Success · 1 Failed, Timeout, Cancelled or Stuck · 2 CompletedWithErrors ·
3 bad input (invalid parameters: the fields are listed) · 4 not run (unknown workflow,
bad key, unreachable server).
`,
  )
  .action(lazy(async ([workflow], opts) => (await import("./commands/run.js")).run(workflow as string, opts)));

const executions = program
  .command("executions")
  .description("Execution history: list, one record, its logs")
  .addHelpText("after", examples("bifrost executions", "bifrost executions list --status Failed,Timeout --since 2026-01-01", "bifrost executions get <id>", "bifrost executions logs <id> --follow"));
executions
  .command("list", { isDefault: true })
  .description("Recent executions, newest first")
  .option("--workflow <name>", "only this workflow (name or id)")
  .option("--status <list>", "one status or a comma-separated list (Success,Failed,…)")
  .option("--trigger <trigger>", "api, test, code, schedule, endpoint, form, workflow, …")
  .option("--since <iso>", "created at or after (ISO 8601)")
  .option("--until <iso>", "created before (ISO 8601)")
  .option("--limit <n>", "at most this many (1–500)", positiveInt("--limit"), 20)
  .option("--offset <n>", "skip this many", positiveInt("--offset"))
  .option("--org <id>", "this organization's (platform-admin keys)")
  .option("--json", "print the API's answer as JSON")
  .addHelpText("after", examples("bifrost executions list --workflow greet --limit 5", "bifrost executions list --status Failed --json | jq '.executions[].id'"))
  .action(lazy(async (_args, opts) => (await import("./commands/executions.js")).list(opts)));
executions
  .command("get")
  .argument("<id>", "execution id")
  .description("One execution: status, input, result, error, variables and logs")
  .option("--org <id>", "act in this organization (platform-admin keys)")
  .option("--json", "print the record as JSON")
  .addHelpText("after", examples("bifrost executions get 5c273044-…", "bifrost executions get 5c273044-… --json | jq .variables"))
  .action(lazy(async ([id], opts) => (await import("./commands/executions.js")).get(id as string, opts)));
executions
  .command("logs")
  .argument("<id>", "execution id")
  .description("An execution's log lines; --follow streams them until it ends")
  .option("-f, --follow", "keep streaming until the execution ends")
  .option("--debug", "show debug lines (platform-admin keys)")
  .option("--org <id>", "act in this organization (platform-admin keys)")
  .option("--json", "print each line as a JSON object (one per line)")
  .addHelpText("after", examples("bifrost executions logs 5c273044-…", "bifrost executions logs 5c273044-… --follow"))
  .action(lazy(async ([id], opts) => (await import("./commands/executions.js")).logs(id as string, opts)));

const workflows = program
  .command("workflows")
  .description("What is registered on the instance, and files that failed to load")
  .addHelpText("after", examples("bifrost workflows", "bifrost workflows get greet"));
workflows
  .command("list", { isDefault: true })
  .description("Registered workflows, tools and data providers, then load errors")
  .option("--category <name>", "only this category")
  .option("--tag <tag>", "only with this tag")
  .option("--type <kind>", "workflow, tool or data_provider")
  .option("-s, --search <text>", "name or description containing this text")
  .option("--org <id>", "as this organization sees them (platform-admin keys)")
  .option("--json", "print the API's answer as JSON")
  .addHelpText("after", examples("bifrost workflows list --category 'User Management'", "bifrost workflows list --json | jq '.loadErrors'"))
  .action(lazy(async (_args, opts) => (await import("./commands/workflows.js")).list(opts)));
workflows
  .command("get")
  .argument("<name>", "workflow name or id")
  .description("One workflow: its settings and parameters")
  .option("--org <id>", "as this organization sees it (platform-admin keys)")
  .option("--json", "print the workflow as JSON")
  .addHelpText("after", examples("bifrost workflows get greet", "bifrost workflows get greet --json | jq .paramsSchema"))
  .action(lazy(async ([name], opts) => (await import("./commands/workflows.js")).get(name as string, opts)));

program
  .command("api")
  .argument("<method>", "GET, POST, PUT, PATCH or DELETE")
  .argument("<path>", "an API path: /api/workflows (a path without a leading / gets /api/ in front)")
  .description("Make an authenticated API request and print the JSON answer (like gh api)")
  .option("-d, --data <json>", "the request body: JSON text, @file, or - for standard input")
  .option("-f, --field <name=value>", "a body field (query parameter for GET/DELETE), typed: numbers, true/false, null, JSON; @file reads a file (repeatable)", collect, [])
  .option("--raw-field <name=value>", "a body field always sent as a string (repeatable)", collect, [])
  .option("-H, --header <name:value>", "an extra request header (repeatable)", collect, [])
  .option("-i, --include", "print the status line and headers before the body (on standard error)")
  .option("--org <id>", "act in this organization (sends X-Bifrost-Org)")
  .option("--silent", "do not print the answer's body")
  .addHelpText(
    "after",
    examples(
      "bifrost api GET /api/workflows",
      "bifrost api GET executions --field status=Failed --field limit=5",
      "bifrost api POST /api/workflows/greet/execute -d '{\"name\":\"Ada\"}'",
      "bifrost api POST /api/organizations --field name=Contoso",
      "bifrost api DELETE /api/api-keys/<id>",
    ) + "\nA non-2xx answer prints its body, one error line on standard error, and exits 1.\n",
  )
  .action(lazy(async ([method, path], opts) => (await import("./commands/api.js")).api(method as string, path as string, opts)));

const sdk = program.command("sdk").description("SDK tools: generate a typed client from another vendor's OpenAPI document");
sdk
  .command("generate")
  .argument("<spec>", "the OpenAPI 3.0/3.1 or Swagger 2.0 document: a .json, .yaml or .yml file")
  .description("Generate a typed TypeScript client into sdks/<name>.ts of the workspace folder (locally: no instance needed)")
  .requiredOption("--name <name>", "the module's name: sdks/<name>.ts (a letter, then letters, digits, - or _)")
  .option("--dir <folder>", "the workspace folder (default: the current folder)")
  .option("--base-url <url>", "the default base URL (default: the document's first server)")
  .option("--integration <name>", "createClient() without auth uses this integration's tokens (inside workflows)")
  .option("--stdout", "print the module instead of writing it")
  .option("--json", "print what was written as JSON")
  .addHelpText(
    "after",
    examples(
      "bifrost sdk generate halopsa.yaml --name halo --integration halopsa",
      "bifrost sdk generate openapi.json --name ninja --base-url https://eu.ninjarmm.com",
      "bifrost sdk generate github.json --name github --stdout > github.ts",
    ) + "\nThen import { createClient } from \"./sdks/halo.js\" in a workflow; bifrost watch pushes the file. See docs/sdk-generator.md.\n",
  )
  .action(lazy(async ([spec], opts) => (await import("./commands/sdk.js")).generate(spec as string, opts)));

// ── Running ─────────────────────────────────────────────────────────────────────────

/** One clear line on stderr (plus detail lines), then the command's exit status. */
function fail(error: unknown): never {
  if (error instanceof CliError) {
    process.stderr.write(`${err.red("Error:")} ${error.message}\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`${err.red("Error:")} ${(error as Error)?.message ?? String(error)}\n`);
  if (process.env.BIFROST_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
  else process.stderr.write(`  (a bug in the CLI? BIFROST_DEBUG=1 shows where)\n`);
  process.exit(EXIT.error);
}

// Usage mistakes (unknown option, missing argument) are bad input: exit 3, as for `run`.
program.exitOverride();
for (const command of program.commands) command.exitOverride();
for (const group of [executions, workflows, sdk]) for (const command of group.commands) command.exitOverride();

if (process.argv.length <= 2) {
  program.outputHelp();
} else {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") process.exit(0);
      if (error.code === "commander.executeSubCommandAsync") process.exit(error.exitCode);
      process.exit(EXIT.badInput);
    }
    fail(error);
  }
}
