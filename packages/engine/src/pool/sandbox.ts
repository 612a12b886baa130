import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

/**
 * How worker children are walled off from the host.
 *
 * - `os`: each child runs under bubblewrap in its own PID, mount, network, IPC and UTS
 *   namespaces (and a user namespace), sees only the platform's code (read-only) and a
 *   private `/tmp`, and — when the platform runs as root — under an unprivileged uid of
 *   its own. It cannot signal the host or another child, has no network (its `fetch`
 *   goes through the host's egress policy), and cannot read the data directory.
 * - `node`: Node's permission model only (no file reads beyond the platform's code and
 *   the child's own module folder, no writes elsewhere, no child processes, no addons).
 *   Signals and the network are not walled off: this is what macOS laptops get.
 */
export type SandboxKind = "os" | "node";

/** `auto`: `os` where it works, else `node` with a loud warning; `os`: refuse to start without it. */
export type SandboxMode = "auto" | "os" | "off";

export interface SandboxOptions {
  mode: SandboxMode;
  /** The uid (and gid) children run as when the platform runs as root. Default 65534 (nobody). */
  uid?: number;
  /** Path of bubblewrap; default: `bwrap` on PATH. */
  bwrap?: string;
  /** Folders hidden from children even when they sit inside a folder children may read. */
  hide?: string[];
}

export interface Sandbox {
  kind: SandboxKind;
  /** Why the OS sandbox is not used (kind `node`), for the start-up warning. */
  reason?: string;
  /** The uid children run as outside their namespaces, when it differs from the platform's. */
  uid?: number;
  /**
   * Where a child keeps the bundles the host sends it: a private tmpfs inside the OS
   * sandbox; null = the pool makes a private folder per child.
   */
  moduleDir: string | null;
  /** Command and arguments that start `node <execArgv> <entry>` inside the sandbox. */
  command(entry: string, execArgv: string[]): { file: string; args: string[] };
}

