import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { constants as osConstants, tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildMessage, HostMessage, IndexOutcome, IndexTask, RunOutcome, RunTask } from "@bifrost/contracts/ipc.js";
import type { LogLevel } from "@bifrost/contracts/execution.js";
import { detectSandbox, sandboxedNodePid, type Sandbox } from "./sandbox.js";

export const CHILD_ENTRY = fileURLToPath(new URL("../child/child-main.js", import.meta.url));

/** Folders holding the platform's own code that a child must read: its packages and node_modules. */
export function platformCodeDirs(): string[] {
  const packages = realpathSync(resolve(dirname(CHILD_ENTRY), "../../.."));
  const zod = realpathSync(createRequire(import.meta.url).resolve("zod"));
  const nodeModules = zod.slice(0, zod.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length);
  return [...new Set([packages, nodeModules])];
}

export interface PoolOptions {
  /** Children kept running. */
  size: number;
  /** V8 heap cap per child, in MiB; RSS is capped at this plus `rssHeadroomMb`. */
  memoryLimitMb: number;
  rssHeadroomMb?: number;
  /** A child is replaced after this many tasks, so leaks in user code cannot pile up. */
  maxRunsPerChild: number;
  /** A child that has not said "ready" by then counts as failed to start. */
  startTimeoutMs?: number;
  /** Longest wait between respawn attempts while children keep failing to start. */
  maxBackoffMs?: number;
  /** Entry module of the child (tests substitute broken ones). */
  childEntry?: string;
  /** Environment of the children: only these variables, never the host's secrets. */
  env?: Record<string, string>;
  /**
   * Folders a child may read besides the platform's own code. Bundles are not read from
   * disk by children: the host sends each child the code of the tasks it runs.
   */
  allowRead?: string[];
  /**
   * The wall around children (see sandbox.ts): the OS sandbox where available, and Node's
   * permission model in any case (no other file reads, no writes but the child's own
   * module folder, no child processes, no native addons). Default: detected in mode `auto`.
   */
  sandbox?: Sandbox;
  /**
   * Most extra children alive at once for nested runs. A chain of nested runs needs one
   * process per level, so this must cover the nesting limit for every top-level run.
   * Default: size × 11.
   */
  maxBurst?: number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

export type TaskResult<T> =
  | { kind: "done"; outcome: T }
  | { kind: "timeout" }
  | { kind: "cancelled" }
  | { kind: "crashed"; exitCode: number | null; signal: string | null; stderr: string }
  | { kind: "memory"; detail: string };

export interface TaskHooks {
  timeoutMs: number;
  signal?: AbortSignal;
  onLog?: (level: LogLevel, message: string, ts: string) => void;
  onRpc?: (method: string, args: unknown[]) => Promise<unknown>;
  /** Called once a child has taken the task. */
  onStart?: () => void;
  /**
   * A run its (running) parent waits for (`workflows.run`): it goes first, and when every
   * child is busy an extra child is started for it, so parents cannot deadlock the pool.
   */
  nested?: boolean;
  /**
   * Who the task runs for (organization, and admin or not). A child only ever serves one
   * tenant: code one tenant ran can stay resident in its process (listeners, globals,
   * timers), so another tenant's task always gets a different process.
   */
  tenant?: string;
}

type KillReason = "timeout" | "cancelled" | "memory" | "retire" | "start-timeout" | "shutdown";

interface ActiveTask {
  message: HostMessage & { taskId: string };
  hooks: TaskHooks;
  resolve: (result: TaskResult<RunOutcome | IndexOutcome>) => void;
  timer: NodeJS.Timeout;
  onAbort?: () => void;
}

interface Waiter {
  message: HostMessage & { taskId: string };
  hooks: TaskHooks;
  resolve: (result: TaskResult<RunOutcome | IndexOutcome>) => void;
  onAbort?: () => void;
}

class WorkerChild {
  state: "starting" | "idle" | "busy" | "dead" = "starting";
  runs = 0;
  task: ActiveTask | null = null;
  killReason: KillReason | null = null;
  /** A replacement was already started (retired children are replaced before they exit). */
  replaced = false;
  /** The tenant this child serves, fixed by its first task (null = has run nothing). */
  tenant: string | null = null;
  memoryDetail = "";
  stderrTail = "";
  /** Bundles this child has been sent (file names): each is sent once per child. */
  readonly modules = new Set<string>();
  /** The host pid of the child's Node process (under the OS sandbox, not the launcher's). */
  nodePid: number | null = null;
  constructor(
    readonly proc: ChildProcess,
    /** The child's private module folder when the pool made it (removed on exit). */
    readonly ownDir: string | null,
    /** An extra child started for nested runs: it serves one task, then leaves. */
    readonly burst = false,
  ) {}
}

const OOM_PATTERN = /heap out of memory|Reached heap limit|Allocation failed/i;
const LOG_LEVELS: ReadonlySet<string> = new Set(["debug", "info", "warn", "error"]);
/** Bundle code kept in memory for sending to children, at most this many characters. */
const MODULE_CACHE_CHARS = 64 * 1024 * 1024;

/**
 * Pre-started child processes, one task per child at a time. The pool enforces the
 * task's timeout, the memory cap and cancellation by killing the child, and replaces
 * any child that died, failed to start, failed to import its module, or ran too long.
 */
export class WorkerPool {
  private readonly children = new Set<WorkerChild>();
  private readonly idle: WorkerChild[] = [];
  private readonly waiting: Waiter[] = [];
  private startFailures = 0;
  private respawnTimer: NodeJS.Timeout | null = null;
  private memoryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private taskSeq = 0;
  private burstChildren = 0;
  private readonly opts: Required<Omit<PoolOptions, "env" | "log" | "sandbox">> & Pick<PoolOptions, "env" | "log">;
  private readonly readable: string[];
  readonly sandbox: Sandbox;
  private readonly moduleCache = new Map<string, string>();
  private moduleCacheChars = 0;

