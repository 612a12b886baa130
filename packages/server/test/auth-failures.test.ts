import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCache } from "@bifrost/engine/events/cache.js";
import { ConfigError, loadConfig } from "@bifrost/server/config.js";
import { RateLimiter } from "@bifrost/server/rate-limiter.js";
import { ADMIN_KEY, createOrgWithKey, DISTRIBUTED, startTestPlatform, type TestPlatform } from "./helpers.js";

/**
 * Failed authentication is limited per client address (BIFROST_AUTH_FAIL_LIMIT a
 * minute): bad API keys and bad endpoint keys count together; past the limit the address
 * gets 429 with Retry-After for every key it presents, while other addresses go on.
 */

const LIMIT = 5;

const FILES = {
  "hooks.ts": `
import { workflow } from "bifrost";
export const hook = workflow({ name: "hook", endpointEnabled: true }, async () => ({ hooked: true }));
export const open = workflow({ name: "open_hook", endpointEnabled: true, publicEndpoint: true }, async () => ({ open: true }));
`,
};

let t: TestPlatform;
let orgKey: string;
let endpointKey: string;

/** A made-up client address, new for each test (the counts of a shared Redis outlive a test). */
const address = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

beforeAll(async () => {
  // Inject's own peer is 127.0.0.1: trusted as a proxy, its X-Forwarded-For names the client.
  t = await startTestPlatform(FILES, { BIFROST_AUTH_FAIL_LIMIT: String(LIMIT), BIFROST_TRUST_PROXY: "127.0.0.1" });
  ({ key: orgKey } = await createOrgWithKey(t, "Limited"));
  endpointKey = (await t.call({ method: "POST", url: "/api/endpoint-keys", payload: { name: "hook key", workflow: "hook" } })).json().key;
});
afterAll(async () => {
  await t?.close();
});

function api(remoteAddress: string, key: string | null, url = "/api/workflows") {
  return t.app.inject({ method: "GET", url, remoteAddress, headers: key === null ? {} : { authorization: `Bearer ${key}` } });
}

function hook(remoteAddress: string, key: string | null, name = "hook") {
  return t.app.inject({ method: "POST", url: `/api/endpoints/${name}`, remoteAddress, headers: key === null ? {} : { "x-bifrost-key": key }, payload: {} });
}

function expectBlocked(res: Awaited<ReturnType<typeof api>>) {
  expect(res.statusCode).toBe(429);
  const retryAfter = Number(res.headers["retry-after"]);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120).toBe(true);
  expect(res.json()).toEqual({ error: { code: "too_many_auth_failures", message: `Too many failed authentications from this address: retry in ${retryAfter} s` } });
}

