import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithKey, startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "fs.ts": `
import { workflow, z, files, BifrostError } from "bifrost";
const Opts = z.object({ location: z.enum(["workspace", "temp", "uploads"]).optional(), mode: z.enum(["local", "cloud"]).optional(), scope: z.string().optional() });
export const fsOp = workflow(
  { params: z.object({ op: z.string(), path: z.string().default(""), content: z.string().optional(), asBase64: z.boolean().optional(), opts: Opts.default({}) }) },
  async ({ op, path, content, asBase64, opts }) => {
    try {
      switch (op) {
        case "read": return { value: await files.read(path, { ...opts, asBase64 }) };
        case "readBytes": return { value: (await files.readBytes(path, opts)).toString("base64") };
        case "write": await files.write(path, content ?? "", { ...opts, asBase64 }); return { value: null };
        case "list": return { value: await files.list(path, opts) };
        case "delete": return { value: await files.delete(path, opts) };
        case "exists": return { value: await files.exists(path, opts) };
        default: return { value: "unknown op" };
      }
    } catch (e) {
      return { error: { code: (e as BifrostError).code, status: (e as BifrostError).status, message: (e as Error).message } };
    }
  },
);
export const binaryRoundTrip = workflow({}, async () => {
  const bytes = new Uint8Array(8 + 256 * 4);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 0; i < 256 * 4; i++) bytes[8 + i] = i % 256;
  await files.writeBytes("images/all-bytes.png", bytes, { location: "uploads" });
  const back = await files.readBytes("images/all-bytes.png", { location: "uploads" });
  const viaBase64 = await files.read("images/all-bytes.png", { location: "uploads", asBase64: true });
  await files.write("images/copy.png", back, { location: "temp", mode: "cloud" });
  const copy = await files.readBytes("images/copy.png", { location: "temp", mode: "cloud" });
  return {
    equal: Buffer.compare(Buffer.from(bytes), back) === 0,
    copyEqual: Buffer.compare(back, copy) === 0,
    isBuffer: Buffer.isBuffer(back),
    length: back.length,
    viaBase64,
  };
});`,
  "global-notes.md": "# shared notes\n",
  "node_modules/pkg/index.js": "module.exports = 1;\n",
  ".git/HEAD": "ref: refs/heads/main\n",
};

/** The PNG-like buffer `binaryRoundTrip` writes: a PNG signature, then every byte value four times. */
function allBytes(): Buffer {
  const bytes = Buffer.alloc(8 + 256 * 4);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 0; i < 256 * 4; i++) bytes[8 + i] = i % 256;
  return bytes;
}

let t: TestPlatform;
let orgA: string;
let orgB: string;
let keyA: string;
let keyB: string;
let outside: string;

type OpResult = { value?: unknown; error?: { code: string; status: number; message: string } };

const op = async (key: string | undefined, body: Record<string, unknown>): Promise<OpResult> => {
  const res = await t.call({ method: "POST", url: "/api/workflows/fsOp/execute", payload: body, key });
  const json = res.json();
  if (json.status !== "Success") throw new Error(`fsOp ${JSON.stringify(body)} ended ${json.status}: ${json.error}`);
  return json.result as OpResult;
};
const http = (key: string | undefined, route: string, payload: object) => t.call({ method: "POST", url: `/api/files/${route}`, payload, key });
const uploadsDir = (org: string, mode = "local") => join(t.dir, "data", "files", mode, "uploads", org);

