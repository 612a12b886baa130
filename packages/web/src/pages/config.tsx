import { useState } from "react";
import { Badge, Button, Card, Checkbox, Code, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, query } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

interface ConfigEntry {
  key: string;
  type: "string" | "int" | "bool" | "json" | "secret";
  value: unknown;
  secret: boolean;
  scope: string;
  updatedAt: string;
}

const TYPES = ["string", "int", "bool", "json"] as const;

/** The typed value a text box holds: numbers, booleans and JSON parsed, strings as typed. */
export function parseConfigValue(type: (typeof TYPES)[number], text: string): unknown {
  if (type === "int") return Number(text);
  if (type === "bool") return text === "true";
  if (type === "json") return JSON.parse(text);
  return text;
}

/** Config values and secrets of the organization acted in (or global): secrets are write-only. */
export function ConfigPage() {
  const { org } = useOrg();
  const client = useQueryClient();
  const key = [org, "config"];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ values: ConfigEntry[] }>("/api/config") });
  const [form, setForm] = useState({ key: "", value: "", type: "string" as (typeof TYPES)[number], secret: false });
  const save = useMutation({
    mutationFn: () => api<ConfigEntry>(`/api/config/${encodeURIComponent(form.key)}`, { method: "PUT", body: { value: parseConfigValue(form.type, form.value), ...(form.secret ? { secret: true } : { type: form.type }) } }),
    onSuccess: () => {
      setForm({ key: "", value: "", type: "string", secret: false });
      void client.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: (e: ConfigEntry) => api(`/api/config/${encodeURIComponent(e.key)}${query({ scope: e.scope === "global" ? undefined : e.scope })}`, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  const fieldError = (name: string) => (save.error instanceof ApiError ? save.error.fields.find((f) => f.path === name)?.message : undefined);

  return (
    <Stack>
      <Title order={2}>Config and secrets</Title>
      <Card withBorder component="form" aria-label="Set a value" onSubmit={(e: React.FormEvent) => (e.preventDefault(), save.mutate())}>
        <Group align="end">
          <TextInput label="Key" required value={form.key} error={fieldError("key")} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} w={220} />
          <TextInput label="Value" type={form.secret ? "password" : "text"} value={form.value} error={fieldError("value")} onChange={(e) => setForm({ ...form, value: e.currentTarget.value })} w={280} />
          <Select label="Type" data={[...TYPES]} value={form.type} disabled={form.secret} onChange={(v) => setForm({ ...form, type: (v ?? "string") as (typeof TYPES)[number] })} w={120} allowDeselect={false} />
          <Checkbox label="Secret" checked={form.secret} onChange={(e) => setForm({ ...form, secret: e.currentTarget.checked })} mb={8} />
          <Button type="submit" loading={save.isPending}>
            Save
          </Button>
        </Group>
        {save.error && !(save.error instanceof ApiError && save.error.fields.length) ? <Text c="red" size="sm" mt="xs" role="alert">{save.error.message}</Text> : null}
      </Card>
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.values.length === 0 ? (
        <Empty title="No config yet">Values set here are read by workflows with `config.get`.</Empty>
      ) : (
        <Table aria-label="Config values">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Scope</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.values.map((e) => (
              <Table.Tr key={`${e.scope}/${e.key}`}>
                <Table.Td>
                  <Code>{e.key}</Code>
                </Table.Td>
                <Table.Td>{e.secret ? <Badge color="gray">secret</Badge> : <Code>{JSON.stringify(e.value)}</Code>}</Table.Td>
                <Table.Td>{e.type}</Table.Td>
                <Table.Td>{e.scope}</Table.Td>
                <Table.Td>
                  <Button size="xs" color="red" variant="subtle" aria-label={`Delete ${e.key}`} onClick={() => remove.mutate(e)}>
                    Delete
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
