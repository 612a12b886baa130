import { useState } from "react";
import { Anchor, Badge, Button, Card, Group, List, Modal, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { Link } from "react-router";
import { api } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { ActionsHeader, DataTable, RowButton } from "../components/data-table.js";
import { Allowed, FormProblem } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { ConfirmModal } from "../components/confirm.js";
import type { Role, User } from "./users.js";

interface Access {
  level: string;
  roles: string[];
}
interface Granted {
  id: string;
  name: string;
  access?: Access;
  title?: string | null;
}

/** Whether `access` is role-based and names `role` (role names match without regard to case, as the server does). */
export function grantsRole(access: Access | undefined, role: string): boolean {
  return access?.level === "roleBased" && access.roles.some((r) => r.toLowerCase() === role.toLowerCase());
}

const column = createColumnHelper<Role>();

/** Roles: global definitions (platform admins), their members, and what they are granted. */
export function RolesPage() {
  return (
    <Allowed>
      <Roles />
    </Allowed>
  );
}

function Roles() {
  const me = useMe();
  const client = useQueryClient();
  const canDefine = me.data?.isPlatformAdmin ?? false;
  const key = ["global", "roles"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ roles: Role[] }>("/api/roles", { org: null }) });
  const [form, setForm] = useState({ name: "", description: "" });
  const [editing, setEditing] = useState<Role | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const create = useMutation({
    mutationFn: () => api<Role>("/api/roles", { method: "POST", org: null, body: { name: form.name, description: form.description || null } }),
    onSuccess: (role) => (setForm({ name: "", description: "" }), setOpen(role.id), refresh()),
  });
  const remove = useMutation({
    mutationFn: (r: Role) => api(`/api/roles/${r.id}`, { method: "DELETE", org: null }),
    onSuccess: (_, r) => (setDeleting(null), open === r.id && setOpen(null), refresh()),
  });

  const columns = [
    column.accessor("name", {
      header: "Role",
      cell: (c) => (
        <Anchor component="button" type="button" onClick={() => setOpen(c.row.original.id)} aria-label={`Open ${c.getValue()}`}>
          {c.getValue()}
        </Anchor>
      ),
    }),
    column.accessor("description", { header: "Description", cell: (c) => c.getValue() ?? "" }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: ({ row: { original: r } }) =>
        canDefine ? (
          <Group gap={4} wrap="nowrap">
            <Button size="xs" variant="default" aria-label={`Edit ${r.name}`} onClick={() => setEditing(r)}>
              Edit
            </Button>
            <RowButton label="Delete" of={r.name} danger onClick={() => (remove.reset(), setDeleting(r))} />
          </Group>
        ) : null,
    }),
  ];
  const selected = list.data?.roles.find((r) => r.id === open);

  return (
    <Stack>
      <Title order={2}>Roles</Title>
      {canDefine ? (
        <Card withBorder component="form" aria-label="New role" onSubmit={(e: React.FormEvent) => (e.preventDefault(), create.mutate())}>
          <Group align="end">
            <TextInput label="Name" value={form.name} error={fieldError(create.error, "name")} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} w={220} />
            <TextInput label="Description" value={form.description} error={fieldError(create.error, "description")} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} w={320} />
            <Button type="submit" loading={create.isPending}>
              Create role
            </Button>
          </Group>
          <FormProblem error={create.error} />
        </Card>
      ) : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.roles.length === 0 ? (
        <Empty title="No roles">A role lets workflows, forms and agents with role-based access be used by its members.</Empty>
      ) : (
        <DataTable label="Roles" data={list.data.roles} columns={columns} rowId={(r) => r.id} />
      )}
      {selected ? <RoleDetail role={selected} /> : null}
      {editing ? <EditRole role={editing} onDone={() => (setEditing(null), void refresh())} /> : null}
      <ConfirmModal opened={deleting !== null} title={`Delete ${deleting?.name ?? ""}?`} error={remove.error} keepLabel="Keep" confirmLabel="Delete role" loading={remove.isPending} onKeep={() => setDeleting(null)} onConfirm={() => deleting && remove.mutate(deleting)}>
        Its members lose what it grants. Workflows that name it keep the name until their code changes.
      </ConfirmModal>
    </Stack>
  );
}

function EditRole({ role, onDone }: { role: Role; onDone: () => void }) {
  const [name, setName] = useState(role.name);
  const [description, setDescription] = useState(role.description ?? "");
  const save = useMutation({ mutationFn: () => api(`/api/roles/${role.id}`, { method: "PUT", org: null, body: { name, description: description || null } }), onSuccess: onDone });
  return (
    <Modal opened onClose={onDone} title={`Edit ${role.name}`}>
      <form aria-label="Edit role" onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Stack>
          <TextInput label="Name" value={name} error={fieldError(save.error, "name")} onChange={(e) => setName(e.currentTarget.value)} />
          <Textarea label="Description" value={description} error={fieldError(save.error, "description")} onChange={(e) => setDescription(e.currentTarget.value)} />
          <FormProblem error={save.error} />
          <Button type="submit" loading={save.isPending}>
            Save
          </Button>
        </Stack>
      </form>
    </Modal>
  );
}

