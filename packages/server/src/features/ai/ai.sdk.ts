import { z } from "zod";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { StreamRegistry } from "./ai-streams.js";
import { CompleteInput, EmbedTexts, toOptions } from "./ai.schemas.js";
import type { AiService } from "./ai.service.js";

/** Streams belong to the run (or, from outside, the API key) that started them. */
const ownerOf = (caller: SdkCaller) => (caller.executionId ? `run:${caller.executionId}` : `key:${caller.keyId ?? "anonymous"}`);

const StreamId = z.uuid("must be a stream id from ai.streamStart");

/**
 * `ai.*` for running workflows (IPC) and the external SDK (`POST /api/sdk/call`):
 * packages/sdk/src/ai.ts. Streams inside a run are pulled with `ai.streamStart` /
 * `ai.streamNext` / `ai.streamCancel`; the external SDK streams over `POST /api/ai/stream`.
 */
export function registerAiSdk(sdk: SdkRegistry, ai: AiService, streams = new StreamRegistry()): StreamRegistry {
  sdk.register("ai.complete", ["input"], z.tuple([CompleteInput]), (caller, input) => ai.complete(caller, toOptions(input)));
  sdk.register("ai.embed", ["texts"], z.tuple([EmbedTexts]), async (caller, texts) => {
    return (await ai.embedTexts(caller, typeof texts === "string" ? [texts] : texts)).vectors;
  });
  sdk.register("ai.getModelInfo", [], z.tuple([]), (caller) => ai.modelInfo(caller));
  sdk.register("ai.streamStart", ["input"], z.tuple([CompleteInput]), async (caller, input) => {
    const options = toOptions(input);
    return { streamId: await streams.start(ownerOf(caller), (signal) => ai.stream(caller, options, signal)) };
  });
  sdk.register("ai.streamNext", ["streamId"], z.tuple([StreamId]), (caller, id) => streams.next(ownerOf(caller), id));
  sdk.register("ai.streamCancel", ["streamId"], z.tuple([StreamId]), async (caller, id) => streams.cancel(ownerOf(caller), id));
  return streams;
}
