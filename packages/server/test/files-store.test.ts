import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { FileStore } from "@bifrost/server/features/files/file-store.js";
import { FilesService, localFileStores } from "@bifrost/server/features/files/files.service.js";
import { LocalFileStore } from "@bifrost/server/features/files/local-file-store.js";
import { checkRelativePath, resolveInside } from "@bifrost/server/features/files/safe-path.js";
import type { OrganizationsRepo } from "@bifrost/storage/organizations.repo.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bifrost-files-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const errorOf = async (promise: Promise<unknown>) => promise.then(() => null, (e: { status?: number; code?: string; message: string }) => e);
const syncErrorOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e as { status: number; code: string; message: string };
  }
};

describe("checkRelativePath", () => {
  it("normalizes good paths", () => {
    expect(checkRelativePath("a/b.txt")).toBe("a/b.txt");
    expect(checkRelativePath("./a//b/./c.txt/")).toBe("a/b/c.txt");
    expect(checkRelativePath("", { allowRoot: true })).toBe("");
    expect(checkRelativePath("folder with spaces/ünïcode.md")).toBe("folder with spaces/ünïcode.md");
    expect(checkRelativePath("..hidden/..x")).toBe("..hidden/..x");
  });

  it.each([
    ["..", ".. segments"],
    ["a/../../b", ".. segments"],
    ["/etc/passwd", "relative"],
    ["C:/x", "relative"],
    ["~/x", "relative"],
    ["a\\b", "use /"],
    ["a\0b", "NUL"],
    ["", "empty"],
    ["./", "empty"],
    ["x".repeat(1025), "longer than"],
  ])("refuses %j with a 400 naming the path", (path, why) => {
    const e = syncErrorOf(() => checkRelativePath(path));
    expect(e).toMatchObject({ status: 400, code: "invalid_path" });
    expect(e!.message).toContain(why);
    expect(e!.message).toContain(JSON.stringify(path.replaceAll("\0", "\\0").slice(0, 30)).slice(0, 20));
  });

  it("resolveInside refuses symlinks out of the root, including dangling ones, and allows links inside", async () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(join(root, "real"));
    symlinkSync(join(root, "real"), join(root, "inner-link"));
    symlinkSync(outside, join(root, "out"));
    symlinkSync(join(outside, "nothing-here"), join(root, "dangling"));
    expect(await resolveInside(root, "inner-link/x.txt")).toBe(join(root, "inner-link/x.txt"));
    expect(await errorOf(resolveInside(root, "out/x.txt"))).toMatchObject({ status: 400, message: expect.stringContaining("symbolic link") });
    expect(await errorOf(resolveInside(root, "out"))).toMatchObject({ status: 400 });
    expect(await errorOf(resolveInside(root, "dangling/x"))).toMatchObject({ status: 400, message: expect.stringContaining("broken symbolic link") });
    expect(await resolveInside(join(root, "not-created-yet"), "a/b")).toBe(join(root, "not-created-yet/a/b"));
  });
});

/** The FileStore conformance suite: every backend must pass it. */
const backends: [string, () => FileStore][] = [
  ["LocalFileStore", () => new LocalFileStore(join(tempDir(), "root"))],
  ["localFileStores(dataDir).cloud", () => localFileStores(tempDir()).cloud("uploads/org-1")],
];

describe.each(backends)("FileStore conformance: %s", (_name, make) => {
  it("write, read, stat, exists, list and delete", async () => {
    const store = make();
    expect(await store.list("")).toBeNull();
    expect(await store.read("a/b.txt")).toBeNull();
    expect(await store.exists("a/b.txt")).toBe(false);
    const entry = await store.write("a/b.txt", Buffer.from("hello"));
    expect(entry).toMatchObject({ name: "b.txt", path: "a/b.txt", type: "file", size: 5 });
    expect(Number.isNaN(Date.parse(entry.modifiedAt))).toBe(false);
    expect((await store.read("a/b.txt"))!.toString()).toBe("hello");
    await store.write("a/b.txt", Buffer.from("replaced"));
    expect((await store.read("a/b.txt"))!.toString()).toBe("replaced");
    await store.write("a/c/d.bin", new Uint8Array([0, 255, 1]));
    await store.write("z.txt", Buffer.from(""));
    expect((await store.list(""))!.map((e) => [e.name, e.type])).toEqual([["a", "directory"], ["z.txt", "file"]]);
    expect((await store.list("a"))!.map((e) => e.path)).toEqual(["a/c", "a/b.txt"]);
    expect(await store.list("missing")).toBeNull();
    expect(await store.stat("a")).toMatchObject({ type: "directory", size: 0 });
    expect(await store.stat("nope")).toBeNull();
    expect(await store.exists("a/c")).toBe(true);
    expect(await store.delete("a")).toBe(true);
    expect(await store.delete("a")).toBe(false);
    expect(await store.exists("a/b.txt")).toBe(false);
    expect((await store.list(""))!.map((e) => e.name)).toEqual(["z.txt"]);
  });

  it("binary content is kept byte for byte", async () => {
    const store = make();
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
    await store.write("bin/all.dat", bytes);
    expect((await store.read("bin/all.dat"))!.equals(bytes)).toBe(true);
  });

  it("type clashes are 409s; bad paths 400s; the root cannot be read, written or deleted", async () => {
    const store = make();
    await store.write("f.txt", Buffer.from("x"));
    await store.write("d/inner.txt", Buffer.from("x"));
    expect(await errorOf(store.read("d"))).toMatchObject({ status: 409 });
    expect(await errorOf(store.write("d", Buffer.from("x")))).toMatchObject({ status: 409 });
    expect(await errorOf(store.write("f.txt/under.txt", Buffer.from("x")))).toMatchObject({ status: 409 });
    for (const bad of ["../x", "/abs", "", "a\0"]) {
      expect(await errorOf(store.write(bad, Buffer.from("x"))), bad).toMatchObject({ status: 400 });
      expect(await errorOf(store.delete(bad)), bad).toMatchObject({ status: 400 });
      expect(await errorOf(store.read(bad)), bad).toMatchObject({ status: 400 });
    }
  });
});

