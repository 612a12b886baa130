import { useState } from "react";
import { Badge, Button, Card, Code, Group, Select, Stack, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import type { ApiKey } from "@bifrost/contracts/keys.js";
import { api } from "../lib/api.js";
import { useMe } from "../lib/session.js";
import { ActionsHeader, DataTable, RowButton } from "../components/data-table.js";
import { FormProblem, ShownOnce } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

const column = createColumnHelper<ApiKey>();

/**
 * API keys: everyone's own personal keys (they act as their user); platform admins also
 * make organization and platform keys. A new key is shown once; revoking ends it at once.
 */
export function ApiKeysPage() {
  const me = useMe();
  const client = useQueryClient();
  const admin = me.data?.isPlatformAdmin ?? false;
  const orgs = me.data?.organizations ?? [];
  const personal = useQuery({ queryKey: ["global", "api-keys", "mine"], queryFn: () => api<{ apiKeys: ApiKey[] }>("/api/api-keys?mine=true", { org: null }) });
  const all = useQuery({ queryKey: ["global", "api-keys", "all"], queryFn: () => api<{ apiKeys: ApiKey[] }>("/api/api-keys", { org: null }), enabled: admin });
  const [shown, setShown] = useState<string | null>(null);
  const [form, setForm] = useState({ name: "", organizationId: "" });
  const [orgForm, setOrgForm] = useState({ name: "", organizationId: "" });
  const refresh = () => client.invalidateQueries({ queryKey: ["global", "api-keys"] });
  const create = useMutation({
    mutationFn: (body: { name: string; organizationId?: string | null }) => api<ApiKey & { key: string }>("/api/api-keys", { method: "POST", org: null, body }),
    onSuccess: (k) => (setShown(k.key), refresh()),
  });
  const createPersonal = () => create.mutate({ name: form.name }, { onSuccess: () => setForm({ name: "", organizationId: "" }) });
  const createOrg = () => create.mutate({ name: orgForm.name, organizationId: orgForm.organizationId || null }, { onSuccess: () => setOrgForm({ name: "", organizationId: "" }) });
  const revoke = useMutation({ mutationFn: (k: ApiKey) => api(`/api/api-keys/${k.id}`, { method: "DELETE", org: null }), onSettled: refresh });
  const orgName = (id: string | null) => (id ? (orgs.find((o) => o.id === id)?.name ?? id) : "Platform");
  const personalForm = create.variables && create.variables.organizationId === undefined;

  const columns = [
    column.accessor("name", { header: "Name", cell: (c) => <>{c.getValue()} {c.row.original.revokedAt ? <Badge color="gray">Revoked</Badge> : null}</> }),
    column.accessor("prefix", { header: "Starts with", cell: (c) => <Code>{c.getValue()}…</Code> }),
    column.accessor("orgId", { header: "Acts in", cell: (c) => (c.row.original.userId ? "as its user" : orgName(c.getValue())) }),
    column.accessor("createdAt", { header: "Created", cell: (c) => new Date(c.getValue()).toLocaleString() }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: ({ row: { original: k } }) =>
        k.revokedAt ? null : (
          <RowButton label="Revoke" of={k.name} danger onClick={() => revoke.mutate(k)} />
        ),
    }),
  ];
  const table = (label: string, q: typeof personal, filter: (k: ApiKey) => boolean) =>
    q.error ? <ErrorAlert error={q.error} /> : q.isPending ? <LoadingRows rows={2} /> : q.data.apiKeys.filter(filter).length === 0 ? <Empty title="No keys yet" /> : <DataTable label={label} data={q.data.apiKeys.filter(filter)} columns={columns} rowId={(k) => k.id} />;

  return (
    <Stack>
      <Title order={2}>API keys</Title>
      {shown ? <ShownOnce title="Your new key: copy it now, it is not shown again" label="API key to copy" value={shown} onClose={() => setShown(null)} /> : null}
      {revoke.error ? <ErrorAlert error={revoke.error} /> : null}
      <Title order={3}>Personal keys</Title>
      <Card withBorder component="form" aria-label="New personal key" onSubmit={(e: React.FormEvent) => (e.preventDefault(), createPersonal())}>
        <Group align="end">
          <TextInput label="Key name" value={form.name} error={personalForm ? fieldError(create.error, "name") : undefined} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} w={280} />
          <Button type="submit" loading={create.isPending && personalForm}>
            Create personal key
          </Button>
        </Group>
        {personalForm ? <FormProblem error={create.error} /> : null}
      </Card>
      {table("Personal keys", personal, (k) => k.userId !== null)}
      {admin ? (
        <>
          <Title order={3}>Organization and platform keys</Title>
          <Card withBorder component="form" aria-label="New organization key" onSubmit={(e: React.FormEvent) => (e.preventDefault(), createOrg())}>
            <Group align="end">
              <TextInput label="Key name" value={orgForm.name} error={!personalForm ? fieldError(create.error, "name") : undefined} onChange={(e) => setOrgForm({ ...orgForm, name: e.currentTarget.value })} w={280} />
              <Select
                label="Acts in"
                data={[{ value: "", label: "Platform (every organization)" }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
                value={orgForm.organizationId}
                onChange={(v) => setOrgForm({ ...orgForm, organizationId: v ?? "" })}
                allowDeselect={false}
                w={240}
              />
              <Button type="submit" loading={create.isPending && !personalForm}>
                Create key
              </Button>
            </Group>
            {!personalForm ? <FormProblem error={create.error} /> : null}
          </Card>
          {table("Organization and platform keys", all, (k) => k.userId === null)}
        </>
      ) : null}
    </Stack>
  );
}
