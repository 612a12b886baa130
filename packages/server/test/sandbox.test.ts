import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@bifrost/server/config.js";
import { startPlatform } from "@bifrost/server/platform.js";
import { ADMIN_KEY, createOrgWithKey, eventually, startTestPlatform, type TestPlatform } from "./helpers.js";

// What a hostile workflow tries against the host, through the real platform: each
// attempt's outcome (an error code, or "allowed") comes back in the result.
const ATTACKS = `
import { workflow, z } from "bifrost";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
const tryIt = (f: () => unknown) => { try { f(); return "allowed"; } catch (e) { return (e as { code?: string }).code ?? String(e); } };
const reach = (host: string, port: number) => new Promise<string>((resolve) => {
  const s = connect({ host, port, timeout: 1500 });
  s.on("connect", () => { s.destroy(); resolve("connected"); });
  s.on("timeout", () => { s.destroy(); resolve("timeout"); });
  s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
});
export const signals = workflow({ params: z.object({ host: z.number(), sibling: z.number() }) }, async ({ host, sibling }) => ({
  inspectHost: tryIt(() => process.kill(host, "SIGUSR1")),
  killHost: tryIt(() => process.kill(host, "SIGKILL")),
  killSibling: tryIt(() => process.kill(sibling, "SIGKILL")),
  killParent: tryIt(() => process.kill(process.ppid, "SIGKILL")),
  pid: process.pid,
}));
export const network = workflow({ params: z.object({ apiPort: z.number() }) }, async ({ apiPort }) => ({
  api: await reach("127.0.0.1", apiPort),
  inspector: await reach("127.0.0.1", 9229),
  postgres: await reach("127.0.0.1", 5432),
  redis: await reach("127.0.0.1", 6379),
  rabbitmq: await reach("127.0.0.1", 5672),
  metadata: await reach("169.254.169.254", 80),
}));
export const files = workflow({ params: z.object({ paths: z.array(z.string()) }) }, async ({ paths }) =>
  paths.map((p) => tryIt(() => readFileSync(p))));
export const uid = workflow({}, async () => ({ uid: process.getuid?.(), pid: process.pid }));
`;

const SLEEPER = `import { workflow } from "bifrost";
export const nap = workflow({}, async () => { await new Promise((r) => setTimeout(r, 2500)); return "woke up"; });`;

let t: TestPlatform;
let orgA = "";
let orgB = "";
let keyA = "";
let keyB = "";
let apiPort = 0;

beforeAll(async () => {
  t = await startTestPlatform({ "attacks.ts": ATTACKS }, {}, { listen: true });
  apiPort = Number(new URL(t.platform.url!).port);
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Attacker"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Victim"));
  t.write(`orgs/${orgB}/sleeper.ts`, SLEEPER);
  await t.platform.engine.indexer.refresh([`orgs/${orgB}/sleeper.ts`]);
});

afterAll(async () => {
  await t?.close();
});

const execute = async (name: string, payload: unknown, key = keyA) => {
  const r = await t.call({ method: "POST", url: `/api/workflows/${name}/execute`, payload: payload as object, key });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
};

describe("worker children are walled off from the host (OS sandbox)", () => {
  it("the platform runs its children under bubblewrap", () => {
    expect(t.platform.engine.sandbox.kind).toBe("os");
  });

  it("workflow code cannot signal the host, another organization's child or its parent; the other run finishes", async () => {
    const victim = (await t.call({ method: "POST", url: "/api/workflows/nap/run", key: keyB })).json();
    const sibling = await eventually(() => t.platform.engine.pool.childPids("busy")[0]);
    const e = await execute("signals", { host: process.pid, sibling });
    expect(e.status, JSON.stringify(e)).toBe("Success");
    expect(e.result).toMatchObject({ inspectHost: "ESRCH", killHost: "ESRCH", killSibling: "ESRCH" });
    expect(e.result.pid).toBeLessThan(10); // a PID namespace of its own
    // Its parent is the sandbox's own init (pid 1), which ignores it: the run went on.
    const done = await eventually(async () => {
      const r = (await t.call({ method: "GET", url: `/api/executions/${victim.executionId}`, key: keyB })).json();
      return r.status === "Running" || r.status === "Pending" ? undefined : r;
    });
    expect(done).toMatchObject({ status: "Success", result: "woke up" });
    expect((await t.call({ method: "GET", url: "/api/health" })).statusCode).toBeLessThan(500);
  });

  it("SIGUSR1 does not open the host's inspector", async () => {
    process.kill(process.pid, "SIGUSR1"); // what a child would have done before
    await new Promise((r) => setTimeout(r, 300));
    const opened = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port: 9229 });
      s.on("connect", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    expect(opened).toBe(false);
  });

  it("workflow code reaches no service on the host's network: API, inspector, PostgreSQL, Redis, RabbitMQ, cloud metadata", async () => {
    const e = await execute("network", { apiPort });
    expect(e.status, JSON.stringify(e)).toBe("Success");
    for (const service of ["api", "inspector", "postgres", "redis", "rabbitmq"]) expect(e.result[service], service).toBe("ECONNREFUSED");
    expect(["ENETUNREACH", "EHOSTUNREACH", "timeout"]).toContain(e.result.metadata);
  });

  it("workflow code cannot read the database, the secret key or any compiled bundle", async () => {
    const data = join(t.dir, "data");
    const bundle = t.platform.engine.registry.resolve("nap", orgB)!;
    expect(bundle).toBeTruthy();
    const paths = [join(data, "secret.key"), join(data, "bifrost.db"), bundle.modulePath, join(data, "build")];
    const e = await execute("files", { paths });
    expect(e.status, JSON.stringify(e)).toBe("Success");
    for (const outcome of e.result) expect(["ENOENT", "ERR_ACCESS_DENIED"]).toContain(outcome);
  });

  it("children run under an unprivileged uid of their own", async () => {
    const victim = (await t.call({ method: "POST", url: "/api/workflows/nap/run", key: keyB })).json();
    const pid = await eventually(() => t.platform.engine.pool.childPids("busy")[0]);
    const uidLine = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    if (process.getuid?.() === 0) expect(Number(uidLine)).toBe(65534);
    else expect(Number(uidLine)).toBe(process.getuid?.());
    await eventually(async () => {
      const r = (await t.call({ method: "GET", url: `/api/executions/${victim.executionId}`, key: keyB })).json();
      return r.status === "Success" || undefined;
    });
  });
});