describe("FilesService limits and temp cleanup", () => {
  const admin: SdkCaller = { orgId: null, orgName: null, isPlatformAdmin: true, keyId: "k", userName: "admin", executionId: null, depth: 0 };
  const orgUser: SdkCaller = { ...admin, orgId: "org-1", orgName: "One", isPlatformAdmin: false };
  const organizations = { get: async (id: string) => ({ id, name: id }) } as unknown as OrganizationsRepo;

  function service(options: { maxFileBytes?: number; tempMaxAgeMs?: number } = {}) {
    const dataDir = tempDir();
    const workspace = join(dataDir, "ws");
    mkdirSync(workspace);
    const refreshed: string[][] = [];
    const files = new FilesService({
      workspace,
      stores: localFileStores(dataDir),
      organizations,
      refresh: async (paths) => void refreshed.push(paths),
      ...options,
    });
    return { files, dataDir, workspace, refreshed };
  }

  it("files above the per-file maximum are 413, on write and on read", async () => {
    const { files, workspace } = service({ maxFileBytes: 1000 });
    await files.write(orgUser, "ok.bin", Buffer.alloc(1000), { location: "uploads" });
    const e = await errorOf(files.write(orgUser, "big.bin", Buffer.alloc(1001), { location: "uploads" }));
    expect(e).toMatchObject({ status: 413, code: "file_too_large" });
    expect(e!.message).toContain("at most 1000 bytes");
    writeFileSync(join(workspace, "huge.txt"), Buffer.alloc(5000));
    expect(await errorOf(files.read(admin, "huge.txt"))).toMatchObject({ status: 413 });
  });

  it("workspace writes and deletes re-index the path; uploads do not", async () => {
    const { files, refreshed } = service();
    await files.write(admin, "flows/a.ts", Buffer.from("export {}"));
    await files.write(admin, "a.txt", Buffer.from("x"), { location: "uploads" });
    await files.delete(admin, "flows/a.ts");
    expect(refreshed).toEqual([["flows/a.ts"], ["flows/a.ts"]]);
  });

  it("removes temp files older than the max age (every mode and organization), keeps fresh ones", async () => {
    const { files, dataDir } = service({ tempMaxAgeMs: 60_000 });
    await files.write(orgUser, "old/stale.txt", Buffer.from("old"), { location: "temp" });
    await files.write(orgUser, "fresh.txt", Buffer.from("new"), { location: "temp" });
    await files.write(admin, "stale-cloud.txt", Buffer.from("old"), { location: "temp", mode: "cloud" });
    await files.write(orgUser, "kept-upload.txt", Buffer.from("old"), { location: "uploads" });
    const past = new Date(Date.now() - 120_000);
    utimesSync(join(dataDir, "files/local/temp/org-1/old/stale.txt"), past, past);
    utimesSync(join(dataDir, "files/local/temp/org-1/old"), past, past);
    utimesSync(join(dataDir, "files/cloud/temp/global/stale-cloud.txt"), past, past);
    utimesSync(join(dataDir, "files/local/uploads/org-1/kept-upload.txt"), past, past);
    expect(await files.sweepTemp()).toBe(2);
    expect(readdirSync(join(dataDir, "files/local/temp/org-1"))).toEqual(["fresh.txt"]);
    expect(await files.exists(orgUser, "kept-upload.txt", { location: "uploads" })).toBe(true);
    // start() sweeps at once; stop() waits for it.
    files.start();
    await files.stop();
  });
});