/** One role: its members (add, remove) and the workflows, forms and agents whose role-based access names it. */
function RoleDetail({ role }: { role: Role }) {
  const { org } = useOrg();
  const client = useQueryClient();
  const detail = useQuery({ queryKey: [org, "role", role.id], queryFn: () => api<Role & { userIds: string[] }>(`/api/roles/${role.id}`) });
  const users = useQuery({ queryKey: [org, "users"], queryFn: () => api<{ users: User[] }>("/api/users?limit=200") });
  const workflows = useQuery({ queryKey: [org, "workflows", "all"], queryFn: () => api<{ workflows: Granted[] }>("/api/workflows") });
  const forms = useQuery({ queryKey: [org, "custom-forms"], queryFn: () => api<{ forms: (Granted & { title: string | null })[] }>("/api/custom-forms") });
  const agents = useQuery({ queryKey: [org, "agents"], queryFn: () => api<{ agents: Granted[] }>("/api/agents") });
  const [adding, setAdding] = useState<string | null>(null);
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: [org, "role", role.id] }), client.invalidateQueries({ queryKey: [org, "users"] })]);
  const add = useMutation({ mutationFn: (userId: string) => api(`/api/roles/${role.id}/users`, { method: "POST", body: { userId } }), onSuccess: () => (setAdding(null), refresh()) });
  const drop = useMutation({ mutationFn: (userId: string) => api(`/api/roles/${role.id}/users/${userId}`, { method: "DELETE" }), onSuccess: refresh });
  const byId = new Map((users.data?.users ?? []).map((u) => [u.id, u]));
  const members = detail.data?.userIds ?? [];
  const candidates = (users.data?.users ?? []).filter((u) => !members.includes(u.id));
  const granted = (items: Granted[] | undefined) => (items ?? []).filter((i) => grantsRole(i.access, role.name));

  return (
    <Card withBorder component="section" aria-label={`Role ${role.name}`}>
      <Stack>
        <Title order={3}>{role.name}</Title>
        {detail.error ? <ErrorAlert error={detail.error} /> : null}
        <Title order={4}>Members</Title>
        {members.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nobody holds this role yet.
          </Text>
        ) : (
          <List aria-label="Members">
            {members.map((id) => (
              <List.Item key={id}>
                <Group gap="xs">
                  <Text size="sm">{byId.get(id) ? `${byId.get(id)!.name} (${byId.get(id)!.email})` : id}</Text>
                  <Button size="compact-xs" variant="subtle" color="red" aria-label={`Remove ${byId.get(id)?.email ?? id} from ${role.name}`} onClick={() => drop.mutate(id)}>
                    Remove
                  </Button>
                </Group>
              </List.Item>
            ))}
          </List>
        )}
        <form aria-label="Add a member" onSubmit={(e) => (e.preventDefault(), adding && add.mutate(adding))}>
          <Group align="end">
            <Select label="User" placeholder="Pick a user" searchable data={candidates.map((u) => ({ value: u.id, label: `${u.name} (${u.email})` }))} value={adding} onChange={setAdding} w={320} error={fieldError(add.error, "userId")} />
            <Button type="submit" disabled={!adding} loading={add.isPending}>
              Add member
            </Button>
          </Group>
          <FormProblem error={add.error ?? drop.error} />
        </form>
        <Title order={4}>Granted</Title>
        <Group align="start" grow>
          <GrantList title="Workflows" items={granted(workflows.data?.workflows).map((w) => ({ key: w.id, label: w.name, to: `/workflows/${encodeURIComponent(w.name)}` }))} />
          <GrantList title="Forms" items={granted(forms.data?.forms).map((f) => ({ key: f.id, label: f.title ?? f.name, to: `/forms/custom/${f.id}` }))} />
          <GrantList title="Agents" items={granted(agents.data?.agents).map((a) => ({ key: a.id, label: a.name }))} />
        </Group>
      </Stack>
    </Card>
  );
}

function GrantList({ title, items }: { title: string; items: { key: string; label: string; to?: string }[] }) {
  return (
    <Stack gap={4} aria-label={`Granted ${title.toLowerCase()}`} role="group">
      <Text fw={600} size="sm">
        {title}
      </Text>
      {items.length === 0 ? (
        <Text size="sm" c="dimmed">
          None
        </Text>
      ) : (
        items.map((i) =>
          i.to ? (
            <Anchor key={i.key} component={Link} to={i.to} size="sm">
              {i.label}
            </Anchor>
          ) : (
            <Badge key={i.key} variant="light">
              {i.label}
            </Badge>
          ),
        )
      )}
    </Stack>
  );
}
