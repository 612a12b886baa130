/**
 * Set-up shared by the web test files: calling the API of the platform under test as its
 * platform admin key, and workflow sources more than one file deploys.
 */
import type { TestPlatform } from "../../server/test/helpers.js";

/**
 * Calls the API as the platform admin key (optionally acting in `org`); a non-2xx answer
 * throws with its body, a 204 gives undefined, anything else its JSON.
 */
export async function adminCall(t: TestPlatform, method: string, url: string, payload?: unknown, org?: string): Promise<any> {
  const res = await t.call({ method: method as "POST", url, payload: payload as object, org });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? undefined : res.json();
}

/**
 * `slow_steps` (async): logs `steps` steps 150 ms apart, holds `holdMs`, and returns. For a
 * workflow file that defines `sleep(ms)` and imports `workflow`, `z` and `logger`.
 */
export const SLOW_STEPS = `export const slowSteps = workflow(
  { name: "slow_steps", description: "Logs a few steps, then holds", category: "Examples", executionMode: "async", timeoutSeconds: 120,
    params: z.object({ steps: z.number().int().min(1).max(20).default(3), holdMs: z.number().int().min(0).default(0) }) },
  async ({ steps, holdMs }) => {
    for (let i = 1; i <= steps; i++) {
      logger.info("step " + i + " of " + steps);
      await sleep(150);
    }
    await sleep(holdMs);
    logger.info("all steps done");
    return { steps };
  },
);`;
