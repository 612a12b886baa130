import { z } from "zod";
import { OrganizationSchema } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { OrganizationInput } from "./organizations.routes.js";

export const organizationsDocs: FeatureDocs = {
  tag: "Organizations",
  description: "Customer organizations (platform admins manage them; members read their own)",
  routes: {
    "GET /api/organizations": { summary: "List organizations (members: their own)", responses: { 200: z.object({ organizations: z.array(OrganizationSchema) }) } },
    "POST /api/organizations": { summary: "Create an organization", body: OrganizationInput, responses: { 201: OrganizationSchema } },
    "GET /api/organizations/:id": { summary: "Get an organization", responses: { 200: OrganizationSchema } },
    "PATCH /api/organizations/:id": { summary: "Rename an organization", body: OrganizationInput, responses: { 200: OrganizationSchema } },
    "DELETE /api/organizations/:id": { summary: "Delete an organization and everything it owns", responses: { 204: null } },
  },
};
