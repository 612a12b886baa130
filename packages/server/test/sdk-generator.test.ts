import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocumentText, prepareDocument, SdkGeneratorError } from "@bifrost/server/features/sdk-generator/document.js";
import { generateSdk, methodName } from "@bifrost/server/features/sdk-generator/generator.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FIXTURES = join(ROOT, "packages/server/test/fixtures/sdk");
// Inside the repository, so a generated module resolves "bifrost" and @types/node as a workspace does.
const DIR = join(ROOT, ".bifrost-test", `sdk-${randomUUID().slice(0, 8)}`);
const GITHUB = join(ROOT, "node_modules/@octokit/openapi/generated/api.github.com.json");

const halo = () => parseDocumentText(readFileSync(join(FIXTURES, "halopsa.yaml"), "utf8"));
const ninja = () => JSON.parse(readFileSync(join(FIXTURES, "ninja-swagger2.json"), "utf8")) as unknown;

/** Type-checks files of DIR under the project's strict settings (tsconfig.base.json). */
async function typecheck(files: string[]): Promise<string> {
  const config = join(DIR, `tsconfig.${randomUUID().slice(0, 6)}.json`);
  writeFileSync(
    config,
    JSON.stringify({ extends: join(ROOT, "tsconfig.base.json"), compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, sourceMap: false, incremental: false }, files }),
  );
  try {
    await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", config], { maxBuffer: 64 * 1024 * 1024 });
    return "";
  } catch (error) {
    return `${(error as { stdout?: string }).stdout ?? ""}${(error as Error).message}`;
  }
}

/** The generated module as the workspace would run it: transpiled by esbuild, imported. */
async function load(name: string, source: string): Promise<any> {
  const ts = join(DIR, `${name}.ts`);
  writeFileSync(ts, source);
  const out = join(DIR, `${name}.${randomUUID().slice(0, 6)}.mjs`);
  await build({ entryPoints: [ts], outfile: out, format: "esm", platform: "node", target: "node20", logLevel: "silent" });
  return import(pathToFileURL(out).href);
}

