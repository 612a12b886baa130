import { useMemo } from "react";
import { Anchor, Stack, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { Link } from "react-router";
import { api, query } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { isTerminal, STATUSES, TRIGGER_NAMES, type ExecutionPage, type ExecutionSummary } from "../lib/types.js";
import { historyQuery } from "../lib/history-query.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { DataTable } from "../components/data-table.js";
import { FilterBar, TIME_RANGE_FILTER, useUrlFilters, type Filter } from "../components/filter-bar.js";
import { Pager } from "../components/pager.js";
import { formatDuration, StatusBadge } from "../components/status-badge.js";

const column = createColumnHelper<ExecutionSummary>();
const columns = [
  column.accessor("workflowName", {
    header: "Workflow",
    cell: (c) => (
      <Anchor component={Link} to={`/runs/${c.row.original.id}`}>
        {c.getValue()}
      </Anchor>
    ),
  }),
  column.accessor("status", { header: "Status", cell: (c) => <StatusBadge status={c.getValue()} /> }),
  column.accessor("trigger", { header: "Trigger" }),
  column.accessor("createdAt", { header: "Started", cell: (c) => new Date(c.getValue()).toLocaleString() }),
  column.accessor("durationMs", { header: "Duration", cell: (c) => formatDuration(c.getValue()) }),
  column.accessor("error", { header: "Error", cell: (c) => <Text size="xs" lineClamp={1} maw={280}>{c.getValue()}</Text> }),
];

/** Every run the caller may see, newest first, paginated by the server. */
export function HistoryPage() {
  const { org } = useOrg();
  const me = useMe();
  const { params, set } = useUrlFilters({ resetPage: true });
  const organizations = me.data?.organizations ?? [];
  const admin = me.data?.level === "platformAdmin" || me.data?.level === "orgAdmin";
  // The people whose runs an admin may pick (organization members see only their own runs).
  const users = useQuery({ queryKey: [org, "users", "history-filter"], queryFn: () => api<{ users: { id: string; name: string; email: string }[] }>("/api/users?limit=200"), enabled: admin, staleTime: 60_000 });
  const filters: Filter[] = [
    { type: "text", name: "q", label: "Search", placeholder: "workflow or error text", width: 220 },
    { type: "text", name: "workflow", label: "Workflow", placeholder: "name" },
    { type: "select", name: "status", label: "Status", data: [...STATUSES], width: 190 },
    { type: "select", name: "trigger", label: "Trigger", data: [...TRIGGER_NAMES], width: 140 },
    // Acting in one organization (the switcher), the history is that organization's already.
    ...(org === null && organizations.length > 1 ? [{ type: "select" as const, name: "organization", label: "Run organization", data: organizations.map((o) => ({ value: o.id, label: o.name })), width: 200 }] : []),
    ...(admin && users.data?.users.length ? [{ type: "select" as const, name: "user", label: "Started by", data: users.data.users.map((u) => ({ value: u.id, label: `${u.name} (${u.email})` })), width: 240 }] : []),
    TIME_RANGE_FILTER,
  ];
  const q = useMemo(() => historyQuery(params), [params]);
  const page = Math.max(Number(params.get("page")) || 1, 1);
  const list = useQuery({
    queryKey: [org, "executions", q],
    queryFn: () => api<ExecutionPage>(`/api/executions${query(q)}`),
    placeholderData: keepPreviousData,
    // While a run on this page is queued or running, the page reads it again (no reload needed).
    refetchInterval: (query) => (query.state.data?.executions.some((e) => !isTerminal(e.status)) ? 2000 : false),
  });

  return (
    <Stack>
      <Title order={2}>History</Title>
      <FilterBar filters={filters} params={params} set={set} />
      {list.error ? <ErrorAlert error={list.error} /> : null}
      {list.isPending ? (
        <LoadingRows />
      ) : list.data && list.data.executions.length === 0 ? (
        <Empty title="No runs">{page > 1 ? "This page is past the last run." : "No run matches these filters yet."}</Empty>
      ) : (
        <DataTable label="Runs" data={list.data?.executions ?? []} columns={columns} rowId={(r) => r.id} minWidth={760} />
      )}
      <Pager page={page} hasMore={!!list.data?.hasMore} go={(p) => set("page", p, true)} />
    </Stack>
  );
}
