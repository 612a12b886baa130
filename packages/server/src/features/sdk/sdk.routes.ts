import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../../auth.js";
import { parseBody } from "../../parse.js";
import type { SdkRegistry } from "./sdk-registry.js";
import { callerOf } from "./scope.js";

export const Call = z.object({ method: z.string().min(1), args: z.array(z.unknown()).default([]) }).strict();

/** The external SDK's transport: the same registry workers reach over IPC, as the key's principal. */
export function sdkRoutes(app: FastifyInstance, deps: { sdk: SdkRegistry }): void {
  app.post("/api/sdk/call", async (req) => {
    const { method, args } = parseBody(Call, req.body);
    return { value: (await deps.sdk.dispatch(callerOf(principalOf(req)), method, args)) ?? null };
  });
}
