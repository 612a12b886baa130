import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, EXIT } from "../lib/errors.js";
import { note, printJson } from "../lib/output.js";
import { err } from "../lib/style.js";

interface InitOptions {
  sdk?: string;
  cli?: string;
  name?: string;
  force?: boolean;
  json?: boolean;
}

/** This CLI's package folder (packages/cli in a clone of Bifrost). */
const CLI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The SDK dependency. The `bifrost` package is not published to npm yet, so by default
 * the scaffold links the SDK of the Bifrost clone this CLI belongs to.
 */
function defaultSdkSpec(): string {
  const sdk = resolve(CLI_DIR, "..", "sdk");
  try {
    const pkg = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")) as { name?: string };
    if (pkg.name === "bifrost") return `file:${sdk}`;
  } catch {
    // not a clone
  }
  throw new CliError(
    "Where is the SDK? The bifrost package is not on npm yet: pass --sdk file:<path to a Bifrost clone>/packages/sdk",
    EXIT.badInput,
  );
}

/** A valid npm package name from a folder name. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name || "bifrost-workflows";
}

export function scaffold(name: string, sdkSpec: string, cliSpec: string): Record<string, string> {
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    description: "Bifrost workflows",
    scripts: {
      test: "vitest run",
      typecheck: "tsc",
      watch: "bifrost watch",
      deploy: "bifrost watch --once",
    },
    dependencies: { bifrost: sdkSpec },
    devDependencies: {
      "@bifrost/cli": cliSpec,
      "@types/node": "^20.19.0",
      typescript: "~5.9.3",
      vitest: "^3.2.4",
    },
    engines: { node: ">=20.19" },
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      noFallthroughCasesInSwitch: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true,
      types: ["node"],
    },
    include: ["**/*.ts", "**/*.mts"],
    exclude: ["node_modules", ".bifrost"],
  };
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    ".gitignore": "node_modules/\n.bifrost/\n*.log\n",
    "greet.ts": `import { context, logger, workflow, z } from "bifrost";

/**
 * An example workflow. Every exported workflow() is registered when the file reaches the
 * instance's workspace (\`npm run watch\`); run it with \`bifrost run greet --param name=Ada\`.
 */
export const greet = workflow(
  {
    description: "Greet someone by name",
    category: "Examples",
    params: z.object({
      name: z.string().min(1).meta({ label: "Name" }),
      excited: z.boolean().default(false),
    }),
  },
  async ({ name, excited }) => {
    logger.info(\`Greeting \${name} in \${context.orgName ?? "the global scope"}\`);
    return { greeting: \`Hello, \${name}\${excited ? "!" : "."}\` };
  },
);
`,
    "test/greet.test.ts": `import { describe, expect, it } from "vitest";
import { runWorkflow } from "bifrost/testing";
import { greet } from "../greet.js";

describe("greet", () => {
  it("greets by name, in the caller's organization", async () => {
    const run = await runWorkflow(greet, { name: "Ada", excited: true }, { context: { orgId: "org-1", orgName: "Contoso" } });
    expect(run.status).toBe("Success");
    expect(run.result).toEqual({ greeting: "Hello, Ada!" });
    expect(run.logs.map((line) => line.message)).toEqual(["Greeting Ada in Contoso"]);
  });

  it("refuses an empty name before the handler runs", async () => {
    const run = await runWorkflow(greet, { name: "" });
    expect(run.status).toBe("Failed");
    expect(run.validationErrors?.map((e) => e.path)).toEqual(["name"]);
  });
});
`,
    "README.md": `# ${name}

Bifrost workflows, written locally and pushed to an instance.

\`\`\`sh
npm install
npm test                               # unit tests with bifrost/testing (vitest)
npx tsc                                # type-check
npx bifrost login http://127.0.0.1:3000  # once: store an API key
npm run watch                          # push this folder and keep it live while you edit
npx bifrost run greet --param name=Ada
npm run deploy                         # push once; non-zero exit when a file fails to load
\`\`\`

Every \`.ts\` file except tests (\`*.test.ts\`) is pushed to the instance's workspace.
See the Bifrost CLI guide (docs/cli.md) for every command.
`,
  };
}

/** `bifrost init [dir]`: a workspace folder with types, an example workflow and its test. */
export async function init(dirArg: string, opts: InitOptions): Promise<number> {
  const root = resolve(dirArg);
  if (existsSync(root)) {
    const entries = readdirSync(root).filter((e) => e !== ".git");
    if (entries.length && !opts.force) throw new CliError(`${root} is not empty: choose a new folder, or --force to add the files that are missing`, EXIT.badInput);
  }
  const files = scaffold(opts.name ?? packageName(root), opts.sdk ?? defaultSdkSpec(), opts.cli ?? `file:${CLI_DIR}`);
  const written: string[] = [];
  const kept: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, rel);
    if (existsSync(abs)) {
      kept.push(rel);
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    written.push(rel);
  }
  if (opts.json) {
    printJson({ dir: root, written, kept });
    return 0;
  }
  for (const rel of written) note(`${err.green("+")} ${rel}`);
  for (const rel of kept) note(`${err.dim(`= ${rel} (exists, kept)`)}`);
  const cd = dirArg === "." ? "" : `cd ${dirArg} && `;
  note(`\nCreated a Bifrost workspace in ${root}. Next:\n  ${cd}npm install && npm test\n  npx bifrost login <url>   # then: npm run watch`);
  return 0;
}
