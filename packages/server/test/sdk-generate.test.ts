import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocumentText } from "@bifrost/server/features/sdk-generator/document.js";
import { ADMIN_KEY, createOrgWithKey, freePort, startTestPlatform, type TestPlatform } from "./helpers.js";
import { CLIENTS, startOAuthServer, startResourceServer, type OAuthServer } from "./oauth-server.js";

const HALO_YAML = readFileSync(new URL("./fixtures/sdk/halopsa.yaml", import.meta.url), "utf8");

/** The resource server's one operation, as a vendor would describe it. */
const serviceDoc = (extra: Record<string, unknown> = {}) => ({
  openapi: "3.0.3",
  info: { title: "Loopback service", version: "1" },
  paths: {
    "/me": {
      get: {
        operationId: "getMe",
        responses: {
          "200": { description: "who the token belongs to", content: { "application/json": { schema: { type: "object", required: ["clientId"], properties: { clientId: { type: "string" }, sub: { type: "string", nullable: true }, path: { type: "string" } } } } } },
          "401": { description: "no token" },
        },
      },
    },
    ...extra,
  },
});

const WORKFLOW = `
import { workflow } from "bifrost";
import { ApiError, createClient } from "./sdks/service.js";

export const whoAmI = workflow({}, async () => {
  const api = createClient({ auth: { type: "integration", name: "service" } });
  try {
    const me = await api.getMe();
    return { clientId: me.clientId, path: me.path };
  } catch (e) {
    return { failed: e instanceof ApiError ? e.status : String(e) };
  }
});
`;

let t: TestPlatform;
let oauth: OAuthServer;
let api: Awaited<ReturnType<typeof startResourceServer>>;
let docs: Server;
let docsUrl: string;
let orgA: string;
let keyA: string;
let orgB: string;
let keyB: string;

const generate = (payload: unknown, key?: string) => t.call({ method: "POST", url: "/api/sdk/generate", payload: payload as Record<string, unknown>, key });
const exec = async (name: string, key: string) => (await t.call({ method: "POST", url: `/api/workflows/${name}/execute`, payload: {}, key })).json();

beforeAll(async () => {
  oauth = await startOAuthServer(await freePort());
  api = await startResourceServer(oauth, await freePort());
  // Serves documents by URL: the YAML fixture, a 404, and one past the 50 MB cap (streamed).
  docs = createServer((req, res) => {
    if (req.url === "/halo.yaml") return res.writeHead(200, { "content-type": "application/yaml" }).end(HALO_YAML);
    if (req.url === "/huge.json") {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const push = () => {
        while (sent < 60 && res.write(chunk)) sent++;
        if (sent < 60) res.once("drain", push);
        else res.end();
      };
      res.on("error", () => undefined);
      return push();
    }
    res.writeHead(404).end("no");
  });
  await new Promise<void>((r) => docs.listen(0, "127.0.0.1", r));
  docsUrl = `http://127.0.0.1:${(docs.address() as { port: number }).port}`;
  t = await startTestPlatform({}, { BIFROST_EGRESS_ALLOW: new URL(api.url).host, BIFROST_WORKERS: "2" });
  ({ orgId: orgA, key: keyA } = await createOrgWithKey(t, "Alpha"));
  ({ orgId: orgB, key: keyB } = await createOrgWithKey(t, "Beta"));
}, 90_000);

afterAll(async () => {
  await t?.close();
  await api?.close();
  await oauth?.close();
  docs?.closeAllConnections();
  await new Promise((r) => (docs ? docs.close(r) : r(undefined)));
});

