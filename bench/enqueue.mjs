// One way to enqueue N runs with bounded concurrency, for every queued-throughput row.

/**
 * Calls `send()` n times, at most `inFlight` at once, and collects the execution ids of
 * the 202 answers and a description of everything else.
 * @param {{ n: number, inFlight: number, send: () => Promise<{ status: number, json?: any, text: string }> }} options
 * @param {string[]} [ids] filled as answers arrive (callers that poll meanwhile pass their own array)
 */
export async function enqueueAll({ n, inFlight, send }, ids = []) {
  const rejected = [];
  let next = 0;
  const enqueuer = async () => {
    while (next < n) {
      next++;
      try {
        const res = await send();
        if (res.status === 202 && res.json?.executionId) ids.push(res.json.executionId);
        else rejected.push(`HTTP ${res.status} ${res.text.slice(0, 200)}`);
      } catch (error) {
        rejected.push(String(error?.message ?? error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, enqueuer));
  return { ids, rejected };
}
