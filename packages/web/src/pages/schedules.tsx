import { Badge, Button, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Anchor } from "@mantine/core";
import { Link } from "react-router";
import { api } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

interface Schedule {
  workflowId: string;
  workflowName: string;
  orgId: string | null;
  cron: string;
  timezone: string;
  paused: boolean;
  nextRuns: string[];
  lastExecutionId: string | null;
  error: string | null;
}

/** Scheduled workflows: their expression, next runs, last run; pause and resume. */
export function SchedulesPage() {
  const { org } = useOrg();
  const client = useQueryClient();
  const key = [org, "schedules"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ schedules: Schedule[] }>("/api/schedules?count=3") });
  const toggle = useMutation({
    mutationFn: (s: Schedule) => api(`/api/schedules/${encodeURIComponent(s.workflowName)}/${s.paused ? "resume" : "pause"}`, { method: "POST" }),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  return (
    <Stack>
      <Title order={2}>Schedules</Title>
      {toggle.error ? <ErrorAlert error={toggle.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.schedules.length === 0 ? (
        <Empty title="No schedules">Give a workflow a `schedule` (a cron expression) to run it on its own.</Empty>
      ) : (
        <Table aria-label="Schedules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Workflow</Table.Th>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Next runs</Table.Th>
              <Table.Th>Last run</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.schedules.map((s) => (
              <Table.Tr key={s.workflowId}>
                <Table.Td>
                  <Anchor component={Link} to={`/workflows/${encodeURIComponent(s.workflowName)}`}>
                    {s.workflowName}
                  </Anchor>{" "}
                  {s.paused ? <Badge color="gray">Paused</Badge> : null}
                </Table.Td>
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {s.cron}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {s.timezone}
                  </Text>
                  {s.error ? (
                    <Text size="xs" c="red">
                      {s.error}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  {s.paused ? "—" : s.nextRuns.map((r) => (
                    <Text key={r} size="xs">
                      {new Date(r).toLocaleString()}
                    </Text>
                  ))}
                </Table.Td>
                <Table.Td>
                  {s.lastExecutionId ? (
                    <Anchor component={Link} to={`/runs/${s.lastExecutionId}`} size="sm">
                      Open
                    </Anchor>
                  ) : (
                    "—"
                  )}
                </Table.Td>
                <Table.Td>
                  <Button size="xs" variant="default" onClick={() => toggle.mutate(s)} loading={toggle.isPending && toggle.variables?.workflowId === s.workflowId} aria-label={`${s.paused ? "Resume" : "Pause"} ${s.workflowName}`}>
                    {s.paused ? "Resume" : "Pause"}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
