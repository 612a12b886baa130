import { Anchor, Badge, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import type { Workflow } from "../lib/types.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

/** The forms a technician fills in: one per workflow (its params), by category. */
export function FormsPage() {
  const { org } = useOrg();
  const list = useQuery({ queryKey: [org, "workflows", { type: "workflow" }], queryFn: () => api<{ workflows: Workflow[] }>("/api/workflows?type=workflow") });
  const custom = useQuery({ queryKey: [org, "custom-forms"], queryFn: () => api<{ forms: { id: string; name: string; title: string | null; description: string | null }[] }>("/api/custom-forms") });
  if (list.isPending) return <LoadingRows />;
  if (list.error) return <ErrorAlert error={list.error} />;
  const forms = list.data.workflows;
  return (
    <Stack>
      <Title order={2}>Forms</Title>
      {custom.data?.forms.length ? (
        <Table aria-label="Custom forms" highlightOnHover>
          <Table.Tbody>
            {custom.data.forms.map((f) => (
              <Table.Tr key={f.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/forms/custom/${f.id}`}>
                    {f.title ?? f.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {f.description}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {forms.length === 0 ? (
        <Empty title="No forms yet">Every workflow in the workspace has a form.</Empty>
      ) : (
        <Table aria-label="Forms" highlightOnHover>
          <Table.Tbody>
            {forms.map((w) => (
              <Table.Tr key={w.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/forms/${encodeURIComponent(w.name)}`}>
                    {w.description ?? w.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {w.category ? <Badge variant="light">{w.category}</Badge> : null}
                    <Text size="xs" c="dimmed">
                      {w.name}
                    </Text>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
