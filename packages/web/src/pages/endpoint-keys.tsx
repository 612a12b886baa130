import { useState } from "react";
import { Badge, Button, Card, Code, Group, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import type { EndpointKey } from "@bifrost/contracts/keys.js";
import { api } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { ActionsHeader, DataTable, RowButton } from "../components/data-table.js";
import { Allowed, FormProblem, ShownOnce } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

export interface EndpointWorkflow {
  id: string;
  name: string;
  orgId: string | null;
  endpointEnabled?: boolean;
  disableGlobalKey?: boolean;
  publicEndpoint?: boolean;
}

/**
 * The workflows a key opens: its own workflow, or (a scope's global key) every endpoint
 * workflow of that scope and the global ones that accept the global key.
 */
export function workflowsOpenedBy(key: Pick<EndpointKey, "scope" | "workflowId">, workflows: EndpointWorkflow[]): string[] {
  if (key.workflowId) return workflows.filter((w) => w.id === key.workflowId).map((w) => w.name);
  const scope = key.scope === "global" ? null : key.scope;
  return workflows.filter((w) => w.endpointEnabled && !w.disableGlobalKey && (w.orgId === null || w.orgId === scope)).map((w) => w.name);
}

const column = createColumnHelper<EndpointKey>();

/** Endpoint keys (X-Bifrost-Key): create (shown once), rotate (the new one shown once), revoke. */
export function EndpointKeysPage() {
  return (
    <Allowed>
      <EndpointKeys />
    </Allowed>
  );
}

function EndpointKeys() {
  const { org } = useOrg();
  const me = useMe();
  const client = useQueryClient();
  const key = [org, "endpoint-keys"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ endpointKeys: EndpointKey[] }>("/api/endpoint-keys") });
  const workflows = useQuery({ queryKey: [org, "workflows", "all"], queryFn: () => api<{ workflows: EndpointWorkflow[] }>("/api/workflows") });
  const endpointWorkflows = (workflows.data?.workflows ?? []).filter((w) => w.endpointEnabled);
  const [form, setForm] = useState({ name: "", workflow: "" });
  const [shown, setShown] = useState<{ title: string; key: string } | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const create = useMutation({
    mutationFn: () => api<EndpointKey & { key: string }>("/api/endpoint-keys", { method: "POST", body: { name: form.name, ...(form.workflow ? { workflow: form.workflow } : {}) } }),
    onSuccess: (k) => (setShown({ title: `Endpoint key "${k.name}": copy it now, it is not shown again`, key: k.key }), setForm({ name: "", workflow: "" }), refresh()),
  });
  const rotate = useMutation({
    mutationFn: (k: EndpointKey) => api<EndpointKey & { key: string }>(`/api/endpoint-keys/${k.id}/rotate`, { method: "POST" }),
    onSuccess: (k) => (setShown({ title: `New key for "${k.name}" (the old one no longer works): copy it now`, key: k.key }), refresh()),
  });
  const revoke = useMutation({ mutationFn: (k: EndpointKey) => api(`/api/endpoint-keys/${k.id}`, { method: "DELETE" }), onSettled: refresh });
  const orgName = (id: string) => (id === "global" ? "Global" : (me.data?.organizations.find((o) => o.id === id)?.name ?? id));

  const columns = [
    column.accessor("name", { header: "Name" }),
    column.accessor("prefix", { header: "Starts with", cell: (c) => <Code>{c.getValue()}…</Code> }),
    column.accessor("scope", { header: "Runs in", cell: (c) => orgName(c.getValue()) }),
    column.display({
      id: "opens",
      header: "Opens",
      cell: ({ row: { original: k } }) => (
        <Group gap={4}>
          {k.workflowId ? null : <Badge variant="outline">global key</Badge>}
          {workflowsOpenedBy(k, workflows.data?.workflows ?? []).map((n) => (
            <Badge key={n} variant="light">
              {n}
            </Badge>
          ))}
        </Group>
      ),
    }),
    column.accessor("rotatedAt", { header: "Created / rotated", cell: (c) => new Date(c.getValue() ?? c.row.original.createdAt).toLocaleString() }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: ({ row: { original: k } }) => (
        <Group gap={4} wrap="nowrap">
          <Button size="xs" variant="default" aria-label={`Rotate ${k.name}`} onClick={() => rotate.mutate(k)}>
            Rotate
          </Button>
          <RowButton label="Revoke" of={k.name} danger onClick={() => revoke.mutate(k)} />
        </Group>
      ),
    }),
  ];

  return (
    <Stack>
      <Title order={2}>Endpoint keys</Title>
      <Text size="sm" c="dimmed">
        Callers send a key in the X-Bifrost-Key header to run endpoint workflows. Keys are made in the organization chosen at the top (or globally).
      </Text>
      <Card withBorder component="form" aria-label="New endpoint key" onSubmit={(e: React.FormEvent) => (e.preventDefault(), create.mutate())}>
        <Group align="end">
          <TextInput label="Key name" value={form.name} error={fieldError(create.error, "name")} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} w={240} />
          <Select
            label="Workflow"
            data={[{ value: "", label: "Every endpoint workflow (global key)" }, ...endpointWorkflows.map((w) => ({ value: w.id, label: w.name }))]}
            value={form.workflow}
            onChange={(v) => setForm({ ...form, workflow: v ?? "" })}
            error={fieldError(create.error, "workflow")}
            allowDeselect={false}
            w={300}
          />
          <Button type="submit" loading={create.isPending}>
            Create key
          </Button>
        </Group>
        <FormProblem error={create.error} />
      </Card>
      {shown ? <ShownOnce title={shown.title} label="Endpoint key to copy" value={shown.key} onClose={() => setShown(null)} /> : null}
      {rotate.error ? <ErrorAlert error={rotate.error} /> : null}
      {revoke.error ? <ErrorAlert error={revoke.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.endpointKeys.length === 0 ? (
        <Empty title="No endpoint keys" />
      ) : (
        <DataTable label="Endpoint keys" data={list.data.endpointKeys} columns={columns} rowId={(k) => k.id} />
      )}
    </Stack>
  );
}
