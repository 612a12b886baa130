import { watch as fsWatch, type FSWatcher } from "node:fs";
import { resolve } from "node:path";
import { Client } from "../lib/client.js";
import { ApiError, CliError, EXIT } from "../lib/errors.js";
import { note } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { err } from "../lib/style.js";
import { checkFolder, normalizeRemoteDir, planSync, pushAndDelete } from "../lib/sync.js";
import { Reporter } from "../lib/sync-report.js";
import { isIgnoredPath, LocalScanner, RemoteWorkspace, SyncState, type Registration } from "../lib/workspace.js";

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
