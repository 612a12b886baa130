import type { z } from "zod";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import { HttpError, validationFailed } from "../../http-error.js";
import { DEFAULT_MAX_JSON_DEPTH, fieldTooDeep, valueTooDeep } from "../../json-depth.js";

/**
 * Deepest answer an SDK call may send back. Answers are not all bounded by the input
 * limit (a run's result, a model's JSON), and one too deep for `JSON.stringify` would
 * fail the reply to a workflow's process, or the HTTP answer, instead of the call.
 */
export const MAX_ANSWER_DEPTH = 1000;

interface Method {
  params: string[];
  schema: z.ZodType<unknown[]>;
  handler: (caller: SdkCaller, args: unknown[]) => Promise<unknown>;
}

/**
 * Every SDK function the platform performs, by `module.function`. Workers reach it over
 * IPC (as the execution's principal), the external SDK over `POST /api/sdk/call` (as the
 * API key's): one implementation, the same checks, for both.
 */
export class SdkRegistry {
  private readonly methods = new Map<string, Method>();

  /** `maxJsonDepth`: deepest argument accepted (BIFROST_MAX_JSON_DEPTH); arguments from workflows never passed the HTTP body's check. */
  constructor(private readonly options: { maxJsonDepth?: number } = {}) {}

  /** `params` names the positional arguments, so errors say `options.scope`, not `1.scope`. */
  register<S extends z.ZodTuple>(
    name: string,
    params: string[],
    schema: S,
    handler: (caller: SdkCaller, ...args: z.output<S>) => Promise<unknown>,
  ): void {
    if (this.methods.has(name)) throw new Error(`SDK method ${name} registered twice`);
    this.methods.set(name, {
      params,
      schema: schema as unknown as z.ZodType<unknown[]>,
      handler: (caller, args) => (handler as (c: SdkCaller, ...a: unknown[]) => Promise<unknown>)(caller, ...args),
    });
  }

  names(): string[] {
    return [...this.methods.keys()].sort();
  }

  async dispatch(caller: SdkCaller, method: string, args: unknown): Promise<unknown> {
    const m = this.methods.get(method);
    if (!m) throw new HttpError(404, "unknown_method", `Unknown SDK method "${method}"`);
    if (!Array.isArray(args)) throw validationFailed([{ path: "args", message: "must be an array of arguments" }]);
    // Trailing undefined arguments arrive as null over JSON: treat them as absent.
    const trimmed = [...args];
    while (trimmed.length > 0 && (trimmed.at(-1) === null || trimmed.at(-1) === undefined)) trimmed.pop();
    const maxDepth = this.options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
    // Before the schema: zod, the redactor and the stores all walk values recursively.
    trimmed.forEach((arg, i) => {
      const tooDeep = fieldTooDeep(m.params[i] ?? `argument ${i + 1}`, arg, maxDepth);
      if (tooDeep) throw tooDeep;
    });
    const parsed = m.schema.safeParse(trimmed);
    if (!parsed.success) {
      throw validationFailed(
        parsed.error.issues.map((i) => {
          const [index, ...rest] = i.path;
          const name = typeof index === "number" ? (m.params[index] ?? `argument ${index + 1}`) : "arguments";
          return { path: [name, ...rest.map(String)].join("."), message: i.message };
        }),
      );
    }
    const answer = await m.handler(caller, parsed.data);
    if (valueTooDeep(answer, MAX_ANSWER_DEPTH)) {
      throw new HttpError(422, "answer_too_deep", `The answer of ${method} is nested deeper than ${MAX_ANSWER_DEPTH} levels of objects and arrays: it cannot be sent`);
    }
    return answer;
  }
}
