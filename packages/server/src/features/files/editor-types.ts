import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";

/** One declaration file, at the path the editor's TypeScript service sees it (`node_modules/…`). */
export interface DeclarationFile {
  path: string;
  content: string;
}

const require = createRequire(import.meta.url);

/** zod folders workflows never reach (zod 3, the mini build, the sources, locale texts). */
const ZOD_SKIPPED = new Set(["src", "v3", "mini", "v4-mini", "v4/mini", "locales"]);

async function declarationsUnder(root: string, as: string, skip: (rel: string) => boolean = () => false): Promise<DeclarationFile[]> {
  const out: DeclarationFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      const rel = relative(root, abs).split("\\").join("/");
      if (skip(rel) || entry.name === "node_modules") continue;
      if (entry.isDirectory()) await walk(abs);
      else if (entry.name.endsWith(".d.ts")) out.push({ path: `${as}/${rel}`, content: await readFile(abs, "utf8") });
    }
  };
  await walk(root);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

let cached: Promise<DeclarationFile[]> | null = null;

/**
 * The declaration files a workflow file compiles against, as the workspace's tsconfig
 * resolves them: the `bifrost` SDK (with its TSDoc), the contracts it re-exports, and
 * zod. Read once from the installed packages, so the editor always matches this server.
 */
export function sdkDeclarations(): Promise<DeclarationFile[]> {
  cached ??= (async () => {
    const sdk = dirname(require.resolve("bifrost"));
    const contracts = dirname(require.resolve("@bifrost/contracts/sdk.js"));
    const zod = dirname(require.resolve("zod/package.json"));
    const zodSkip = (rel: string) => ZOD_SKIPPED.has(rel) || (rel.startsWith("v4/locales/") && !/\/(index|en)\.d\.ts$/.test(rel));
    return [
      ...(await declarationsUnder(sdk, "node_modules/bifrost")),
      ...(await declarationsUnder(contracts, "node_modules/@bifrost/contracts")),
      ...(await declarationsUnder(zod, "node_modules/zod", zodSkip)),
    ];
  })().catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}
