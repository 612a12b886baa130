import { useEffect, useState } from "react";
import type { ExecutionStatus, LogLine } from "./types.js";

/** Adds lines in `seq` order, once each (replays after a reconnect repeat nothing). */
export function mergeLines(lines: LogLine[], incoming: LogLine): LogLine[] {
  const last = lines[lines.length - 1];
  if (!last || incoming.seq > last.seq) return [...lines, incoming];
  if (lines.some((l) => l.seq === incoming.seq)) return lines;
  return [...lines, incoming].sort((a, b) => a.seq - b.seq);
}

/**
 * The stream's address: EventSource cannot send X-Bifrost-Org, so the organization acted in
 * goes in the `org` query parameter, which the server checks exactly like the header.
 */
export function streamUrl(id: string, org: string | null): string {
  return `/api/executions/${encodeURIComponent(id)}/logs/stream${org ? `?org=${encodeURIComponent(org)}` : ""}`;
}

/**
 * A run's log lines as they are written: GET /api/executions/{id}/logs/stream (server-sent
 * events; the browser's EventSource sends the session cookie and resumes by Last-Event-ID),
 * in the organization `org` (null = the caller's own scope).
 */
export function useLogStream(id: string, org: string | null): { lines: LogLine[]; ended: ExecutionStatus | null; connected: boolean } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState<ExecutionStatus | null>(null);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    setLines([]);
    setEnded(null);
    const source = new EventSource(streamUrl(id, org));
    source.onopen = () => setConnected(true);
    source.addEventListener("log", (e) => {
      const line = JSON.parse((e as MessageEvent<string>).data) as LogLine;
      setLines((prev) => mergeLines(prev, line));
    });
    source.addEventListener("end", (e) => {
      setEnded((JSON.parse((e as MessageEvent<string>).data) as { status: ExecutionStatus }).status);
      source.close();
      setConnected(false);
    });
    return () => source.close();
  }, [id, org]);
  return { lines, ended, connected };
}
