/**
 * The egress policy end to end: a real platform (embedded, or on PostgreSQL + RabbitMQ +
 * Redis in the distributed project) runs workflows whose fetch goes through the worker
 * host. The machine's PostgreSQL, Redis and RabbitMQ, the platform's own API port and the
 * cloud metadata address are unreachable from a workflow; an allowed loopback server is.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@bifrost/server/config.js";
import { startDnsServer, startHttpServer, type DnsServer, type TestHttpServer } from "../../engine/test/egress-servers.js";
import { startTestPlatform, type TestPlatform } from "./helpers.js";

const FILES = {
  "net.ts": `
import http from "node:http";
import { workflow, z } from "bifrost";

export const probe = workflow({ params: z.object({ url: z.string() }) }, async ({ url }) => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { ok: true, status: res.status, body: await res.text() };
  } catch (e) {
    const err = e as Error & { cause?: Error & { code?: string } };
    return { ok: false, error: err.name + ": " + err.message, cause: err.cause?.message ?? null, code: err.cause?.code ?? null };
  }
});

export const nodeHttp = workflow({ params: z.object({ url: z.string() }) }, async ({ url }) =>
  new Promise((resolve) => {
    http.get(url, (res) => { res.resume(); res.on("end", () => resolve({ ok: true, status: res.statusCode })); })
      .on("error", (e: Error & { code?: string }) => resolve({ ok: false, message: e.message, code: e.code ?? null }));
  }),
);

export const streamed = workflow({ params: z.object({ base: z.string() }) }, async ({ base }) => {
  const res = await fetch(base + "/gated");
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const first = decoder.decode((await reader.read()).value);
  await (await fetch(base + "/release")).text();
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decoder.decode(r.value);
  return { first, rest };
});
`,
};

let t: TestPlatform;
let allowed: TestHttpServer;
let dns: DnsServer;

const probe = async (url: string) => {
  const r = await t.call({ method: "POST", url: "/api/workflows/probe/execute", payload: { url } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().status, r.body).toBe("Success");
  return r.json().result as { ok: boolean; error?: string; cause?: string | null; code?: string | null; status?: number; body?: string };
};

beforeAll(async () => {
  allowed = await startHttpServer();
  dns = await startDnsServer({ "rebind.example.com": ["127.0.0.1"], "partner.example.com": ["127.0.0.1"] });
  t = await startTestPlatform(
    FILES,
    {
      BIFROST_EGRESS_ALLOW: `127.0.0.1:${allowed.port}, partner.example.com`,
      BIFROST_EGRESS_DNS_SERVERS: `127.0.0.1:${dns.port}`,
    },
    { listen: true },
  );
});

afterAll(async () => {
  await t?.close();
  await Promise.all([allowed?.close(), dns?.close()]);
});

describe("egress from workflows", () => {
  it("PostgreSQL, Redis, RabbitMQ, the platform's API port and 169.254.169.254 are unreachable, with an error that says why", async () => {
    const apiPort = new URL(t.platform.url!).port;
    for (const [url, where, why] of [
      ["http://127.0.0.1:5432/", "127.0.0.1:5432", "loopback"],
      ["http://127.0.0.1:6379/", "127.0.0.1:6379", "loopback"],
      ["http://127.0.0.1:5672/", "127.0.0.1:5672", "loopback"],
      [`${t.platform.url}/api/workflows`, `127.0.0.1:${apiPort}`, "loopback"],
      ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254:80", "link-local: the cloud metadata service"],
    ] as const) {
      expect(await probe(url), url).toEqual({
        ok: false,
        error: "TypeError: fetch failed",
        cause: `egress to ${where} is not allowed (${why}); allow it with BIFROST_EGRESS_ALLOW`,
        code: "EGRESS_DENIED",
      });
    }
  });

  it("node:http is refused the same way, and reaches the allowed server", async () => {
    const call = async (url: string) => (await t.call({ method: "POST", url: "/api/workflows/nodeHttp/execute", payload: { url } })).json().result;
    expect(await call("http://127.0.0.1:6379/")).toEqual({ ok: false, message: "egress to 127.0.0.1:6379 is not allowed (loopback); allow it with BIFROST_EGRESS_ALLOW", code: "EGRESS_DENIED" });
    expect(await call(`${t.platform.url}/api/health`)).toMatchObject({ ok: false, code: "EGRESS_DENIED" });
    expect(await call(`${allowed.url}/status/204`)).toEqual({ ok: true, status: 204 });
  });

  it("a public-looking name that resolves to 127.0.0.1 is refused; the same address by an allowed name is reached", async () => {
    expect(await probe(`http://rebind.example.com:${new URL(t.platform.url!).port}/api/workflows`)).toMatchObject({
      ok: false,
      cause: expect.stringMatching(/^egress to rebind\.example\.com:\d+ \(resolved to 127\.0\.0\.1\) is not allowed \(loopback\); allow it with BIFROST_EGRESS_ALLOW$/),
    });
    const byName = await probe(`http://partner.example.com:${allowed.port}/echo`);
    expect(byName).toMatchObject({ ok: true, status: 200 });
    expect(JSON.parse(byName.body!).headers.host).toBe(`partner.example.com:${allowed.port}`);
  });

  it("an allowed loopback server is reachable, its body streamed as the workflow reads it", async () => {
    expect(await probe(`${allowed.url}/status/200`)).toEqual({ ok: true, status: 200, body: "status 200" });
    const r = await t.call({ method: "POST", url: "/api/workflows/streamed/execute", payload: { base: allowed.url } });
    expect(r.json()).toMatchObject({ status: "Success", result: { first: "first;", rest: "second" } });
  });

  it("the check in docs/deployment.md (an inline run) shows the refusal", async () => {
    const code = 'try { await fetch("http://169.254.169.254/latest/meta-data/"); return "REACHABLE" } catch (e) { return e.cause?.message }';
    const r = await t.call({ method: "POST", url: "/api/workflows/code/execute", payload: { code } });
    expect(r.json()).toMatchObject({ status: "Success", result: "egress to 169.254.169.254:80 is not allowed (link-local: the cloud metadata service); allow it with BIFROST_EGRESS_ALLOW" });
  });

  it("a bad BIFROST_EGRESS_ALLOW or BIFROST_EGRESS_DNS_SERVERS stops the start with the variable named", () => {
    expect(() => loadConfig({ BIFROST_EGRESS_ALLOW: "ok.example, not a/host" })).toThrow(ConfigError);
    expect(() => loadConfig({ BIFROST_EGRESS_ALLOW: "https://psa.example.com/api" })).toThrow(/BIFROST_EGRESS_ALLOW entry "https:\/\/psa\.example\.com\/api" is a URL: list its host or host:port instead \(psa\.example\.com\)/);
    expect(() => loadConfig({ BIFROST_EGRESS_DNS_SERVERS: "dns.example" })).toThrow(/BIFROST_EGRESS_DNS_SERVERS entry "dns\.example" is not a DNS server address/);
    expect(loadConfig({ BIFROST_EGRESS_ALLOW: " psa.internal:8443,10.0.0.0/8  [fd00::1]:443 " }).egressAllow).toEqual(["psa.internal:8443", "10.0.0.0/8", "[fd00::1]:443"]);
    expect(loadConfig({}).egressAllow).toEqual([]);
  });
});
