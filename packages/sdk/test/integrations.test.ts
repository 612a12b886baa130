import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrations, workflow, z } from "bifrost";
import { runWorkflow, TestPlatform } from "bifrost/testing";

const ROOT = join(import.meta.dirname, "../../..");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

/**
 * The SDK side of `integrations`: the client's URL building, bodies, errors, renewal before
 * expiry and the single retry on 401 — against a real HTTP server, with the platform's
 * answers played by `bifrost/testing`. (The platform side, with a real OAuth server, is
 * packages/server/test/integrations.test.ts.)
 */

let server: Server;
let base: string;
/** The token the server accepts right now. */
let valid = "token-1";
const seen: { method: string; url: string; auth: string | null; type: string | null; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const auth = req.headers.authorization ?? null;
      seen.push({ method: req.method!, url: req.url!, auth, type: req.headers["content-type"] ?? null, body });
      const path = req.url!.split("?")[0]!.replace(/^\/v1\//, "/");
      if (path === "/empty") return void res.writeHead(204).end();
      if (path === "/text") return void res.writeHead(200, { "content-type": "text/plain" }).end("plain words");
      if (path === "/missing") return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "NotFound" } }));
      if (auth !== `Bearer ${valid}` || path === "/deny") return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"invalid_token"}');
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A platform whose integration hands out `current` and rotates it on refresh. */
function platformWith(options: { baseUrl?: string | null; expiresInMs?: number; oauth?: boolean } = {}) {
  const platform = new TestPlatform();
  const state = { current: valid, gets: 0, refreshes: [] as unknown[] };
  const access = () => ({
    integrationId: "i1",
    name: "api",
    scope: "org-1",
    entityId: "tenant-1",
    entityName: "Tenant One",
    config: { region: "eu" },
    baseUrl: options.baseUrl === undefined ? `${base}/v1/` : options.baseUrl,
    oauth:
      options.oauth === false
        ? null
        : { accessToken: state.current, refreshToken: "r", tokenType: "Bearer", expiresAt: new Date(Date.now() + (options.expiresInMs ?? 3600_000)).toISOString(), scopes: null },
  });
  platform.handle("integrations.get", () => {
    state.gets++;
    return access();
  });
  platform.handle("integrations.refresh", (_name, opts) => {
    state.refreshes.push(opts);
    state.current = valid;
    return { ...access(), oauth: { ...access().oauth!, expiresAt: new Date(Date.now() + 3600_000).toISOString() } };
  });
  return { platform, state };
}

const inRun = async <T>(platform: TestPlatform, fn: () => Promise<T>): Promise<T> => {
  const w = workflow({ params: z.object({}) }, fn);
  const run = await runWorkflow(w, {}, { platform, context: { orgId: "org-1" } });
  if (run.status !== "Success") throw new Error(`run ${run.status}: ${run.error}`);
  return run.result as T;
};

describe("integrations.getClient", () => {
  it("resolves paths against the base URL, sends the token, and encodes bodies and queries", async () => {
    valid = "token-1";
    const { platform } = platformWith();
    const out = await inRun(platform, async () => {
      const c = await integrations.getClient("api");
      return {
        baseUrl: c.baseUrl,
        get: await c.get("/users", { query: { $top: 5, skip: null, tag: ["a", "b"] } }),
        post: await c.post("items", { name: "x" }),
        form: await c.put("/form", new URLSearchParams({ a: "1" })),
        text: await c.patch("/raw", "just text", { headers: { "Content-Type": "text/plain" } }),
        absolute: await c.delete(`${base}/elsewhere`),
        empty: await c.get("/empty"),
        plain: await c.get("/text"),
      };
    });
    expect(out).toMatchObject({
      baseUrl: `${base}/v1/`,
      get: { method: "GET", url: "/v1/users?%24top=5&tag=a&tag=b" },
      post: { method: "POST", url: "/v1/items", body: '{"name":"x"}' },
      form: { method: "PUT", body: "a=1" },
      text: { method: "PATCH", body: "just text" },
      absolute: { method: "DELETE", url: "/elsewhere" },
      empty: null,
      plain: "plain words",
    });
    const types = seen.slice(-8).map((s) => s.type);
    expect(types.slice(1, 4)).toEqual(["application/json", "application/x-www-form-urlencoded;charset=UTF-8", "text/plain"]);
    expect(seen.slice(-8).every((s) => s.auth === "Bearer token-1")).toBe(true);
  });

  it("throws IntegrationHttpError with the parsed body on a non-2xx answer; request() hands back the response", async () => {
    const { platform } = platformWith();
    const out = await inRun(platform, async () => {
      const c = await integrations.getClient("api");
      const raw = await c.request("get", "/missing");
      try {
        await c.get("/missing");
        return { thrown: false };
      } catch (e) {
        const err = e as InstanceType<typeof integrations.IntegrationHttpError>;
        return { thrown: e instanceof integrations.IntegrationHttpError, code: err.code, status: err.status, body: err.body, message: err.message, raw: raw.status };
      }
    });
    expect(out).toEqual({
      thrown: true,
      code: "http_error",
      status: 404,
      body: { error: { code: "NotFound" } },
      message: `GET ${base}/v1/missing answered HTTP 404: {"error":{"code":"NotFound"}}`,
      raw: 404,
    });
  });

  it("retries once after one forced refresh when concurrent requests meet 401", async () => {
    valid = "token-1";
    const { platform, state } = platformWith();
    const out = await inRun(platform, async () => {
      const c = await integrations.getClient("api");
      valid = "token-2"; // the API stops accepting token-1
      const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => c.get<{ url: string }>(`/n/${n}`)));
      return { urls: answers.map((a) => a.url), token: c.integration.oauth!.accessToken };
    });
    expect(out).toEqual({ urls: ["/v1/n/1", "/v1/n/2", "/v1/n/3", "/v1/n/4", "/v1/n/5"], token: "token-2" });
    expect(state.refreshes).toEqual([{ rejectedToken: "token-1" }]);
  });

  it("a 401 after the refresh is the answer: no loop", async () => {
    valid = "token-1";
    const { platform, state } = platformWith();
    const out = await inRun(platform, async () => {
      const c = await integrations.getClient("api");
      valid = "token-2";
      const res = await c.request("GET", "/deny");
      return { status: res.status };
    });
    expect(out).toEqual({ status: 401 });
    expect(state.refreshes).toHaveLength(1);
    expect(seen.slice(-2).map((s) => s.auth)).toEqual(["Bearer token-1", "Bearer token-2"]);
    valid = "token-1";
  });

  it("asks the platform for a fresh token when its own is about to expire", async () => {
    valid = "token-1";
    const { platform, state } = platformWith({ expiresInMs: 10_000 });
    await inRun(platform, async () => {
      const c = await integrations.getClient("api");
      await c.get("/a");
      await c.get("/b");
    });
    expect(state.gets).toBe(3); // getClient, then before each request
    expect(state.refreshes).toEqual([]);
  });

  it("needs a base URL for relative paths, and sends no token for integrations without OAuth", async () => {
    const none = platformWith({ baseUrl: null });
    const error = await inRun(none.platform, async () => {
      const c = await integrations.getClient("api");
      return c.get("/x").then(
        () => null,
        (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
      );
    });
    expect(error).toEqual({ code: "no_base_url", message: expect.stringMatching(/^Integration "api" has no base URL/) });

    const plain = platformWith({ oauth: false });
    const res = await inRun(plain.platform, async () => (await (await integrations.getClient("api")).request("GET", "/text")).status);
    expect(res).toBe(200);
    expect(seen.at(-1)!.auth).toBeNull();
  });
});

