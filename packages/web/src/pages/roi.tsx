import "@mantine/charts/styles.css";
import { BarChart } from "@mantine/charts";
import { Button, Card, Group, SegmentedControl, Stack, Table, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, query } from "../lib/api.js";
import { download, toCsv } from "../lib/csv.js";
import { useOrg } from "../lib/session.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { formatMinutes } from "../components/status-badge.js";
import { StatCards } from "../components/stat-cards.js";

interface Summary {
  executions: number;
  timeSaved: number;
  value: number;
  tokensUsed: number;
}
interface ByWorkflow {
  workflows: { workflowId: string | null; workflowName: string; executions: number; timeSaved: number; value: number }[];
}
interface Trend {
  days: { date: string; executions: number; timeSaved: number; value: number }[];
}

const RANGES = ["7", "30", "90"];

/** What automation saved: totals, a day-by-day chart, and each workflow's share (exported as CSV). */
export function RoiPage() {
  const { org } = useOrg();
  const [params, setParams] = useSearchParams();
  const days = RANGES.includes(params.get("days") ?? "") ? params.get("days")! : "30";
  const since = new Date(Date.now() - Number(days) * 86_400_000).toISOString();
  const q = query({ since });
  const key = [org, "roi", days];
  const summary = useQuery({ queryKey: [...key, "summary"], queryFn: () => api<Summary>(`/api/reports/roi/summary${q}`) });
  const byWorkflow = useQuery({ queryKey: [...key, "by-workflow"], queryFn: () => api<ByWorkflow>(`/api/reports/roi/by-workflow${q}`) });
  const trend = useQuery({ queryKey: [...key, "trend"], queryFn: () => api<Trend>(`/api/reports/roi/trend${q}`) });
  const error = summary.error ?? byWorkflow.error ?? trend.error;

  const exportCsv = () => {
    const rows = byWorkflow.data?.workflows ?? [];
    download(`bifrost-roi-${days}d.csv`, toCsv(["workflow", "executions", "time saved (minutes)", "value"], rows.map((w) => [w.workflowName, w.executions, w.timeSaved, w.value])));
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>ROI</Title>
        <Group>
          <SegmentedControl
            aria-label="Range"
            value={days}
            onChange={(v) => setParams({ days: v }, { replace: true })}
            data={RANGES.map((d) => ({ value: d, label: `${d} days` }))}
          />
          <Button variant="default" onClick={exportCsv} disabled={!byWorkflow.data}>
            Export CSV
          </Button>
        </Group>
      </Group>
      {error ? <ErrorAlert error={error} /> : null}
      <StatCards
        cols={{ base: 2, md: 4 }}
        stats={[
          ["Successful runs", summary.data ? String(summary.data.executions) : null],
          ["Time saved", summary.data ? formatMinutes(summary.data.timeSaved) : null],
          ["Value", summary.data ? summary.data.value.toLocaleString() : null],
          ["LLM tokens", summary.data ? summary.data.tokensUsed.toLocaleString() : null],
        ]}
      />
      <Card withBorder role="region" aria-label="Time saved per day">
        <Title order={4} mb="sm">
          Time saved per day (minutes)
        </Title>
        {trend.data ? (
          <BarChart h={240} data={trend.data.days.map((d) => ({ ...d, date: d.date.slice(5) }))} dataKey="date" series={[{ name: "timeSaved", label: "Minutes saved", color: "blue.6" }]} withTooltip={false} />
        ) : (
          <LoadingRows rows={3} />
        )}
      </Card>
      <Card withBorder>
        <Title order={4} mb="sm">
          By workflow
        </Title>
        {!byWorkflow.data ? (
          <LoadingRows rows={3} />
        ) : byWorkflow.data.workflows.length === 0 ? (
          <Empty title="Nothing saved in this range">Give workflows a timeSaved or value, and run them.</Empty>
        ) : (
          <Table aria-label="ROI by workflow">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Workflow</Table.Th>
                <Table.Th>Runs</Table.Th>
                <Table.Th>Time saved</Table.Th>
                <Table.Th>Value</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {byWorkflow.data.workflows.map((w) => (
                <Table.Tr key={w.workflowId ?? w.workflowName}>
                  <Table.Td>{w.workflowName}</Table.Td>
                  <Table.Td>{w.executions}</Table.Td>
                  <Table.Td>{formatMinutes(w.timeSaved)}</Table.Td>
                  <Table.Td>{w.value.toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
    </Stack>
  );
}
