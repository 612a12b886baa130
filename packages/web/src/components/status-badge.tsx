import { Badge } from "@mantine/core";
import type { ExecutionStatus } from "../lib/types.js";

const COLORS: Record<ExecutionStatus, string> = {
  Scheduled: "gray",
  Pending: "gray",
  Running: "blue",
  Success: "green",
  Failed: "red",
  Timeout: "orange",
  CompletedWithErrors: "yellow",
  Cancelling: "grape",
  Cancelled: "grape",
  Stuck: "red",
};

export function StatusBadge({ status }: { status: ExecutionStatus }) {
  return (
    <Badge color={COLORS[status]} variant="light" aria-label={`status ${status}`}>
      {status}
    </Badge>
  );
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Minutes saved, as people say them: `45 min`, `2 h 5 min`. */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}