beforeAll(async () => {
  t = await startTestPlatform(FILES);
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
  t.write(`orgs/${orgA}/a-notes.md`, "alpha only\n");
  t.write(`orgs/${orgB}/b-notes.md`, "beta only\n");
  outside = mkdtempSync(join(tmpdir(), "bifrost-outside-"));
  writeFileSync(join(outside, "secret.txt"), "outside the root");
});
afterAll(async () => {
  await t?.close();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe("files inside workflows", () => {
  it("writes, reads, lists, checks and deletes an organization's uploads", async () => {
    expect(await op(keyA, { op: "write", path: "reports/june.txt", content: "héllo wörld", opts: { location: "uploads" } })).toEqual({ value: null });
    expect(await op(keyA, { op: "read", path: "reports/june.txt", opts: { location: "uploads" } })).toEqual({ value: "héllo wörld" });
    expect(readFileSync(join(uploadsDir(orgA), "reports/june.txt"), "utf8")).toBe("héllo wörld");
    expect(await op(keyA, { op: "exists", path: "reports/june.txt", opts: { location: "uploads" } })).toEqual({ value: true });
    const list = (await op(keyA, { op: "list", path: "reports", opts: { location: "uploads" } })).value as { name: string; path: string; type: string; size: number }[];
    expect(list).toEqual([expect.objectContaining({ name: "june.txt", path: "reports/june.txt", type: "file", size: Buffer.byteLength("héllo wörld") })]);
    expect((await op(keyA, { op: "list", opts: { location: "uploads" } })).value).toEqual([expect.objectContaining({ name: "reports", type: "directory" })]);
    expect(await op(keyA, { op: "delete", path: "reports/june.txt", opts: { location: "uploads" } })).toEqual({ value: true });
    expect(await op(keyA, { op: "exists", path: "reports/june.txt", opts: { location: "uploads" } })).toEqual({ value: false });
    expect(await op(keyA, { op: "delete", path: "reports/june.txt", opts: { location: "uploads" } })).toEqual({ value: false });
  });

  it("a missing file, a folder read as a file and bad arguments are clear errors", async () => {
    expect((await op(keyA, { op: "read", path: "nope.txt", opts: { location: "uploads" } })).error).toMatchObject({ code: "not_found", status: 404 });
    await op(keyA, { op: "write", path: "dir/file.txt", content: "x", opts: { location: "temp" } });
    expect((await op(keyA, { op: "read", path: "dir", opts: { location: "temp" } })).error).toMatchObject({ code: "conflict", status: 409 });
    expect((await op(keyA, { op: "list", path: "dir/file.txt", opts: { location: "temp" } })).error).toMatchObject({ code: "conflict", status: 409 });
    expect((await op(keyA, { op: "list", path: "missing-folder", opts: { location: "temp" } })).error).toMatchObject({ code: "not_found" });
    expect((await op(keyA, { op: "write", path: "x.bin", content: "not base64!!", asBase64: true, opts: { location: "temp" } })).error).toMatchObject({ code: "invalid_base64", status: 400 });
    expect((await op(keyA, { op: "read", path: "x", opts: { location: "workspace", mode: "cloud" } })).error).toMatchObject({ status: 400 });
  });

  it("binary content round-trips byte for byte (writeBytes/readBytes/asBase64, local and cloud)", async () => {
    const res = (await t.call({ method: "POST", url: "/api/workflows/binaryRoundTrip/execute", payload: {}, key: keyA })).json();
    expect(res.status).toBe("Success");
    expect(res.result).toMatchObject({ equal: true, copyEqual: true, isBuffer: true, length: allBytes().length });
    expect(Buffer.from(res.result.viaBase64, "base64").equals(allBytes())).toBe(true);
    expect(readFileSync(join(uploadsDir(orgA), "images/all-bytes.png")).equals(allBytes())).toBe(true);
    expect(readFileSync(join(t.dir, "data/files/cloud/temp", orgA, "images/copy.png")).equals(allBytes())).toBe(true);
    // The same bytes over HTTP, both ways.
    const read = (await http(keyA, "read", { path: "images/all-bytes.png", location: "uploads", asBase64: true })).json();
    expect(read).toMatchObject({ encoding: "base64", size: allBytes().length, type: "file" });
    expect(Buffer.from(read.content, "base64").equals(allBytes())).toBe(true);
    const reversed = Buffer.from(allBytes()).reverse();
    expect((await http(keyA, "write", { path: "images/reversed.bin", content: reversed.toString("base64"), asBase64: true, location: "uploads" })).statusCode).toBe(200);
    const viaSdk = await op(keyA, { op: "readBytes", path: "images/reversed.bin", opts: { location: "uploads" } });
    expect(Buffer.from(viaSdk.value as string, "base64").equals(reversed)).toBe(true);
  });

  it("modes and locations are separate roots", async () => {
    await op(keyA, { op: "write", path: "same.txt", content: "local uploads", opts: { location: "uploads" } });
    await op(keyA, { op: "write", path: "same.txt", content: "cloud uploads", opts: { location: "uploads", mode: "cloud" } });
    await op(keyA, { op: "write", path: "same.txt", content: "local temp", opts: { location: "temp" } });
    expect((await op(keyA, { op: "read", path: "same.txt", opts: { location: "uploads" } })).value).toBe("local uploads");
    expect((await op(keyA, { op: "read", path: "same.txt", opts: { location: "uploads", mode: "cloud" } })).value).toBe("cloud uploads");
    expect((await op(keyA, { op: "read", path: "same.txt", opts: { location: "temp" } })).value).toBe("local temp");
    expect(readFileSync(join(uploadsDir(orgA, "cloud"), "same.txt"), "utf8")).toBe("cloud uploads");
  });

  it("organization B's workflow cannot read, list, change or delete organization A's uploads or temp files", async () => {
    await op(keyA, { op: "write", path: "private/a.txt", content: "A's data", opts: { location: "uploads" } });
    await op(keyA, { op: "write", path: "private/t.txt", content: "A's temp", opts: { location: "temp" } });
    // B's own folder is another folder: A's files are simply not there.
    expect((await op(keyB, { op: "read", path: "private/a.txt", opts: { location: "uploads" } })).error).toMatchObject({ code: "not_found" });
    expect(await op(keyB, { op: "exists", path: "private/t.txt", opts: { location: "temp" } })).toEqual({ value: false });
    expect(await op(keyB, { op: "list", opts: { location: "uploads" } })).toEqual({ value: [] });
    // Naming A's scope is refused, for every operation and location.
    for (const location of ["uploads", "temp"]) {
      const opts = { location, scope: orgA };
      for (const body of [
        { op: "read", path: "private/a.txt", opts },
        { op: "list", path: "", opts },
        { op: "exists", path: "private/a.txt", opts },
        { op: "write", path: "private/a.txt", content: "overwritten", opts },
        { op: "delete", path: "private", opts },
      ]) {
        expect((await op(keyB, body)).error, `${body.op} ${location}`).toMatchObject({ code: "forbidden", status: 403 });
      }
    }
    // Paths cannot climb into A's folder either.
    const climb = await op(keyB, { op: "read", path: `../${orgA}/private/a.txt`, opts: { location: "uploads" } });
    expect(climb.error).toMatchObject({ code: "invalid_path", status: 400 });
    expect(climb.error!.message).toContain(`../${orgA}/private/a.txt`);
    expect(readFileSync(join(uploadsDir(orgA), "private/a.txt"), "utf8")).toBe("A's data");
    // A platform admin may act in A's scope.
    expect(await op(undefined, { op: "read", path: "private/a.txt", opts: { location: "uploads", scope: orgA } })).toEqual({ value: "A's data" });
  });

  it("workspace: organizations read global files and their own orgs/<id>/ folder; only admins write", async () => {
    expect(await op(keyA, { op: "read", path: "global-notes.md" })).toEqual({ value: "# shared notes\n" });
    expect(await op(keyA, { op: "read", path: `orgs/${orgA}/a-notes.md` })).toEqual({ value: "alpha only\n" });
    expect((await op(keyA, { op: "read", path: `orgs/${orgB}/b-notes.md` })).error).toMatchObject({ code: "forbidden" });
    expect((await op(keyA, { op: "exists", path: `orgs/${orgB}/b-notes.md` })).error).toMatchObject({ code: "forbidden" });
    expect((await op(keyA, { op: "read", path: ".git/HEAD" })).error).toMatchObject({ code: "forbidden" });
    const orgs = (await op(keyA, { op: "list", path: "orgs" })).value as { name: string }[];
    expect(orgs.map((e) => e.name)).toEqual([orgA]);
    const root = ((await op(keyA, { op: "list" })).value as { name: string }[]).map((e) => e.name);
    expect(root).toContain("global-notes.md");
    expect(root).not.toContain(".git");
    expect((await op(keyA, { op: "write", path: "evil.ts", content: "x" })).error).toMatchObject({ code: "forbidden", status: 403 });
    expect((await op(keyA, { op: "delete", path: "global-notes.md" })).error).toMatchObject({ code: "forbidden" });
    expect(existsSync(join(t.workspace, "evil.ts"))).toBe(false);
    expect(await op(undefined, { op: "write", path: "data/admin.txt", content: "by admin" })).toEqual({ value: null });
    expect(readFileSync(join(t.workspace, "data/admin.txt"), "utf8")).toBe("by admin");
  });

  it("a workflow file an admin's workflow writes to the workspace is registered when the write returns", async () => {
    const source = `import { workflow } from "bifrost";\nexport const writtenBySdk = workflow({}, async () => "generated");\n`;
    expect(await op(undefined, { op: "write", path: "generated/made.ts", content: source })).toEqual({ value: null });
    expect((await t.call({ method: "POST", url: "/api/workflows/writtenBySdk/execute", payload: {} })).json()).toMatchObject({ status: "Success", result: "generated" });
    expect(await op(undefined, { op: "delete", path: "generated" })).toEqual({ value: true });
    expect((await t.call({ method: "GET", url: "/api/workflows/writtenBySdk" })).statusCode).toBe(404);
  });
});

describe("files over HTTP", () => {
  it("read, write, list, exists and delete with an organization key", async () => {
    const w = await http(keyA, "write", { path: "http/one.txt", content: "one", location: "uploads" });
    expect(w.statusCode).toBe(200);
    expect(w.json()).toMatchObject({ path: "http/one.txt", name: "one.txt", type: "file", size: 3 });
    expect((await http(keyA, "read", { path: "http/one.txt", location: "uploads" })).json()).toMatchObject({ content: "one", encoding: "utf8", size: 3 });
    expect((await http(keyA, "exists", { path: "http/one.txt", location: "uploads" })).json()).toEqual({ exists: true });
    expect((await http(keyA, "list", { path: "http", location: "uploads" })).json().entries).toEqual([expect.objectContaining({ name: "one.txt" })]);
    expect((await http(keyA, "delete", { path: "http/one.txt", location: "uploads" })).json()).toEqual({ deleted: true });
    expect((await http(keyA, "delete", { path: "http/one.txt", location: "uploads" })).statusCode).toBe(404);
    expect((await http(keyA, "read", { path: "http/one.txt", location: "uploads" })).statusCode).toBe(404);
    expect((await http(keyA, "exists", { path: "http/one.txt", location: "uploads" })).json()).toEqual({ exists: false });
  });

  it("organization B's key cannot read, list, change or delete organization A's files", async () => {
    await http(keyA, "write", { path: "http/secret.txt", content: "A only", location: "uploads" });
    expect((await http(keyB, "read", { path: "http/secret.txt", location: "uploads" })).statusCode).toBe(404);
    for (const [route, body] of [
      ["read", { path: "http/secret.txt" }],
      ["list", { path: "http" }],
      ["exists", { path: "http/secret.txt" }],
      ["write", { path: "http/secret.txt", content: "B was here" }],
      ["delete", { path: "http/secret.txt" }],
    ] as const) {
      const res = await http(keyB, route, { ...body, location: "uploads", scope: orgA });
      expect(res.statusCode, route).toBe(403);
      expect(res.json().error.code).toBe("forbidden");
    }
    expect((await http(keyB, "read", { path: `../${orgA}/http/secret.txt`, location: "uploads" })).statusCode).toBe(400);
    expect((await http(keyA, "read", { path: "http/secret.txt", location: "uploads" })).json().content).toBe("A only");
    // Nor its workspace folder, nor write the workspace.
    expect((await http(keyB, "read", { path: `orgs/${orgA}/a-notes.md` })).statusCode).toBe(403);
    expect((await http(keyB, "write", { path: "x.txt", content: "x" })).statusCode).toBe(403);
  });

  it("the external SDK's POST /api/sdk/call performs files.* with the same checks", async () => {
    const sdkCall = (key: string, method: string, args: unknown[]) => t.call({ method: "POST", url: "/api/sdk/call", payload: { method, args }, key });
    const bytes = allBytes().toString("base64");
    expect((await sdkCall(keyA, "files.write", ["ext/all.png", bytes, { location: "uploads", asBase64: true }])).json()).toEqual({ value: null });
    expect((await sdkCall(keyA, "files.read", ["ext/all.png", { location: "uploads", asBase64: true }])).json()).toEqual({ value: bytes });
    expect((await sdkCall(keyA, "files.list", [null, { location: "uploads" }])).json().value.map((e: { name: string }) => e.name)).toContain("ext");
    expect((await sdkCall(keyB, "files.read", ["ext/all.png", { location: "uploads", scope: orgA }])).statusCode).toBe(403);
    expect((await sdkCall(keyB, "files.exists", ["ext/all.png", { location: "uploads" }])).json()).toEqual({ value: false });
    const bad = await sdkCall(keyA, "files.read", ["ext/all.png", { location: "basement" }]);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields[0].path).toBe("options.location");
  });

  it("refuses .., absolute paths, backslashes, NUL bytes, empty and overlong paths with 400 naming the path", async () => {
    for (const path of ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "C:/Windows/win.ini", "a\\..\\b", "a\u0000b.txt", "", "x".repeat(2000)]) {
      for (const route of ["read", "write", "exists", "delete"]) {
        const res = await http(keyA, route, { path, content: "x", location: "uploads", ...(route === "write" ? {} : { content: undefined }) });
        expect(res.statusCode, `${route} ${JSON.stringify(path.slice(0, 20))}`).toBe(400);
        expect(res.json().error.code).toBe("invalid_path");
        expect(res.json().error.message).toContain(JSON.stringify(path.replaceAll("\u0000", "\\0").slice(0, 200)).slice(0, 40));
      }
    }
    expect(existsSync(join(t.dir, "data", "files", "local", "escape.txt"))).toBe(false);
    expect((await http(undefined, "read", { path: "../package.json" })).statusCode).toBe(400);
  });

  it("refuses symlinks that lead out of the root, for reads, writes, lists and deletes", async () => {
    await http(keyA, "write", { path: "seed.txt", content: "x", location: "uploads" });
    symlinkSync(outside, join(uploadsDir(orgA), "link-dir"));
    symlinkSync(join(outside, "secret.txt"), join(uploadsDir(orgA), "link-file.txt"));
    for (const [route, path] of [
      ["read", "link-dir/secret.txt"],
      ["read", "link-file.txt"],
      ["exists", "link-dir/secret.txt"],
      ["list", "link-dir"],
      ["write", "link-dir/planted.txt"],
      ["write", "link-dir/new/deeper.txt"],
      ["delete", "link-dir/secret.txt"],
    ] as const) {
      const res = await http(keyA, route, { path, location: "uploads", ...(route === "write" ? { content: "planted" } : {}) });
      expect(res.statusCode, `${route} ${path}`).toBe(400);
      expect(res.json().error.message).toContain("symbolic link");
    }
    expect(existsSync(join(outside, "planted.txt"))).toBe(false);
    expect(existsSync(join(outside, "new"))).toBe(false);
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("outside the root");
    // Listing the folder hides links that lead out; the workspace is guarded the same way.
    const names = (await http(keyA, "list", { path: "", location: "uploads" })).json().entries.map((e: { name: string }) => e.name);
    expect(names).toContain("seed.txt");
    expect(names).not.toContain("link-dir");
    symlinkSync(outside, join(t.workspace, "outside-link"));
    expect((await http(undefined, "read", { path: "outside-link/secret.txt" })).statusCode).toBe(400);
    expect((await t.call({ method: "GET", url: "/api/files/editor/file?path=outside-link/secret.txt" })).statusCode).toBe(400);
  });

  it("bodies above BIFROST_BODY_LIMIT_BYTES are 413; bad base64 is 400; unknown fields 422", async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 1).toString("base64");
    const res = await http(keyA, "write", { path: "big.bin", content: big, asBase64: true, location: "uploads" });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("payload_too_large");
    expect((await http(keyA, "write", { path: "b.bin", content: "%%%", asBase64: true, location: "uploads" })).statusCode).toBe(400);
    expect((await http(keyA, "read", { path: "b.bin", location: "uploads", bogus: 1 })).statusCode).toBe(422);
    expect((await http(keyA, "read", { path: "b.bin", location: "attic" })).statusCode).toBe(422);
    expect((await http(null as unknown as string, "read", { path: "b.bin" })).statusCode).toBe(401);
  });
});

