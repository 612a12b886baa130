import { useState } from "react";
import { Alert, Badge, Button, Card, Checkbox, Code, CopyButton, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

interface User {
  id: string;
  email: string;
  name: string;
  organizationId: string | null;
  level: string;
  disabled: boolean;
  lastLoginAt: string | null;
}

/** People: who may sign in, at which level; invite someone (the link is shown to pass on). */
export function UsersPage() {
  const { org } = useOrg();
  const me = useMe();
  const client = useQueryClient();
  const key = [org, "users"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ users: User[]; total: number }>("/api/users?limit=200") });
  const orgs = me.data?.organizations ?? [];
  const [form, setForm] = useState({ email: "", name: "", organizationId: "", isOrgAdmin: false });
  const [invite, setInvite] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api<{ inviteUrl: string | null }>("/api/users", {
        method: "POST",
        body: { email: form.email, name: form.name, ...(form.organizationId ? { organizationId: form.organizationId, isOrgAdmin: form.isOrgAdmin } : {}) },
      }),
    onSuccess: (answer) => {
      setInvite(answer.inviteUrl);
      setForm({ email: "", name: "", organizationId: "", isOrgAdmin: false });
      void client.invalidateQueries({ queryKey: key });
    },
  });
  const toggle = useMutation({
    mutationFn: (u: User) => api(`/api/users/${u.id}`, { method: "PATCH", body: { disabled: !u.disabled } }),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  const fieldError = (name: string) => (create.error instanceof ApiError ? create.error.fields.find((f) => f.path === name)?.message : undefined);
  const orgName = (id: string | null) => (id ? (orgs.find((o) => o.id === id)?.name ?? id) : "MSP");

  return (
    <Stack>
      <Title order={2}>Users</Title>
      <Card withBorder component="form" aria-label="Invite someone" onSubmit={(e: React.FormEvent) => (e.preventDefault(), create.mutate())}>
        <Group align="end">
          <TextInput label="E-mail" type="email" required value={form.email} error={fieldError("email")} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} w={240} />
          <TextInput label="Name" required value={form.name} error={fieldError("name")} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} w={200} />
          <Select
            label="Organization"
            data={[{ value: "", label: "MSP (all customers)" }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
            value={form.organizationId}
            onChange={(v) => setForm({ ...form, organizationId: v ?? "" })}
            allowDeselect={false}
            w={220}
          />
          {form.organizationId ? <Checkbox label="Organization admin" checked={form.isOrgAdmin} onChange={(e) => setForm({ ...form, isOrgAdmin: e.currentTarget.checked })} mb={8} /> : null}
          <Button type="submit" loading={create.isPending}>
            Invite
          </Button>
        </Group>
        {create.error && !(create.error instanceof ApiError && create.error.fields.length) ? (
          <Text c="red" size="sm" mt="xs" role="alert">
            {create.error.message}
          </Text>
        ) : null}
      </Card>
      {invite ? (
        <Alert title="Invitation link (valid 7 days): pass it on" color="blue" role="status">
          <Group>
            <Code aria-label="Invitation link">{invite}</Code>
            <CopyButton value={invite}>{({ copied, copy }) => <Button size="xs" variant="light" onClick={copy}>{copied ? "Copied" : "Copy"}</Button>}</CopyButton>
          </Group>
        </Alert>
      ) : null}
      {toggle.error ? <ErrorAlert error={toggle.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.users.length === 0 ? (
        <Empty title="No users" />
      ) : (
        <Table aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>E-mail</Table.Th>
              <Table.Th>Organization</Table.Th>
              <Table.Th>Level</Table.Th>
              <Table.Th>Last sign-in</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.users.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>
                  {u.name} {u.disabled ? <Badge color="gray">Disabled</Badge> : null}
                </Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>{orgName(u.organizationId)}</Table.Td>
                <Table.Td>{u.level}</Table.Td>
                <Table.Td>{u.lastLoginAt ? new Date(u.lastLoginAt).toLocaleString() : "never"}</Table.Td>
                <Table.Td>
                  {u.id !== me.data?.user?.id ? (
                    <Button size="xs" variant="subtle" aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`} onClick={() => toggle.mutate(u)}>
                      {u.disabled ? "Enable" : "Disable"}
                    </Button>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
