import { Anchor, Badge, Group, Stack, Table, Text, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, query } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import type { Workflow } from "../lib/types.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { FilterBar, useUrlFilters } from "../components/filter-bar.js";

interface WorkflowList {
  workflows: Workflow[];
  loadErrors: { filePath: string; message: string }[];
}

const unique = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))].sort();

/** Every workflow the caller may run, searchable and filtered by category, tag and type (all in the URL). */
export function WorkflowsPage() {
  const { org } = useOrg();
  const { params, set } = useUrlFilters();
  const filters = { q: params.get("q"), category: params.get("category"), tag: params.get("tag"), type: params.get("type") };

  const all = useQuery({ queryKey: [org, "workflows", {}], queryFn: () => api<WorkflowList>("/api/workflows") });
  const list = useQuery({ queryKey: [org, "workflows", filters], queryFn: () => api<WorkflowList>(`/api/workflows${query(filters)}`), placeholderData: keepPreviousData });
  const everything = all.data?.workflows ?? [];

  return (
    <Stack>
      <Title order={2}>Workflows</Title>
      <FilterBar
        params={params}
        set={set}
        filters={[
          { type: "text", name: "q", label: "Search", placeholder: "Name, description or tag", width: 260 },
          { type: "select", name: "category", label: "Category", data: unique(everything.map((w) => w.category)), width: 200 },
          { type: "select", name: "tag", label: "Tag", data: unique(everything.flatMap((w) => w.tags)) },
          {
            type: "select",
            name: "type",
            label: "Type",
            data: [
              { value: "workflow", label: "Workflow" },
              { value: "tool", label: "Tool" },
              { value: "data_provider", label: "Data provider" },
            ],
          },
        ]}
      />
      {list.error ? <ErrorAlert error={list.error} /> : null}
      {list.isPending ? (
        <LoadingRows />
      ) : list.data && list.data.workflows.length === 0 ? (
        <Empty title="No workflows match">Change the filters, or add a workflow file to the workspace.</Empty>
      ) : list.data ? (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover aria-label="Workflows">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th>Category</Table.Th>
                <Table.Th>Tags</Table.Th>
                <Table.Th>Mode</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.workflows.map((w) => (
                <Table.Tr key={w.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/workflows/${encodeURIComponent(w.name)}`}>
                      {w.name}
                    </Anchor>
                    {w.kind !== "workflow" ? (
                      <Badge ml="xs" size="xs" variant="outline">
                        {w.kind === "tool" ? "tool" : "data provider"}
                      </Badge>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{w.description}</Text>
                  </Table.Td>
                  <Table.Td>{w.category}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {w.tags.map((t) => (
                        <Badge key={t} size="sm" variant="light">
                          {t}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>{w.executionMode}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      {list.data?.loadErrors.length ? (
        <Text c="red" size="sm">
          {list.data.loadErrors.length} file(s) failed to load: {list.data.loadErrors.map((e) => e.filePath).join(", ")}
        </Text>
      ) : null}
    </Stack>
  );
}
