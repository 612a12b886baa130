/**
 * End-to-end helpers for the `bifrost` command: a real embedded platform started with
 * `bifrost start` (its own data folder, workspace and port), and the built CLI run as a
 * child process with a temporary HOME, so nothing touches the real ~/.config.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { eventually, freePort } from "../../server/test/wait.js";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export { eventually, freePort };

export const CLI = join(import.meta.dirname, "../dist/main.js");
export const REPO = join(import.meta.dirname, "../../..");
export const ADMIN_KEY = "test-admin-key-0123456789abcdef";


/** The environment of a CLI run: the test's own HOME, no BIFROST_*, colour variables cleared. */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("BIFROST_") || k === "XDG_CONFIG_HOME" || k === "FORCE_COLOR" || k === "NO_COLOR" || k.startsWith("npm_") || k.startsWith("VITEST")) continue;
    env[k] = v;
  }
  env.HOME = home;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  proc: ChildProcess;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts `bifrost <args>` (the built CLI) and collects its output. */
export function startCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; spawn?: SpawnOptions }): CliRun {
  const proc = spawn(process.execPath, [CLI, ...args], { env: options.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], ...options.spawn });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (c) => (stdout += c));
  proc.stderr!.on("data", (c) => (stderr += c));
  if (options.input !== undefined) proc.stdin!.end(options.input);
  else proc.stdin!.end();
  const done = new Promise<CliResult>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { proc, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `bifrost <args>` to the end (killed after `timeoutMs`). */
export async function cli(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number }): Promise<CliResult> {
  const run = startCli(args, options);
  const timer = setTimeout(() => run.proc.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  const result = await run.done;
  clearTimeout(timer);
  return result;
}

export interface Instance {
  url: string;
  dir: string;
  workspace: string;
  /** A temporary HOME for CLI runs against this instance. */
  home: string;
  write(rel: string, source: string): void;
  /** A JSON call with the admin key. */
  api(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

/** `bifrost start` on a temp folder with `files` in its workspace, on a free port. */
export async function startInstance(files: Record<string, string> = {}, env: Record<string, string> = {}): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-cli-"));
  const workspace = join(dir, "ws");
  const home = join(dir, "home");
  mkdirSync(workspace, { recursive: true });
  mkdirSync(home, { recursive: true });
  const write = (rel: string, source: string) => {
    const path = join(workspace, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, source);
  };
  for (const [rel, source] of Object.entries(files)) write(rel, source);
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, "start"], {
    env: {
      ...cliEnv(home),
      PORT: String(port),
      BIFROST_DATA_DIR: join(dir, "data"),
      BIFROST_WORKSPACE: workspace,
      BIFROST_ADMIN_API_KEY: ADMIN_KEY,
      BIFROST_WORKERS: "1",
      BIFROST_LOG_LEVEL: "silent",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (c) => (out += c));
  proc.stderr!.on("data", (c) => (out += c));
  const exited = new Promise((r) => proc.once("exit", r));
  await eventually(() => (out.includes("listening") ? true : proc.exitCode !== null ? Promise.reject(new Error(`bifrost start exited: ${out}`)) : undefined), 30_000, `bifrost start (${out})`);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dir,
    workspace,
    home,
    write,
    async api(method, path, body, key = ADMIN_KEY) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 8000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An environment where the CLI talks to `instance` with `key` through the environment (no login). */
export function envFor(instance: Instance, key = ADMIN_KEY, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cliEnv(instance.home, { BIFROST_URL: instance.url, BIFROST_API_KEY: key, ...extra });
}

/** Text without ANSI escape sequences (to compare coloured output). */
export const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");
export const ESC = "\u001b[";
