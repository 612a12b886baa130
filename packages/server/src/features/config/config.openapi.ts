import { z } from "zod";
import { CONFIG_TYPES } from "@bifrost/contracts/config.js";
import { time } from "../openapi/common.schemas.js";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { Scope, SetBody } from "./config.routes.js";

const ConfigEntrySchema = z
  .object({
    key: z.string(),
    type: z.enum(CONFIG_TYPES),
    value: z.unknown().describe("Secrets are masked"),
    secret: z.boolean(),
    scope: z.string().describe('"global", or the organization id'),
    updatedAt: time,
  })
  .meta({ title: "ConfigEntry" });

export const configDocs: FeatureDocs = {
  tag: "Config",
  description: "Configuration values and secrets, per organization or global",
  routes: {
    "GET /api/config": { summary: "List values (the organization's and the global ones)", query: Scope, responses: { 200: z.object({ values: z.array(ConfigEntrySchema) }) } },
    "GET /api/config/:key": { summary: "Describe one value", query: Scope, responses: { 200: ConfigEntrySchema } },
    "PUT /api/config/:key": { summary: "Set a value (or a secret)", body: SetBody, responses: { 200: ConfigEntrySchema } },
    "DELETE /api/config/:key": { summary: "Delete a value", query: Scope, responses: { 204: null } },
  },
};
