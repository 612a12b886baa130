import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseDocumentText, SdkGeneratorError } from "@bifrost/server/features/sdk-generator/document.js";
import { generateSdk, type DefaultAuth } from "@bifrost/server/features/sdk-generator/generator.js";
import { CliError, EXIT } from "../lib/errors.js";
import { printJson } from "../lib/output.js";
import { out } from "../lib/style.js";

interface GenerateOptions {
  name: string;
  dir?: string;
  baseUrl?: string;
  integration?: string;
  stdout?: boolean;
  json?: boolean;
}

/**
 * `bifrost sdk generate <spec> --name halo`: generates the module locally (no instance
 * needed) into `<dir>/sdks/<name>.ts` of the workspace folder; `bifrost watch` (or the
 * editor) takes it to the instance like any other file.
 */
export async function generate(specPath: string, opts: GenerateOptions): Promise<number> {
  let text: string;
  try {
    text = readFileSync(specPath, "utf8");
  } catch (error) {
    throw new CliError(`Cannot read ${specPath}: ${(error as Error).message}`, EXIT.badInput);
  }
  const auth: DefaultAuth | undefined = opts.integration ? { type: "integration", name: opts.integration } : undefined;
  let sdk;
  try {
    sdk = await generateSdk({ name: opts.name, document: parseDocumentText(text), baseUrl: opts.baseUrl, auth });
  } catch (error) {
    if (error instanceof SdkGeneratorError) {
      throw new CliError(`${specPath}: ${error.message}`, error.status === 502 ? EXIT.error : EXIT.badInput, error.problems.map((p) => `${p.pointer}: ${p.message}`));
    }
    throw error;
  }
  if (opts.stdout) {
    process.stdout.write(sdk.source);
    return EXIT.ok;
  }
  const target = resolve(opts.dir ?? ".", "sdks", `${sdk.name}.ts`);
  mkdirSync(dirname(target), { recursive: true });
  // Written whole, then renamed: a watcher never pushes half a module.
  const temp = join(dirname(target), `.${sdk.name}.ts.${process.pid}.tmp`);
  writeFileSync(temp, sdk.source);
  renameSync(temp, target);
  const shown = relative(process.cwd(), target) || target;
  if (opts.json) printJson({ name: sdk.name, path: shown, title: sdk.title, version: sdk.version, operations: sdk.operations, paginated: sdk.paginated, bytes: Buffer.byteLength(sdk.source) });
  else {
    process.stdout.write(`${out.green("Wrote")} ${shown}: ${sdk.title} ${sdk.version}, ${sdk.operations} operations (${sdk.paginated} paginated)\n`);
    process.stdout.write(`Use it from a workflow: import { createClient } from "./sdks/${sdk.name}.js";\n`);
  }
  return EXIT.ok;
}