describe("POST /api/sdk/generate", () => {
  it("writes workspace/sdks/<name>.ts, returns the module, and the registry keeps it as a library file (no workflow, no load error)", async () => {
    const res = await generate({ name: "halo", spec: parseDocumentText(HALO_YAML) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ name: "halo", path: "sdks/halo.ts", title: "HaloPSA-style Service Desk API", version: "2.1.0", operations: 12, paginated: 3, loadErrors: [] });
    expect(readFileSync(join(t.workspace, "sdks/halo.ts"), "utf8")).toBe(body.source);
    const opened = (await t.call({ method: "GET", url: "/api/files/editor/file?path=sdks/halo.ts" })).json();
    expect(opened).toMatchObject({ workflows: [], loadErrors: [] });
    const listed = (await t.call({ method: "GET", url: "/api/workflows" })).json();
    expect(JSON.stringify(listed)).not.toContain("sdks/halo.ts");
    // A workspace file changed through the API: its audit event names the file, never its content.
    const events = (await t.call({ method: "GET", url: "/api/audit?action=sdk.generate&limit=5" })).json().events;
    expect(events[0]).toMatchObject({ action: "sdk.generate", target: "workspace/sdks/halo.ts" });
    expect(JSON.stringify(events)).not.toContain("createClient");

    // By URL (YAML text) and as YAML text in the body: the same module.
    const byUrl = await generate({ name: "halo", spec: `${docsUrl}/halo.yaml` });
    expect(byUrl.statusCode, byUrl.body).toBe(200);
    expect(byUrl.json().source).toBe(body.source);
    const byText = await generate({ name: "halo", spec: HALO_YAML, baseUrl: "https://contoso.halopsa.example/api" });
    expect(byText.statusCode, byText.body).toBe(200);
    // Regenerating replaces the file.
    expect(readFileSync(join(t.workspace, "sdks/halo.ts"), "utf8")).toContain('const DEFAULT_BASE_URL: string = "https://contoso.halopsa.example/api";');
  });

  it("a workflow importing ./sdks/service.js with { type: \"integration\" } calls the API with its own organization's token", async () => {
    const defined = await t.call({
      method: "POST",
      url: "/api/integrations",
      payload: { name: "service", baseUrl: api.url, oauth: { flow: "client_credentials", tokenUrl: `${oauth.url}/t/{entityId}/token`, scopes: ["api:read"], clientId: CLIENTS.post.id, clientSecret: CLIENTS.post.secret } },
    });
    expect(defined.statusCode, defined.body).toBe(201);
    for (const [org, entityId] of [[orgA, "tenant-a"], [orgB, "tenant-b"]] as const) {
      const mapped = await t.call({ method: "PUT", url: `/api/integrations/service/mappings/${org}`, payload: { entityId } });
      expect(mapped.statusCode, mapped.body).toBe(201);
    }
    const sdk = await generate({ name: "service", spec: serviceDoc(), auth: { type: "integration", name: "service" } });
    expect(sdk.statusCode, sdk.body).toBe(200);
    const saved = await t.call({ method: "POST", url: "/api/files/editor/file", payload: { path: "who.ts", content: WORKFLOW } });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({ loadErrors: [], workflows: [{ name: "whoAmI" }] });

    api.hits.length = 0;
    const a = await exec("whoAmI", keyA);
    const b = await exec("whoAmI", keyB);
    expect(a, JSON.stringify(a)).toMatchObject({ status: "Success", result: { clientId: CLIENTS.post.id, path: "/me" } });
    expect(b, JSON.stringify(b)).toMatchObject({ status: "Success", result: { clientId: CLIENTS.post.id, path: "/me" } });
    expect(api.hits.map((h) => h.status)).toEqual([200, 200]);
    // Each run sent its own organization's token: the one integrations.get hands that organization.
    const tokenOf = async (key: string) => (await t.call({ method: "POST", url: "/api/sdk/call", payload: { method: "integrations.get", args: ["service"] }, key })).json().value.oauth.accessToken;
    expect(api.hits[0]!.token).toBe(await tokenOf(keyA));
    expect(api.hits[1]!.token).toBe(await tokenOf(keyB));
    expect(api.hits[0]!.token).not.toBe(api.hits[1]!.token);
    expect(oauth.count("client_credentials", "tenant-a")).toBe(1);
    expect(oauth.count("client_credentials", "tenant-b")).toBe(1);

    // Regenerating with a new operation replaces the module; the workflow still runs on it.
    const again = await generate({ name: "service", spec: serviceDoc({ "/ping": { get: { operationId: "ping", responses: { "204": { description: "up" } } } } }), auth: { type: "integration", name: "service" } });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().operations).toBe(2);
    expect(readFileSync(join(t.workspace, "sdks/service.ts"), "utf8")).toContain("ping: Method<");
    expect(await exec("whoAmI", keyA)).toMatchObject({ status: "Success", result: { clientId: CLIENTS.post.id } });
  }, 90_000);

  it("an invalid document is 422 naming the JSON pointers of its first problems", async () => {
    const res = await generate({ name: "bad", spec: { openapi: "3.0.3", info: { title: "x" }, paths: { "/a": { get: { responses: { "200": { description: 1 } } } } } } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "invalid_document", message: expect.stringContaining("#/info must have required property 'version'") });
    expect(res.json().error.fields).toEqual(expect.arrayContaining([{ path: "#/paths/~1a/get/responses/200/description", message: "must be string" }]));
    const external = await generate({ name: "bad", spec: { openapi: "3.1.0", info: { title: "x", version: "1" }, paths: { "/a": { $ref: "file:///etc/passwd" } } } });
    expect(external.statusCode).toBe(422);
    expect(external.json().error.fields[0]).toMatchObject({ path: "#/paths/~1a/$ref", message: expect.stringContaining("outside the document") });
    expect((await generate({ name: "../../etc/x", spec: serviceDoc() })).json().error.fields).toEqual([{ path: "name", message: expect.any(String) }]);
    // Credentials are secrets: never written into a workspace file.
    const secret = await generate({ name: "x", spec: serviceDoc(), auth: { type: "bearer", token: "s3cret" } });
    expect(secret.statusCode).toBe(422);
    expect(secret.json().error.message).toContain("auth");
    expect((await generate({ name: "x" })).json().error.fields).toEqual([expect.objectContaining({ path: "spec" })]);
  });

  it("a URL the server cannot fetch is 502 with the reason; over 50 MB is 413", async () => {
    const closed = await freePort();
    const refused = await generate({ name: "x", spec: `http://127.0.0.1:${closed}/openapi.json` });
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error).toMatchObject({ code: "spec_unreachable", message: expect.stringContaining("ECONNREFUSED") });
    const missing = await generate({ name: "x", spec: `${docsUrl}/nope.json` });
    expect(missing.statusCode).toBe(502);
    expect(missing.json().error.message).toContain("HTTP 404");
    const huge = await generate({ name: "x", spec: `${docsUrl}/huge.json` });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toMatchObject({ code: "payload_too_large", message: expect.stringContaining("larger than 50 MB") });
    const inline = await t.app.inject({
      method: "POST",
      url: "/api/sdk/generate",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      payload: `{"name":"x","spec":{"openapi":"3.0.3","info":{"title":"${"x".repeat(51 * 1024 * 1024)}","version":"1"},"paths":{}}}`,
    });
    expect(inline.statusCode).toBe(413);
  }, 60_000);

  it("is for platform admins only", async () => {
    const res = await generate({ name: "halo", spec: serviceDoc() }, keyA);
    expect(res.statusCode).toBe(403);
  });
});
