import { apiError, type Client } from "./client.js";
import { CliError } from "./errors.js";
import type { LogLine } from "./output.js";
import { readSse } from "./sse.js";

const MAX_RECONNECTS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Streams an execution's log lines (`GET /api/executions/{id}/logs/stream`) until its
 * `end` event, and resolves with the final status. A dropped connection is resumed with
 * `Last-Event-ID`, so no line is lost or repeated.
 */
export async function followLogs(client: Client, id: string, onLine: (line: LogLine) => void, options: { after?: number } = {}): Promise<string> {
  let last = options.after ?? 0;
  let failures = 0;
  let lastError: unknown = null;
  for (;;) {
    try {
      const res = await client.send("GET", `/api/executions/${encodeURIComponent(id)}/logs/stream`, {
        headers: { accept: "text/event-stream", ...(last ? { "last-event-id": String(last) } : {}) },
      });
      if (!res.ok) throw await apiError(res, client);
      for await (const event of readSse(res.stream())) {
        if (event.event === "log") {
          const line = JSON.parse(event.data) as LogLine;
          failures = 0;
          if (line.seq > last) {
            last = line.seq;
            onLine(line);
          }
        } else if (event.event === "end") {
          return (JSON.parse(event.data) as { status: string }).status;
        }
      }
    } catch (error) {
      // An answer from the server (404, 401…) will not get better by retrying.
      if (error instanceof CliError && !/^Cannot reach/.test(error.message)) throw error;
      lastError = error;
    }
    if (++failures > MAX_RECONNECTS) {
      throw new CliError(`Lost the log stream of execution ${id} on ${client.url}${lastError ? ` (${(lastError as Error).message})` : ""}`);
    }
    await sleep(500 * failures);
  }
}
