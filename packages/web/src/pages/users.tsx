import { useState } from "react";
import { Badge, Button, Card, Checkbox, Group, Modal, MultiSelect, Select, Stack, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { api } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import type { Me } from "../lib/types.js";
import { ActionsHeader, DataTable, RowButton } from "../components/data-table.js";
import { Allowed, FormProblem, ShownOnce } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { ConfirmModal } from "../components/confirm.js";

export interface User {
  id: string;
  email: string;
  name: string;
  organizationId: string | null;
  level: Me["level"];
  disabled: boolean;
  mfaEnabled: boolean;
  lastLoginAt: string | null;
  roles: { id: string; name: string }[];
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
}

export const LEVEL_NAMES: Record<Me["level"], string> = { platformAdmin: "Platform admin", mspMember: "MSP member", orgAdmin: "Organization admin", orgMember: "Organization member" };

/** The PATCH fields that give a user a level (MSP users: platform admin or member; customers: admin or member). */
export function levelPatch(level: Me["level"]): { isPlatformAdmin?: boolean; isOrgAdmin?: boolean } {
  if (level === "platformAdmin" || level === "mspMember") return { isPlatformAdmin: level === "platformAdmin" };
  return { isOrgAdmin: level === "orgAdmin" };
}

const column = createColumnHelper<User>();

/** People: invite (the link to pass on), edit name, level and roles, reset link, disable, delete. */
export function UsersPage() {
  return (
    <Allowed>
      <Users />
    </Allowed>
  );
}

function Users() {
  const { org } = useOrg();
  const me = useMe();
  const client = useQueryClient();
  const key = [org, "users"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ users: User[]; total: number }>("/api/users?limit=200") });
  const roles = useQuery({ queryKey: ["global", "roles"], queryFn: () => api<{ roles: Role[] }>("/api/roles", { org: null }) });
  const orgs = me.data?.organizations ?? [];
  const isPlatformAdmin = me.data?.isPlatformAdmin ?? false;
  const [form, setForm] = useState({ email: "", name: "", organizationId: "", isOrgAdmin: false });
  const [link, setLink] = useState<{ title: string; url: string } | null>(null);
  const [editing, setEditing] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: key });

  const create = useMutation({
    mutationFn: () =>
      api<{ inviteUrl: string | null }>("/api/users", {
        method: "POST",
        body: { email: form.email, name: form.name, ...(form.organizationId ? { organizationId: form.organizationId, isOrgAdmin: form.isOrgAdmin } : {}) },
      }),
    onSuccess: (answer) => {
      if (answer.inviteUrl) setLink({ title: "Invitation link (valid 7 days): pass it on", url: answer.inviteUrl });
      setForm({ email: "", name: "", organizationId: "", isOrgAdmin: false });
      void refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (u: User) => api(`/api/users/${u.id}`, { method: "PATCH", body: { disabled: !u.disabled } }),
    onSettled: refresh,
  });
  const reset = useMutation({
    mutationFn: (u: User) => api<{ resetUrl: string }>(`/api/users/${u.id}/password-reset`, { method: "POST" }),
    onSuccess: (answer, u) => setLink({ title: `Password reset link for ${u.email} (valid 7 days): pass it on`, url: answer.resetUrl }),
  });
  const remove = useMutation({
    mutationFn: (u: User) => api(`/api/users/${u.id}`, { method: "DELETE" }),
    onSuccess: () => (setDeleting(null), refresh()),
  });
  const orgName = (id: string | null) => (id ? (orgs.find((o) => o.id === id)?.name ?? id) : "MSP");
  const self = (u: User) => u.id === me.data?.user?.id;

  const columns = [
    column.accessor("name", { header: "Name", cell: (c) => <>{c.getValue()} {c.row.original.disabled ? <Badge color="gray">Disabled</Badge> : null}</> }),
    column.accessor("email", { header: "E-mail" }),
    column.accessor("organizationId", { header: "Organization", cell: (c) => orgName(c.getValue()) }),
    column.accessor("level", { header: "Level", cell: (c) => LEVEL_NAMES[c.getValue()] ?? c.getValue() }),
    column.accessor("roles", { header: "Roles", cell: (c) => c.getValue().map((r) => r.name).join(", ") }),
    column.accessor("lastLoginAt", { header: "Last sign-in", cell: (c) => (c.getValue() ? new Date(c.getValue()!).toLocaleString() : "never") }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: ({ row: { original: u } }) => (
        <Group gap={4} wrap="nowrap">
          <Button size="xs" variant="default" aria-label={`Edit ${u.email}`} onClick={() => setEditing(u)}>
            Edit
          </Button>
          <Button size="xs" variant="subtle" aria-label={`Reset link for ${u.email}`} onClick={() => reset.mutate(u)}>
            Reset link
          </Button>
          {!self(u) ? (
            <>
              <Button size="xs" variant="subtle" aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`} onClick={() => toggle.mutate(u)}>
                {u.disabled ? "Enable" : "Disable"}
              </Button>
              <RowButton label="Delete" of={u.email} danger onClick={() => (remove.reset(), setDeleting(u))} />
            </>
          ) : null}
        </Group>
      ),
    }),
  ];

  return (
    <Stack>
      <Title order={2}>Users</Title>
      <Card withBorder component="form" aria-label="Invite someone" onSubmit={(e: React.FormEvent) => (e.preventDefault(), create.mutate())}>
        <Group align="end">
          <TextInput label="E-mail" type="email" required value={form.email} error={fieldError(create.error, "email")} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} w={240} />
          <TextInput label="Name" required value={form.name} error={fieldError(create.error, "name")} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} w={200} />
          {isPlatformAdmin ? (
            <Select
              label="Organization"
              data={[{ value: "", label: "MSP (all customers)" }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
              value={form.organizationId}
              onChange={(v) => setForm({ ...form, organizationId: v ?? "" })}
              allowDeselect={false}
              w={220}
            />
          ) : null}
          {form.organizationId || !isPlatformAdmin ? <Checkbox label="Organization admin" checked={form.isOrgAdmin} onChange={(e) => setForm({ ...form, isOrgAdmin: e.currentTarget.checked })} mb={8} /> : null}
          <Button type="submit" loading={create.isPending}>
            Invite
          </Button>
        </Group>
        <FormProblem error={create.error} />
      </Card>
      {link ? <ShownOnce title={link.title} label={link.title.startsWith("Invitation") ? "Invitation link" : "Reset link"} value={link.url} onClose={() => setLink(null)} /> : null}
      {toggle.error ? <ErrorAlert error={toggle.error} /> : null}
      {reset.error ? <ErrorAlert error={reset.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.users.length === 0 ? (
        <Empty title="No users" />
      ) : (
        <DataTable label="Users" data={list.data.users} columns={columns} rowId={(u) => u.id} />
      )}
      {editing ? <EditUser user={editing} roles={roles.data?.roles ?? []} orgs={orgs} isPlatformAdmin={isPlatformAdmin} onDone={() => (setEditing(null), void refresh())} /> : null}
      <ConfirmModal opened={deleting !== null} title={`Delete ${deleting?.email ?? ""}?`} error={remove.error} keepLabel="Keep" confirmLabel="Delete user" loading={remove.isPending} onKeep={() => setDeleting(null)} onConfirm={() => deleting && remove.mutate(deleting)}>
        Their sessions and personal API keys end. Their past runs stay in the history.
      </ConfirmModal>
    </Stack>
  );
}

/** Name, e-mail, level and roles of one user; saved as one PATCH plus the role grants that changed. */
function EditUser({ user, roles, orgs, isPlatformAdmin, onDone }: { user: User; roles: Role[]; orgs: { id: string; name: string }[]; isPlatformAdmin: boolean; onDone: () => void }) {
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const [organizationId, setOrganizationId] = useState(user.organizationId ?? "");
  const [level, setLevel] = useState<Me["level"]>(user.level);
  const [granted, setGranted] = useState(user.roles.map((r) => r.id));
  const moves = (organizationId || null) !== user.organizationId;
  const levels: Me["level"][] = !organizationId ? (isPlatformAdmin ? ["platformAdmin", "mspMember"] : []) : ["orgAdmin", "orgMember"];
  const moveTo = (id: string) => {
    setOrganizationId(id);
    if ((id || null) === user.organizationId) setLevel(user.level);
    else setLevel(id ? "orgMember" : "mspMember");
  };
  const save = useMutation({
    mutationFn: async () => {
      const changes = { ...(moves ? { organizationId: organizationId || null } : {}), ...(moves || level !== user.level ? levelPatch(level) : {}) };
      await api(`/api/users/${user.id}`, { method: "PATCH", body: { name, email, ...changes } });
      const had = new Set(user.roles.map((r) => r.id));
      for (const id of granted) if (!had.has(id)) await api(`/api/roles/${id}/users`, { method: "POST", body: { userId: user.id } });
      for (const id of had) if (!granted.includes(id)) await api(`/api/roles/${id}/users/${user.id}`, { method: "DELETE" });
    },
    onSuccess: onDone,
  });
  return (
    <Modal opened onClose={onDone} title={`Edit ${user.email}`}>
      <form aria-label="Edit user" onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Stack>
          <TextInput label="Name" value={name} error={fieldError(save.error, "name")} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label="E-mail" value={email} error={fieldError(save.error, "email")} onChange={(e) => setEmail(e.currentTarget.value)} />
          {isPlatformAdmin ? (
            <Select
              label="Organization"
              description={moves ? "Moving ends the user's sessions: they sign in again in the new organization." : undefined}
              data={[{ value: "", label: "MSP (all customers)" }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
              value={organizationId}
              onChange={(v) => moveTo(v ?? "")}
              allowDeselect={false}
              error={fieldError(save.error, "organizationId")}
              comboboxProps={{ withinPortal: true }}
            />
          ) : null}
          {levels.length ? (
            <Select
              label="Level"
              data={levels.map((l) => ({ value: l, label: LEVEL_NAMES[l] }))}
              value={level}
              onChange={(v) => v && setLevel(v as Me["level"])}
              allowDeselect={false}
              error={fieldError(save.error, "isPlatformAdmin") ?? fieldError(save.error, "isOrgAdmin")}
              comboboxProps={{ withinPortal: true }}
            />
          ) : null}
          <MultiSelect label="Roles" data={roles.map((r) => ({ value: r.id, label: r.name }))} value={granted} onChange={setGranted} searchable comboboxProps={{ withinPortal: true }} />
          <FormProblem error={save.error} />
          <Button type="submit" loading={save.isPending}>
            Save
          </Button>
        </Stack>
      </form>
    </Modal>
  );
}