describe("the editor endpoints", () => {
  const get = (url: string, key?: string) => t.call({ method: "GET", url, key });

  it("GET tree is nested, skips node_modules and dot folders, and shows an organization only what it may read", async () => {
    const admin = (await get("/api/files/editor/tree")).json();
    expect(admin.truncated).toBe(false);
    const names = admin.tree.children.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(["orgs", "fs.ts", "global-notes.md"]));
    expect(names).not.toContain("node_modules");
    expect(names).not.toContain(".git");
    const orgsNode = admin.tree.children.find((c: { name: string }) => c.name === "orgs");
    expect(orgsNode.children.map((c: { name: string }) => c.name).sort()).toEqual([orgA, orgB].sort());
    expect(orgsNode.children.find((c: { name: string }) => c.name === orgA).children[0]).toMatchObject({ path: `orgs/${orgA}/a-notes.md`, type: "file" });

    const a = (await get("/api/files/editor/tree", keyA)).json();
    const aOrgs = a.tree.children.find((c: { name: string }) => c.name === "orgs");
    expect(aOrgs.children.map((c: { name: string }) => c.name)).toEqual([orgA]);
    expect((await get(`/api/files/editor/tree?path=orgs/${orgB}`, keyA)).statusCode).toBe(403);
    expect((await get(`/api/files/editor/tree?path=orgs/${orgA}`, keyA)).json().tree.children).toHaveLength(1);
    expect((await get("/api/files/editor/tree?path=../", keyA)).statusCode).toBe(400);
  });

  it("GET file returns content with metadata; binary files come as base64", async () => {
    const text = (await get("/api/files/editor/file?path=fs.ts")).json();
    expect(text).toMatchObject({ path: "fs.ts", encoding: "utf8", type: "file" });
    expect(text.content).toContain("export const fsOp");
    expect(text.workflows.map((w: { name: string }) => w.name).sort()).toEqual(["binaryRoundTrip", "fsOp"]);
    writeFileSync(join(t.workspace, "logo.png"), allBytes());
    const bin = (await get("/api/files/editor/file?path=logo.png")).json();
    expect(bin.encoding).toBe("base64");
    expect(Buffer.from(bin.content, "base64").equals(allBytes())).toBe(true);
    expect((await get(`/api/files/editor/file?path=orgs/${orgB}/b-notes.md`, keyA)).statusCode).toBe(403);
    expect((await get("/api/files/editor/file?path=missing.ts")).statusCode).toBe(404);
  });

  it("saving a workflow file registers it at once: it runs right after the save", async () => {
    const source = `import { workflow, z } from "bifrost";\nexport const savedInEditor = workflow({ params: z.object({ n: z.int() }) }, async ({ n }) => ({ tripled: n * 3 }));\n`;
    const denied = await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "editor/saved.ts", content: source }, key: keyA });
    expect(denied.statusCode).toBe(403);
    const saved = await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "editor/saved.ts", content: source } });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ path: "editor/saved.ts", loadErrors: [], workflows: [expect.objectContaining({ name: "savedInEditor", filePath: "editor/saved.ts" })] });
    const run = (await t.call({ method: "POST", url: "/api/workflows/savedInEditor/execute", payload: { n: 4 } })).json();
    expect(run).toMatchObject({ status: "Success", result: { tripled: 12 } });

    const broken = await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "editor/broken.ts", content: "export const x = ;\n" } });
    expect(broken.statusCode).toBe(200);
    expect(broken.json().workflows).toEqual([]);
    expect(broken.json().loadErrors[0]).toMatchObject({ filePath: "editor/broken.ts" });

    // Deleting the file unregisters its workflows.
    expect((await t.call({ method: "DELETE", url: "/api/files/editor/file?path=editor/saved.ts" })).statusCode).toBe(204);
    expect((await t.call({ method: "GET", url: "/api/workflows/savedInEditor" })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: "/api/files/editor/file?path=editor/saved.ts" })).statusCode).toBe(404);
    expect((await t.call({ method: "DELETE", url: "/api/files/editor/file?path=global-notes.md", key: keyA })).statusCode).toBe(403);
  });

  it("an organization's workflow saved under orgs/<id>/ belongs to that organization", async () => {
    const source = `import { workflow } from "bifrost";\nexport const alphaOnly = workflow({}, async () => "alpha");\n`;
    const saved = (await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: `orgs/${orgA}/alpha.ts`, content: source } })).json();
    expect(saved.workflows).toEqual([expect.objectContaining({ name: "alphaOnly", orgId: orgA })]);
    expect((await t.call({ method: "POST", url: "/api/workflows/alphaOnly/execute", payload: {}, key: keyA })).json().result).toBe("alpha");
    expect((await t.call({ method: "POST", url: "/api/workflows/alphaOnly/execute", payload: {}, key: keyB })).statusCode).toBe(404);
  });

  it("POST directory creates folders (admins only); paths are checked", async () => {
    const made = await t.call({ method: "POST", url: "/api/files/editor/directory", payload: { path: "new/nested/folder" } });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ path: "new/nested/folder", type: "directory" });
    expect(existsSync(join(t.workspace, "new/nested/folder"))).toBe(true);
    expect((await t.call({ method: "POST", url: "/api/files/editor/directory", payload: { path: "new/nested/folder" } })).statusCode).toBe(201);
    expect((await t.call({ method: "POST", url: "/api/files/editor/directory", payload: { path: "global-notes.md/sub" } })).statusCode).toBe(409);
    expect((await t.call({ method: "POST", url: "/api/files/editor/directory", payload: { path: "x" }, key: keyA })).statusCode).toBe(403);
    expect((await t.call({ method: "POST", url: "/api/files/editor/directory", payload: { path: "../outside" } })).statusCode).toBe(400);
    expect((await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "/abs.ts", content: "" } })).statusCode).toBe(400);
    expect((await t.call({ method: "DELETE", url: "/api/files/editor/file?path=new" })).statusCode).toBe(204);
    expect(existsSync(join(t.workspace, "new"))).toBe(false);
    mkdirSync(join(t.workspace, "empty-dir"));
  });
});
