import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { createRequire, isBuiltin } from "node:module";
import { pathToFileURL } from "node:url";
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
  /** The bundle itself (stored by hash so workers need no shared disk). */
  code: string;
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

const within = (root: string, target: string) => {
  const rel = relative(root, target);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * What a file may import is decided here, in the API process, before esbuild reads
 * anything: inline code only the SDK and Node's built-ins; workspace files anything
 * inside the workspace (an organization's files not another organization's folder) and
 * npm packages. Import attributes (`with { type: "text" }`) are refused: they would let
 * a file pull any host file into its bundle.
 */
function bifrostPlugin(entryPath: string, entrySource: string, mode: "module" | "inline", rootDir: string): Plugin {
  const root = resolve(rootDir);
  const ownOrg = /^orgs[\\/]([^\\/]+)[\\/]/.exec(relative(root, entryPath))?.[1] ?? null;
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  return {
    name: "bifrost",
    setup(b) {
      // Every bundle shares the host's SDK instance, so context and logging work.
      b.onResolve({ filter: /^bifrost(\/[\w-]+)?$/ }, (args) => ({ path: sdkPath(args.path), external: true }));
      b.onResolve({ filter: /.*/ }, (args) => {
        // The entry may be virtual (inline code): its contents come from onLoad below.
        if (args.kind === "entry-point") return { path: entryPath };
        const refuse = (why: string) => ({ errors: [{ text: `import "${args.path}" is not allowed: ${why}` }] });
        if (args.with && Object.keys(args.with).length > 0) return refuse("import attributes are not supported");
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        if (mode === "inline") return refuse('inline code may import only from "bifrost" and Node\'s built-in modules');
        if (args.path.startsWith(".") || isAbsolute(args.path)) {
          const target = resolve(args.resolveDir, args.path);
          if (!within(root, target)) return refuse("it is outside the workspace");
          const org = /^orgs[\\/]([^\\/]+)([\\/]|$)/.exec(relative(root, target))?.[1];
          if (org && org !== ownOrg) return refuse("it belongs to another organization's folder");
        }
        return undefined; // npm packages and workspace files: esbuild's own resolution
      });
      b.onLoad({ filter: /.*/ }, (args) => {
        if (args.path !== entryPath) {
          // esbuild loads a linked file from its real path: the folder rules hold for that
          // path too, so a symbolic link cannot pull another organization's code in.
          const refuse = (why: string) => ({ errors: [{ text: `"${relative(root, args.path)}" may not be bundled: ${why}` }] });
          let real: string;
          try {
            real = realpathSync(args.path);
          } catch {
            return undefined; // esbuild reports the missing file itself
          }
          if (within(realRoot, real)) {
            const org = /^orgs[\\/]([^\\/]+)([\\/]|$)/.exec(relative(realRoot, real))?.[1];
            if (org && org !== ownOrg) return refuse("it belongs to another organization's folder");
          } else if (!real.split(sep).includes("node_modules")) {
            return refuse("it is outside the workspace");
          }
          return undefined;
        }
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
      // Children run a bundle from a private folder of their own, not from outDir: an
      // absolute root keeps stack traces pointing at the workspace's files.
      sourceRoot: `${pathToFileURL(resolve(options.outDir)).href}/`,
      sourcesContent: true,
      metafile: true,
      logLevel: "silent",
      outfile: join(options.outDir, "bundle.mjs"),
      plugins: [bifrostPlugin(entryPath, source, options.mode, options.rootDir)],
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
  return { modulePath, hash, inputs, code: output.text };
}
