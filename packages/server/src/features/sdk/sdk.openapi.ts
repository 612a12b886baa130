import { z } from "zod";
import type { FeatureDocs } from "../openapi/route-docs.js";
import { LoadErrorSchema } from "@bifrost/contracts/api-schemas.js";
import { GenerateSdkBody } from "../sdk-generator/sdk-generator.routes.js";
import { Call } from "./sdk.routes.js";

export const sdkDocs: FeatureDocs = {
  tag: "SDK",
  description: "The external SDK's transport (any SDK method as the key's principal), and the SDK generator",
  routes: {
    "POST /api/sdk/call": { summary: "Call an SDK method (e.g. `config.get`)", body: Call, responses: { 200: z.object({ value: z.unknown().describe("The method's result (null for none)") }) } },
    "POST /api/sdk/generate": {
      summary: "Generate a typed client from an OpenAPI document into workspace/sdks/<name>.ts (platform admins)",
      description:
        "`spec` is the document (object), its JSON or YAML text, or an http(s) URL the server fetches. 422 names the JSON pointers of the document's first problems; 502 when the URL cannot be fetched; 413 over 50 MB. See docs/sdk-generator.md.",
      body: GenerateSdkBody,
      responses: {
        200: z.object({
          name: z.string(),
          path: z.string().describe("The module's workspace path"),
          title: z.string(),
          version: z.string(),
          operations: z.int().describe("Methods generated"),
          paginated: z.int().describe("Of those, how many have a paginate() helper"),
          size: z.int().describe("Bytes written"),
          loadErrors: z.array(LoadErrorSchema),
          source: z.string().describe("The generated TypeScript module"),
        }),
      },
      errors: [502],
    },
  },
};
