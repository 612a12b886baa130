import { z } from "zod";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { CompleteInput, EmbedTexts, toOptions } from "./ai.schemas.js";
import type { AiService } from "./ai.service.js";

/** `ai.*` for running workflows (IPC) and the external SDK (`POST /api/sdk/call`): packages/sdk/src/ai.ts. */
export function registerAiSdk(sdk: SdkRegistry, ai: AiService): void {
  sdk.register("ai.complete", ["input"], z.tuple([CompleteInput]), (caller, input) => ai.complete(caller, toOptions(input)));
  sdk.register("ai.embed", ["texts"], z.tuple([EmbedTexts]), async (caller, texts) => {
    return (await ai.embedTexts(caller, typeof texts === "string" ? [texts] : texts)).vectors;
  });
  sdk.register("ai.getModelInfo", [], z.tuple([]), (caller) => ai.modelInfo(caller));
}