  constructor(options: PoolOptions) {
    this.opts = {
      rssHeadroomMb: 256,
      startTimeoutMs: 10_000,
      maxBackoffMs: 30_000,
      childEntry: CHILD_ENTRY,
      allowRead: [],
      maxBurst: options.size * 11,
      ...options,
    };
    this.readable = [...new Set([...platformCodeDirs(), dirname(this.opts.childEntry), ...this.opts.allowRead.map((p) => resolve(p))])];
    this.sandbox = options.sandbox ?? detectSandbox({ mode: "auto" }, this.readable);
    if (!options.sandbox && this.sandbox.kind === "node") this.opts.log?.("warn", `worker children run without the OS sandbox: ${this.sandbox.reason}`);
  }

  /** Host pids of the children's Node processes (under the OS sandbox, not the launchers'). */
  childPids(state?: "busy" | "idle"): number[] {
    return [...this.children]
      .filter((c) => !state || c.state === state)
      .map((c) => c.nodePid)
      .filter((p): p is number => p !== null);
  }

  /** Node's flags for a child whose private module folder is `moduleDir`. */
  private execArgv(moduleDir: string): string[] {
    const argv = [`--max-old-space-size=${this.opts.memoryLimitMb}`, "--enable-source-maps", "--stack-trace-limit=30"];
    // A child must not open an inspector a sibling could attach to (Node ≥ 22.14 has the flag).
    if (process.allowedNodeEnvironmentFlags.has("--disable-sigusr1")) argv.push("--disable-sigusr1");
    // Node 20 grants a whole folder only with a trailing wildcard.
    const grant = (flag: string, p: string) => `${flag}=${p.replace(/[\\/]+$/, "")}${sep}*`;
    argv.push(
      "--experimental-permission",
      ...[...this.readable, moduleDir].map((p) => grant("--allow-fs-read", p)),
      grant("--allow-fs-write", moduleDir),
      "--disable-warning=ExperimentalWarning",
    );
    return argv;
  }

