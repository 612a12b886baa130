import { formatLoadError, note } from "./output.js";
import { err } from "./style.js";
import type { Plan } from "./sync.js";
import { displayPath, type Registration, type RemoteWorkspace } from "./workspace.js";

/** Prints what happens, as text for people or JSON lines for scripts. */
export class Reporter {
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