function onPath(name: string): string | null {
  if (isAbsolute(name)) return existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function within(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Top-level entries of `/` that a Node binary and its libraries can need (merged /usr or not). */
function systemMounts(): string[] {
  const args: string[] = [];
  const top = readdirSync("/", { withFileTypes: true });
  for (const entry of ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const path = `/${entry}`;
    const found = top.find((d) => d.name === entry);
    if (!found || !existsSync(path)) continue;
    if (found.isSymbolicLink()) args.push("--symlink", relative("/", realpathSync(path)), path);
    else args.push("--ro-bind", path, path);
  }
  // Time zones and CA bundles (read by Node at start when the environment names them).
  args.push("--ro-bind-try", "/etc/localtime", "/etc/localtime", "--ro-bind-try", "/etc/ssl", "/etc/ssl");
  return args;
}

/**
 * Builds the bubblewrap command line. Everything children may read is bound read-only at
 * its own path, so Node's permission grants mean the same inside and out.
 */
function bwrapArgs(readable: string[], hide: string[], moduleDir: string): string[] {
  const args = [
    "--unshare-all", // user, PID, network, IPC, UTS and cgroup namespaces
    "--die-with-parent",
    "--new-session", // no controlling terminal to push keystrokes into
    "--cap-drop",
    "ALL",
    ...systemMounts(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--dir",
    moduleDir,
  ];
  const dirs = [...new Set(readable.map((p) => resolve(p)))].filter((p) => !["/usr", "/bin", "/lib", "/lib64"].some((s) => within(s, p)));
  for (const dir of dirs) args.push("--ro-bind", dir, dir);
  // The data directory (database, secret key, compiled bundles) can sit inside the
  // project folder next to the code: cover it with an empty folder.
  for (const h of hide.map((p) => resolve(p))) {
    if (dirs.some((d) => within(d, h) && d !== h) && existsSync(h)) args.push("--tmpfs", h);
  }
  return args;
}

/**
 * Chooses the sandbox: bubblewrap when it is installed and a probe child starts under it,
 * else Node's permission model (refused in mode `os`). The probe runs once, at start-up.
 */
export function detectSandbox(options: SandboxOptions, readable: string[]): Sandbox {
  // One probe per configuration and process (tests and the CLI start several engines).
  const key = JSON.stringify([options, readable]);
  const known = detected.get(key);
  if (known) return known;
  const sandbox = probeSandbox(options, readable);
  detected.set(key, sandbox);
  return sandbox;
}

const detected = new Map<string, Sandbox>();

function probeSandbox(options: SandboxOptions, readable: string[]): Sandbox {
  const nodeOnly = (reason: string): Sandbox => ({
    kind: "node",
    reason,
    moduleDir: null,
    command: (entry, execArgv) => ({ file: process.execPath, args: [...execArgv, entry] }),
  });
  if (options.mode === "off") return nodeOnly("BIFROST_SANDBOX=off");
  if (process.platform !== "linux") return refuseOr(options, nodeOnly(`the OS sandbox needs Linux namespaces (this is ${process.platform})`));
  const bwrap = onPath(options.bwrap ?? "bwrap");
  if (!bwrap) return refuseOr(options, nodeOnly("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"));
  const root = process.getuid?.() === 0;
  const uid = options.uid ?? 65534;
  const setpriv = root ? onPath("setpriv") : null;
  if (root && !setpriv) return refuseOr(options, nodeOnly("setpriv (util-linux) is not installed: children would keep the platform's uid 0"));
  const nodeDir = dirname(dirname(realpathSync(process.execPath)));
  const allReadable = [...readable, ...(within("/usr", nodeDir) ? [] : [nodeDir])];
  const moduleDir = "/tmp/modules";
  const base = bwrapArgs(allReadable, options.hide ?? [], moduleDir);
  const sandbox: Sandbox = {
    kind: "os",
    ...(root ? { uid } : {}),
    moduleDir,
    command(entry, execArgv) {
      const inner = [...base, "--", process.execPath, ...execArgv, entry];
      if (!root) return { file: bwrap, args: inner };
      // Drop to the unprivileged uid first: bubblewrap then builds the namespaces as that
      // user (an unprivileged user namespace), so nothing inside maps back to root.
      return { file: setpriv!, args: [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", bwrap, ...inner] };
    },
  };
  const probe = sandbox.command("-e", []);
  // `-e` takes the next argument as the script: the probe checks it is walled off.
  const script = "process.stdout.write(String(process.pid) + ' ' + String(process.getuid()))";
  const r = spawnSync(probe.file, [...probe.args, script], { encoding: "utf8", timeout: 10_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n").slice(-3).join(" ");
    const hint = root ? ` (is the platform's code readable by uid ${uid}? see docs/deployment.md#the-worker-sandbox)` : " (are unprivileged user namespaces allowed here? see docs/deployment.md#the-worker-sandbox)";
    return refuseOr(options, nodeOnly(`a probe child did not start under bubblewrap: ${why}${hint}`));
  }
  const [pid] = r.stdout.trim().split(" ").map(Number);
  if (pid === undefined || pid > 10) return refuseOr(options, nodeOnly(`the probe child was not in a PID namespace of its own (pid ${pid})`));
  return sandbox;
}

function refuseOr(options: SandboxOptions, fallback: Sandbox): Sandbox {
  if (options.mode === "os") throw new Error(`BIFROST_SANDBOX=os, but the OS sandbox is not available: ${fallback.reason}`);
  return fallback;
}

/**
 * The host pid of the Node process a sandboxed child runs (the spawned process is
 * setpriv/bubblewrap; Node is its deepest descendant). Read from /proc.
 */
export function sandboxedNodePid(launcherPid: number): number | null {
  let pid = launcherPid;
  for (let depth = 0; depth < 4; depth++) {
    const kids = childrenOf(pid);
    if (kids.length === 0) return depth === 0 ? null : pid;
    pid = kids[0]!;
  }
  return pid;
}

/** Child pids of a process: /proc/<pid>/task/<pid>/children, or a scan of /proc where the kernel lacks it. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    const kids: number[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // Field 4 of stat is the parent pid; the command name (field 2) may contain spaces.
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) kids.push(Number(entry));
      } catch {
        /* gone */
      }
    }
    return kids;
  }
}

let inspectorGuarded = false;

/**
 * Keeps this (host) process's inspector closed: Node opens one on 127.0.0.1:9229 when it
 * receives SIGUSR1, and whoever connects can evaluate code here — read every key. A
 * listener of our own makes Node treat the signal as an ordinary one. Warns when the
 * process was started with an inspector already listening (`--inspect`).
 */
export async function guardHostInspector(log: (level: "warn" | "error", message: string) => void): Promise<void> {
  if (!inspectorGuarded) {
    inspectorGuarded = true;
    process.on("SIGUSR1", () => log("warn", "ignored SIGUSR1: the inspector stays closed (Bifrost never opens a debugger port)"));
  }
  const { url } = await import("node:inspector");
  if (url()) log("error", `SECURITY WARNING: this process has an inspector listening (${url()}): anything that can reach it can read the platform's keys. Do not start Bifrost with --inspect in production.`);
}
