import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { UserViewSchema } from "../users/users.openapi.js";
import { ChangePassword, Login, SetPassword, Setup } from "./auth.routes.js";
import { Code } from "./mfa.routes.js";

const SessionSchema = z.object({ user: UserViewSchema, csrfToken: z.string().describe("Send it as X-Bifrost-CSRF on cookie-authenticated writes"), expiresAt: time }).meta({ title: "Session" });

const MeSchema = z
  .object({
    kind: z.string().describe("How the request authenticated (key or session)"),
    keyId: z.string().nullable(),
    keyName: z.string().nullable(),
    isPlatformAdmin: z.boolean(),
    organizationId: z.string().nullable().describe("The organization the request acts in"),
    organizationName: z.string().nullable(),
    level: z.enum(["platformAdmin", "mspMember", "orgAdmin", "orgMember"]),
    homeOrganizationId: z.string().nullable(),
    user: UserViewSchema.nullable(),
    apiKey: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    roles: z.array(z.object({ id: z.string(), name: z.string() })),
    organizations: z.array(z.object({ id: z.string(), name: z.string() })),
    csrfToken: z.string().nullable(),
    sessionExpiresAt: time.nullable(),
  })
  .meta({ title: "Me" });

const OidcLoginQuery = z.object({ format: z.enum(["json"]).optional() });
const OidcCallbackQuery = z.object({ code: z.string().optional(), state: z.string().optional(), error: z.string().optional(), error_description: z.string().optional() });

export const authDocs: FeatureDocs = {
  tag: "Sign-in",
  description: "Sessions, first-admin setup, one-time links, two-factor sign-in and single sign-on",
  routes: {
    "POST /api/auth/login": { summary: "Sign in with e-mail and password (and a two-factor code)", auth: "public", body: Login, responses: { 200: SessionSchema }, errors: [401, 403, 429] },
    "POST /api/auth/setup": { summary: "Create the first platform admin with the setup token", auth: "public", body: Setup, responses: { 201: SessionSchema }, errors: [403, 404, 409, 410] },
    "GET /api/auth/invites/:token": {
      summary: "What a one-time link (invite or password reset) is for",
      auth: "public",
      responses: { 200: z.object({ purpose: z.string(), email: z.string(), name: z.string(), expiresAt: time }) },
      errors: [410],
    },
    "POST /api/auth/invites/:token": { summary: "Set the password through a one-time link", auth: "public", body: SetPassword, responses: { 200: z.object({ user: UserViewSchema }) }, errors: [403, 410] },
    "GET /api/auth/me": { summary: "Who the request is, and where it acts", responses: { 200: MeSchema } },
    "POST /api/auth/logout": { summary: "Sign out (ends the session, clears its cookies)", responses: { 204: null } },
    "POST /api/auth/password": { summary: "Change one's own password (ends one's other sessions)", body: ChangePassword, responses: { 200: z.object({ changed: z.boolean().describe("Always true"), sessionsEnded: z.number() }) } },
    "POST /api/auth/mfa/enroll": { summary: "Start two-factor enrolment: a new TOTP secret", responses: { 200: z.object({ secret: z.string(), otpauthUri: z.string() }) }, errors: [409] },
    "POST /api/auth/mfa/verify": { summary: "Turn two-factor sign-in on with a current code", body: Code, responses: { 200: z.object({ enabled: z.boolean().describe("true"), recoveryCodes: z.array(z.string()) }) }, errors: [409] },
    "POST /api/auth/mfa/disable": { summary: "Turn two-factor sign-in off", body: Code, responses: { 200: z.object({ enabled: z.boolean().describe("false") }) }, errors: [409] },
    "GET /api/auth/oidc/login": {
      summary: "Single sign-on: go to the identity provider",
      auth: "public",
      query: OidcLoginQuery,
      responses: { 200: z.object({ authorizeUrl: z.string() }).describe("With format=json"), 302: { schema: null, description: "Redirect to the provider" } },
      errors: [502],
    },
    "GET /api/auth/oidc/callback": {
      summary: "Single sign-on: the provider's redirect back; signs in",
      auth: "public",
      query: OidcCallbackQuery,
      responses: { 200: SessionSchema.describe("When the request accepts JSON"), 302: { schema: null, description: "Signed in: redirect to the web app" } },
      errors: [401, 403],
    },
  },
};
