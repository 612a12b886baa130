import { Anchor, Card, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, query } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import type { ExecutionPage, ExecutionStatus, ExecutionSummary } from "../lib/types.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { formatMinutes, StatusBadge } from "../components/status-badge.js";
import { StatCards } from "../components/stat-cards.js";

interface RoiSummary {
  executions: number;
  timeSaved: number;
  value: number;
}

/** Runs in the last 24 hours by status (the first 500; "500+" beyond). */
export function countByStatus(runs: ExecutionSummary[]): Partial<Record<ExecutionStatus, number>> {
  const out: Partial<Record<ExecutionStatus, number>> = {};
  for (const r of runs) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

function RunList({ title, runs, empty }: { title: string; runs: ExecutionSummary[] | undefined; empty: string }) {
  return (
    <Card withBorder role="region" aria-label={title}>
      <Title order={4} mb="xs">
        {title}
      </Title>
      {!runs ? (
        <LoadingRows rows={3} />
      ) : runs.length === 0 ? (
        <Empty title={empty} />
      ) : (
        <Table>
          <Table.Tbody>
            {runs.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/runs/${r.id}`}>
                    {r.workflowName}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status} />
                </Table.Td>
                <Table.Td>
                  <Text size="xs" lineClamp={1}>
                    {r.error ?? new Date(r.createdAt).toLocaleString()}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

/** What happened lately: the last day by status, latest failures, what runs now, time saved this month. */
export function HomePage() {
  const { org } = useOrg();
  const since = new Date(Date.now() - 86_400_000).toISOString();
  const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)).toISOString();
  const day = useQuery({ queryKey: [org, "home", "day"], queryFn: () => api<ExecutionPage>(`/api/executions${query({ since, limit: 500 })}`) });
  const failures = useQuery({ queryKey: [org, "home", "failures"], queryFn: () => api<ExecutionPage>(`/api/executions${query({ status: "Failed,Timeout,Stuck", limit: 5 })}`) });
  const running = useQuery({
    queryKey: [org, "home", "running"],
    queryFn: () => api<ExecutionPage>(`/api/executions${query({ status: "Pending,Running,Cancelling", limit: 10 })}`),
    refetchInterval: 3000,
  });
  const roi = useQuery({ queryKey: [org, "home", "roi", monthStart], queryFn: () => api<RoiSummary>(`/api/reports/roi/summary${query({ since: monthStart })}`) });
  const counts = day.data ? countByStatus(day.data.executions) : {};
  const plus = day.data?.hasMore ? "+" : "";

  return (
    <Stack>
      <Title order={2}>Home</Title>
      {day.error ? <ErrorAlert error={day.error} /> : null}
      <StatCards
        cols={{ base: 2, md: 5 }}
        stats={[
          ["Runs (24 h)", day.data ? `${day.data.executions.length}${plus}` : null],
          ["Succeeded", day.data ? String(counts.Success ?? 0) : null],
          ["Failed", day.data ? String((counts.Failed ?? 0) + (counts.Timeout ?? 0) + (counts.Stuck ?? 0)) : null],
          ["Saved this month", roi.data ? formatMinutes(roi.data.timeSaved) : null],
          ["Value this month", roi.data ? roi.data.value.toLocaleString() : null],
        ]}
      />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <RunList title="Running now" runs={running.data?.executions} empty="Nothing is running" />
        <RunList title="Latest failures" runs={failures.data?.executions} empty="No failures" />
      </SimpleGrid>
    </Stack>
  );
}
