import { useState } from "react";
import { Button, Card, Group, Modal, Stack, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { api } from "../lib/api.js";
import { useMe } from "../lib/session.js";
import { ActionsHeader, DataTable, RowButton } from "../components/data-table.js";
import { Allowed, FormProblem } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { ConfirmModal } from "../components/confirm.js";

interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

const column = createColumnHelper<Organization>();

/** Organizations (customers): platform admins create, rename and delete them; organization admins see their own. */
export function OrganizationsPage() {
  return (
    <Allowed>
      <Organizations />
    </Allowed>
  );
}

function Organizations() {
  const me = useMe();
  const client = useQueryClient();
  const canWrite = me.data?.isPlatformAdmin ?? false;
  const key = ["global", "organizations"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ organizations: Organization[] }>("/api/organizations", { org: null }) });
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: key }), client.invalidateQueries({ queryKey: ["me"] })]);
  const [name, setName] = useState("");
  const [editing, setEditing] = useState<Organization | null>(null);
  const [deleting, setDeleting] = useState<Organization | null>(null);
  const [newName, setNewName] = useState("");
  const create = useMutation({
    mutationFn: () => api<Organization>("/api/organizations", { method: "POST", body: { name }, org: null }),
    onSuccess: () => (setName(""), refresh()),
  });
  const rename = useMutation({
    mutationFn: (o: Organization) => api<Organization>(`/api/organizations/${o.id}`, { method: "PATCH", body: { name: newName }, org: null }),
    onSuccess: () => (setEditing(null), refresh()),
  });
  const remove = useMutation({
    mutationFn: (o: Organization) => api(`/api/organizations/${o.id}`, { method: "DELETE", org: null }),
    onSuccess: () => (setDeleting(null), refresh()),
  });

  const columns = [
    column.accessor("name", { header: "Name" }),
    column.accessor("createdAt", { header: "Created", cell: (c) => new Date(c.getValue()).toLocaleString() }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: (c) =>
        canWrite ? (
          <Group gap="xs" justify="end">
            <Button size="xs" variant="default" aria-label={`Rename ${c.row.original.name}`} onClick={() => (rename.reset(), setNewName(c.row.original.name), setEditing(c.row.original))}>
              Rename
            </Button>
            <RowButton label="Delete" of={c.row.original.name} danger onClick={() => (remove.reset(), setDeleting(c.row.original))} />
          </Group>
        ) : null,
    }),
  ];

  return (
    <Stack>
      <Title order={2}>Organizations</Title>
      {canWrite ? (
        <Card withBorder component="form" aria-label="New organization" onSubmit={(e: React.FormEvent) => (e.preventDefault(), create.mutate())}>
          <Group align="end">
            <TextInput label="Name" value={name} error={fieldError(create.error, "name")} onChange={(e) => setName(e.currentTarget.value)} w={280} />
            <Button type="submit" loading={create.isPending}>
              Create organization
            </Button>
          </Group>
          <FormProblem error={create.error} />
        </Card>
      ) : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.organizations.length === 0 ? (
        <Empty title="No organizations">Create one for each customer.</Empty>
      ) : (
        <DataTable label="Organizations" data={list.data.organizations} columns={columns} rowId={(o) => o.id} />
      )}
      <Modal opened={!!editing} onClose={() => setEditing(null)} title={`Rename ${editing?.name ?? ""}`}>
        <form aria-label="Rename organization" onSubmit={(e) => (e.preventDefault(), editing && rename.mutate(editing))}>
          <Stack>
            <TextInput label="New name" value={newName} error={fieldError(rename.error, "name")} onChange={(e) => setNewName(e.currentTarget.value)} data-autofocus />
            <FormProblem error={rename.error} />
            <Button type="submit" loading={rename.isPending}>
              Save
            </Button>
          </Stack>
        </form>
      </Modal>
      <ConfirmModal opened={deleting !== null} title={`Delete ${deleting?.name ?? ""}?`} error={remove.error} confirmLabel="Delete organization" loading={remove.isPending} onKeep={() => setDeleting(null)} onConfirm={() => deleting && remove.mutate(deleting)}>
        Its users, runs, config, secrets and data are deleted with it. This cannot be undone.
      </ConfirmModal>
    </Stack>
  );
}
