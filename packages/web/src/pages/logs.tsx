import { useMemo } from "react";
import { Anchor, Group, Stack, Table, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, query } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { LEVELS, type LogSearchPage } from "../lib/types.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { TableHead } from "../components/data-table.js";
import { FilterBar, TIME_RANGE_FILTER, useUrlFilters, type Filter } from "../components/filter-bar.js";
import { Pager } from "../components/pager.js";
import { StatusBadge } from "../components/status-badge.js";
import { logSearchQuery } from "../lib/history-query.js";

const LEVEL_COLORS: Record<string, string> = { debug: "dimmed", warn: "orange", error: "red" };

/** Admins: log lines across every run they may see, by level, workflow, organization, text and time. */
export function LogsPage() {
  const { org } = useOrg();
  const me = useMe();
  const { params, set } = useUrlFilters({ resetPage: true });
  const q = useMemo(() => logSearchQuery(params), [params]);
  const page = Math.max(Number(params.get("page")) || 1, 1);
  const organizations = me.data?.organizations ?? [];
  const orgName = new Map(organizations.map((o) => [o.id, o.name]));
  const filters: Filter[] = [
    { type: "text", name: "q", label: "Text", placeholder: "words in the message", width: 220 },
    { type: "select", name: "level", label: "Level", data: [...LEVELS, { value: "warn,error", label: "warn and error" }], width: 150 },
    { type: "text", name: "workflow", label: "Workflow", placeholder: "name" },
    // Acting in one organization (the switcher), the search is that organization's already.
    ...(org === null && organizations.length > 1 ? [{ type: "select" as const, name: "organization", label: "Run organization", data: organizations.map((o) => ({ value: o.id, label: o.name })), width: 200 }] : []),
    TIME_RANGE_FILTER,
  ];
  const list = useQuery({ queryKey: [org, "log-search", q], queryFn: () => api<LogSearchPage>(`/api/executions/logs${query(q)}`), placeholderData: keepPreviousData });

  return (
    <Stack>
      <Title order={2}>Log search</Title>
      <FilterBar filters={filters} params={params} set={set} />
      {list.error ? <ErrorAlert error={list.error} /> : null}
      {list.isPending ? (
        <LoadingRows />
      ) : list.data && list.data.lines.length === 0 ? (
        <Empty title="No log lines">{page > 1 ? "This page is past the last line." : "No line matches these filters. Widen the time range or clear a filter."}</Empty>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-label="Log lines found">
            <TableHead headings={["Time", "Level", "Message", "Run", "Organization"]} />
            <Table.Tbody>
              {list.data?.lines.map((l) => (
                <Table.Tr key={`${l.executionId}:${l.seq}`}>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {new Date(l.ts).toLocaleString()}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c={LEVEL_COLORS[l.level]} fw={l.level === "error" ? 700 : 400}>
                      {l.level}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace" style={{ overflowWrap: "anywhere" }}>
                      {l.message}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <Anchor component={Link} to={`/runs/${l.executionId}`} size="sm">
                        {l.workflowName}
                      </Anchor>
                      <StatusBadge status={l.status} />
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{l.orgId ? (orgName.get(l.orgId) ?? l.orgId) : "global"}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Pager page={page} hasMore={!!list.data?.hasMore} go={(p) => set("page", p, true)} />
    </Stack>
  );
}
