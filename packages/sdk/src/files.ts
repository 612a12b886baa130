import { call } from "./transport.js";

/**
 * Where a file lives:
 * - `"workspace"`: the platform's code folder (workflow files and whatever sits beside
 *   them). Organizations read global files and their own `orgs/<org id>/` folder;
 *   only platform admins write. Saving a `.ts` file here registers its workflows.
 * - `"uploads"`: files kept for an organization (e.g. what users uploaded, reports).
 * - `"temp"`: scratch files for an organization; removed 24 hours after their last change.
 */
export type FileLocation = "workspace" | "temp" | "uploads";

/**
 * Which store holds `uploads` and `temp` files: `"local"` (the platform's disk) or
 * `"cloud"` (the platform's cloud file store). Either way the platform performs the
 * operation; workflows never touch a disk themselves. The workspace is always local.
 */
export type FileMode = "local" | "cloud";

export interface FileOptions {
  /** Default `"workspace"`. */
  location?: FileLocation;
  /** Default `"local"`. */
  mode?: FileMode;
  /**
   * `uploads`/`temp` only: an organization id or `"global"`. Default: the current
   * organization. Only platform admins may name another organization; anyone may read
   * `"global"`, only platform admins write it.
   */
  scope?: string;
}

/** A file or folder as `list` returns it. */
export interface FileEntry {
  name: string;
  /** Relative to the location's root, `/`-separated. */
  path: string;
  type: "file" | "directory";
  /** Bytes (0 for folders). */
  size: number;
  modifiedAt: string;
}

/**
 * Reads a file as UTF-8 text, or with `asBase64: true` as base64 text (for binary files:
 * images, PDFs, spreadsheets). Missing files reject with code `not_found` (404).
 *
 * @example
 * ```ts
 * import { workflow, files } from "bifrost";
 *
 * export const readTemplate = workflow({}, async () => {
 *   const html = await files.read("templates/welcome.html");
 *   const logo = await files.read("logo.png", { location: "uploads", asBase64: true });
 *   return { html, logoDataUrl: `data:image/png;base64,${logo}` };
 * });
 * ```
 */
export function read(path: string, options: FileOptions & { asBase64?: boolean } = {}): Promise<string> {
  return call<string>("files.read", [path, options], { idempotent: true });
}

/**
 * Reads a file's bytes, exactly as stored.
 *
 * @example
 * ```ts
 * import { workflow, files } from "bifrost";
 *
 * export const invoiceSize = workflow({}, async () => {
 *   const pdf = await files.readBytes("invoices/2024-06.pdf", { location: "uploads" });
 *   return { bytes: pdf.length, isPdf: pdf.subarray(0, 5).toString("latin1") === "%PDF-" };
 * });
 * ```
 */
export async function readBytes(path: string, options: FileOptions = {}): Promise<Buffer> {
  const base64 = await call<string>("files.read", [path, { ...options, asBase64: true }], { idempotent: true });
  return Buffer.from(base64, "base64");
}

/**
 * Creates or replaces a file, creating the folders it needs. `content` is UTF-8 text,
 * base64 text with `asBase64: true`, or bytes (a `Uint8Array`/`Buffer`, see
 * `writeBytes`). Files above the platform's per-file limit reject with code
 * `file_too_large` (413).
 *
 * @example
 * ```ts
 * import { workflow, z, files } from "bifrost";
 *
 * export const exportUsers = workflow({ params: z.object({ csv: z.string() }) }, async ({ csv }) => {
 *   await files.write("exports/users.csv", csv, { location: "uploads" });
 *   await files.write("scratch/progress.json", JSON.stringify({ done: true }), { location: "temp" });
 *   return { saved: true };
 * });
 * ```
 */
export async function write(path: string, content: string | Uint8Array, options: FileOptions & { asBase64?: boolean } = {}): Promise<void> {
  if (typeof content !== "string") return writeBytes(path, content, options);
  await call("files.write", [path, content, options]);
}

/**
 * Writes bytes exactly as given: images, PDFs, archives.
 *
 * @example
 * ```ts
 * import { workflow, files } from "bifrost";
 *
 * export const saveReport = workflow({}, async () => {
 *   const res = await fetch("https://reports.example.com/monthly.pdf");
 *   await files.writeBytes("reports/monthly.pdf", new Uint8Array(await res.arrayBuffer()), { location: "uploads" });
 *   return { saved: true };
 * });
 * ```
 */
export async function writeBytes(path: string, data: Uint8Array, options: FileOptions = {}): Promise<void> {
  const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  await call("files.write", [path, base64, { ...options, asBase64: true }]);
}

/**
 * Lists a folder's files and folders (not recursive; `""` is the location's root).
 * Folders come first, then files, each by name.
 *
 * @example
 * ```ts
 * import { workflow, files } from "bifrost";
 *
 * export const listExports = workflow({}, async () => {
 *   const entries = await files.list("exports", { location: "uploads" });
 *   return entries.filter((e) => e.type === "file").map((e) => `${e.name} (${e.size} bytes)`);
 * });
 * ```
 */
export function list(path = "", options: FileOptions = {}): Promise<FileEntry[]> {
  return call<FileEntry[]>("files.list", [path, options], { idempotent: true });
}

/**
 * Deletes a file, or a folder with everything in it; resolves true when something was
 * there.
 *
 * @example
 * ```ts
 * import { files } from "bifrost";
 *
 * const removed = await files.delete("scratch/progress.json", { location: "temp" });
 * ```
 */
function remove(path: string, options: FileOptions = {}): Promise<boolean> {
  return call<boolean>("files.delete", [path, options]);
}
export { remove as delete };

/**
 * Whether a file or folder exists.
 *
 * @example
 * ```ts
 * import { workflow, files } from "bifrost";
 *
 * export const ensureConfig = workflow({}, async () => {
 *   if (!(await files.exists("settings.json", { location: "uploads" }))) {
 *     await files.write("settings.json", "{}", { location: "uploads" });
 *   }
 *   return JSON.parse(await files.read("settings.json", { location: "uploads" }));
 * });
 * ```
 */
export function exists(path: string, options: FileOptions = {}): Promise<boolean> {
  return call<boolean>("files.exists", [path, options], { idempotent: true });
}
