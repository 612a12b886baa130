import { useState } from "react";
import { Badge, Button, Card, Code, Group, NumberInput, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../lib/api.js";
import { fieldError } from "../lib/form-errors.js";
import { FormLevelError, SubmitRow } from "../components/admin.js";
import { useMe, useOrg } from "../lib/session.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { RowButton, TableHead } from "../components/data-table.js";

/** A provider as the API shows it: never its key, only whether one is stored. */
export interface AiProvider {
  id: string;
  scope: string;
  name: string;
  kind: "openai-compatible" | "anthropic";
  baseUrl: string | null;
  hasApiKey: boolean;
  headerNames: string[];
  chatModel: string | null;
  embeddingModel: string | null;
  timeoutMs: number;
}

interface Settings {
  scope: string;
  chatProvider: { id: string; name: string; scope: string } | null;
  embeddingProvider: { id: string; name: string; scope: string } | null;
}

interface ProviderForm {
  name: string;
  kind: AiProvider["kind"];
  baseUrl: string;
  apiKey: string;
  chatModel: string;
  embeddingModel: string;
  timeoutMs: number | string;
}

const EMPTY: ProviderForm = { name: "", kind: "openai-compatible", baseUrl: "", apiKey: "", chatModel: "", embeddingModel: "", timeoutMs: 120_000 };
const SHOWN = ["name", "kind", "baseUrl", "apiKey", "chatModel", "embeddingModel", "timeoutMs"];

/** The providers of the scope acted in (an organization's, and the global ones it inherits). */
export function useProviders(enabled = true) {
  const { org } = useOrg();
  return useQuery({ queryKey: [org, "ai", "providers"], queryFn: () => api<{ providers: AiProvider[] }>("/api/ai/providers"), enabled });
}

/**
 * Create or edit a provider. The API key box is always empty: a stored key is never sent to
 * the page; typing one replaces it, leaving it empty keeps it.
 */
function ProviderEditor({ existing, onDone }: { existing: AiProvider | null; onDone: () => void }) {
  const { org } = useOrg();
  const client = useQueryClient();
  const [f, setF] = useState<ProviderForm>(
    existing
      ? { name: existing.name, kind: existing.kind, baseUrl: existing.baseUrl ?? "", apiKey: "", chatModel: existing.chatModel ?? "", embeddingModel: existing.embeddingModel ?? "", timeoutMs: existing.timeoutMs }
      : EMPTY,
  );
  const set = (patch: Partial<ProviderForm>) => setF((old) => ({ ...old, ...patch }));
  const save = useMutation({
    mutationFn: () => {
      const timeoutMs = typeof f.timeoutMs === "number" ? f.timeoutMs : undefined;
      if (existing) {
        return api(`/api/ai/providers/${existing.id}`, {
          method: "PUT",
          body: { name: f.name, baseUrl: f.baseUrl || null, chatModel: f.chatModel || null, embeddingModel: f.embeddingModel || null, ...(timeoutMs ? { timeoutMs } : {}), ...(f.apiKey ? { apiKey: f.apiKey } : {}) },
        });
      }
      return api("/api/ai/providers", {
        method: "POST",
        body: { name: f.name, kind: f.kind, ...(f.baseUrl ? { baseUrl: f.baseUrl } : {}), ...(f.apiKey ? { apiKey: f.apiKey } : {}), ...(f.chatModel ? { chatModel: f.chatModel } : {}), ...(f.embeddingModel ? { embeddingModel: f.embeddingModel } : {}), ...(timeoutMs ? { timeoutMs } : {}) },
      });
    },
    onSuccess: () => {
      setF(EMPTY);
      void client.invalidateQueries({ queryKey: [org, "ai"] });
      onDone();
    },
  });
  const err = (path: string) => fieldError(save.error, path);
  return (
    <Card withBorder component="form" aria-label={existing ? `Edit provider ${existing.name}` : "New provider"} onSubmit={(e: React.FormEvent) => (e.preventDefault(), save.mutate())}>
      <Stack gap="sm">
        <Title order={4}>{existing ? `Edit provider ${existing.name}` : "New provider"}</Title>
        <Group align="start" grow>
          <TextInput label="Name" required value={f.name} error={err("name")} onChange={(e) => set({ name: e.currentTarget.value })} />
          <Select label="Kind" data={[{ value: "openai-compatible", label: "OpenAI-compatible" }, { value: "anthropic", label: "Anthropic" }]} value={f.kind} disabled={existing !== null} error={err("kind")} onChange={(v) => set({ kind: (v ?? "openai-compatible") as ProviderForm["kind"] })} allowDeselect={false} />
          <TextInput label="Base URL" description={f.kind === "anthropic" ? "Empty: Anthropic's API" : "e.g. https://api.openai.com/v1"} value={f.baseUrl} error={err("baseUrl")} onChange={(e) => set({ baseUrl: e.currentTarget.value })} />
        </Group>
        <Group align="start" grow>
          <TextInput
            label="API key"
            type="password"
            autoComplete="new-password"
            description={existing?.hasApiKey ? "A key is stored (never shown): type a new one to replace it" : "Write-only: never shown after saving"}
            value={f.apiKey}
            error={err("apiKey")}
            onChange={(e) => set({ apiKey: e.currentTarget.value })}
          />
          <TextInput label="Chat model" value={f.chatModel} error={err("chatModel")} onChange={(e) => set({ chatModel: e.currentTarget.value })} />
          <TextInput label="Embedding model" value={f.embeddingModel} error={err("embeddingModel")} onChange={(e) => set({ embeddingModel: e.currentTarget.value })} />
          <NumberInput label="Timeout (ms)" min={100} value={f.timeoutMs} error={err("timeoutMs")} onChange={(v) => set({ timeoutMs: v })} />
        </Group>
        <FormLevelError error={save.error} shown={SHOWN} />
        <SubmitRow label={existing ? "Save provider" : "Add provider"} loading={save.isPending} onCancel={existing ? onDone : undefined} />
      </Stack>
    </Card>
  );
}

/** Which provider the scope uses for chat and for embeddings (an organization's choice overrides the global one). */
function SettingsCard({ providers }: { providers: AiProvider[] }) {
  const { org } = useOrg();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: [org, "ai", "settings"], queryFn: () => api<Settings>("/api/ai/settings") });
  const [choice, setChoice] = useState<{ chat?: string; embedding?: string }>({});
  const save = useMutation({
    mutationFn: () => api<Settings>("/api/ai/settings", { method: "PUT", body: { ...(choice.chat !== undefined ? { chatProvider: choice.chat || null } : {}), ...(choice.embedding !== undefined ? { embeddingProvider: choice.embedding || null } : {}) } }),
    onSuccess: () => {
      setChoice({});
      void client.invalidateQueries({ queryKey: [org, "ai", "settings"] });
    },
  });
  if (settings.error) return <ErrorAlert error={settings.error} />;
  if (settings.isPending) return <LoadingRows rows={1} />;
  const options = (need: "chatModel" | "embeddingModel") => [{ value: "", label: "None" }, ...providers.filter((p) => p[need]).map((p) => ({ value: p.id, label: `${p.name} (${p.scope === "global" ? "global" : "this organization"}, ${p[need]})` }))];
  const chat = choice.chat ?? settings.data.chatProvider?.id ?? "";
  const embedding = choice.embedding ?? settings.data.embeddingProvider?.id ?? "";
  return (
    <Card withBorder component="form" aria-label="Models this scope uses" onSubmit={(e: React.FormEvent) => (e.preventDefault(), save.mutate())}>
      <Stack gap="sm">
        <Title order={4}>What {settings.data.scope === "global" ? "the global scope" : "this organization"} uses</Title>
        <Group align="end" grow>
          <Select label="Chat provider" data={options("chatModel")} value={chat} error={fieldError(save.error, "chatProvider")} onChange={(v) => setChoice({ ...choice, chat: v ?? "" })} allowDeselect={false} />
          <Select label="Embedding provider" data={options("embeddingModel")} value={embedding} error={fieldError(save.error, "embeddingProvider")} onChange={(v) => setChoice({ ...choice, embedding: v ?? "" })} allowDeselect={false} />
        </Group>
        <FormLevelError error={save.error} shown={["chatProvider", "embeddingProvider"]} />
        <Group>
          <Button type="submit" loading={save.isPending}>
            Save choice
          </Button>
          {save.isSuccess ? <Text size="sm" role="status">Saved.</Text> : null}
        </Group>
      </Stack>
    </Card>
  );
}