  /** Starts the children and resolves once the first is ready (or all failed to start). */
  async start(): Promise<void> {
    for (let i = 0; i < this.opts.size; i++) this.spawn();
    this.memoryTimer = setInterval(() => this.checkMemory(), 200);
    this.memoryTimer.unref();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (this.idle.length > 0 || this.startFailures >= this.opts.size || this.stopped) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
  }

  /** Children alive, idle ones, and tasks waiting for a child. */
  stats(): { children: number; idle: number; waiting: number; startFailures: number } {
    return { children: this.children.size, idle: this.idle.length, waiting: this.waiting.length, startFailures: this.startFailures };
  }

  run(task: Omit<RunTask, "taskId">, hooks: TaskHooks): Promise<TaskResult<RunOutcome>> {
    return this.submit({ ...task, taskId: String(++this.taskSeq) }, hooks) as Promise<TaskResult<RunOutcome>>;
  }

  index(task: Omit<IndexTask, "taskId">, hooks: TaskHooks): Promise<TaskResult<IndexOutcome>> {
    return this.submit({ ...task, taskId: String(++this.taskSeq) }, hooks) as Promise<TaskResult<IndexOutcome>>;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    for (const w of this.waiting.splice(0)) w.resolve({ kind: "cancelled" });
    const exits = [...this.children].map(
      (c) => new Promise<void>((resolve) => (c.state === "dead" ? resolve() : c.proc.once("exit", () => resolve()))),
    );
    for (const child of this.children) this.kill(child, "shutdown");
    await Promise.all(exits);
  }

