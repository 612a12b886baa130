import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import { build, type Plugin } from "esbuild";
import { transpileWithInstrumentation, wrapInlineSnippet } from "./instrument.js";

/** Where the SDK's compiled entry points live, so user bundles import the host's copy. */
const SDK_DIST = dirname(createRequire(import.meta.url).resolve("bifrost"));

export interface CompiledModule {
  /** Absolute path of the self-contained ESM bundle (named by its content hash). */
  modulePath: string;
  /** SHA-256 of the bundle: a new hash means new code. */
  hash: string;
  /** Workspace-relative paths of every source file bundled in. */
  inputs: string[];
}

export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

function sdkPath(specifier: string): string {
  const sub = specifier === "bifrost" ? "index" : specifier.slice("bifrost/".length);
  return join(SDK_DIST, `${sub}.js`);
}

function bifrostPlugin(entryPath: string, entrySource: string, mode: "module" | "inline"): Plugin {
  return {
    name: "bifrost",
    setup(b) {
      // Every bundle shares the host's SDK instance, so context and logging work.
      b.onResolve({ filter: /^bifrost(\/[\w-]+)?$/ }, (args) => ({ path: sdkPath(args.path), external: true }));
      // The entry may be virtual (inline code): its contents come from onLoad below.
      b.onResolve({ filter: /.*/ }, (args) => (args.kind === "entry-point" ? { path: entryPath } : undefined));
      b.onLoad({ filter: /.*/ }, (args) => {
        if (args.path !== entryPath) return undefined;
        try {
          const { code } = transpileWithInstrumentation(entrySource, entryPath, mode);
          return { contents: code, loader: "js", resolveDir: dirname(entryPath) };
        } catch (error) {
          // Returned, not thrown: esbuild would prefix a thrown error with its own location.
          return { errors: [{ text: error instanceof Error ? error.message : String(error) }] };
        }
      });
    },
  };
}

/**
 * Compiles a workflow file (or an inline snippet) into one ESM bundle: TypeScript
 * stripped, local imports and npm packages bundled in, `bifrost` left to the host's SDK,
 * with an inline source map so stack traces point at the user's `.ts` lines.
 */
export async function compileEntry(options: {
  entryPath: string;
  /** The source to compile; read from `entryPath` when absent. */
  source?: string;
  mode: "module" | "inline";
  rootDir: string;
  outDir: string;
}): Promise<CompiledModule> {
  const entryPath = resolve(options.entryPath);
  const raw = options.source ?? readFileSync(entryPath, "utf8");
  const source = options.mode === "inline" ? wrapInlineSnippet(raw) : raw;
  let result;
  try {
    result = await build({
      entryPoints: [entryPath],
      absWorkingDir: options.rootDir,
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      sourcesContent: true,
      metafile: true,
      logLevel: "silent",
      outfile: join(options.outDir, "bundle.mjs"),
      plugins: [bifrostPlugin(entryPath, source, options.mode)],
      // Bundled CommonJS packages may call require(); give them one.
      banner: { js: `import { createRequire as __bifrost$cr } from "node:module"; const require = __bifrost$cr(import.meta.url);` },
    });
  } catch (error) {
    const failure = error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    const text = (failure.errors ?? [])
      .map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text))
      .join("\n");
    const root = options.rootDir.endsWith("/") ? options.rootDir : `${options.rootDir}/`;
    throw new CompileError((text || (error instanceof Error ? error.message : String(error))).replaceAll(root, ""));
  }
  const output = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  if (!output) throw new CompileError("esbuild produced no output");
  const hash = createHash("sha256").update(output.contents).digest("hex");
  const modulePath = join(options.outDir, `${hash.slice(0, 32)}.mjs`);
  if (!existsSync(modulePath)) {
    mkdirSync(options.outDir, { recursive: true });
    const tmp = `${modulePath}.${process.pid}.tmp`;
    writeFileSync(tmp, output.contents);
    // rename is atomic: a worker never imports a half-written module.
    renameSync(tmp, modulePath);
  }
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(options.rootDir, resolve(options.rootDir, p)));
  return { modulePath, hash, inputs };
}
