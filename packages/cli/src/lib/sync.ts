import { statSync } from "node:fs";
import { ApiError, CliError, EXIT } from "./errors.js";
import { note } from "./output.js";
import { err } from "./style.js";
import type { Reporter } from "./sync-report.js";
import { hashOf, importOrder, isPushable, type LocalFile, type LocalScanner, type Registration, type RemoteWorkspace, type SyncState } from "./workspace.js";

/** `orgs/abc/` → `orgs/abc`; refuses paths that climb out. */
export function normalizeRemoteDir(raw: string): string {
  const dir = raw.replace(/\\/g, "/").replace(/^\/+|\/+$/g, "").replace(/\/{2,}/g, "/");
  if (dir.split("/").some((p) => p === ".." || p === ".")) throw new CliError(`--remote-dir ${raw}: use a plain folder path inside the workspace`, EXIT.badInput);
  return dir;
}

export function checkFolder(root: string): void {
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new CliError(`${root} does not exist`, EXIT.badInput);
  }
  if (!st.isDirectory()) throw new CliError(`${root} is not a folder`, EXIT.badInput);
}

export interface Plan {
  push: LocalFile[];
  isNew: Set<string>;
  unchanged: Map<string, Registration>;
  /** Remote files to delete: deleted here (pushed from here before), or pruned. */
  remove: string[];
  pruned: Set<string>;
  /** Remote files not from this folder, left alone. */
  kept: string[];
  /** Deleted here, but someone changed them on the instance since: left alone. */
  keptChangedRemotely: string[];
  prune: boolean;
  local: Map<string, LocalFile>;
}

/** Runs `work` over items, `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Compares this folder with the instance: what to push, what to delete, what to leave. */
export async function planSync(scanner: LocalScanner, remote: RemoteWorkspace, state: SyncState, prune: boolean): Promise<Plan> {
  const local = scanner.scan();
  const { files, truncated } = await remote.files();
  if (truncated) note(err.yellow("The instance's workspace has more than 10 000 entries: only part of it was compared (use --remote-dir)"));
  const remoteFiles = new Set(files.filter(isPushable));
  const plan: Plan = { push: [], isNew: new Set(), unchanged: new Map(), remove: [], pruned: new Set(), kept: [], keptChangedRemotely: [], prune, local };
  const ours = state.files;
  await pool([...local.values()], 8, async (file) => {
    const there = remoteFiles.has(file.rel) ? await remote.open(file.rel) : null;
    if (!there) {
      plan.push.push(file);
      plan.isNew.add(file.rel);
    } else if (there.data.equals(file.data)) plan.unchanged.set(file.rel, there.registration);
    else plan.push.push(file);
  });
  const gone = [...remoteFiles].filter((rel) => !local.has(rel));
  await pool(gone, 8, async (rel) => {
    if (ours[rel]) {
      // Pushed from here, deleted here since: mirror it, unless someone changed it there.
      const there = await remote.open(rel);
      if (there && hashOf(there.data) !== ours[rel] && !prune) plan.keptChangedRemotely.push(rel);
      else plan.remove.push(rel);
    } else if (prune) {
      plan.remove.push(rel);
      plan.pruned.add(rel);
    } else plan.kept.push(rel);
  });
  for (const rel of Object.keys(ours)) if (!remoteFiles.has(rel) && !local.has(rel)) delete ours[rel];
  plan.push.sort((a, b) => a.rel.localeCompare(b.rel));
  plan.remove.sort();
  plan.kept.sort();
  return plan;
}

/** Refusals that no retry fixes: stop instead of printing them for every save. */
function fatal(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

/**
 * Deletes first (so a renamed workflow's old file does not hold its name), then pushes
 * (helpers before the files importing them). A file whose load failed while several
 * were pushed together is saved once more at the end: it may have imported one that
 * was not there yet. Last, files of this folder that the batch did not touch but whose
 * registration changed (they import a file that changed or went away) are reported.
 */
export async function pushAndDelete(
  files: LocalFile[],
  remove: string[],
  remote: RemoteWorkspace,
  state: SyncState,
  report: Reporter,
  results: Map<string, Registration>,
  local: Map<string, LocalFile>,
): Promise<boolean> {
  let ok = true;
  for (const rel of remove) {
    try {
      const existed = await remote.remove(rel);
      delete state.files[rel];
      results.delete(rel);
      report.deleted(rel, existed);
    } catch (error) {
      if (fatal(error)) throw refused(remote, rel, error as ApiError);
      report.failure(`deleting ${rel}`, error);
      ok = false;
    }
  }
  const saved = new Map<string, Registration>();
  for (const file of importOrder(files)) {
    try {
      saved.set(file.rel, await remote.save(file));
      state.files[file.rel] = file.hash;
    } catch (error) {
      if (fatal(error)) throw refused(remote, file.rel, error as ApiError);
      report.failure(`pushing ${file.rel}`, error);
      ok = false;
    }
  }
  if (files.length > 1) {
    for (const file of files) {
      if (!saved.get(file.rel)?.loadErrors.length) continue;
      try {
        saved.set(file.rel, await remote.save(file));
      } catch (error) {
        report.failure(`pushing ${file.rel}`, error);
        ok = false;
      }
    }
  }
  for (const file of files) {
    const reg = saved.get(file.rel);
    if (!reg) continue;
    results.set(file.rel, reg);
    report.registered(file.rel, reg, "pushed");
  }
  state.save();
  if (saved.size || remove.length) await reportAffected(new Set([...saved.keys(), ...remove]), remote, report, results, saved.size > 0 ? local : null);
  return ok;
}

/**
 * Registrations of files outside the batch that changed because of it (one list call).
 * Files of this folder that failed to load are saved again after new files arrived: the
 * platform does not know what a file that did not compile imports, so one that missed a
 * helper is not re-indexed when the helper comes back.
 */
async function reportAffected(
  batch: Set<string>,
  remote: RemoteWorkspace,
  report: Reporter,
  results: Map<string, Registration>,
  retryFrom: Map<string, LocalFile> | null,
): Promise<void> {
  const others = [...results.keys()].filter((rel) => !batch.has(rel));
  if (others.length === 0) return;
  if (retryFrom) {
    for (const rel of others) {
      const file = retryFrom.get(rel);
      if (!file || !results.get(rel)!.loadErrors.length) continue;
      try {
        const reg = await remote.save(file);
        results.set(rel, reg);
        if (!reg.loadErrors.length) report.registered(rel, reg, "affected");
      } catch {
        // reported with the next push
      }
    }
  }
  let answer: { workflows: { name: string; kind: string; filePath: string }[]; loadErrors: Registration["loadErrors"] };
  try {
    answer = await remote.client.json("GET", "/api/workflows");
  } catch {
    return; // only a courtesy: the next push reports again
  }
  for (const rel of others.sort()) {
    const path = remote.remotePath(rel);
    const now: Registration = {
      workflows: answer.workflows.filter((w) => w.filePath === path).map((w) => ({ name: w.name, kind: w.kind })),
      loadErrors: answer.loadErrors.filter((e) => e.filePath === path),
    };
    const before = results.get(rel)!;
    const key = (r: Registration) => JSON.stringify([r.workflows.map((w) => w.name).sort(), r.loadErrors.map((e) => e.message)]);
    if (key(now) === key(before)) continue;
    results.set(rel, now);
    report.registered(rel, now, "affected");
  }
}

function refused(remote: RemoteWorkspace, rel: string, error: ApiError): CliError {
  return new CliError(`${remote.client.url} refused to change workspace/${remote.remotePath(rel)}: ${error.message}`);
}

