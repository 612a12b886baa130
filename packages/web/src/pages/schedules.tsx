import { Anchor, Badge, Button, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import cronstrue from "cronstrue";
import { Link } from "react-router";
import { api } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import type { ExecutionRecord } from "../lib/types.js";
import { ActionsHeader, DataTable } from "../components/data-table.js";
import { Allowed } from "../components/admin.js";
import { StatusBadge } from "../components/status-badge.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

interface Schedule {
  workflowId: string;
  workflowName: string;
  orgId: string | null;
  cron: string;
  timezone: string;
  paused: boolean;
  nextRuns: string[];
  lastTick: string | null;
  lastExecutionId: string | null;
  error: string | null;
}

/** A cron expression in words, with its time zone: "At 09:00, Monday through Friday (Europe/London)". */
export function cronInWords(cron: string, timezone: string): string {
  try {
    return `${cronstrue.toString(cron, { use24HourTimeFormat: true })} (${timezone})`;
  } catch {
    return `${cron} (${timezone})`;
  }
}

/** The last run of a schedule: its status, linked to the run. */
function LastRun({ id }: { id: string }) {
  const { org } = useOrg();
  const run = useQuery({ queryKey: [org, "execution", id], queryFn: () => api<ExecutionRecord>(`/api/executions/${id}`) });
  return (
    <Group gap="xs" wrap="nowrap">
      {run.data ? <StatusBadge status={run.data.status} /> : null}
      <Anchor component={Link} to={`/runs/${id}`} size="sm">
        {run.data ? new Date(run.data.createdAt).toLocaleString() : "Open"}
      </Anchor>
    </Group>
  );
}

const column = createColumnHelper<Schedule>();

/** Scheduled workflows: their expression in words, next runs, last run and its status; pause and resume. */
export function SchedulesPage() {
  return (
    <Allowed>
      <Schedules />
    </Allowed>
  );
}

function Schedules() {
  const { org } = useOrg();
  const me = useMe();
  // Global schedules are platform admins' to pause; an organization's, its admins' too.
  const mayToggle = (s: Schedule) => me.data?.isPlatformAdmin || s.orgId !== null;
  const client = useQueryClient();
  const key = [org, "schedules"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ schedules: Schedule[] }>("/api/schedules?count=3") });
  const toggle = useMutation({
    mutationFn: (s: Schedule) => api(`/api/schedules/${encodeURIComponent(s.workflowName)}/${s.paused ? "resume" : "pause"}`, { method: "POST" }),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  const columns = [
    column.accessor("workflowName", {
      header: "Workflow",
      cell: ({ row: { original: s } }) => (
        <>
          <Anchor component={Link} to={`/workflows/${encodeURIComponent(s.workflowName)}`}>
            {s.workflowName}
          </Anchor>{" "}
          {s.paused ? <Badge color="gray">Paused</Badge> : null}
        </>
      ),
    }),
    column.accessor("cron", {
      header: "Schedule",
      cell: ({ row: { original: s } }) => (
        <Stack gap={2}>
          <Text size="sm">{cronInWords(s.cron, s.timezone)}</Text>
          <Text ff="monospace" size="xs" c="dimmed">
            {s.cron}
          </Text>
          {s.error ? (
            <Text size="xs" c="red">
              {s.error}
            </Text>
          ) : null}
        </Stack>
      ),
    }),
    column.accessor("nextRuns", {
      header: "Next runs",
      cell: ({ row: { original: s } }) =>
        s.paused
          ? "—"
          : s.nextRuns.map((r) => (
              <Text key={r} size="xs">
                {new Date(r).toLocaleString()}
              </Text>
            )),
    }),
    column.accessor("lastExecutionId", { header: "Last run", cell: (c) => (c.getValue() ? <LastRun id={c.getValue()!} /> : "—") }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: ({ row: { original: s } }) =>
        mayToggle(s) ? (
          <Button size="xs" variant="default" onClick={() => toggle.mutate(s)} loading={toggle.isPending && toggle.variables?.workflowId === s.workflowId} aria-label={`${s.paused ? "Resume" : "Pause"} ${s.workflowName}`}>
            {s.paused ? "Resume" : "Pause"}
          </Button>
        ) : null,
    }),
  ];
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
        <DataTable label="Schedules" data={list.data.schedules} columns={columns} rowId={(s) => s.workflowId} />
      )}
    </Stack>
  );
}