  private submit(message: HostMessage & { taskId: string }, hooks: TaskHooks): Promise<TaskResult<RunOutcome | IndexOutcome>> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve({ kind: "cancelled" });
      if (hooks.signal?.aborted) return resolve({ kind: "cancelled" });
      const waiter: Waiter = { message, hooks, resolve };
      if (hooks.signal) {
        waiter.onAbort = () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            resolve({ kind: "cancelled" });
          }
        };
        hooks.signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      if (hooks.nested) {
        this.waiting.unshift(waiter);
        if (this.idle.length === 0 && this.burstChildren < this.opts.maxBurst) this.spawn(true);
      } else {
        this.waiting.push(waiter);
      }
      this.dispatch();
    });
  }

  /**
   * Hands waiting tasks to idle children of their tenant, or to fresh ones. When only
   * other tenants' children are idle, one of them is retired: its successor starts fresh
   * and takes the task when ready.
   */
  private dispatch(): void {
    let i = 0;
    while (i < this.waiting.length && this.idle.length > 0) {
      const waiter = this.waiting[i]!;
      const tenant = waiter.hooks.tenant ?? "";
      let at = this.idle.findIndex((c) => c.tenant === tenant);
      if (at < 0) at = this.idle.findIndex((c) => c.tenant === null);
      if (at >= 0) {
        const [child] = this.idle.splice(at, 1);
        this.waiting.splice(i, 1);
        if (waiter.onAbort) waiter.hooks.signal?.removeEventListener("abort", waiter.onAbort);
        child!.tenant = tenant;
        this.assign(child!, waiter);
        continue;
      }
      this.kill(this.idle[0]!, "retire"); // its successor (fresh) serves this waiter
      i++;
    }
  }

  private assign(child: WorkerChild, waiter: Waiter): void {
    child.state = "busy";
    child.stderrTail = ""; // a crash report shows this task's stderr, never an earlier one's
    const task: ActiveTask = {
      message: waiter.message,
      hooks: waiter.hooks,
      resolve: waiter.resolve,
      timer: setTimeout(() => this.kill(child, "timeout"), waiter.hooks.timeoutMs),
    };
    if (waiter.hooks.signal) {
      task.onAbort = () => this.kill(child, "cancelled");
      waiter.hooks.signal.addEventListener("abort", task.onAbort, { once: true });
    }
    child.task = task;
    let message: HostMessage;
    try {
      message = this.withModule(child, waiter.message);
    } catch (error) {
      this.refuse(child, `the compiled module could not be read: ${error instanceof Error ? error.message : String(error)}`, "import");
      return;
    }
    // Serializing can throw (input nested too deep for JSON.stringify, a closed channel):
    // the child never got the task, so it goes back to the pool and the task fails clearly.
    try {
      child.proc.send(message, (error) => {
        if (error && child.task === task) this.kill(child, "cancelled");
      });
      if ((message.type === "run" || message.type === "index") && message.moduleCode !== undefined) child.modules.add(message.modulePath);
    } catch (error) {
      this.refuse(child, `the task could not be sent to a worker: ${error instanceof Error ? error.message : String(error)}`, "unexpected");
      return;
    }
    waiter.hooks.onStart?.();
  }

  /**
   * The task as the child gets it: the bundle's file name, and its code the first time
   * this child runs it (recorded as sent once the send went through).
   */
  private withModule(child: WorkerChild, message: HostMessage & { taskId: string }): HostMessage {
    if (message.type !== "run" && message.type !== "index") return message;
    const name = basename(message.modulePath);
    if (child.modules.has(name)) return { ...message, modulePath: name };
    return { ...message, modulePath: name, moduleCode: this.moduleCode(message.modulePath) };
  }

  private moduleCode(path: string): string {
    const cached = this.moduleCache.get(path);
    if (cached !== undefined) {
      this.moduleCache.delete(path); // most recently used last
      this.moduleCache.set(path, cached);
      return cached;
    }
    const code = readFileSync(path, "utf8");
    this.moduleCache.set(path, code);
    this.moduleCacheChars += code.length;
    for (const [p, c] of this.moduleCache) {
      if (this.moduleCacheChars <= MODULE_CACHE_CHARS || p === path) break;
      this.moduleCache.delete(p);
      this.moduleCacheChars -= c.length;
    }
    return code;
  }

  /** Ends a task the child never started: the task fails, the child is idle again. */
  private refuse(child: WorkerChild, message: string, code: "import" | "unexpected"): void {
    const task = child.task!;
    const error = { code, type: code === "import" ? "ImportError" : "Error", message };
    this.finish(child, {
      kind: "done",
      outcome: task.message.type === "index" ? { ok: false, error } : { ok: false, error, variables: {}, roi: { timeSaved: 0, value: 0 } },
    });
    if (child.state === "busy") {
      child.state = "idle";
      this.idle.push(child);
      queueMicrotask(() => this.dispatch());
    }
  }

  private finish(child: WorkerChild, result: TaskResult<RunOutcome | IndexOutcome>): void {
    const task = child.task;
    if (!task) return;
    child.task = null;
    clearTimeout(task.timer);
    if (task.onAbort) task.hooks.signal?.removeEventListener("abort", task.onAbort);
    task.resolve(result);
  }

  private spawn(burst = false): void {
    if (this.stopped) return;
    let proc: ChildProcess;
    let ownDir: string | null = null;
    try {
      ownDir = this.sandbox.moduleDir ? null : mkdtempSync(join(tmpdir(), "bifrost-child-"));
      const moduleDir = this.sandbox.moduleDir ?? ownDir!;
      const { file, args } = this.sandbox.command(this.opts.childEntry, this.execArgv(moduleDir));
      const env = { ...(this.opts.env ?? safeChildEnv()), BIFROST_MODULE_DIR: moduleDir };
      if (this.sandbox.kind === "os") Object.assign(env, { HOME: "/tmp", TMPDIR: "/tmp" });
      proc = spawn(file, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], env });
    } catch (error) {
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
      this.onStartFailure(`spawn failed: ${String(error)}`);
      return;
    }
    const child = new WorkerChild(proc, ownDir, burst);
    if (burst) this.burstChildren++;
    this.children.add(child);
    const startTimer = setTimeout(() => {
      if (child.state === "starting") this.kill(child, "start-timeout");
    }, this.opts.startTimeoutMs);
    proc.stdout?.on("data", () => {
      /* top-level output of workflow modules outside a run is dropped */
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      child.stderrTail = (child.stderrTail + chunk.toString("utf8")).slice(-4000);
    });
    proc.on("message", (message: ChildMessage) => this.onMessage(child, message, startTimer));
    proc.on("error", () => {
      /* reported through "exit" */
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(startTimer);
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
      this.onExit(child, code, signal);
    });
  }

  private onMessage(child: WorkerChild, message: ChildMessage, startTimer: NodeJS.Timeout): void {
    switch (message.type) {
      case "ready":
        clearTimeout(startTimer);
        if (child.state !== "starting") return;
        child.nodePid = this.sandbox.kind === "os" ? sandboxedNodePid(child.proc.pid ?? 0) : (child.proc.pid ?? null);
        this.startFailures = 0;
        child.state = "idle";
        this.idle.push(child);
        this.dispatch();
        return;
      case "log":
        if (child.task && child.task.message.taskId === message.taskId) {
          // The child's own limits are not trusted: the log sink enforces them again, after
          // redacting the whole line (a cut made here would keep a secret's beginning).
          const level = LOG_LEVELS.has(message.level) ? message.level : "info";
          const text = typeof message.message === "string" ? message.message : String(message.message);
          const ts = typeof message.ts === "string" && message.ts.length <= 40 ? message.ts : new Date().toISOString();
          child.task.hooks.onLog?.(level, text, ts);
        }
        return;
      case "rpc": {
        const call = message;
        const task = child.task;
        if (!task || task.message.taskId !== message.taskId) return;
        const handler = task.hooks.onRpc;
        const reply = (m: HostMessage) => {
          if (child.state === "dead" || !child.proc.connected) return;
          try {
            child.proc.send(m);
          } catch (error) {
            // An answer that cannot be serialized (nested too deep, say) fails that call, not the host.
            const message = `the answer to ${call.method} could not be sent to the workflow: ${error instanceof Error ? error.message : String(error)}`;
            child.proc.send({ type: "rpc-reply", id: call.id, ok: false, error: { code: "unexpected", type: "BifrostError", message } });
          }
        };
        if (!handler) {
          reply({ type: "rpc-reply", id: message.id, ok: false, error: { code: "unexpected", type: "BifrostError", message: `SDK call ${message.method} is not available here` } });
          return;
        }
        handler(message.method, message.args).then(
          (value) => reply({ type: "rpc-reply", id: message.id, ok: true, value }),
          (error: unknown) => {
            const e = error as { name?: string; message?: string; code?: unknown; status?: unknown };
            reply({
              type: "rpc-reply",
              id: message.id,
              ok: false,
              error: {
                code: "unexpected",
                type: error instanceof Error ? (e.name ?? "Error") : "Error",
                message: error instanceof Error ? String(e.message) : String(error),
                ...(typeof e.code === "string" ? { apiCode: e.code } : {}),
                ...(typeof e.status === "number" ? { status: e.status } : {}),
              },
            });
          },
        );
        return;
      }
      case "run-done":
      case "index-done": {
        if (!child.task || child.task.message.taskId !== message.taskId || child.killReason) return;
        child.runs++;
        const importFailed = message.type === "run-done" && !message.outcome.ok && message.outcome.error.code === "import";
        const tooBig = message.heapUsed > this.opts.memoryLimitMb * 1024 * 1024 * 0.7;
        this.finish(child, { kind: "done", outcome: message.outcome });
        const retiring = message.type === "run-done" && message.retiring === true;
        if (child.burst) {
          child.replaced = true; // an extra child leaves without a successor
          this.kill(child, "retire");
        } else if (importFailed || retiring || tooBig || child.runs >= this.opts.maxRunsPerChild) {
          this.kill(child, "retire");
        } else if (child.state === "busy") {
          child.state = "idle";
          this.idle.push(child);
          this.dispatch();
        }
        return;
      }
    }
  }

  private onExit(child: WorkerChild, exitCode: number | null, exitSignal: NodeJS.Signals | null): void {
    // bubblewrap reports a child killed by a signal as exit status 128 + the signal's number.
    const bySignal = this.sandbox.kind === "os" && exitSignal === null && exitCode !== null && exitCode > 128 ? signalName(exitCode - 128) : null;
    const code = bySignal ? null : exitCode;
    const signal = bySignal ?? exitSignal;
    const wasStarting = child.state === "starting";
    child.state = "dead";
    if (child.burst) this.burstChildren--;
    this.children.delete(child);
    const i = this.idle.indexOf(child);
    if (i >= 0) this.idle.splice(i, 1);
    if (child.task) {
      const reason = child.killReason;
      if (reason === "timeout") this.finish(child, { kind: "timeout" });
      else if (reason === "cancelled" || reason === "shutdown") this.finish(child, { kind: "cancelled" });
      else if (reason === "memory") this.finish(child, { kind: "memory", detail: child.memoryDetail });
      else if (OOM_PATTERN.test(child.stderrTail)) {
        this.finish(child, { kind: "memory", detail: `the worker ran out of heap memory (limit ${this.opts.memoryLimitMb} MiB)` });
      } else this.finish(child, { kind: "crashed", exitCode: code, signal, stderr: child.stderrTail });
    }
    if (this.stopped) return;
    if (child.burst) return;
    if (wasStarting) this.onStartFailure(`exit code ${code} signal ${signal} ${child.stderrTail.slice(-500)}`);
    else if (!child.replaced) this.spawn();
  }

  /** A child that never became ready: back off exponentially before the next try. */
  private onStartFailure(detail: string): void {
    this.startFailures++;
    const delay = Math.min(this.opts.maxBackoffMs, 100 * 2 ** Math.min(this.startFailures - 1, 16));
    this.opts.log?.("error", `worker child failed to start (${this.startFailures} in a row, next try in ${delay} ms): ${detail.trim()}`);
    // With no live child at all, waiting would be forever: fail what waits, clearly.
    if (this.children.size === 0) {
      for (const w of this.waiting.splice(0)) {
        if (w.onAbort) w.hooks.signal?.removeEventListener("abort", w.onAbort);
        w.resolve({ kind: "crashed", exitCode: null, signal: null, stderr: `no worker process could be started: ${detail.trim().slice(-300)}` });
      }
    }
    if (this.respawnTimer) return;
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      const missing = this.opts.size - this.children.size;
      for (let i = 0; i < missing; i++) this.spawn();
    }, delay);
  }

  private kill(child: WorkerChild, reason: KillReason): void {
    if (child.state === "dead") return;
    child.killReason ??= reason;
    const i = this.idle.indexOf(child);
    if (i >= 0) this.idle.splice(i, 1);
    if (reason === "retire" || reason === "shutdown") {
      if (reason === "retire" && !this.stopped && !child.replaced) {
        // Start the successor now, so the pool does not run a child short while this one exits.
        child.replaced = true;
        this.spawn();
      }
      child.proc.kill("SIGTERM");
      setTimeout(() => child.proc.kill("SIGKILL"), 2000).unref();
    } else {
      child.proc.kill("SIGKILL");
    }
  }

  /** V8's heap cap misses Buffers and native memory; RSS catches those. */
  private checkMemory(): void {
    const limit = (this.opts.memoryLimitMb + this.opts.rssHeadroomMb) * 1024 * 1024;
    for (const child of this.children) {
      if (child.state !== "busy" || !child.nodePid) continue;
      const rss = readRss(child.nodePid);
      if (rss !== null && rss > limit) {
        child.memoryDetail = `the worker used ${Math.round(rss / 1048576)} MiB of memory (limit ${Math.round(limit / 1048576)} MiB)`;
        this.kill(child, "memory");
      }
    }
  }
}

function signalName(n: number): NodeJS.Signals | null {
  const found = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return found ? (found[0] as NodeJS.Signals) : null;
}

function readRss(pid: number): number | null {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
    return Number(statm[1]) * 4096;
  } catch {
    return null;
  }
}

/** The children's environment: enough to run Node, none of the platform's secrets. */
export function safeChildEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "NODE_ENV", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"];
  const env: Record<string, string> = {};
  for (const k of keep) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}
