import type { ExecutionRecord, LogLine } from "@bifrost/contracts/execution.js";
import type { StoredExecution } from "@bifrost/storage/executions.repo.js";

/** The record as the API shows it: the stored principal stays inside the platform. */
export function executionView(record: StoredExecution, logs?: LogLine[]): ExecutionRecord {
  const { principal: _principal, heartbeatAt: _heartbeat, moduleHash: _hash, exportName: _export, sync: _sync, notBefore: _notBefore, ...view } = record;
  return logs ? { ...view, logs } : view;
}
