import { z } from "zod";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { Call } from "./sdk.routes.js";

export const sdkDocs: FeatureDocs = {
  tag: "SDK",
  description: "The external SDK's transport: any SDK method as the key's principal",
  routes: {
    "POST /api/sdk/call": { summary: "Call an SDK method (e.g. `config.get`)", body: Call, responses: { 200: z.object({ value: z.unknown().describe("The method's result (null for none)") }) } },
  },
};
