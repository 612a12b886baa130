import { watch as fsWatch, statSync, type FSWatcher } from "node:fs";
import { resolve } from "node:path";
import { Client } from "../lib/client.js";
import { ApiError, CliError, EXIT } from "../lib/errors.js";
import { note } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { err } from "../lib/style.js";
import { displayPath, hashOf, importOrder, isIgnoredPath, isPushable, LocalScanner, RemoteWorkspace, SyncState, type LocalFile, type Registration } from "../lib/workspace.js";
import { formatLoadError } from "./workflows.js";

interface WatchOptions {
  profile?: string;
  once?: boolean;
  prune?: boolean;
  dryRun?: boolean;
  remoteDir: string;
  json?: boolean;
}

/** Saves closer together than this are pushed as one batch. */
const DEBOUNCE_MS = 80;

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

/** Prints what happens, as text for people or JSON lines for scripts. */
class Reporter {
  constructor(
    private readonly json: boolean,
    private readonly root: string,
    private readonly remote: RemoteWorkspace,
  ) {}

  private emit(event: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }

  private time(): string {
    return err.dim(new Date().toTimeString().slice(0, 8));
  }

  private local = (remotePath: string) => displayPath(this.root, this.remote.localRel(remotePath));

  plan(p: Plan, target: string): void {
    if (this.json) {
      this.emit({
        event: "plan",
        target,
        new: p.push.filter((f) => p.isNew.has(f.rel)).map((f) => f.rel),
        changed: p.push.filter((f) => !p.isNew.has(f.rel)).map((f) => f.rel),
        unchanged: [...p.unchanged.keys()],
        delete: p.remove,
        kept: p.kept,
        keptChangedRemotely: p.keptChangedRemotely,
      });
      return;
    }
    const created = p.push.filter((f) => p.isNew.has(f.rel));
    const changed = p.push.filter((f) => !p.isNew.has(f.rel));
    const mirrored = p.remove.filter((r) => !p.pruned.has(r));
    const pruned = p.remove.filter((r) => p.pruned.has(r));
    note(`${err.bold(displayPath(this.root, "") || ".")} → ${err.bold(target)}`);
    const parts = [
      `${created.length} new`,
      `${changed.length} changed`,
      `${p.unchanged.size} unchanged`,
      `${mirrored.length} deleted here`,
      ...(pruned.length ? [`${pruned.length} to prune`] : []),
      ...(p.kept.length ? [`${p.kept.length} only on the instance (kept${p.prune ? "" : ": --prune deletes them"})`] : []),
    ];
    note(`  ${parts.join(", ")}`);
    for (const f of created) note(`  ${err.green("+")} ${displayPath(this.root, f.rel)}`);
    for (const f of changed) note(`  ${err.yellow("~")} ${displayPath(this.root, f.rel)}`);
    for (const r of mirrored) note(`  ${err.red("-")} ${r} ${err.dim("(deleted here: deleting on the instance)")}`);
    for (const r of pruned) note(`  ${err.red("-")} ${r} ${err.dim("(not in this folder: --prune deletes it)")}`);
    for (const r of p.keptChangedRemotely) note(`  ${err.yellow("!")} ${r} ${err.dim("(deleted here, but changed on the instance since it was pushed: kept)")}`);
  }

  registered(rel: string, reg: Registration, action: "pushed" | "unchanged" | "affected"): void {
    if (this.json) {
      this.emit({ event: action === "pushed" ? "push" : action, path: rel, remotePath: this.remote.remotePath(rel), workflows: reg.workflows.map((w) => w.name), loadErrors: reg.loadErrors });
      return;
    }
    const path = displayPath(this.root, rel);
    // ↑ pushed · = already there · ↻ re-registered because a file it imports changed
    const arrow = action === "pushed" ? err.cyan("↑") : action === "affected" ? err.magenta("↻") : err.dim("=");
    if (reg.loadErrors.length) {
      note(`${this.time()} ${arrow} ${err.red("✗")} ${path}`);
      for (const e of reg.loadErrors) note(`    ${formatLoadError(e, err, this.local)}`);
    } else if (reg.workflows.length) {
      const names = reg.workflows.map((w) => (w.kind === "workflow" ? err.bold(w.name) : `${err.bold(w.name)} ${err.dim(`(${w.kind})`)}`));
      note(`${this.time()} ${arrow} ${err.green("✓")} ${path} ${err.dim("→")} ${names.join(", ")}`);
    } else {
      note(`${this.time()} ${arrow} ${err.green("✓")} ${path} ${err.dim(rel.endsWith(".json") ? "" : "(no workflows: a helper)")}`.trimEnd());
    }
  }

  deleted(rel: string, existed: boolean): void {
    if (this.json) this.emit({ event: "delete", path: rel, remotePath: this.remote.remotePath(rel), existed });
    else note(`${this.time()} ${err.red("✕")} ${displayPath(this.root, rel)} ${err.dim(existed ? "deleted on the instance" : "was already gone on the instance")}`);
  }

