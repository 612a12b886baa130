import { useEffect, useState } from "react";
import { Alert, Anchor, Card, Code, Group, ScrollArea, SegmentedControl, Stack, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../lib/api.js";
import { useLogStream } from "../lib/log-stream.js";
import { useOrg } from "../lib/session.js";
import { isTerminal, type ExecutionRecord, type Workflow } from "../lib/types.js";
import { RunForm, type RunAnswer } from "./run-form.js";
import { JsonTree } from "./json-tree.js";
import { formatDuration, StatusBadge } from "./status-badge.js";
import { ErrorAlert } from "./states.js";

type Mode = "run" | "test";

/** Run queues the workflow as production does (retries apply); Test runs it now, once, marked as a test. */
async function start(w: Workflow, mode: Mode, params: Record<string, unknown>): Promise<RunAnswer> {
  const id = encodeURIComponent(w.id);
  if (mode === "test") return { record: await api<ExecutionRecord>(`/api/workflows/${id}/test`, { method: "POST", body: params }) };
  return { queued: await api<{ executionId: string }>(`/api/workflows/${id}/run`, { method: "POST", body: params }) };
}

/**
 * The editor's side panel for the workflow under the cursor: its generated form, Run or
 * Test, then the run live — streamed log lines, status, result, variables and errors —
 * without leaving the file.
 */
export function EditorRunPanel({ workflow }: { workflow: Workflow | null }) {
  const [mode, setMode] = useState<Mode>("run");
  const [executionId, setExecutionId] = useState<string | null>(null);
  useEffect(() => setExecutionId(null), [workflow?.id]);
  if (!workflow) {
    return (
      <Text c="dimmed" size="sm">
        Put the cursor in a registered workflow (save the file first) to run it here.
      </Text>
    );
  }
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={3} size="h4">
          {workflow.name}
        </Title>
        <SegmentedControl
          size="xs"
          aria-label="How to run"
          value={mode}
          onChange={(v) => setMode(v as Mode)}
          data={[
            { value: "run", label: "Run" },
            { value: "test", label: "Test" },
          ]}
        />
      </Group>
      <Text size="xs" c="dimmed">
        {mode === "run" ? "Queued as in production: retries apply." : "Runs now, once, marked as a test run."}
      </Text>
      <RunForm key={workflow.id} schema={workflow.paramsSchema} submit={(params) => start(workflow, mode, params)} onAnswer={(a) => setExecutionId("queued" in a ? a.queued.executionId : a.record.id)} />
      {executionId ? <LiveRun key={executionId} id={executionId} /> : null}
    </Stack>
  );
}

function LiveRun({ id }: { id: string }) {
  const client = useQueryClient();
  const key = ["editor-run", id];
  const record = useQuery({
    queryKey: key,
    queryFn: () => api<ExecutionRecord>(`/api/executions/${encodeURIComponent(id)}`),
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.status) ? false : 1000),
  });
  const { org } = useOrg();
  const { lines, ended } = useLogStream(id, org);
  useEffect(() => {
    if (ended) void client.invalidateQueries({ queryKey: key });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ended]);
  if (record.error) return <ErrorAlert error={record.error} />;
  const r = record.data;
  const done = r ? isTerminal(r.status) : false;
  return (
    <Card withBorder role="region" aria-label="Run output">
      <Stack gap="xs">
        <Group gap="xs">
          {r ? <StatusBadge status={r.status} /> : <Text size="sm">Starting…</Text>}
          {r && done ? (
            <Text size="sm" c="dimmed">
              {formatDuration(r.durationMs)}
            </Text>
          ) : null}
          <Anchor component={Link} to={`/runs/${id}`} size="sm">
            Open run
          </Anchor>
        </Group>
        <Text fw={600} size="sm">
          Log
        </Text>
        <ScrollArea.Autosize mah={200} type="auto" role="log" aria-label="Run log">
          <Stack gap={0} component="ol" style={{ listStyle: "none", margin: 0, padding: 0 }}>
            {lines.map((l) => (
              <Text component="li" key={l.seq} ff="monospace" size="xs" c={l.level === "error" ? "red.8" : l.level === "warn" ? "orange.9" : undefined}>
                {l.level.padEnd(5)} {l.message}
              </Text>
            ))}
          </Stack>
          {lines.length === 0 ? (
            <Text size="xs" c="dimmed">
              {done ? "No log lines." : "Waiting for log lines…"}
            </Text>
          ) : null}
        </ScrollArea.Autosize>
        {r?.error ? (
          <Alert color="red" title={r.errorType ?? "Error"}>
            <Stack gap="xs">
              <Text size="sm">{r.error}</Text>
              {r.errorStack ? (
                <Code block aria-label="Stack trace">
                  {r.errorStack}
                </Code>
              ) : null}
            </Stack>
          </Alert>
        ) : null}
        {r && done ? (
          <>
            <Text fw={600} size="sm">
              Result
            </Text>
            <div role="region" aria-label="Result">
              <JsonTree value={r.result} />
            </div>
            {r.variables && Object.keys(r.variables).length > 0 ? (
              <>
                <Text fw={600} size="sm">
                  Variables
                </Text>
                <div role="region" aria-label="Variables">
                  <JsonTree value={r.variables} />
                </div>
              </>
            ) : null}
          </>
        ) : null}
      </Stack>
    </Card>
  );
}