/** AI providers (platform admins): their models and write-only keys, and the scope's chat and embedding choice. */
export function AiProvidersPage() {
  const { org } = useOrg();
  const me = useMe();
  const client = useQueryClient();
  const list = useProviders();
  const [editing, setEditing] = useState<AiProvider | null>(null);
  const remove = useMutation({
    mutationFn: (p: AiProvider) => api(`/api/ai/providers/${p.id}`, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: [org, "ai"] }),
  });
  const scopeName = org ? (me.data?.organizations.find((o) => o.id === org)?.name ?? org) : "Global";
  return (
    <Stack>
      <Title order={2}>AI providers</Title>
      <Text size="sm">
        Scope: <b>{scopeName}</b> (choose an organization at the top to configure its own providers and choice)
      </Text>
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : (
        <>
          {list.data.providers.length === 0 ? (
            <Empty title="No AI providers yet">Add one below: workflows' ai.complete, knowledge search and agents use it.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={720}>
              <Table aria-label="AI providers">
                <TableHead headings={["Name", "Kind", "Scope", "Base URL", "Chat model", "Embedding model", "API key", null]} />
                <Table.Tbody>
                  {list.data.providers.map((p) => (
                    <Table.Tr key={p.id}>
                      <Table.Td>{p.name}</Table.Td>
                      <Table.Td>{p.kind}</Table.Td>
                      <Table.Td>{p.scope === "global" ? "global" : scopeName}</Table.Td>
                      <Table.Td>{p.baseUrl ? <Code>{p.baseUrl}</Code> : "default"}</Table.Td>
                      <Table.Td>{p.chatModel ?? "—"}</Table.Td>
                      <Table.Td>{p.embeddingModel ?? "—"}</Table.Td>
                      <Table.Td>{p.hasApiKey ? <Badge color="gray">stored</Badge> : <Badge color="yellow">none</Badge>}</Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <RowButton label="Edit" of={p.name} onClick={() => setEditing(p)} />
                          <RowButton label="Delete" of={p.name} danger onClick={() => remove.mutate(p)} />
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          <ProviderEditor key={editing?.id ?? "new"} existing={editing} onDone={() => setEditing(null)} />
          <SettingsCard providers={list.data.providers} />
        </>
      )}
    </Stack>
  );
}
