import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Client } from "../lib/client.js";
import { CliError, EXIT } from "../lib/errors.js";
import { note, printJson } from "../lib/output.js";
import { resolveConnection } from "../lib/profiles.js";
import { err } from "../lib/style.js";
import { displayPath, RemoteWorkspace } from "../lib/workspace.js";
import { normalizeRemoteDir } from "../lib/sync.js";

interface PullOptions {
  profile?: string;
  remoteDir: string;
  force?: boolean;
  json?: boolean;
}

/** `bifrost pull [dir]`: the instance's workspace (or one folder of it) into a local folder. */
export async function pull(dirArg: string, opts: PullOptions): Promise<number> {
  const root = resolve(dirArg);
  const remoteDir = normalizeRemoteDir(opts.remoteDir ?? "");
  const connection = resolveConnection(opts);
  const remote = new RemoteWorkspace(new Client(connection), remoteDir);
  const { files, truncated } = await remote.files();
  if (truncated) note(err.yellow("The workspace has more than 10 000 entries: only part of it is pulled (use --remote-dir)"));
  if (files.length === 0 && remoteDir) throw new CliError(`workspace/${remoteDir} on ${connection.url} is empty or does not exist`);

  const written: string[] = [];
  const same: string[] = [];
  const conflicts: string[] = [];
  for (const rel of files) {
    if (rel.split("/").some((p) => p === ".." || p.startsWith("."))) continue;
    const there = await remote.open(rel);
    if (!there) continue; // deleted meanwhile
    const abs = join(root, ...rel.split("/"));
    let here: Buffer | null = null;
    try {
      here = readFileSync(abs);
    } catch {
      // not here yet
    }
    if (here && here.equals(there.data)) {
      same.push(rel);
      continue;
    }
    if (here && !opts.force) {
      conflicts.push(rel);
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, there.data);
    written.push(rel);
    if (!opts.json) note(`${err.green("↓")} ${displayPath(root, rel)}`);
  }
  if (opts.json) printJson({ url: connection.url, remoteDir, dir: root, written, unchanged: same, conflicts });
  else {
    note(`${written.length} file(s) written, ${same.length} already up to date${conflicts.length ? `, ${err.yellow(`${conflicts.length} differ here and were kept`)}` : ""} · ${displayPath(root, "") || "."}`);
    for (const rel of conflicts) note(`  ${err.yellow("!")} ${displayPath(root, rel)} ${err.dim("(differs from the instance: --force overwrites)")}`);
  }
  return conflicts.length ? EXIT.error : 0;
}
