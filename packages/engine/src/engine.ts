import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { Database } from "@bifrost/storage/database.js";
import { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { SchedulesRepo } from "@bifrost/storage/schedules.repo.js";
import { WorkflowsRepo } from "@bifrost/storage/workflows.repo.js";
import { RolesRepo } from "@bifrost/storage/roles.repo.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { compileEntry } from "./compiler/compiler.js";
import { ModuleStore } from "./compiler/module-store.js";
import { ModulesRepo } from "@bifrost/storage/modules.repo.js";
import { MemoryCache, type Cache } from "./events/cache.js";
import { MemoryEventBus, type EventBus } from "./events/event-bus.js";
import { Executor, SYNC_REAP_AFTER_MS, type InlineTarget, type SdkHandler } from "./executor/executor.js";
import { Redactor } from "./executor/redactor.js";
import { UsageMeter } from "./executor/usage-meter.js";
import { RepublishingQueue } from "./queue/republishing-queue.js";
import { InputValidator } from "./executor/input-validator.js";
import { DEFAULT_MAX_LOG_BYTES, LogSink } from "./executor/log-sink.js";
import { DEFAULT_OUTCOME_LIMITS } from "./executor/outcome-limits.js";
import { WriteBatcher } from "./executor/write-batcher.js";
import { CHILD_ENTRY, WorkerPool, platformCodeDirs, safeChildEnv } from "./pool/worker-pool.js";
import { detectSandbox, guardHostInspector, type Sandbox, type SandboxMode } from "./pool/sandbox.js";
import { DbQueue } from "./queue/db-queue.js";
import type { Queue } from "./queue/queue.js";
import { Indexer } from "./registry/indexer.js";
import { Registry } from "./registry/registry.js";
import { recoverInterrupted } from "./recovery.js";
import { EgressService, type EgressOptions } from "./egress/egress-service.js";

export interface EngineConfig {
  dataDir: string;
  workspace: string;
  /** Worker children that run executions. */
  workers: number;
  memoryLimitMb: number;
  maxRunsPerChild: number;
  maxLogLines: number;
  /** Log text (bytes) a run keeps in all. Default 10 MiB. */
  maxLogBytes?: number;
  maxVariableChars: number;
  /** All of a run's variables together (bytes of JSON). Default 1 MiB. */
  maxVariablesBytes?: number;
  /** Largest result kept (bytes of JSON); a larger one fails the run. Default 10 MiB. */
  maxResultBytes?: number;
  /** Watch the workspace for saves (off in some tests). */
  watch: boolean;
  /** How worker children are walled off (sandbox.ts). Default `auto`. */
  sandbox?: SandboxMode;
  /** The uid sandboxed children run as when this process is root. Default 65534. */
  sandboxUid?: number;
  /** Run the scheduler in this process. Default true. */
  scheduler?: boolean;
  /** A sync run whose process has not beaten for this long is ended by another process. Default 30 s. */
  syncStaleMs?: number;
  /** With a broker, a run Pending and untouched for this long is published again. Default 5 minutes. */
  republishAfterMs?: number;
  /** What running workflows may connect to (their fetch goes through this process). Default: public addresses only. */
  egress?: EgressOptions;
}

export type HostLog = (level: "info" | "warn" | "error", message: string) => void;

/** The pluggable backends; the in-process ones when not given (the embedded mode). */
export interface EngineBackends {
  bus?: EventBus & { close?(): Promise<void> };
  cache?: Cache & { close?(): Promise<void> };
  queue?: Queue;
}

/**
 * What a process does: `all` (embedded: everything), `server` (API, indexer, scheduler,
 * sync runs; queued runs are left to workers), `worker` (runs queued executions only,
 * following the registry the servers write).
 */
export type EngineRole = "all" | "server" | "worker";

/** How often each process looks for sync runs whose process died. */
const REAP_INTERVAL_MS = 10_000;

/** The bus channel on which servers announce that the registry changed. */
export const REGISTRY_CHANNEL = "__registry__";
/** The bus channel on which a server announces that custom roles changed (role-based workflows may register). */
export const ROLES_CHANNEL = "__roles__";

/** Everything the engine is made of, wired once per process (the composition root). */
export class Engine {
  readonly repos;
  readonly bus: EventBus & { close?(): Promise<void> };
  /** Data-provider results and other short-lived values. */
  readonly cache: Cache & { close?(): Promise<void> };
  readonly batcher: WriteBatcher;
  readonly pool: WorkerPool;
  readonly indexPool: WorkerPool;
  readonly queue: Queue;
  readonly registry: Registry;
  readonly indexer: Indexer;
  readonly logs: LogSink;
  readonly executor: Executor;
  readonly scheduler: Scheduler;
  readonly validator = new InputValidator();
  readonly redactor = new Redactor();
  /** LLM tokens spent by running executions (the `ai` SDK module adds, the executor records). */
  readonly usage = new UsageMeter();
  readonly buildDir: string;
  /** The wall around worker children, chosen once at start-up. */
  readonly sandbox: Sandbox;
  readonly modules: ModuleStore;
  /** Performs workflows' network requests under the egress policy. */
  readonly egress: EgressService;
  private sdkHandler: SdkHandler | null = null;

  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly database: Database,
    readonly config: EngineConfig,
    private readonly log: HostLog,
    backends: EngineBackends = {},
  ) {
    this.bus = backends.bus ?? new MemoryEventBus();
    this.cache = backends.cache ?? new MemoryCache();
    const db = database.db;
    this.repos = {
      organizations: new OrganizationsRepo(db),
      apiKeys: new ApiKeysRepo(db),
      workflows: new WorkflowsRepo(db),
      executions: new ExecutionsRepo(db),
      jobs: new JobsRepo(db),
      schedules: new SchedulesRepo(db),
    };
    this.buildDir = join(config.dataDir, "build");
    this.modules = new ModuleStore(this.buildDir, new ModulesRepo(db));
    this.batcher = new WriteBatcher(db);
    // BIFROST_WORKER_ID names the process hosting a run (children cannot see its pid).
    const env = safeChildEnv({ NODE_ENV: process.env.NODE_ENV ?? "production", BIFROST_WORKER_ID: `${hostname()}:${process.pid}` });
    void guardHostInspector(log);
    // Children read no bundle from disk (the host sends each its code) and, under the OS
    // sandbox, see neither the data directory nor the host's processes and network.
    this.sandbox = detectSandbox(
      { mode: config.sandbox ?? "auto", uid: config.sandboxUid ?? 65534, hide: [config.dataDir, config.workspace] },
      [...platformCodeDirs(), dirname(CHILD_ENTRY)],
    );
    if (this.sandbox.kind === "node") {
      log(
        "error",
        `SECURITY WARNING: workflows run WITHOUT the OS sandbox (${this.sandbox.reason}). Workflow code can signal ` +
          "this process and its siblings and reach services on this host's network; only Node's permission model " +
          "limits file access. Install bubblewrap, or set BIFROST_SANDBOX=os to refuse to start without it (docs/deployment.md).",
      );
    }
    const sandbox = this.sandbox;
    this.pool = new WorkerPool({ size: config.workers, memoryLimitMb: config.memoryLimitMb, maxRunsPerChild: config.maxRunsPerChild, env, log, sandbox });
    // Indexing imports user modules too: its own small pool, so a file with hostile
    // top-level code never delays or shares a process with executions.
    this.indexPool = new WorkerPool({ size: 1, memoryLimitMb: config.memoryLimitMb, maxRunsPerChild: 50, env, log, sandbox });
    const queue =
      backends.queue ??
      new DbQueue(this.repos.jobs, {
        onError: (e) => log("error", `queue: ${String(e)}`),
        write: (op) => this.batcher.write(op),
      });
    // A broker publishes after the record committed: if it is down then, keep the message.
    this.queue = queue.transactional ? queue : new RepublishingQueue(queue, { log: (level, m) => log(level, `queue: ${m}`) });
    this.egress = new EgressService(config.egress);
    const roles = new RolesRepo(database.db);
    this.registry = new Registry(this.repos.workflows, async () => (await roles.list()).map((r) => r.name));
    this.indexer = new Indexer({
      workspace: config.workspace,
      buildDir: this.buildDir,
      registry: this.registry,
      pool: this.indexPool,
      storeModule: (hash, code) => this.modules.put(hash, code),
      log,
    });
    this.logs = new LogSink({
      executions: this.repos.executions,
      batcher: this.batcher,
      bus: this.bus,
      maxLines: config.maxLogLines,
      maxBytes: config.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
      redactor: this.redactor,
    });
    this.executor = new Executor({
      executions: this.repos.executions,
      batcher: this.batcher,
      queue: this.queue,
      bus: this.bus,
      pool: this.pool,
      registry: this.registry,
      logs: this.logs,
      redactor: this.redactor,
      usage: this.usage,
      modules: this.modules,
      reloadRegistry: () => this.registry.load(),
      sdk: () => this.sdkHandler,
      workspace: config.workspace,
      limits: {
        maxVariableChars: config.maxVariableChars,
        maxVariablesBytes: config.maxVariablesBytes ?? DEFAULT_OUTCOME_LIMITS.maxVariablesBytes,
        maxResultBytes: config.maxResultBytes ?? DEFAULT_OUTCOME_LIMITS.maxResultBytes,
      },
      organizationExists: async (id) => (await this.repos.organizations.get(id)) !== null,
      egress: this.egress,
    });
    // The runs a deleted organization had waiting were cancelled with it: tell their
    // watchers (live streams, callers waiting for a final state).
    this.cleanups.push(
      this.repos.organizations.onDeleted((_org, cancelled) => {
        for (const id of cancelled) this.bus.publish(id, { type: "status", status: "Cancelled", terminal: true });
      }),
    );
    this.scheduler = new Scheduler({
      registry: this.registry,
      schedules: this.repos.schedules,
      executions: this.repos.executions,
      organizations: this.repos.organizations,
      executor: this.executor,
      validator: this.validator,
      log,
    });
  }

  /**
   * Starts this process's part: `all` loads the registry, indexes the workspace, recovers
   * interrupted runs, consumes the queue and schedules; `server` all but consuming;
   * `worker` only consumes, following the registry the servers write.
   */
  async start(role: EngineRole = "all"): Promise<void> {
    if (role === "worker") {
      await Promise.all([this.pool.start(), this.registry.load()]);
      // Servers announce changes on the bus; a periodic reload covers a missed message.
      this.cleanups.push(this.bus.subscribe(REGISTRY_CHANNEL, () => void this.registry.load().catch(() => undefined)));
      const timer = setInterval(() => void this.registry.load().catch(() => undefined), 5000);
      timer.unref();
      this.cleanups.push(() => clearInterval(timer));
    } else {
      await Promise.all([this.pool.start(), this.indexPool.start(), this.registry.load()]);
      await this.indexer.scan();
      if (this.config.watch) this.indexer.watch();
      this.cleanups.push(this.registry.onChange(() => this.bus.publish(REGISTRY_CHANNEL, { type: "registry" })));
      // Another server's role change: this server's registry follows.
      this.cleanups.push(this.bus.subscribe(ROLES_CHANNEL, () => void this.registry.rolesChanged().catch((e: unknown) => this.log("error", `registry: ${String(e)}`))));
    }
    // Only a process that owns its database exclusively (SQLite under the data-directory
    // lock) may decide that runs left Running lost their worker. In a shared database they
    // may be running elsewhere: RabbitMQ redelivers those of a worker that died.
    if (this.database.dialect === "sqlite" && this.queue instanceof DbQueue) {
      const recovered = await recoverInterrupted({
        executions: this.repos.executions,
        jobs: this.repos.jobs,
        queue: this.queue,
        registry: this.registry,
        batcher: this.batcher,
      });
      if (recovered.stuck + recovered.retried + recovered.cancelled + recovered.requeued > 0) {
        this.log(
          "warn",
          `recovered interrupted executions: ${recovered.stuck} marked Stuck, ${recovered.retried} retried, ${recovered.cancelled} cancelled, ${recovered.requeued} queued again (claimed, not started)`,
        );
      }
    }
    // Sync runs whose process died (no queue message brings them back) end as Stuck.
    const staleMs = this.config.syncStaleMs ?? SYNC_REAP_AFTER_MS;
    const reaper = setInterval(() => {
      void this.executor.reapAbandoned(staleMs).then(
        (n) => n > 0 && this.log("warn", `ended ${n} sync execution(s) whose process stopped`),
        (e: unknown) => this.log("error", `reaping abandoned executions failed: ${String(e)}`),
      );
    }, Math.min(REAP_INTERVAL_MS, Math.ceil(staleMs / 3)));
    reaper.unref();
    this.cleanups.push(() => clearInterval(reaper));
    if (!this.queue.transactional) {
      const afterMs = this.config.republishAfterMs ?? 5 * 60_000;
      const republisher = setInterval(() => {
        void this.executor.republishStale(afterMs).then(
          (n) => n > 0 && this.log("warn", `published again ${n} execution(s) left Pending without a queue message`),
          (e: unknown) => this.log("error", `re-publishing stale executions failed: ${String(e)}`),
        );
      }, Math.min(60_000, Math.ceil(afterMs / 3)));
      republisher.unref();
      this.cleanups.push(() => clearInterval(republisher));
    }
    if (role !== "server") this.queue.consume((m) => this.executor.handleQueued(m.executionId), { concurrency: this.config.workers });
    if (role !== "worker" && this.config.scheduler !== false) await this.scheduler.start();
  }

  /** Installs what performs the SDK calls of running workflows (the server's method registry). */
  setSdkHandler(handler: SdkHandler): void {
    this.sdkHandler = handler;
  }

  /** Compiles inline code (SPEC: code/execute) into a module a worker can run. */
  async compileInline(code: string, timeoutSeconds: number): Promise<InlineTarget> {
    const name = createHash("sha256").update(code).digest("hex").slice(0, 16);
    const compiled = await compileEntry({
      entryPath: join(this.config.workspace, `__inline_${name}__.ts`),
      source: code,
      mode: "inline",
      rootDir: this.config.workspace,
      outDir: this.buildDir,
    });
    await this.modules.put(compiled.hash, compiled.code);
    return { modulePath: compiled.modulePath, hash: compiled.hash, timeoutSeconds };
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    await this.scheduler.stop();
    await this.indexer.stop();
    await this.queue.stop();
    await Promise.all([this.pool.stop(), this.indexPool.stop()]);
    await this.egress.close();
    await this.batcher.drain();
    await this.bus.close?.();
    await this.cache.close?.();
  }
}
