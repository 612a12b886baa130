import { useEffect, useRef, useState } from "react";
import { Accordion, Alert, Button, Card, Chip, Code, Group, ScrollArea, SimpleGrid, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Anchor } from "@mantine/core";
import { Link, useParams } from "react-router";
import { api } from "../lib/api.js";
import { useLogStream } from "../lib/log-stream.js";
import { useMe, useOrg } from "../lib/session.js";
import { isTerminal, LEVELS, type ExecutionPage, type ExecutionRecord, type LogLevel } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { formatDuration, StatusBadge } from "../components/status-badge.js";
import { JsonTree } from "../components/json-tree.js";
import { ResultView } from "../components/result-view.js";

const LEVEL_COLORS: Record<LogLevel, string> = { debug: "gray", info: "inherit", warn: "orange", error: "red" };

/** The runs this run started (`workflows.run`), as links; refreshed while it runs. */
function ChildRuns({ id, running }: { id: string; running: boolean }) {
  const { org } = useOrg();
  const children = useQuery({
    queryKey: [org, "execution", id, "children"],
    queryFn: () => api<ExecutionPage>(`/api/executions?parent=${encodeURIComponent(id)}&limit=50`),
    refetchInterval: running ? 2000 : false,
  });
  if (!children.data || children.data.executions.length === 0) return null;
  return (
    <Card withBorder role="region" aria-label="Child runs">
      <Title order={4} mb="xs">
        Child runs
      </Title>
      <Stack gap={4} component="ul" style={{ listStyle: "none", margin: 0, padding: 0 }}>
        {children.data.executions.map((c) => (
          <Group component="li" key={c.id} gap="xs">
            <Anchor component={Link} to={`/runs/${c.id}`}>
              {c.workflowName}
            </Anchor>
            <StatusBadge status={c.status} />
            <Text size="xs" c="dimmed">
              {formatDuration(c.durationMs)}
            </Text>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}

/** Each attempt of a run with retries: status, start, duration and error. */
function Attempts({ record }: { record: ExecutionRecord }) {
  if (record.attempts.length === 0) return null;
  return (
    <Card withBorder role="region" aria-label="Attempts">
      <Title order={4} mb="xs">
        Attempts
      </Title>
      <Table.ScrollContainer minWidth={420}>
        <Table aria-label="Attempts of this run">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Error</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {record.attempts.map((a) => (
              <Table.Tr key={a.attempt}>
                <Table.Td>{a.attempt}</Table.Td>
                <Table.Td>
                  <StatusBadge status={a.status} />
                </Table.Td>
                <Table.Td>{a.startedAt ? new Date(a.startedAt).toLocaleTimeString() : "—"}</Table.Td>
                <Table.Td>{formatDuration(a.durationMs)}</Table.Td>
                <Table.Td>
                  <Text size="xs" lineClamp={2}>
                    {a.error}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

/** One run, live: status, duration, streamed log lines, Cancel, result and error, variables (admins), attempts, tokens, related runs. */
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
  const { lines, ended } = useLogStream(id, org);
  const me = useMe();
  const isAdmin = me.data?.level === "platformAdmin" || me.data?.level === "orgAdmin";
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
      <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
        {r.id} · trigger {r.trigger} · created {new Date(r.createdAt).toLocaleString()}
        {r.attempt > 1 ? ` · attempt ${r.attempt}` : ""}
      </Text>
      <Group gap="md">
        <Button component={Link} to={`/workflows/${encodeURIComponent(r.workflowName)}?rerun=${encodeURIComponent(r.id)}`} variant="light" size="xs">
          Run again with this input
        </Button>
        {r.parentId ? (
          <Anchor component={Link} to={`/runs/${r.parentId}`} size="sm">
            Parent run
          </Anchor>
        ) : null}
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        {(
          [
            ["Attempt", `${r.attempt}${r.attempts.length > 1 ? ` of ${r.attempts.length}` : ""}`],
            ["LLM tokens", r.tokensUsed.toLocaleString()],
            ["Time saved", r.status === "Success" ? `${r.timeSaved} min` : "—"],
            ["Started", r.startedAt ? new Date(r.startedAt).toLocaleTimeString() : "—"],
          ] as const
        ).map(([label, value]) => (
          <div key={label} role="group" aria-label={label}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text size="sm" fw={600}>
              {value}
            </Text>
          </div>
        ))}
      </SimpleGrid>
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
          <div role="log" aria-label="Log lines">
          <Stack gap={0} component="ol" style={{ listStyle: "none", margin: 0, padding: 0 }}>
            {shown.map((l) => (
              <Text component="li" key={l.seq} ff="monospace" size="xs" c={LEVEL_COLORS[l.level]} style={{ overflowWrap: "anywhere" }}>
                <Text span c="dimmed" inherit>
                  {l.ts.slice(11, 23)} {l.level.padEnd(5)}{" "}
                </Text>
                {l.message}
              </Text>
            ))}
          </Stack>
          </div>
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
              <ResultView value={r.result} />
            </Accordion.Panel>
          </Accordion.Item>
          <Accordion.Item value="input">
            <Accordion.Control>Input</Accordion.Control>
            <Accordion.Panel>
              <JsonTree value={r.input} />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
      ) : null}
      {isAdmin ? (
        <Card withBorder role="region" aria-label="Variables">
          <Title order={4} mb="xs">
            Variables
          </Title>
          {r.variables && Object.keys(r.variables).length > 0 ? (
            <JsonTree value={r.variables} />
          ) : (
            <Text c="dimmed" size="sm">
              {done ? "No variables were recorded." : "Recorded when the run ends (or fails); this refreshes on its own."}
            </Text>
          )}
        </Card>
      ) : null}
      <Attempts record={r} />
      <ChildRuns id={r.id} running={!done} />
    </Stack>
  );
}
