import { useEffect, useRef, useState } from "react";
import { Accordion, Alert, Button, Card, Chip, Code, Group, ScrollArea, Stack, Switch, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Anchor } from "@mantine/core";
import { Link, useParams } from "react-router";
import { api } from "../lib/api.js";
import { useLogStream } from "../lib/log-stream.js";
import { useOrg } from "../lib/session.js";
import { isTerminal, LEVELS, type ExecutionRecord, type LogLevel } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { formatDuration, StatusBadge } from "../components/status-badge.js";
import { JsonTree } from "../components/json-tree.js";

const LEVEL_COLORS: Record<LogLevel, string> = { debug: "gray", info: "inherit", warn: "orange", error: "red" };

/** One run, live: status, duration, streamed log lines, Cancel, result and error. */
export function RunPage() {
  const { id = "" } = useParams();
  const { org } = useOrg();
  const client = useQueryClient();
  const key = [org, "execution", id];
  const record = useQuery({
    queryKey: key,
    queryFn: () => api<ExecutionRecord>(`/api/executions/${encodeURIComponent(id)}`),
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.status) ? false : 1000),
  });
  const { lines, ended } = useLogStream(id);
  useEffect(() => {
    if (ended) void client.invalidateQueries({ queryKey: key });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ended]);
  // The first line shows the run has started: re-read the record rather than wait for the next poll.
  const started = lines.length > 0;
  useEffect(() => {
    if (started) void client.invalidateQueries({ queryKey: key });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [started]);
  const [levels, setLevels] = useState<string[]>(["debug", "info", "warn", "error"]);
  const [follow, setFollow] = useState(true);
  const viewport = useRef<HTMLDivElement>(null);
  const shown = lines.filter((l) => levels.includes(l.level));
  useEffect(() => {
    if (follow && viewport.current) viewport.current.scrollTo({ top: viewport.current.scrollHeight });
  }, [shown.length, follow]);

  const cancel = useMutation({
    mutationFn: () => api<{ status: string }>(`/api/executions/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });

  if (record.isPending) return <LoadingRows />;
  if (record.error) return <ErrorAlert error={record.error} />;
  const r = record.data;
  const done = isTerminal(r.status);

  return (
    <Stack maw={1000}>
      <Group justify="space-between">
        <Group>
          <Title order={2}>
            <Anchor component={Link} to={`/workflows/${encodeURIComponent(r.workflowName)}`} inherit>
              {r.workflowName}
            </Anchor>
          </Title>
          <StatusBadge status={r.status} />
          <Text c="dimmed" size="sm" aria-label="Duration">
            {done ? formatDuration(r.durationMs) : r.startedAt ? `running for ${formatDuration(Date.now() - Date.parse(r.startedAt))}` : "waiting for a worker"}
          </Text>
        </Group>
        {!done ? (
          <Button color="red" variant="light" onClick={() => cancel.mutate()} loading={cancel.isPending} disabled={r.status === "Cancelling"}>
            Cancel
          </Button>
        ) : null}
      </Group>
      <Text size="xs" c="dimmed">
        {r.id} · trigger {r.trigger} · created {new Date(r.createdAt).toLocaleString()}
        {r.attempt > 1 ? ` · attempt ${r.attempt}` : ""}
      </Text>
      {cancel.error ? <ErrorAlert error={cancel.error} /> : null}
      {r.error ? (
        <Alert color="red" title={r.errorType ?? "Error"} role="alert">
          <Stack gap="xs">
            <Text>{r.error}</Text>
            {r.errorStack ? (
              <Code block aria-label="Stack trace">
                {r.errorStack}
              </Code>
            ) : null}
          </Stack>
        </Alert>
      ) : null}
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Title order={4}>Logs</Title>
          <Group>
            <Chip.Group multiple value={levels} onChange={setLevels}>
              <Group gap={4} role="group" aria-label="Levels">
                {LEVELS.map((l) => (
                  <Chip key={l} value={l} size="xs">
                    {l}
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
            <Switch label="Auto-scroll" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          </Group>
        </Group>
        <ScrollArea h={320} viewportRef={viewport} type="auto">
          <Stack gap={0} component="ol" role="log" aria-label="Log lines" style={{ listStyle: "none", margin: 0, padding: 0 }}>
            {shown.map((l) => (
              <Text component="li" key={l.seq} ff="monospace" size="xs" c={LEVEL_COLORS[l.level]}>
                <Text span c="dimmed" inherit>
                  {l.ts.slice(11, 23)} {l.level.padEnd(5)}{" "}
                </Text>
                {l.message}
              </Text>
            ))}
          </Stack>
          {shown.length === 0 ? (
            <Text c="dimmed" size="sm">
              {done ? "No log lines." : "Waiting for log lines…"}
            </Text>
          ) : null}
        </ScrollArea>
      </Card>
      {done ? (
        <Accordion variant="contained" defaultValue="result">
          <Accordion.Item value="result">
            <Accordion.Control>Result</Accordion.Control>
            <Accordion.Panel>
              <JsonTree value={r.result} />
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="input">
            <Accordion.Control>Input</Accordion.Control>
            <Accordion.Panel>
              <JsonTree value={r.input} />
            </Accordion.Panel>
          </Accordion.Item>
          {r.variables ? (
            <Accordion.Item value="variables">
              <Accordion.Control>Variables</Accordion.Control>
              <Accordion.Panel>
                <JsonTree value={r.variables} />
              </Accordion.Panel>
            </Accordion.Item>
          ) : null}
        </Accordion>
      ) : null}
    </Stack>
  );
}
