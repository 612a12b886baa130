import { createHash } from "node:crypto";
import { join } from "node:path";
import { ApiKeysRepo } from "@bifrost/storage/api-keys.repo.js";
import type { Database } from "@bifrost/storage/database.js";
import { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";
import { SchedulesRepo } from "@bifrost/storage/schedules.repo.js";
import { WorkflowsRepo } from "@bifrost/storage/workflows.repo.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { compileEntry } from "./compiler/compiler.js";
import { ModuleStore } from "./compiler/module-store.js";
import { ModulesRepo } from "@bifrost/storage/modules.repo.js";
import { MemoryCache, type Cache } from "./events/cache.js";
import { MemoryEventBus, type EventBus } from "./events/event-bus.js";
import { Executor, type InlineTarget, type SdkHandler } from "./executor/executor.js";
import { Redactor } from "./executor/redactor.js";
import { InputValidator } from "./executor/input-validator.js";
import { LogSink } from "./executor/log-sink.js";
import { WriteBatcher } from "./executor/write-batcher.js";
import { WorkerPool, safeChildEnv } from "./pool/worker-pool.js";
import { DbQueue } from "./queue/db-queue.js";
import { Indexer } from "./registry/indexer.js";
import { Registry } from "./registry/registry.js";
import { recoverInterrupted } from "./recovery.js";

export interface EngineConfig {
  dataDir: string;
  workspace: string;
  /** Worker children that run executions. */
  workers: number;
  memoryLimitMb: number;
  maxRunsPerChild: number;
  maxLogLines: number;
  maxVariableChars: number;
  /** Watch the workspace for saves (off in some tests). */
  watch: boolean;
  /** Run the scheduler in this process. Default true. */
  scheduler?: boolean;
}

export type HostLog = (level: "info" | "warn" | "error", message: string) => void;

/** Everything the engine is made of, wired once per process (the composition root). */
export class Engine {
  readonly repos;
  readonly bus: EventBus = new MemoryEventBus();
  /** Data-provider results and other short-lived values. */
  readonly cache: Cache = new MemoryCache();
  readonly batcher: WriteBatcher;
  readonly pool: WorkerPool;
  readonly indexPool: WorkerPool;
  readonly queue: DbQueue;
  readonly registry: Registry;
  readonly indexer: Indexer;
  readonly logs: LogSink;
  readonly executor: Executor;
  readonly scheduler: Scheduler;
  readonly validator = new InputValidator();
  readonly redactor = new Redactor();
  readonly buildDir: string;
  readonly modules: ModuleStore;
  private sdkHandler: SdkHandler | null = null;

  constructor(
    readonly database: Database,
    readonly config: EngineConfig,
    private readonly log: HostLog,
  ) {
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
    const env = safeChildEnv({ NODE_ENV: process.env.NODE_ENV ?? "production" });
    const allowRead = [this.buildDir];
    this.pool = new WorkerPool({ size: config.workers, memoryLimitMb: config.memoryLimitMb, maxRunsPerChild: config.maxRunsPerChild, env, log, allowRead });
    // Indexing imports user modules too: its own small pool, so a file with hostile
    // top-level code never delays or shares a process with executions.
    this.indexPool = new WorkerPool({ size: 1, memoryLimitMb: config.memoryLimitMb, maxRunsPerChild: 50, env, log, allowRead });
    this.queue = new DbQueue(this.repos.jobs, {
      onError: (e) => log("error", `queue: ${String(e)}`),
      write: (op) => this.batcher.write(op),
    });
    this.registry = new Registry(this.repos.workflows);
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
      redact: (id, text) => this.redactor.text(id, text),
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
      modules: this.modules,
      sdk: () => this.sdkHandler,
      workspace: config.workspace,
      maxVariableChars: config.maxVariableChars,
    });
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

  /** Loads the registry, indexes the workspace, recovers interrupted runs and starts consuming. */
  async start(): Promise<void> {
    await Promise.all([this.pool.start(), this.indexPool.start(), this.registry.load()]);
    await this.indexer.scan();
    if (this.config.watch) this.indexer.watch();
    const recovered = await recoverInterrupted({
      executions: this.repos.executions,
      jobs: this.repos.jobs,
      queue: this.queue,
      registry: this.registry,
      batcher: this.batcher,
    });
    if (recovered.stuck + recovered.retried + recovered.cancelled > 0) {
      this.log("warn", `recovered interrupted executions: ${recovered.stuck} marked Stuck, ${recovered.retried} retried, ${recovered.cancelled} cancelled`);
    }
    this.queue.consume((m) => this.executor.handleQueued(m.executionId), { concurrency: this.config.workers });
    if (this.config.scheduler !== false) await this.scheduler.start();
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
    await this.scheduler.stop();
    await this.indexer.stop();
    await this.queue.stop();
    await Promise.all([this.pool.stop(), this.indexPool.stop()]);
    await this.batcher.drain();
  }
}