  failure(what: string, error: unknown): void {
    const message = (error as Error).message;
    if (this.json) this.emit({ event: "error", what, message });
    else note(`${this.time()} ${err.red("✗")} ${what}: ${message}`);
  }

  summary(results: Map<string, Registration>, watching: boolean): void {
    const broken = [...results.entries()].filter(([, r]) => r.loadErrors.length);
    const workflows = [...results.values()].reduce((n, r) => n + r.workflows.length, 0);
    if (this.json) {
      this.emit({ event: "summary", files: results.size, workflows, filesWithErrors: broken.map(([rel]) => rel) });
      return;
    }
    const status = broken.length ? err.red(`${broken.length} file(s) failed to load`) : err.green("all files load");
    note(`${results.size} file(s), ${workflows} registered, ${status}${watching ? err.dim(" · watching for changes (Ctrl-C to stop)") : ""}`);
  }
}

interface Plan {
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
async function planSync(scanner: LocalScanner, remote: RemoteWorkspace, state: SyncState, prune: boolean): Promise<Plan> {
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
async function pushAndDelete(
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

export async function watch(dirArg: string, opts: WatchOptions): Promise<number> {
  const root = resolve(dirArg);
  checkFolder(root);
  const remoteDir = normalizeRemoteDir(opts.remoteDir ?? "");
  const connection = resolveConnection(opts);
  const remote = new RemoteWorkspace(new Client(connection), remoteDir);
  const target = `${connection.url} workspace/${remoteDir ? `${remoteDir}/` : ""}`;
  const state = new SyncState(root, `${connection.url}|${remoteDir}`);
  const scanner = new LocalScanner(root);
  const report = new Reporter(Boolean(opts.json), root, remote);

  const plan = await planSync(scanner, remote, state, Boolean(opts.prune));
  report.plan(plan, target);
  if (opts.dryRun) return 0;

  const results = new Map<string, Registration>();
  for (const [rel, reg] of plan.unchanged) {
    state.files[rel] = plan.local.get(rel)!.hash;
    results.set(rel, reg);
  }
  const ok = await pushAndDelete(plan.push, plan.remove, remote, state, report, results, plan.local);
  for (const [rel, reg] of [...plan.unchanged].sort(([a], [b]) => a.localeCompare(b))) report.registered(rel, reg, "unchanged");
  report.summary(results, !opts.once);
  if (opts.once) return ok && [...results.values()].every((r) => r.loadErrors.length === 0) ? 0 : EXIT.error;

  return live(root, scanner, remote, state, report, results);
}

/**
 * Watches the folder: every change (save, create, delete, rename, a moved folder)
 * triggers a rescan after a short pause, and what differs from what the instance has
 * from here is pushed or deleted. One sync runs at a time; changes during it start
 * another.
 */
function live(root: string, scanner: LocalScanner, remote: RemoteWorkspace, state: SyncState, report: Reporter, results: Map<string, Registration>): Promise<number> {
  return new Promise((done) => {
    let timer: NodeJS.Timeout | null = null;
    let running = false;
    let again = false;
    let retry: NodeJS.Timeout | null = null;
    let watcher: FSWatcher | null = null;
    let stopped = false;

    const stop = (code: number) => {
      stopped = true;
      watcher?.close();
      if (timer) clearTimeout(timer);
      if (retry) clearTimeout(retry);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      done(code);
    };
    const onSignal = () => {
      note(err.dim("\nStopped watching."));
      stop(0);
    };

    const sync = async () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const local = scanner.scan();
        const ours = state.files;
        const changed = [...local.values()].filter((f) => ours[f.rel] !== f.hash);
        const removed = Object.keys(ours).filter((rel) => !local.has(rel));
        if (changed.length || removed.length) {
          const ok = await pushAndDelete(changed, removed, remote, state, report, results, local);
          if (!ok && !retry && !stopped) retry = setTimeout(() => ((retry = null), void sync()), 2000);
        }
      } catch (error) {
        if (error instanceof CliError && !/^Cannot reach/.test(error.message) && !(error instanceof ApiError && error.status >= 500)) {
          report.failure("sync", error);
          stop(EXIT.error);
          return;
        }
        report.failure("sync (retrying in 2 s)", error);
        if (!retry && !stopped) retry = setTimeout(() => ((retry = null), void sync()), 2000);
      } finally {
        running = false;
      }
      if (again) {
        again = false;
        void sync();
      }
    };

    try {
      // Any event (a save, a create, a delete, a rename, a moved folder) leads to a rescan.
      watcher = fsWatch(root, { recursive: true }, (_event, filename) => {
        if (stopped || (filename && isIgnoredPath(filename.toString()))) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void sync(), DEBOUNCE_MS);
      });
      watcher.on("error", (error) => {
        report.failure("watching", error);
        stop(EXIT.error);
      });
    } catch (error) {
      throw new CliError(`Cannot watch ${root}: ${(error as Error).message}`);
    }
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
