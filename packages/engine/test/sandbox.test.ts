import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileEntry } from "@bifrost/engine/compiler/compiler.js";
import { detectSandbox, type Sandbox } from "@bifrost/engine/pool/sandbox.js";
import { WorkerPool, platformCodeDirs } from "@bifrost/engine/pool/worker-pool.js";
import { testContext } from "./context.js";

// The OS wall on its own, without Node's permission model: a plain script started the way
// the pool starts children tries what a hostile workflow would.
const dir = mkdtempSync(join(tmpdir(), "bifrost-sandbox-"));
const dataDir = join(dir, "data");
const scriptDir = join(dir, "code");
let listener: Server;
let port = 0;
let sandbox: Sandbox;

beforeAll(async () => {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "secret.key"), "do-not-read-me\n", { mode: 0o644 });
  chmodSync(dataDir, 0o755);
  chmodSync(dir, 0o755);
  mkdirSync(scriptDir, { recursive: true });
  chmodSync(scriptDir, 0o755);
  listener = createServer((s) => s.end("hello from the host\n"));
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  port = (listener.address() as { port: number }).port;
  sandbox = detectSandbox({ mode: "os" }, [...platformCodeDirs(), scriptDir]);
});

afterAll(async () => {
  await new Promise((r) => listener.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const ATTACK = `
const net = require("node:net");
const fs = require("node:fs");
const tryIt = (f) => { try { f(); return "allowed"; } catch (e) { return e.code ?? String(e); } };
const connect = (host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port, timeout: 1500 });
  s.on("connect", () => { s.destroy(); resolve("connected"); });
  s.on("timeout", () => { s.destroy(); resolve("timeout"); });
  s.on("error", (e) => resolve(e.code));
});
(async () => {
  const out = {
    uid: process.getuid(),
    pid: process.pid,
    signalHost: tryIt(() => process.kill(Number(process.env.HOST_PID), "SIGUSR1")),
    readSecret: tryIt(() => fs.readFileSync(process.env.SECRET)),
    listProcesses: fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p)).length,
    hostService: await connect("127.0.0.1", Number(process.env.PORT)),
    metadata: await connect("169.254.169.254", 80),
    writeCode: tryIt(() => fs.writeFileSync(process.env.CODE_DIR + "/evil.js", "x")),
  };
  process.stdout.write(JSON.stringify(out));
})();
`;

function runInSandbox(): Promise<Record<string, unknown>> {
  const script = join(scriptDir, "attack.cjs");
  writeFileSync(script, ATTACK, { mode: 0o644 });
  const { file, args } = sandbox.command(script, []);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin", HOST_PID: String(process.pid), SECRET: join(dataDir, "secret.key"), PORT: String(port), CODE_DIR: scriptDir },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("exit", (code) => {
      try {
        resolve(JSON.parse(out) as Record<string, unknown>);
      } catch {
        reject(new Error(`sandboxed script exited ${code}: ${err}`));
      }
    });
  });
}

describe("the OS sandbox (bubblewrap), without Node's permission model", () => {
  it("is available on this machine (CI installs bubblewrap)", () => {
    expect(sandbox.kind).toBe("os");
  });

  it("a child cannot signal the host, see its processes, read the data directory, reach loopback services or write code", async () => {
    const r = await runInSandbox();
    expect(r.signalHost).toBe("ESRCH"); // the host's pid does not exist in the child's PID namespace
    expect(r.pid).toBeLessThan(10);
    expect(r.listProcesses).toBeLessThan(5); // only the sandbox's own processes
    expect(r.readSecret).toBe("ENOENT"); // the data directory is not in its file system at all
    expect(r.hostService).toBe("ECONNREFUSED"); // its loopback is its own, empty
    expect(["ENETUNREACH", "EHOSTUNREACH", "timeout"]).toContain(r.metadata);
    expect(r.writeCode).toBe("EROFS"); // the platform's code is mounted read-only
    // And the host kept running: this test process is the host.
    expect(process.kill(process.pid, 0)).toBe(true);
  });

  it("runs children under an unprivileged uid when the platform is root", async () => {
    const r = await runInSandbox();
    if (process.getuid?.() === 0) {
      expect(sandbox.uid).toBe(65534);
      expect(r.uid).not.toBe(0);
    } else {
      expect(r.uid).toBe(process.getuid?.());
    }
  });
});

describe("choosing the sandbox", () => {
  it("falls back to Node's permission model with a reason when bubblewrap is missing, and refuses in mode os", () => {
    const fallback = detectSandbox({ mode: "auto", bwrap: "/nonexistent/bwrap" }, platformCodeDirs());
    expect(fallback.kind).toBe("node");
    expect(fallback.reason).toContain("bubblewrap is not installed");
    expect(() => detectSandbox({ mode: "os", bwrap: "/nonexistent/bwrap" }, platformCodeDirs())).toThrow(/BIFROST_SANDBOX=os.*bubblewrap is not installed/);
    expect(detectSandbox({ mode: "off" }, platformCodeDirs()).kind).toBe("node");
  });
});

describe("the pool under the OS sandbox", () => {
  const context = testContext();

  it("a task that cannot be serialized fails clearly and leaves the child free for the next task", async () => {
    const ws = join(dir, "ws");
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, "w.ts"), `import { workflow } from "bifrost";\nexport const ok = workflow({}, async () => "fine");`);
    const { modulePath } = await compileEntry({ entryPath: join(ws, "w.ts"), mode: "module", rootDir: ws, outDir: join(dir, "build") });
    const pool = new WorkerPool({ size: 1, memoryLimitMb: 64, maxRunsPerChild: 100, sandbox });
    await pool.start();
    try {
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 20_000; i++) deep = { d: deep };
      const started = Date.now();
      const bad = await pool.run({ type: "run", modulePath, exportName: "ok", params: deep, context, maxVariableChars: 100 }, { timeoutMs: 30_000 });
      expect(bad).toMatchObject({ kind: "done", outcome: { ok: false, error: { message: expect.stringContaining("could not be sent to a worker") } } });
      expect(Date.now() - started).toBeLessThan(2000); // not held until the 30 s timeout
      expect(pool.stats()).toMatchObject({ children: 1, idle: 1 });
      const good = await pool.run({ type: "run", modulePath, exportName: "ok", params: {}, context, maxVariableChars: 100 }, { timeoutMs: 5000 });
      expect(good).toMatchObject({ kind: "done", outcome: { ok: true, result: "fine" } });
    } finally {
      await pool.stop();
    }
  });
});
