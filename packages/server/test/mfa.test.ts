import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base32Encode, totp } from "@bifrost/server/features/auth/totp.js";
import { startTestPlatform, type TestPlatform } from "./helpers.js";

/** TOTP two-factor sign-in (RFC 6238), recovery codes, and BIFROST_REQUIRE_MFA_FOR_ADMINS. */

let t: TestPlatform;
/** Per run: with Redis, failed sign-in counts per account outlive a test platform. */
const ADMIN = { email: `mfa-admin-${randomInt(1e9)}@msp.example`, name: "MFA Admin", password: "mfa admin pass phrase" };

function cookiesOf(res: { headers: Record<string, unknown> }): string {
  return ([] as string[]).concat((res.headers["set-cookie"] as string[] | undefined) ?? []).map((c) => c.split(";")[0]).join("; ");
}
const login = (body: Record<string, unknown>) => t.app.inject({ method: "POST", url: "/api/auth/login", payload: body });

beforeAll(async () => {
  t = await startTestPlatform({}, { BIFROST_REQUIRE_MFA_FOR_ADMINS: "true" });
});
afterAll(async () => {
  await t?.close();
});

describe("TOTP", () => {
  it("matches RFC 6238's SHA-1 test vectors (last 6 digits)", () => {
    const secret = base32Encode(Buffer.from("12345678901234567890"));
    expect(totp(secret, 59_000)).toBe("287082");
    expect(totp(secret, 1_111_111_109_000)).toBe("081804");
    expect(totp(secret, 2_000_000_000_000)).toBe("279037");
  });
});

describe("two-factor sign-in", () => {
  it("a platform admin must enrol before anything else; then sign-in asks for the code; recovery codes work once", async () => {
    const setup = await t.app.inject({ method: "POST", url: "/api/auth/setup", payload: { ...ADMIN, token: t.platform.setupToken } });
    expect(setup.statusCode).toBe(201);
    let cookie = cookiesOf(setup);
    let csrf = setup.json().csrfToken as string;
    const as = (method: "GET" | "POST", url: string, payload?: unknown) => t.app.inject({ method, url, headers: { cookie, "x-bifrost-csrf": csrf }, ...(payload ? { payload } : {}) });

    const blocked = await as("GET", "/api/workflows");
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe("mfa_enrolment_required");
    expect((await as("GET", "/api/auth/me")).statusCode).toBe(200);

    const enrol = await as("POST", "/api/auth/mfa/enroll");
    const { secret, otpauthUri } = enrol.json() as { secret: string; otpauthUri: string };
    expect(otpauthUri).toBe(`otpauth://totp/Bifrost:${encodeURIComponent(ADMIN.email)}?secret=${secret}&issuer=Bifrost&algorithm=SHA1&digits=6&period=30`);
    // Not in force before it is verified.
    expect((await as("GET", "/api/workflows")).statusCode).toBe(403);
    const wrong = await as("POST", "/api/auth/mfa/verify", { code: totp(secret) === "000000" ? "111111" : "000000" });
    expect(wrong.statusCode).toBe(422);
    const verified = await as("POST", "/api/auth/mfa/verify", { code: totp(secret) });
    expect(verified.statusCode).toBe(200);
    const recovery = verified.json().recoveryCodes as string[];
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    expect((await as("GET", "/api/workflows")).statusCode).toBe(200);
    // Recovery codes are stored hashed.
    const row = await t.platform.engine.database.db.selectFrom("users").select(["recovery_codes", "mfa_secret"]).where("email", "=", ADMIN.email).executeTakeFirstOrThrow();
    expect(row.recovery_codes).not.toContain(recovery[0]);
    expect(row.mfa_secret).not.toContain(secret);

    const noCode = await login({ email: ADMIN.email, password: ADMIN.password });
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().error.code).toBe("mfa_required");
    expect(noCode.headers["set-cookie"]).toBeUndefined();
    const badCode = await login({ email: ADMIN.email, password: ADMIN.password, code: "123456" === totp(secret) ? "654321" : "123456" });
    expect(badCode.json().error.code).toBe("invalid_mfa_code");
    const withCode = await login({ email: ADMIN.email, password: ADMIN.password, code: totp(secret) });
    expect(withCode.statusCode).toBe(200);
    const withRecovery = await login({ email: ADMIN.email, password: ADMIN.password, code: recovery[3] });
    expect(withRecovery.statusCode).toBe(200);
    expect((await login({ email: ADMIN.email, password: ADMIN.password, code: recovery[3] })).statusCode).toBe(401);
    // A wrong password with a right code is still a wrong password.
    expect((await login({ email: ADMIN.email, password: "not the right one!", code: totp(secret) })).json().error.code).toBe("invalid_credentials");

    cookie = cookiesOf(withCode);
    csrf = withCode.json().csrfToken;
    expect((await as("POST", "/api/auth/mfa/disable", { code: "999999" === totp(secret) ? "888888" : "999999" })).statusCode).toBe(422);
    expect((await as("POST", "/api/auth/mfa/disable", { code: totp(secret) })).json()).toEqual({ enabled: false });
    expect((await as("GET", "/api/workflows")).json().error?.code).toBe("mfa_enrolment_required");
  });
});