describe("failed authentication, per client address", () => {
  it(`answers 429 with Retry-After after ${LIMIT} bad API keys; other addresses keep working`, async () => {
    const attacker = address();
    const neighbour = address();
    for (let i = 0; i < LIMIT; i++) expect((await api(attacker, `bfk_guess_${i}`)).statusCode).toBe(401);
    expectBlocked(await api(attacker, "bfk_guess_next"));
    // Blocked means blocked: a right key from that address learns nothing more than a wrong one.
    expectBlocked(await api(attacker, ADMIN_KEY));
    // Another address is not affected: valid keys work, its own bad keys are plain 401s.
    expect((await api(neighbour, ADMIN_KEY)).statusCode).toBe(200);
    expect((await api(neighbour, orgKey)).statusCode).toBe(200);
    expect((await api(neighbour, "bfk_typo")).statusCode).toBe(401);
    expect((await api(neighbour, orgKey)).statusCode).toBe(200);
  });

  it("counts bad endpoint keys (header or path) with bad API keys, and never blocks calls without a key", async () => {
    const client = address();
    expect((await hook(client, endpointKey)).statusCode).toBe(200);
    expect((await hook(client, "bfe_wrong_1")).statusCode).toBe(401);
    expect((await hook(client, "bfe_wrong_2")).statusCode).toBe(401);
    expect((await t.app.inject({ method: "POST", url: "/api/execute/bfe_wrong_3", remoteAddress: client, payload: {} })).statusCode).toBe(401);
    expect((await api(client, "bfk_wrong_4")).statusCode).toBe(401);
    expect((await api(client, "bfk_wrong_5")).statusCode).toBe(401);
    expectBlocked(await hook(client, endpointKey));
    expectBlocked(await t.app.inject({ method: "POST", url: "/api/execute/bfe_wrong_6", remoteAddress: client, payload: {} }));
    expectBlocked(await api(client, orgKey));
    // No key presented, nothing looked up: a public endpoint still answers, a missing key is 401.
    expect((await hook(client, null, "open_hook")).statusCode).toBe(200);
    expect((await api(client, null)).statusCode).toBe(401);
    // The endpoint key still works from elsewhere.
    expect((await hook(address(), endpointKey)).statusCode).toBe(200);
  });

  it("does not count requests without a key", async () => {
    const client = address();
    for (let i = 0; i < LIMIT * 3; i++) expect((await api(client, null)).statusCode).toBe(401);
    for (let i = 0; i < LIMIT * 3; i++) expect((await hook(client, null)).statusCode).toBe(401);
    expect((await api(client, ADMIN_KEY)).statusCode).toBe(200);
    expect((await api(client, "bfk_first_wrong")).statusCode).toBe(401);
  });

  it("behind a trusted proxy, counts per forwarded client address", async () => {
    const viaProxy = (client: string, key: string) =>
      t.app.inject({ method: "GET", url: "/api/workflows", headers: { authorization: `Bearer ${key}`, "x-forwarded-for": client } });
    const one = address();
    const two = address();
    for (let i = 0; i < LIMIT; i++) expect((await viaProxy(one, `bfk_x_${i}`)).statusCode).toBe(401);
    expectBlocked(await viaProxy(one, ADMIN_KEY));
    expect((await viaProxy(two, ADMIN_KEY)).statusCode).toBe(200);
    // An untrusted peer cannot pick its address with the header.
    const peer = address();
    for (let i = 0; i < LIMIT; i++) {
      const res = await t.app.inject({ method: "GET", url: "/api/workflows", remoteAddress: peer, headers: { authorization: `Bearer bfk_y_${i}`, "x-forwarded-for": address() } });
      expect(res.statusCode).toBe(401);
    }
    expectBlocked(await api(peer, ADMIN_KEY));
  });

  it.runIf(DISTRIBUTED)("holds across API processes sharing Redis", async () => {
    const other = await startTestPlatform(FILES, { BIFROST_AUTH_FAIL_LIMIT: String(LIMIT), BIFROST_WORKERS: "1" });
    try {
      const client = address();
      for (let i = 0; i < 3; i++) expect((await api(client, `bfk_a_${i}`)).statusCode).toBe(401);
      for (let i = 0; i < 2; i++) {
        const res = await other.app.inject({ method: "GET", url: "/api/workflows", remoteAddress: client, headers: { authorization: `Bearer bfk_b_${i}` } });
        expect(res.statusCode).toBe(401);
      }
      expectBlocked(await api(client, ADMIN_KEY));
      expectBlocked(await other.app.inject({ method: "GET", url: "/api/workflows", remoteAddress: client, headers: { authorization: `Bearer ${ADMIN_KEY}` } }));
    } finally {
      await other.close();
    }
  });
});

describe("the limiter's window", () => {
  it("lets an address in again when Retry-After has passed, and keeps the rate at the limit a minute", async () => {
    let now = Date.UTC(2030, 0, 1, 12, 0, 30); // half way through a minute
    const limiter = new RateLimiter(new MemoryCache(), "test", 10, () => now);
    for (let i = 0; i < 10; i++) expect(await limiter.take("a")).toBe(0);
    const wait = await limiter.take("a");
    expect(wait).toBeGreaterThan(0);
    expect(await limiter.check("a")).toBeGreaterThan(0);
    expect(await limiter.check("b")).toBe(0);
    now += (wait - 1) * 1000;
    expect(await limiter.check("a")).toBeGreaterThan(0);
    now += 1000;
    expect(await limiter.check("a")).toBe(0);
    // A client asking twice a second gets about the limit through a minute — a fixed window would let up to twice as many through across a minute's end.
    let passed = 0;
    for (let s = 0; s < 60; s++) {
      now += 1000;
      if ((await limiter.take("steady")) === 0) passed++;
      if ((await limiter.take("steady")) === 0) passed++;
    }
    expect(passed).toBeGreaterThanOrEqual(10);
    expect(passed).toBeLessThan(20);
  });

  it("BIFROST_AUTH_FAIL_LIMIT and BIFROST_TRUST_PROXY are parsed at start-up, errors naming them", () => {
    expect(loadConfig({}).authFailLimit).toBe(30);
    expect(loadConfig({ BIFROST_AUTH_FAIL_LIMIT: "100" }).authFailLimit).toBe(100);
    expect(() => loadConfig({ BIFROST_AUTH_FAIL_LIMIT: "0" })).toThrow(/BIFROST_AUTH_FAIL_LIMIT must be at least 1/);
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ BIFROST_TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ BIFROST_TRUST_PROXY: "10.0.0.0/8, 192.168.1.7,fd00::/8" }).trustProxy).toEqual(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);
    expect(() => loadConfig({ BIFROST_TRUST_PROXY: "proxy.example.com" })).toThrow(ConfigError);
    expect(() => loadConfig({ BIFROST_TRUST_PROXY: "10.0.0.0/33" })).toThrow(/BIFROST_TRUST_PROXY must be/);
  });
});
