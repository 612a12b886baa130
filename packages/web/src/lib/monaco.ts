/**
 * Monaco, bundled by Vite (never fetched from a CDN), with its workers built from the
 * package (`?worker`) and the TypeScript service fed the declarations a workflow file
 * compiles against — the `bifrost` SDK with its TSDoc, and zod — from the server
 * (GET /api/files/editor/types), so completion, hover and type errors match this platform.
 * Imported only by the editor page, so the rest of the app never loads it.
 */
import * as monaco from "monaco-editor";
import EditorWorker from "monaco-editor/esm/vs/editor/editor.worker.js?worker";
import TypeScriptWorker from "monaco-editor/esm/vs/language/typescript/ts.worker.js?worker";
import { api } from "./api.js";

export { monaco };

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

window.MonacoEnvironment = {
  getWorker: (_id, label) => (label === "typescript" || label === "javascript" ? new TypeScriptWorker() : new EditorWorker()),
};

/** Where a workspace file lives in Monaco: TypeScript resolves `bifrost` from `file:///node_modules/`. */
export const modelUri = (path: string) => monaco.Uri.parse(`file:///workspace/${path.split("/").map(encodeURIComponent).join("/")}`);

let declarations: Promise<void> | null = null;

/** Configures the TypeScript service once: compiler options as workspace/tsconfig.json, and the SDK's types. */
export function loadDeclarations(): Promise<void> {
  declarations ??= (async () => {
    const ts = monaco.typescript;
    ts.typescriptDefaults.setCompilerOptions({
      target: ts.ScriptTarget.ESNext,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.NodeJs,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowNonTsExtensions: true,
      esModuleInterop: true,
    });
    ts.typescriptDefaults.setEagerModelSync(true);
    const { files } = await api<{ files: { path: string; content: string }[] }>("/api/files/editor/types");
    ts.typescriptDefaults.setExtraLibs(files.map((f) => ({ content: f.content, filePath: `file:///${f.path}` })));
  })().catch((error: unknown) => {
    declarations = null;
    throw error;
  });
  return declarations;
}

/** How many of the workspace's TypeScript files the service reads, so imports between them resolve. */
export const MAX_WORKSPACE_SOURCES = 300;
let workspaceLibs: monaco.IDisposable[] = [];

/**
 * The workspace's other TypeScript files, for the TypeScript service: a file that imports
 * `./lib/helpers.js` or `./sdks/halo.js` then checks against it, as the server's compiler
 * does. The open file is an editor model, so it is left out here.
 */
export function setWorkspaceSources(files: { path: string; content: string }[], openPath: string | null): void {
  for (const lib of workspaceLibs) lib.dispose();
  workspaceLibs = files.filter((f) => f.path !== openPath).map((f) => monaco.typescript.typescriptDefaults.addExtraLib(f.content, modelUri(f.path).toString()));
}
