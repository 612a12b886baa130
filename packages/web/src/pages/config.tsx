import { useState } from "react";
import { Badge, Button, Card, Checkbox, Code, Group, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper } from "@tanstack/react-table";
import { api } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { ActionsHeader, DataTable } from "../components/data-table.js";
import { Allowed, FormProblem } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";

interface ConfigEntry {
  key: string;
  type: "string" | "int" | "bool" | "json" | "secret";
  value: unknown;
  secret: boolean;
  scope: string;
  updatedAt: string;
}

/** A row of the page: the value in force in the scope shown, and the global one it overrides. */
export interface ShownEntry extends ConfigEntry {
  /** Set in the scope shown (false: inherited from the global scope). */
  own: boolean;
  /** The global value this organization's value overrides. */
  overrides: ConfigEntry | null;
}

const TYPES = ["string", "int", "bool", "json"] as const;

/** The typed value a text box holds: numbers, booleans and JSON parsed, strings as typed. */
export function parseConfigValue(type: (typeof TYPES)[number], text: string): unknown {
  if (type === "int") return Number(text);
  if (type === "bool") return text === "true";
  if (type === "json") return JSON.parse(text);
  return text;
}

/** An organization's values over the global ones: every key once, the organization's winning. */
export function mergeScopes(own: ConfigEntry[], global: ConfigEntry[] | null): ShownEntry[] {
  const byKey = new Map<string, ShownEntry>();
  for (const g of global ?? []) byKey.set(g.key, { ...g, own: false, overrides: null });
  for (const o of own) byKey.set(o.key, { ...o, own: true, overrides: global?.find((g) => g.key === o.key) ?? null });
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

const shownValue = (e: ConfigEntry) => (e.secret ? <Badge color="gray">secret</Badge> : <Code>{JSON.stringify(e.value)}</Code>);
const column = createColumnHelper<ShownEntry>();

/**
 * Config values and secrets per scope (global, or one organization's over the global ones).
 * Secrets are write-only: after saving, a secret can only be replaced, never read here.
 */
export function ConfigPage() {
  return (
    <Allowed>
      <Config />
    </Allowed>
  );
}

function Config() {
  const { org } = useOrg();
  const me = useMe();
  const client = useQueryClient();
  const admin = me.data?.level === "platformAdmin" || me.data?.level === "orgAdmin";
  const mayWriteGlobal = me.data?.isPlatformAdmin ?? false;
  const orgs = me.data?.organizations ?? [];
  const fallback = org ?? (me.data?.level === "orgAdmin" || me.data?.level === "orgMember" ? (orgs[0]?.id ?? "global") : "global");
  const [chosen, setChosen] = useState<string | null>(null);
  const scope = chosen ?? fallback;
  const inOrg = scope !== "global";
  const key = ["global", "config", scope];
  const own = useQuery({ queryKey: [...key, "own"], queryFn: () => api<{ values: ConfigEntry[] }>(`/api/config?scope=${encodeURIComponent(scope)}`, { org: null }) });
  const global = useQuery({ queryKey: ["global", "config", "global", "own"], queryFn: () => api<{ values: ConfigEntry[] }>("/api/config?scope=global", { org: null }), enabled: inOrg });
  const [form, setForm] = useState({ key: "", value: "", type: "string" as (typeof TYPES)[number], secret: false });
  const refresh = () => client.invalidateQueries({ queryKey: ["global", "config"] });
  const save = useMutation({
    mutationFn: () => {
      let value: unknown;
      try {
        value = parseConfigValue(form.type, form.value);
      } catch {
        throw Object.assign(new Error("Not JSON"), { fields: [{ path: "value", message: "is not valid JSON" }] });
      }
      return api<ConfigEntry>(`/api/config/${encodeURIComponent(form.key)}`, { method: "PUT", org: null, body: { value, scope, ...(form.secret ? { secret: true } : { type: form.type }) } });
    },
    onSuccess: () => (setForm({ key: "", value: "", type: "string", secret: false }), refresh()),
  });
  const remove = useMutation({
    mutationFn: (e: ConfigEntry) => api(`/api/config/${encodeURIComponent(e.key)}?scope=${encodeURIComponent(e.scope)}`, { method: "DELETE", org: null }),
    onSettled: refresh,
  });
  const canWrite = admin && (inOrg || mayWriteGlobal);
  const localError = (path: string) => (save.error as { fields?: { path: string; message: string }[] } | null)?.fields?.find((f) => f.path === path)?.message ?? fieldError(save.error, path);
  const rows = own.data ? mergeScopes(own.data.values, inOrg ? (global.data?.values ?? []) : null) : null;

  const columns = [
    column.accessor("key", { header: "Key", cell: (c) => <Code>{c.getValue()}</Code> }),
    column.display({ id: "value", header: "Value", cell: ({ row: { original: e } }) => shownValue(e) }),
    column.accessor("type", { header: "Type" }),
    column.display({
      id: "from",
      header: "Set in",
      cell: ({ row: { original: e } }) =>
        !inOrg ? (
          "global"
        ) : e.own ? (
          <Stack gap={2}>
            <Text size="sm">this organization</Text>
            {e.overrides ? (
              <Text size="xs" c="dimmed">
                overrides global {e.overrides.secret ? "secret" : JSON.stringify(e.overrides.value)}
              </Text>
            ) : null}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            global (inherited)
          </Text>
        ),
    }),
    column.display({
      id: "actions",
      header: ActionsHeader,
      cell: ({ row: { original: e } }) =>
        canWrite ? (
          <Group gap={4} wrap="nowrap">
            {e.secret && e.own ? (
              <Button size="xs" variant="default" aria-label={`Replace ${e.key}`} onClick={() => setForm({ key: e.key, value: "", type: "string", secret: true })}>
                Replace
              </Button>
            ) : null}
            {!e.own ? (
              <Button size="xs" variant="default" aria-label={`Override ${e.key}`} onClick={() => setForm({ key: e.key, value: "", type: e.secret ? "string" : (e.type as (typeof TYPES)[number]), secret: e.secret })}>
                Override
              </Button>
            ) : (
              <Button size="xs" color="red" variant="subtle" aria-label={`Delete ${e.key}`} onClick={() => remove.mutate(e)}>
                Delete
              </Button>
            )}
          </Group>
        ) : null,
    }),
  ];

  return (
    <Stack>
      <Title order={2}>Config and secrets</Title>
      <Select
        label="Scope"
        data={[{ value: "global", label: "Global (every organization)" }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
        value={scope}
        onChange={(v) => (setChosen(v), save.reset())}
        allowDeselect={false}
        w={280}
      />
      {canWrite ? (
        <Card withBorder component="form" aria-label="Set a value" onSubmit={(e: React.FormEvent) => (e.preventDefault(), save.mutate())}>
          <Group align="end">
            <TextInput label="Key" required value={form.key} error={localError("key")} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} w={220} />
            <TextInput label="Value" type={form.secret ? "password" : "text"} autoComplete="off" value={form.value} error={localError("value")} onChange={(e) => setForm({ ...form, value: e.currentTarget.value })} w={280} />
            <Select label="Type" data={[...TYPES]} value={form.type} disabled={form.secret} onChange={(v) => setForm({ ...form, type: (v ?? "string") as (typeof TYPES)[number] })} w={120} allowDeselect={false} />
            <Checkbox label="Secret" checked={form.secret} onChange={(e) => setForm({ ...form, secret: e.currentTarget.checked })} mb={8} />
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
          </Group>
          {!(save.error as { fields?: unknown[] } | null)?.fields?.length ? <FormProblem error={save.error} /> : null}
        </Card>
      ) : null}
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      {own.error ? (
        <ErrorAlert error={own.error} />
      ) : !rows ? (
        <LoadingRows />
      ) : rows.length === 0 ? (
        <Empty title="No config yet">Values set here are read by workflows with `config.get`.</Empty>
      ) : (
        <DataTable label="Config values" data={rows} columns={columns} rowId={(e) => `${e.scope}/${e.key}`} />
      )}
    </Stack>
  );
}