interface Hit {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A loopback API that records every request and answers from `handler`. */
let server: Server;
let base: string;
const hits: Hit[] = [];
let handler: (hit: Hit, res: ServerResponse) => void = (_h, res) => res.writeHead(404).end();
const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const hit = { method: req.method ?? "", path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      hits.push(hit);
      handler(hit, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(DIR, { recursive: true, force: true });
});

describe("generating", () => {
  it("GitHub's full REST description (≈1,000 operations) generates, and the module compiles under the strict tsconfig with typed calls", async () => {
    const doc = JSON.parse(readFileSync(GITHUB, "utf8"));
    const sdk = await generateSdk({ name: "github", document: doc });
    expect(sdk.operations).toBeGreaterThan(1000);
    expect(sdk.paginated).toBeGreaterThan(100);
    writeFileSync(join(DIR, "github.ts"), sdk.source);
    writeFileSync(
      join(DIR, "use-github.ts"),
      `import { ApiError, createClient, paginate, type OperationName } from "./github.js";
const gh = createClient({ auth: { type: "bearer", token: "t" } });
export async function use(): Promise<string[]> {
  const repo = await gh.reposGet({ path: { owner: "octokit", repo: "rest.js" } });
  const names: string[] = [repo.full_name];
  for await (const issue of paginate(gh.issuesListForRepo, { path: { owner: "o", repo: "r" }, query: { state: "open", per_page: 100 } })) names.push(issue.title);
  // @ts-expect-error reposGet is not paginated
  paginate(gh.reposGet, { path: { owner: "o", repo: "r" } });
  // @ts-expect-error the path parameters are required
  await gh.reposGet({});
  // @ts-expect-error an enum is a union of its strings
  await gh.issuesListForRepo({ path: { owner: "o", repo: "r" }, query: { state: "everything" } });
  const zen: string = await gh.metaGetZen();
  try { await gh.usersGetAuthenticated(); } catch (e) { if (e instanceof ApiError) { const op: OperationName = e.operation; names.push(op, String(e.status)); } }
  return [...names, zen];
}
`,
    );
    expect(await typecheck(["github.ts", "use-github.ts"])).toBe("");
  }, 180_000);

  it("a Swagger 2.0 document (converted) and an OpenAPI 3.0 YAML document compile, with methods named, collisions resolved and the right pagination", async () => {
    const h = await generateSdk({ name: "halo", document: halo() });
    const n = await generateSdk({ name: "ninja", document: ninja() });
    writeFileSync(join(DIR, "halo.ts"), h.source);
    writeFileSync(join(DIR, "ninja.ts"), n.source);
    writeFileSync(
      join(DIR, "use-psa.ts"),
      `import { createClient as halo, paginate } from "./halo.js";
import { createClient as ninja } from "./ninja.js";
const h = halo({ baseUrl: "http://127.0.0.1:1" });
const n = ninja({ auth: { type: "apiKey", in: "header", name: "X-Api-Key", value: "k" } });
export async function use() {
  const t = await h.createTicket({ body: { summary: "Printer on fire", client_id: 7, priority: "P1" } });
  const status: "new" | "in_progress" | "waiting_on_client" | "resolved" | "closed" = t.status;
  // @ts-expect-error P9 is not a priority
  await h.createTicket({ body: { summary: "x", client_id: 1, priority: "P9" } });
  const field: string | undefined = t["custom-field"];
  const parentSummary: string | undefined = t.parent?.parent?.summary;
  for await (const ticket of paginate(h.listTickets, { query: { page_size: 50 } })) ticket.summary.toUpperCase();
  for await (const client of paginate(h.listClients)) client.name.toUpperCase();
  for await (const asset of paginate(h.listAssets)) asset.inventory_number.toUpperCase();
  await h.uploadAttachment({ path: { id: 1 }, body: { file: "x", note: "n" } });
  const pdf: ArrayBuffer = await h.downloadAttachment({ path: { id: 1 } });
  await h.getAssetsByAssetId({ path: { "asset-id": 1 } });
  await h.getAssetsByAssetId2({ path: { "asset-id": 1 } });
  const text: string = await h.op2faResetX({ path: { report: "r" }, body: { from: "2026-01-01" } });
  const d = await n.getDevice({ path: { id: 1 } });
  const cls: "WINDOWS_WORKSTATION" | "WINDOWS_SERVER" | "MAC" | "LINUX_SERVER" = d.nodeClass;
  for await (const device of paginate(n.getDevices, { query: { pageSize: 10 } })) device.systemName.toUpperCase();
  for await (const org of paginate(n.getOrganizations)) org.name.toUpperCase();
  await n.updateDevice({ path: { id: 1 }, body: { displayName: "x" } });
  return [status, field, parentSummary, pdf.byteLength, text, cls];
}
`,
    );
    expect(await typecheck(["halo.ts", "ninja.ts", "use-psa.ts"])).toBe("");
    const ops = (source: string) => JSON.parse(/const OPERATIONS: readonly Spec\[\] = (.*);\n/.exec(source)![1]!) as { name: string; pages: unknown }[];
    const haloOps = Object.fromEntries(ops(h.source).map((o) => [o.name, o.pages]));
    expect(haloOps).toMatchObject({
      listTickets: { kind: "page", param: "page_no", size: "page_size", items: ["tickets"] },
      listClients: { kind: "cursor", param: "cursor", next: ["next_cursor"], items: ["clients"] },
      listAssets: { kind: "nextLink", next: ["@odata.nextLink"], items: ["value"] },
      getTicket: null,
    });
    expect(Object.fromEntries(ops(n.source).map((o) => [o.name, o.pages]))).toMatchObject({
      getDevices: { kind: "cursor", param: "after", next: ["cursor"], items: ["results"] },
      getOrganizations: { kind: "page", param: "page", size: "per_page", items: [] },
    });
    expect(n.source).toContain('const DEFAULT_BASE_URL: string = "https://rmm.example/v2";');
    expect(h.source).toContain('const DEFAULT_BASE_URL: string = "https://demo.halopsa.example/api";');
  }, 120_000);

  it("names: camelCase operationIds, method + path without one, identifiers always", () => {
    expect(methodName("list-tickets", "get", "/tickets")).toBe("listTickets");
    expect(methodName("repos/list-for-org", "get", "/orgs/{org}/repos")).toBe("reposListForOrg");
    expect(methodName(undefined, "get", "/tickets/{id}/notes")).toBe("getTicketsByIdNotes");
    expect(methodName("2fa/reset*/`x`", "post", "/x")).toBe("op2faResetX");
    expect(methodName("__proto__", "get", "/x")).toBe("proto");
    expect(methodName("***", "delete", "/")).toBe("operation");
  });

  it("nothing from the document escapes its comment or string: */, backticks and ${…} stay text", async () => {
    const evil = "*/ throw new Error(`pwned ${process.pid}`); /*";
    const doc = {
      openapi: "3.1.0",
      info: { title: `Evil */ title \`${"${1}"}\``, version: "1\n*/ export const hacked = 1; /*", description: evil },
      servers: [{ url: `https://x.example/"; throw 1; //` }],
      paths: {
        "/a/{we\"ird}": {
          get: {
            operationId: `x"; process.exit(1); //`,
            summary: evil,
            description: `line 1\n*/ const y = 2; /*\n\`backtick\``,
            parameters: [{ name: 'we"ird', in: "path", required: true, schema: { type: "string", description: evil } }, { name: "a b", in: "query", schema: { type: "string", enum: ["*/", "`", "${x}", "'"] } }],
            responses: { "200": { description: evil, content: { "application/json": { schema: { type: "object", properties: { "*/": { type: "string", description: evil }, "`k`": { type: "integer" } } } } } } },
          },
        },
      },
    };
    const sdk = await generateSdk({ name: "evil", document: doc });
    expect(sdk.source).not.toContain("hacked = 1;\n");
    writeFileSync(join(DIR, "evil.ts"), sdk.source);
    writeFileSync(join(DIR, "use-evil.ts"), `import { createClient } from "./evil.js";\nexport const c = createClient();\nexport const m: Function = c.xProcessExit1;\nexport type Q = NonNullable<Parameters<typeof c.xProcessExit1>[0]>["query"];\nexport const q: Q = { "a b": "*/" };\n`);
    expect(await typecheck(["evil.ts", "use-evil.ts"])).toBe("");
    // Loading it runs nothing of the document: no export but the module's own.
    const mod = await load("evil", sdk.source);
    expect(Object.keys(mod).sort()).toEqual(["ApiError", "createClient", "paginate"]);
    handler = (hit, res) => json(res, 200, { path: hit.path, q: hit.query.get("a b") });
    const client = mod.createClient({ baseUrl: base });
    expect(await client.xProcessExit1({ path: { 'we"ird': "a/b c" }, query: { "a b": "`" } })).toEqual({ path: "/a/a%2Fb%20c", q: "`" });
  });
});

describe("bad documents", () => {
  const problems = async (doc: unknown) => {
    try {
      await prepareDocument(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(SdkGeneratorError);
      return { status: (error as SdkGeneratorError).status, problems: (error as SdkGeneratorError).problems };
    }
    throw new Error("accepted");
  };

  it("422 with the JSON pointers of the first problems", async () => {
    expect(await problems({ openapi: "3.0.3", info: { title: "x" }, paths: { "/a": { get: { responses: { "200": { description: 1 } } } } } })).toMatchObject({
      status: 422,
      problems: expect.arrayContaining([
        { pointer: "#/info", message: "must have required property 'version'" },
        { pointer: "#/paths/~1a/get/responses/200/description", message: "must be string" },
      ]),
    });
    expect(await problems({ swagger: "1.2" })).toMatchObject({ status: 422, problems: [{ pointer: "#/swagger" }] });
    expect(await problems({ info: {} })).toMatchObject({ status: 422, problems: [{ pointer: "#/openapi" }] });
    expect(await problems([1])).toMatchObject({ status: 422, problems: [{ pointer: "#" }] });
    const missing = await problems({ openapi: "3.0.3", info: { title: "x", version: "1" }, paths: { "/a": { get: { responses: { "200": { $ref: "#/components/responses/Nope" } } } } } });
    expect(missing.problems[0]).toMatchObject({ pointer: "#/paths/~1a/get/responses/200/$ref", message: expect.stringContaining("does not exist") });
    expect(() => parseDocumentText("openapi: [unclosed")).toThrow(/neither JSON nor YAML/);
  });

  it("never reads a file or URL a $ref names", async () => {
    for (const ref of ["/etc/passwd", "http://169.254.169.254/latest/meta-data", "other.yaml#/x"]) {
      const r = await problems({ openapi: "3.0.3", info: { title: "x", version: "1" }, paths: { "/a": { get: { responses: { "200": { description: "d", content: { "application/json": { schema: { $ref: ref } } } } } } } } });
      expect(r.problems[0]).toMatchObject({ pointer: "#/paths/~1a/get/responses/200/content/application~1json/schema/$ref", message: expect.stringContaining("outside the document") });
    }
  });

  it("YAML alias bombs are refused, not expanded", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    expect(() => parseDocumentText(bomb)).toThrow(SdkGeneratorError);
  });

  it("bad names and base URLs are 422 naming the field", async () => {
    await expect(generateSdk({ name: "../evil", document: halo() })).rejects.toMatchObject({ status: 422, problems: [{ pointer: "name" }] });
    await expect(generateSdk({ name: "halo", document: halo(), baseUrl: "javascript:alert(1)" })).rejects.toMatchObject({ status: 422, problems: [{ pointer: "baseUrl" }] });
  });
});

describe("the generated client against a loopback API", () => {
  let mod: any;
  beforeAll(async () => {
    mod = await load("halo-run", (await generateSdk({ name: "halo", document: halo() })).source);
  });
  const lastHit = () => hits.at(-1)!;
  const ok = (hit: Hit, res: ServerResponse) => json(res, 200, { id: 1, summary: "s", status: "new", client_id: 1 });

  it("every auth type sends exactly its header or query parameter", async () => {
    handler = ok;
    const call = async (auth: unknown) => {
      await mod.createClient({ baseUrl: base, auth }).getTicket({ path: { id: 5 } });
      const h = lastHit();
      return { authorization: h.headers.authorization ?? null, key: h.headers["x-api-key"] ?? null, query: h.query.toString(), path: h.path };
    };
    expect(await call({ type: "bearer", token: "tok-1" })).toEqual({ authorization: "Bearer tok-1", key: null, query: "", path: "/tickets/5" });
    expect(await call({ type: "bearer", token: async () => "tok-2" })).toMatchObject({ authorization: "Bearer tok-2" });
    expect(await call({ type: "apiKey", in: "header", name: "X-Api-Key", value: "k-1" })).toEqual({ authorization: null, key: "k-1", query: "", path: "/tickets/5" });
    expect(await call({ type: "apiKey", in: "query", name: "api_key", value: "k 2&" })).toEqual({ authorization: null, key: null, query: "api_key=k+2%26", path: "/tickets/5" });
    expect(await call({ type: "basic", username: "ada", password: "pä:ss" })).toEqual({ authorization: `Basic ${Buffer.from("ada:pä:ss").toString("base64")}`, key: null, query: "", path: "/tickets/5" });
    expect(await call({ type: "none" })).toEqual({ authorization: null, key: null, query: "", path: "/tickets/5" });
  });

  it("OAuth 2 client credentials: one token request however many calls race, renewed before expiry, refresh-token grant, one retry after 401", async () => {
    let issued = 0;
    let lifetime = 3600;
    const grants: URLSearchParams[] = [];
    handler = (hit, res) => {
      if (hit.path === "/token") {
        grants.push(new URLSearchParams(hit.body.toString()));
        issued++;
        setTimeout(() => json(res, 200, { access_token: `at-${issued}`, token_type: "Bearer", expires_in: lifetime, refresh_token: `rt-${issued}` }), 50);
        return;
      }
      if (hit.headers.authorization === "Bearer revoked") return json(res, 401, { message: "expired" });
      ok(hit, res);
    };
    const auth = { type: "oauth2", tokenUrl: `${base}/token`, clientId: "cid", clientSecret: "s3cret", scopes: ["tickets:read", "assets:read"] };
    const client = mod.createClient({ baseUrl: base, auth });
    hits.length = 0;
    await Promise.all(Array.from({ length: 25 }, () => client.getTicket({ path: { id: 1 } })));
    expect(issued).toBe(1);
    expect(Object.fromEntries(grants[0]!)).toEqual({ grant_type: "client_credentials", client_id: "cid", client_secret: "s3cret", scope: "tickets:read assets:read" });
    expect(new Set(hits.filter((h) => h.path === "/tickets/1").map((h) => h.headers.authorization))).toEqual(new Set(["Bearer at-1"]));
    await client.getTicket({ path: { id: 1 } });
    expect(issued).toBe(1);

    // A token about to expire is renewed before use (renewal 10% of the lifetime early).
    lifetime = 1;
    const short = mod.createClient({ baseUrl: base, auth: { ...auth, clientAuth: "basic" } });
    await short.getTicket({ path: { id: 1 } });
    expect(grants.at(-1)!.get("client_id")).toBeNull();
    expect(hits.find((h) => h.path === "/token" && h.headers.authorization)?.headers.authorization).toBe(`Basic ${Buffer.from("cid:s3cret").toString("base64")}`);
    const before = issued;
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all([1, 2, 3].map(() => short.getTicket({ path: { id: 1 } })));
    expect(issued).toBe(before + 1);

    // The refresh-token grant, rotating the refresh token it is given back.
    lifetime = 3600;
    const refreshing = mod.createClient({ baseUrl: base, auth: { ...auth, refreshToken: "rt-start" } });
    await refreshing.getTicket({ path: { id: 1 } });
    expect(Object.fromEntries(grants.at(-1)!)).toMatchObject({ grant_type: "refresh_token", refresh_token: "rt-start" });

    // 401 with a cached token: one new token, the call repeated once.
    let first = true;
    handler = (hit, res) => {
      if (hit.path === "/token") return json(res, 200, { access_token: first ? "revoked" : "fresh", expires_in: 3600 }, {}), void (first = false);
      if (hit.headers.authorization === "Bearer revoked") return json(res, 401, { message: "expired" });
      ok(hit, res);
    };
    const retried = mod.createClient({ baseUrl: base, auth });
    hits.length = 0;
    await retried.getTicket({ path: { id: 2 } });
    expect(hits.map((h) => `${h.path} ${h.headers.authorization ?? ""}`)).toEqual(["/token ", "/tickets/2 Bearer revoked", "/token ", "/tickets/2 Bearer fresh"]);
  });

  it("non-2xx throws ApiError with status, body and operation; 429/503 honour Retry-After a bounded number of times", async () => {
    handler = (_h, res) => json(res, 404, { message: "Ticket 9 does not exist", code: "nf" });
    const client = mod.createClient({ baseUrl: base, retries: 2 });
    const error = await client.getTicket({ path: { id: 9 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(mod.ApiError);
    expect(error).toMatchObject({ name: "ApiError", status: 404, operation: "getTicket", body: { message: "Ticket 9 does not exist", code: "nf" } });
    expect(error.message).toBe("getTicket (GET /tickets/{id}) failed: HTTP 404: Ticket 9 does not exist");

    let n = 0;
    handler = (_h, res) => (++n < 3 ? json(res, n === 1 ? 429 : 503, { message: "slow down" }, { "retry-after": n === 1 ? "1" : new Date(Date.now() + 300).toUTCString() }) : ok(_h, res));
    const started = Date.now();
    expect(await client.getTicket({ path: { id: 1 } })).toMatchObject({ id: 1 });
    expect(n).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    n = 0;
    handler = (_h, res) => (n++, json(res, 429, { message: "quota" }, { "retry-after": "0" }));
    await expect(client.getTicket({ path: { id: 1 } })).rejects.toMatchObject({ status: 429, operation: "getTicket" });
    expect(n).toBe(3);

    // A wait longer than a minute is not slept through: the error comes at once.
    n = 0;
    handler = (_h, res) => (n++, json(res, 503, { message: "maintenance" }, { "retry-after": "3600" }));
    await expect(client.getTicket({ path: { id: 1 } })).rejects.toMatchObject({ status: 503 });
    expect(n).toBe(1);
  });

  it("paginate() walks page numbers, cursors, next links and Link headers; the next link never leaves the API's origin", async () => {
    const client = mod.createClient({ baseUrl: base });
    handler = (hit, res) => {
      if (hit.path === "/tickets") {
        const page = Number(hit.query.get("page_no") ?? 1);
        const size = Number(hit.query.get("page_size"));
        const all = Array.from({ length: 7 }, (_, i) => ({ id: i + 1 }));
        return json(res, 200, { record_count: 7, tickets: all.slice((page - 1) * size, page * size) });
      }
      if (hit.path === "/clients") {
        const c = hit.query.get("cursor");
        return json(res, 200, c === null ? { clients: [{ id: 1 }, { id: 2 }], next_cursor: "b" } : c === "b" ? { clients: [{ id: 3 }], next_cursor: "c" } : { clients: [], next_cursor: null });
      }
      if (hit.path === "/assets") {
        const skip = Number(hit.query.get("$skip") ?? 0);
        return json(res, 200, { value: [{ id: skip + 1 }], ...(skip < 2 ? { "@odata.nextLink": `${base}/assets?$skip=${skip + 1}` } : {}) });
      }
      if (hit.path === "/evil") return json(res, 200, { value: [{ id: 99 }], "@odata.nextLink": "http://evil.example/steal" });
      res.writeHead(404).end();
    };
    const ids = async (it: AsyncIterable<{ id: number }>) => {
      const out: number[] = [];
      for await (const x of it) out.push(x.id);
      return out;
    };
    expect(await ids(mod.paginate(client.listTickets, { query: { page_size: 3 } }))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(hits.filter((h) => h.path === "/tickets").slice(-3).map((h) => h.query.get("page_no"))).toEqual([null, "2", "3"]);
    expect(await ids(mod.paginate(client.listClients))).toEqual([1, 2, 3]);
    expect(await ids(mod.paginate(client.listAssets))).toEqual([1, 2, 3]);
    // A Link: rel="next" header is followed too (GitHub's way).
    handler = (hit, res) => {
      const page = Number(hit.query.get("page_no") ?? 1);
      json(res, 200, { tickets: [{ id: page }] }, page < 3 ? { link: `<${base}/tickets?page_no=${page + 1}>; rel="next", <${base}/tickets?page_no=3>; rel="last"` } : {});
    };
    expect(await ids(mod.paginate(client.listTickets))).toEqual([1, 2, 3]);
    handler = (_hit, res) => json(res, 200, { value: [{ id: 99 }], "@odata.nextLink": "http://evil.example/steal" });
    const secret = mod.createClient({ baseUrl: base, auth: { type: "bearer", token: "secret" } });
    await expect(ids(mod.paginate(secret.listAssets))).rejects.toThrow(/not on http:\/\/127\.0\.0\.1/);
  });

  it("multipart, binary, form and text bodies; binary answers; header parameters", async () => {
    handler = (hit, res) => json(res, 201, { id: 1, size: hit.body.length });
    const client = mod.createClient({ baseUrl: base });
    const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    await client.uploadAttachment({ path: { id: 3 }, body: { file: new Blob([pdf], { type: "application/pdf" }), note: "scan" } });
    const upload = lastHit();
    expect(upload.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body.includes(Buffer.from(pdf))).toBe(true);
    expect(upload.body.toString("latin1")).toContain('name="note"\r\n\r\nscan');

    await client.putRawAttachment({ path: { id: 3 }, body: pdf });
    expect(lastHit().headers["content-type"]).toBe("application/octet-stream");
    expect([...lastHit().body]).toEqual([...pdf]);

    handler = (_hit, res) => res.writeHead(200, { "content-type": "application/pdf" }).end(Buffer.from(pdf));
    const bytes: ArrayBuffer = await client.downloadAttachment({ path: { id: 3 } });
    expect([...new Uint8Array(bytes)]).toEqual([...pdf]);

    handler = (hit, res) => res.writeHead(200, { "content-type": "text/plain" }).end(`got ${hit.body.toString()}`);
    expect(await client.op2faResetX({ path: { report: "weekly" }, body: { from: "2026-01-01" } })).toBe("got from=2026-01-01");
    expect(lastHit().headers["content-type"]).toBe("application/x-www-form-urlencoded");

    handler = ok;
    await client.getTicket({ path: { id: 1 }, headers: { "X-Halo-Tenant": "contoso" } }, { headers: { "x-extra": "1" } });
    expect(lastHit().headers).toMatchObject({ "x-halo-tenant": "contoso", "x-extra": "1", accept: "application/json" });

    handler = (hit, res) => json(res, 201, JSON.parse(hit.body.toString()));
    expect(await client.createTicket({ body: { summary: "Printer", client_id: 4 } })).toEqual({ summary: "Printer", client_id: 4 });
    expect(lastHit().headers["content-type"]).toBe("application/json");
    handler = (_hit, res) => res.writeHead(204).end();
    expect(await client.deleteTicket({ path: { id: 1 } })).toBeUndefined();
    await expect(client.getTicket({ path: {} })).rejects.toThrow(/path parameter "id" is required/);
  });
});