describe("the workspace cannot move code between organizations", () => {
  it("a symbolic link to another organization's file is not registered (neither as global nor as the link's organization)", async () => {
    mkdirSync(join(t.workspace, `orgs/${orgA}`), { recursive: true });
    symlinkSync(join(t.workspace, `orgs/${orgB}/sleeper.ts`), join(t.workspace, "stolen.ts"));
    symlinkSync(join(t.workspace, `orgs/${orgB}/sleeper.ts`), join(t.workspace, `orgs/${orgA}/link.ts`));
    try {
      await t.platform.engine.indexer.refresh(["stolen.ts", `orgs/${orgA}/link.ts`]);
      const { loadErrors } = (await t.call({ method: "GET", url: "/api/workflows" })).json();
      for (const file of ["stolen.ts", `orgs/${orgA}/link.ts`]) {
        const error = loadErrors.find((e: { filePath: string }) => e.filePath === file);
        expect(error?.message, file).toContain("symbolic links");
      }
      const asA = (await t.call({ method: "GET", url: "/api/workflows", key: keyA })).json();
      expect(JSON.stringify(asA)).not.toContain("nap");
      expect((await t.call({ method: "POST", url: "/api/workflows/nap/execute", key: keyA })).statusCode).toBe(404);
    } finally {
      rmSync(join(t.workspace, "stolen.ts"));
      rmSync(join(t.workspace, `orgs/${orgA}/link.ts`));
      await t.platform.engine.indexer.refresh(["stolen.ts", `orgs/${orgA}/link.ts`]);
    }
  });

  it("an import through a symbolic link into another organization's folder does not compile", async () => {
    symlinkSync(join(t.workspace, `orgs/${orgB}`), join(t.workspace, `orgs/${orgA}/borrowed`));
    t.write(`orgs/${orgA}/thief.ts`, `import { nap } from "./borrowed/sleeper";\nexport const thief = nap;`);
    try {
      await t.platform.engine.indexer.refresh([`orgs/${orgA}/thief.ts`]);
      const { loadErrors } = (await t.call({ method: "GET", url: "/api/workflows" })).json();
      const error = loadErrors.find((e: { filePath: string }) => e.filePath === `orgs/${orgA}/thief.ts`);
      expect(error?.message).toContain("another organization's folder");
    } finally {
      rmSync(join(t.workspace, `orgs/${orgA}/borrowed`));
      rmSync(join(t.workspace, `orgs/${orgA}/thief.ts`));
      await t.platform.engine.indexer.refresh([`orgs/${orgA}/thief.ts`]);
    }
  });
});

describe("without the OS sandbox", () => {
  it("the platform starts with a loud warning that says what is lost", async () => {
    const lines: string[] = [];
    const config = loadConfig({
      BIFROST_DATA_DIR: join(t.dir, "data-off"),
      BIFROST_WORKSPACE: join(t.dir, "workspace-off"),
      BIFROST_ADMIN_API_KEY: ADMIN_KEY,
      BIFROST_WORKERS: "1",
      BIFROST_WATCH: "false",
      BIFROST_SCHEDULER: "false",
      BIFROST_SANDBOX: "off",
    });
    const p = await startPlatform(config, { listen: false, log: (level, m) => lines.push(`${level} ${m}`) });
    await p.close();
    const warning = lines.find((l) => l.includes("SECURITY WARNING"));
    expect(warning).toMatch(/^error /);
    expect(warning).toContain("signal this process");
    expect(warning).toContain("network");
  });

  it("BIFROST_SANDBOX must be auto, os or off", () => {
    expect(() => loadConfig({ BIFROST_SANDBOX: "maybe" })).toThrow(/BIFROST_SANDBOX must be auto, os or off/);
  });
});
