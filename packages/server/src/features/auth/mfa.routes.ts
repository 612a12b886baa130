import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { SecretBox } from "@bifrost/storage/secret-box.js";
import { sha256 } from "@bifrost/storage/sessions.repo.js";
import type { UserCredentials, UsersRepo } from "@bifrost/storage/users.repo.js";
import { principalOf } from "../../auth.js";
import { forbidden, HttpError, validationFailed } from "../../http-error.js";
import { parseBody } from "../../parse.js";
import { audit } from "../audit/audit.js";
import type { SignInDeps } from "./auth.routes.js";
import { newRecoveryCodes, newTotpSecret, otpauthUri, totpStep } from "./totp.js";

export const Code = z.object({ code: z.string().trim().min(1, "is required").max(64) }).strict();

/**
 * Checks a second factor: a current TOTP code not used before (its time step is recorded,
 * so a code seen by someone else is worthless), or an unused recovery code (used up).
 */
export async function checkSecondFactor(users: UsersRepo, userId: string, box: SecretBox, credentials: UserCredentials, code: string): Promise<boolean> {
  const step = credentials.mfaSecret ? totpStep(box.open(credentials.mfaSecret), code) : null;
  if (step !== null) return users.useTotpStep(userId, step);
  const hash = sha256(code.trim().toLowerCase());
  if (!credentials.recoveryCodes.includes(hash)) return false;
  await users.setMfa(userId, { secret: credentials.mfaSecret, enabled: credentials.mfaEnabled, recoveryCodes: credentials.recoveryCodes.filter((c) => c !== hash) });
  return true;
}

/** TOTP two-factor for password users: enrol (otpauth URI), verify (recovery codes), disable. */
export function mfaRoutes(app: FastifyInstance, deps: SignInDeps & { box: SecretBox }): void {
  async function own(request: Parameters<typeof principalOf>[0]) {
    const p = principalOf(request);
    if (!p.userId) throw forbidden("Two-factor sign-in is for users");
    const credentials = (await deps.users.credentials(p.userId))!;
    if (!credentials.passwordHash) throw forbidden("Two-factor sign-in is for password users: set a password first");
    return { p, credentials };
  }

  /** A new secret (not yet in force): show `otpauthUri` as a QR code, then verify a code from the app. */
  app.post("/api/auth/mfa/enroll", async (request) => {
    const { p, credentials } = await own(request);
    if (credentials.mfaEnabled) throw new HttpError(409, "mfa_enabled", "Two-factor sign-in is on already: disable it first to enrol again");
    const secret = newTotpSecret();
    await deps.users.setMfa(p.userId!, { secret: deps.box.seal(secret), enabled: false, recoveryCodes: null });
    return { secret, otpauthUri: otpauthUri(secret, p.email ?? p.userId!) };
  });

  /** Turns two-factor on with a code from the app; answers the recovery codes, once. */
  app.post("/api/auth/mfa/verify", async (request) => {
    const { p, credentials } = await own(request);
    const { code } = parseBody(Code, request.body);
    if (credentials.mfaEnabled) throw new HttpError(409, "mfa_enabled", "Two-factor sign-in is on already");
    if (!credentials.mfaSecret) throw new HttpError(409, "mfa_not_enrolled", "Enrol first: POST /api/auth/mfa/enroll");
    const step = totpStep(deps.box.open(credentials.mfaSecret), code);
    if (step === null || !(await deps.users.useTotpStep(p.userId!, step))) throw validationFailed([{ path: "code", message: "is not the current code" }]);
    const recoveryCodes = newRecoveryCodes();
    await deps.db.transaction().execute(async (trx) => {
      await deps.users.setMfa(p.userId!, { secret: credentials.mfaSecret, enabled: true, recoveryCodes: recoveryCodes.map((c) => sha256(c)) }, trx);
      await audit(deps.audit, request, { action: "user.mfa_enable", target: p.userId, orgId: p.homeOrgId }, trx);
    });
    return { enabled: true, recoveryCodes };
  });

  /** Turns two-factor off, with a current code or a recovery code. */
  app.post("/api/auth/mfa/disable", async (request) => {
    const { p, credentials } = await own(request);
    const { code } = parseBody(Code, request.body);
    if (!credentials.mfaEnabled) throw new HttpError(409, "mfa_not_enabled", "Two-factor sign-in is off");
    if (!(await checkSecondFactor(deps.users, p.userId!, deps.box, credentials, code))) throw validationFailed([{ path: "code", message: "is not a current or recovery code" }]);
    await deps.db.transaction().execute(async (trx) => {
      await deps.users.setMfa(p.userId!, { secret: null, enabled: false, recoveryCodes: null }, trx);
      await audit(deps.audit, request, { action: "user.mfa_disable", target: p.userId, orgId: p.homeOrgId }, trx);
    });
    return { enabled: false };
  });
}