describe("integrations.get", () => {
  it("returns plain data with a non-enumerable refresh() that updates it in place", async () => {
    valid = "token-1";
    const { platform, state } = platformWith();
    const out = await inRun(platform, async () => {
      const m = await integrations.get("api", { scope: "org-1" });
      const before = m.oauth!.accessToken;
      valid = "token-9";
      const same = (await m.oauth!.refresh()) === m.oauth;
      return { keys: Object.keys(m.oauth!).sort(), json: JSON.parse(JSON.stringify(m)).entityId, before, after: m.oauth!.accessToken, same };
    });
    expect(out).toEqual({ keys: ["accessToken", "expiresAt", "refreshToken", "scopes", "tokenType"], json: "tenant-1", before: "token-1", after: "token-9", same: true });
    expect(state.refreshes).toEqual([{ scope: "org-1" }]);
    valid = "token-1";
  });
});

describe("docs", () => {
  it("the Microsoft 365 guide's workflow and the reference's snippets type-check against the SDK", () => {
    const guide = readFileSync(join(ROOT, "docs/guides/microsoft-365.md"), "utf8");
    const block = /```ts\n(\/\/ workspace\/m365\/list-users\.ts[\s\S]*?)```/.exec(guide)?.[1];
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "bifrost-integ-types-"));
    try {
      const tsconfig = {
        compilerOptions: { strict: true, noEmit: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")], baseUrl: ".", paths: { bifrost: [join(ROOT, "packages/sdk/dist/index.d.ts")] } },
        include: ["*.ts"],
      };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
      writeFileSync(join(dir, "guide.ts"), block!);
      writeFileSync(
        join(dir, "reference.ts"),
        `import { integrations } from "bifrost";
export async function sample(orgId: string) {
  const m365 = await integrations.get("microsoft365", { scope: orgId });
  const token: string | undefined = m365.oauth?.accessToken;
  const renewed = await m365.oauth?.refresh();
  const graph = await integrations.getClient("microsoft365");
  let url: string | undefined = "/users?$top=999";
  const users: unknown[] = [];
  while (url) {
    const page: { value: unknown[]; "@odata.nextLink"?: string } = await graph.get(url);
    users.push(...page.value);
    url = page["@odata.nextLink"];
  }
  try {
    await graph.patch("/users/x", { usageLocation: "GB" });
  } catch (e) {
    if (e instanceof integrations.IntegrationHttpError && e.status === 403) return e.body;
  }
  const res: Response = await graph.request("GET", "/me", { timeoutMs: 5000 });
  const mapping = await integrations.upsertMapping("microsoft365", { entityId: "t", entityName: "Contoso", config: { a: 1 } }, { scope: orgId });
  const status: "not_connected" | "connected" | "needs_reauth" | undefined = mapping.connection?.status;
  const all = await integrations.list();
  const mine = await integrations.getMapping("microsoft365");
  const removed: boolean = await integrations.deleteMapping("microsoft365", { scope: orgId });
  return { token, renewed, users, res, status, all, mine, removed, list: await integrations.listMappings("microsoft365") };
}
`,
      );
      execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
    } catch (error) {
      throw new Error(String((error as { stdout?: string }).stdout ?? error));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
