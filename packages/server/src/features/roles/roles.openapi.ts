import { z } from "zod";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { Assign, RoleInput } from "./roles.routes.js";

const RoleSchema = z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), createdAt: time, updatedAt: time }).meta({ title: "Role" });

export const rolesDocs: FeatureDocs = {
  tag: "Roles",
  description: "Custom roles (global definitions) and who holds them",
  routes: {
    "GET /api/roles": { summary: "List roles", responses: { 200: z.object({ roles: z.array(RoleSchema) }) } },
    "POST /api/roles": { summary: "Create a role", body: RoleInput, responses: { 201: RoleSchema }, errors: [409] },
    "GET /api/roles/:id": { summary: "Get a role and its members (the caller's own users)", responses: { 200: RoleSchema.extend({ userIds: z.array(z.string()) }) } },
    "PUT /api/roles/:id": { summary: "Rename or describe a role", body: RoleInput, responses: { 200: RoleSchema }, errors: [409] },
    "DELETE /api/roles/:id": { summary: "Delete a role", responses: { 204: null } },
    "POST /api/roles/:id/users": { summary: "Grant a role to a user", body: Assign, responses: { 200: z.object({ roleId: z.string(), userId: z.string() }).describe("Held already"), 201: z.object({ roleId: z.string(), userId: z.string() }).describe("Granted") } },
    "DELETE /api/roles/:id/users/:userId": { summary: "Take a role from a user", responses: { 204: null } },
  },
};
