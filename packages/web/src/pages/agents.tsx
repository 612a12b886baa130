import { useState } from "react";
import { Badge, Button, Card, Group, MultiSelect, NumberInput, Select, Stack, Table, TagsInput, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import type { Agent } from "@bifrost/contracts/agents.js";
import { api } from "../lib/api.js";
import { fieldError } from "../lib/form-errors.js";
import { FormLevelError, SubmitRow } from "../components/admin.js";
import { useMe, useOrg } from "../lib/session.js";
import type { Workflow } from "../lib/types.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { RowButton, TableHead } from "../components/data-table.js";
import { useProviders } from "./ai.js";

/** An agent as `GET /api/agents` shows it. */
export type { Agent };

interface AgentForm {
  name: string;
  description: string;
  systemPrompt: string;
  provider: string;
  model: string;
  tools: string[];
  knowledge: string[];
  maxIterations: number | string;
  maxTokens: number | string;
  level: Agent["access"]["level"];
  roles: string[];
}

const EMPTY: AgentForm = { name: "", description: "", systemPrompt: "", provider: "", model: "", tools: [], knowledge: [], maxIterations: 10, maxTokens: 100_000, level: "authenticated", roles: [] };
const SHOWN = ["name", "description", "systemPrompt", "provider", "model", "tools", "knowledge", "maxIterations", "maxTokens", "access"];

const formOf = (a: Agent): AgentForm => ({
  name: a.name,
  description: a.description ?? "",
  systemPrompt: a.systemPrompt,
  provider: a.provider ?? "",
  model: a.model ?? "",
  tools: a.tools,
  knowledge: a.knowledge,
  maxIterations: a.maxIterations,
  maxTokens: a.maxTokens,
  level: a.access.level,
  roles: a.access.roles,
});

/** Create or edit an agent (platform admins): tools come from the `isTool` workflows, knowledge from the namespaces. */
function AgentEditor({ existing, onDone }: { existing: Agent | null; onDone: () => void }) {
  const { org } = useOrg();
  const me = useMe();
  const scopeName = org ? (me.data?.organizations.find((o) => o.id === org)?.name ?? org) : "the global scope (every organization)";
  const client = useQueryClient();
  const [f, setF] = useState<AgentForm>(existing ? formOf(existing) : EMPTY);
  const set = (patch: Partial<AgentForm>) => setF((old) => ({ ...old, ...patch }));
  const workflows = useQuery({ queryKey: [org, "workflows", "all"], queryFn: () => api<{ workflows: (Workflow & { isTool: boolean })[] }>("/api/workflows") });
  const namespaces = useQuery({ queryKey: [org, "knowledge", "namespaces"], queryFn: () => api<{ namespaces: { namespace: string }[] }>("/api/knowledge/namespaces") });
  const roles = useQuery({ queryKey: ["roles"], queryFn: () => api<{ roles: { id: string; name: string }[] }>("/api/roles") });
  const providers = useProviders();
  const tools = (workflows.data?.workflows ?? []).filter((w) => w.isTool && w.kind !== "data_provider").map((w) => ({ value: w.name, label: w.description ? `${w.name} — ${w.description}` : w.name }));
  const save = useMutation({
    mutationFn: () => {
      const numbers = { ...(typeof f.maxIterations === "number" ? { maxIterations: f.maxIterations } : {}), ...(typeof f.maxTokens === "number" ? { maxTokens: f.maxTokens } : {}) };
      const common = { name: f.name, systemPrompt: f.systemPrompt, tools: f.tools, knowledge: f.knowledge, access: { level: f.level, roles: f.level === "roleBased" ? f.roles : [] }, ...numbers };
      if (existing) {
        return api<Agent>(`/api/agents/${existing.id}`, { method: "PUT", body: { ...common, description: f.description || null, provider: f.provider || null, model: f.model || null } });
      }
      return api<Agent>("/api/agents", { method: "POST", body: { ...common, ...(f.description ? { description: f.description } : {}), ...(f.provider ? { provider: f.provider } : {}), ...(f.model ? { model: f.model } : {}) } });
    },
    onSuccess: () => {
      setF(EMPTY);
      void client.invalidateQueries({ queryKey: [org, "agents"] });
      onDone();
    },
  });
  const err = (path: string) => fieldError(save.error, path);
  return (
    <Card withBorder component="form" aria-label={existing ? `Edit agent ${existing.name}` : "New agent"} onSubmit={(e: React.FormEvent) => (e.preventDefault(), save.mutate())}>
      <Stack gap="sm">
        <Title order={4}>{existing ? `Edit agent ${existing.name}` : "New agent"}</Title>
        {existing ? null : <Text size="sm">It belongs to {scopeName}: choose an organization at the top to create one for that organization only.</Text>}
        <Group align="start" grow>
          <TextInput label="Name" required value={f.name} error={err("name")} onChange={(e) => set({ name: e.currentTarget.value })} />
          <TextInput label="Description" value={f.description} error={err("description")} onChange={(e) => set({ description: e.currentTarget.value })} />
        </Group>
        <Textarea label="System prompt" required autosize minRows={3} maxRows={12} value={f.systemPrompt} error={err("systemPrompt")} onChange={(e) => set({ systemPrompt: e.currentTarget.value })} />
        <Group align="start" grow>
          <Select
            label="Provider"
            placeholder="The scope's chat provider"
            data={[{ value: "", label: "The scope's chat provider" }, ...[...new Set((providers.data?.providers ?? []).filter((p) => p.chatModel).map((p) => p.name))].map((n) => ({ value: n, label: n }))]}
            value={f.provider}
            error={err("provider")}
            onChange={(v) => set({ provider: v ?? "" })}
            allowDeselect={false}
          />
          <TextInput label="Model" description="Empty: the provider's chat model" value={f.model} error={err("model")} onChange={(e) => set({ model: e.currentTarget.value })} />
        </Group>
        <MultiSelect label="Tools" description="Workflows offered as tools (isTool)" data={tools} value={f.tools} error={err("tools")} onChange={(v) => set({ tools: v })} searchable clearable nothingFoundMessage="No tool workflows" />
        <TagsInput label="Knowledge namespaces" description="Searched for each message" data={(namespaces.data?.namespaces ?? []).map((n) => n.namespace)} value={f.knowledge} error={err("knowledge")} onChange={(v) => set({ knowledge: v })} clearable />
        <Group align="start" grow>
          <NumberInput label="Max iterations" description="Model calls per message" min={1} max={50} value={f.maxIterations} error={err("maxIterations")} onChange={(v) => set({ maxIterations: v })} />
          <NumberInput label="Max tokens" description="All model calls of one message" min={100} step={1000} thousandSeparator="," value={f.maxTokens} error={err("maxTokens")} onChange={(v) => set({ maxTokens: v })} />
          <Select label="Access" data={[{ value: "authenticated", label: "Everyone signed in" }, { value: "roleBased", label: "Only some roles" }]} value={f.level} error={err("access.level")} onChange={(v) => set({ level: (v ?? "authenticated") as AgentForm["level"] })} allowDeselect={false} />
        </Group>
        {f.level === "roleBased" ? <MultiSelect label="Roles" data={(roles.data?.roles ?? []).map((r) => r.name)} value={f.roles} error={err("access.roles")} onChange={(v) => set({ roles: v })} searchable /> : null}
        <FormLevelError error={save.error} shown={SHOWN} />
        <SubmitRow label={existing ? "Save agent" : "Create agent"} loading={save.isPending} onCancel={existing ? onDone : undefined} />
      </Stack>
    </Card>
  );
}

/** Agents: everyone sees those they may chat with; platform admins define them. */
export function AgentsPage() {
  const { org } = useOrg();
  const me = useMe();
  const client = useQueryClient();
  const list = useQuery({ queryKey: [org, "agents"], queryFn: () => api<{ agents: Agent[] }>("/api/agents") });
  const [editing, setEditing] = useState<Agent | null>(null);
  const remove = useMutation({
    mutationFn: (a: Agent) => api(`/api/agents/${a.id}`, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: [org, "agents"] }),
  });
  const isPlatform = me.data?.isPlatformAdmin ?? false;
  const orgName = (scope: string) => (scope === "global" ? "global" : (me.data?.organizations.find((o) => o.id === scope)?.name ?? scope));
  return (
    <Stack>
      <Title order={2}>Agents</Title>
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      {list.error ? (
        <ErrorAlert error={list.error} />
      ) : list.isPending ? (
        <LoadingRows />
      ) : list.data.agents.length === 0 ? (
        <Empty title="No agents yet">{isPlatform ? "Create one below: a prompt, a model and the tools it may call." : "A platform admin defines them."}</Empty>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label="Agents">
            <TableHead headings={["Name", "Description", "Scope", "Tools", "Model", "Access", null]} />
            <Table.Tbody>
              {list.data.agents.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>{a.name}</Table.Td>
                  <Table.Td>{a.description}</Table.Td>
                  <Table.Td>{orgName(a.scope)}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {a.tools.map((t) => (
                        <Badge key={t} variant="light" tt="none">
                          {t}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>{[a.provider, a.model].filter(Boolean).join(" / ") || "default"}</Table.Td>
                  <Table.Td>{a.access.level === "roleBased" ? `roles: ${a.access.roles.join(", ")}` : "everyone"}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button component={Link} to={`/agents/${encodeURIComponent(a.id)}/chat`} size="xs" variant="light" aria-label={`Chat with ${a.name}`}>
                        Chat
                      </Button>
                      {isPlatform ? (
                        <>
                          <RowButton label="Edit" of={a.name} onClick={() => setEditing(a)} />
                          <RowButton label="Delete" of={a.name} danger onClick={() => remove.mutate(a)} />
                        </>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {isPlatform ? <AgentEditor key={editing?.id ?? "new"} existing={editing} onDone={() => setEditing(null)} /> : null}
    </Stack>
  );
}
