import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { ListQuery, NewUser, PatchUser } from "./users.routes.js";

export const UserViewSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    organizationId: z.string().nullable(),
    isPlatformAdmin: z.boolean(),
    isOrgAdmin: z.boolean(),
    disabled: z.boolean(),
    hasPassword: z.boolean(),
    mfaEnabled: z.boolean(),
    createdAt: time,
    updatedAt: time,
    lastLoginAt: time.nullable(),
    level: z.enum(["platformAdmin", "mspMember", "orgAdmin", "orgMember"]),
    roles: z.array(z.object({ id: z.string(), name: z.string() })),
  })
  .meta({ title: "User" });

const ResetLink = z.object({ resetUrl: z.string(), resetToken: z.string(), expiresAt: time });

export const usersDocs: FeatureDocs = {
  tag: "Users",
  description: "People who sign in: MSP staff and customers' users",
  routes: {
    "GET /api/users": { summary: "List users", query: ListQuery, responses: { 200: z.object({ users: z.array(UserViewSchema), total: z.int(), limit: z.int(), offset: z.int() }) } },
    "POST /api/users": {
      summary: "Create a user (with a password, or an invite link in the answer)",
      body: NewUser,
      responses: {
        201: z
          .object({ user: UserViewSchema, inviteUrl: z.string().nullable(), inviteToken: z.string().nullable(), inviteExpiresAt: time.nullable() })
          .describe("The user, and a one-time invite link when no password was given"),
      },
      errors: [409],
    },
    "GET /api/users/:id": { summary: "Get a user", responses: { 200: UserViewSchema } },
    "PATCH /api/users/:id": { summary: "Change a user", body: PatchUser, responses: { 200: UserViewSchema }, errors: [409] },
    "DELETE /api/users/:id": { summary: "Delete a user", responses: { 204: null }, errors: [409] },
    "POST /api/users/:id/password-reset": { summary: "A one-time link that sets a new password", responses: { 201: ResetLink } },
  },
};
