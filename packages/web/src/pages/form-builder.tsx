import { useEffect, useState } from "react";
import { ActionIcon, Anchor, Badge, Button, Card, Checkbox, Grid, Group, MultiSelect, Select, Stack, Table, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import type { CustomForm } from "@bifrost/contracts/custom-forms.js";
import { api, ApiError } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { scopeChoices } from "../lib/scope.js";
import type { Workflow } from "../lib/types.js";
import { Empty, ErrorAlert, LoadingRows } from "../components/states.js";
import { ActionsHeader, RowButton, TableHead } from "../components/data-table.js";
import { RunForm } from "../components/run-form.js";
import { formSchemaWithOptions, useProviderOptions, type FormField } from "./form.js";
import { builderFields, renderFields, storedFields, type BuilderField } from "../lib/custom-form-fields.js";

const fieldError = (error: unknown, path: string) => (error instanceof ApiError ? error.fields.filter((f) => f.path === path).map((f) => f.message).join("; ") || undefined : undefined);

function useWorkflows() {
  const { org } = useOrg();
  return useQuery({ queryKey: [org, "workflows", "all"], queryFn: () => api<{ workflows: Workflow[] }>("/api/workflows") });
}

/** Custom forms (platform admins): each with its workflow and access; edit, open, delete. */
export function CustomFormsAdminPage() {
  const { org } = useOrg();
  const client = useQueryClient();
  const forms = useQuery({ queryKey: [org, "custom-forms"], queryFn: () => api<{ forms: CustomForm[] }>("/api/custom-forms") });
  const workflows = useWorkflows();
  const remove = useMutation({
    mutationFn: (id: string) => api(`/api/custom-forms/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSettled: () => client.invalidateQueries({ queryKey: [org, "custom-forms"] }),
  });
  const workflowName = (id: string) => workflows.data?.workflows.find((w) => w.id === id)?.name ?? id;
  const me = useMe();
  const scopeName = (scope: string) => (scope === "global" ? "Global" : (me.data?.organizations.find((o) => o.id === scope)?.name ?? scope));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Form builder</Title>
        <Button component={Link} to="/custom-forms/new">
          New form
        </Button>
      </Group>
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      {forms.error ? (
        <ErrorAlert error={forms.error} />
      ) : forms.isPending ? (
        <LoadingRows />
      ) : forms.data.forms.length === 0 ? (
        <Empty title="No custom forms yet">A custom form presents a workflow your way: order, labels, fixed values, who may use it.</Empty>
      ) : (
        <Table aria-label="Custom forms">
          <TableHead headings={["Form", "Workflow", "Scope", "Who may use it", <ActionsHeader />]} />
          <Table.Tbody>
            {forms.data.forms.map((f) => (
              <Table.Tr key={f.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/custom-forms/${f.id}`}>
                    {f.title ?? f.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{workflowName(f.workflowId)}</Table.Td>
                <Table.Td>{scopeName(f.scope)}</Table.Td>
                <Table.Td>{f.access.level === "roleBased" ? f.access.roles.map((r) => <Badge key={r} mr={4}>{r}</Badge>) : "everyone who may run the workflow"}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="xs" variant="subtle" component={Link} to={`/forms/custom/${f.id}`} aria-label={`Open ${f.name}`}>
                      Open
                    </Button>
                    <RowButton label="Delete" of={f.name} danger onClick={() => remove.mutate(f.id)} />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

interface Settings {
  name: string;
  title: string;
  description: string;
  workflow: string | null;
  scope: string;
  level: "authenticated" | "roleBased";
  roles: string[];
}

/** Builds a custom form (`/custom-forms/new`, `/custom-forms/:id`) with a live preview of what users see. */
export function FormBuilderPage() {
  const { id = "new" } = useParams();
  const isNew = id === "new";
  const { org } = useOrg();
  const me = useMe();
  const navigate = useNavigate();
  const client = useQueryClient();
  const workflows = useWorkflows();
  const roles = useQuery({ queryKey: ["roles"], queryFn: () => api<{ roles: { id: string; name: string }[] }>("/api/roles", { org: null }) });
  const existing = useQuery({ queryKey: [org, "custom-form", id], enabled: !isNew, queryFn: () => api<CustomForm & { workflow: { name: string } }>(`/api/custom-forms/${encodeURIComponent(id)}`) });
  const [settings, setSettings] = useState<Settings>({ name: "", title: "", description: "", workflow: null, scope: org ?? "global", level: "authenticated", roles: [] });
  const [fields, setFields] = useState<BuilderField[] | null>(null);
  const wf = settings.workflow;
  const derived = useQuery({ queryKey: [org, "form", wf], enabled: !!wf, queryFn: () => api<{ fields: FormField[] }>(`/api/forms/${encodeURIComponent(wf!)}`) });
  const workflow = useQuery({ queryKey: [org, "workflow", wf], enabled: !!wf, queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(wf!)}`) });

  // An existing form fills the settings once it has loaded.
  useEffect(() => {
    const f = existing.data;
    if (!f) return;
    setSettings({ name: f.name, title: f.title ?? "", description: f.description ?? "", workflow: f.workflow.name, scope: f.scope, level: f.access.level, roles: f.access.roles });
  }, [existing.data]);
  // A (newly) chosen workflow gives the rows: the stored fields first when editing it.
  useEffect(() => {
    if (!derived.data) return;
    const stored = existing.data && existing.data.workflow.name === wf ? existing.data.fields : [];
    setFields(builderFields(derived.data.fields, stored));
  }, [derived.data, existing.data, wf]);

  const rendered = derived.data && fields ? renderFields(derived.data.fields, fields) : undefined;
  const options = useProviderOptions(rendered);
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: settings.name,
        workflow: settings.workflow ?? "",
        ...(settings.title.trim() ? { title: settings.title.trim() } : {}),
        ...(settings.description.trim() ? { description: settings.description.trim() } : {}),
        fields: storedFields(fields ?? []),
        access: { level: settings.level, roles: settings.level === "roleBased" ? settings.roles : [] },
        ...(isNew ? { scope: settings.scope } : {}),
      };
      return api<CustomForm>(isNew ? "/api/custom-forms" : `/api/custom-forms/${encodeURIComponent(id)}`, { method: isNew ? "POST" : "PUT", body });
    },
    onSuccess: (saved) => {
      void client.invalidateQueries({ queryKey: [org, "custom-forms"] });
      void client.invalidateQueries({ queryKey: [org, "custom-form", saved.id] });
      if (isNew) navigate(`/custom-forms/${saved.id}`, { replace: true });
    },
  });

  if (!me.data || (!isNew && existing.isPending)) return <LoadingRows />;
  if (existing.error) return <ErrorAlert error={existing.error} />;
  const providers = (workflows.data?.workflows ?? []).filter((w) => w.kind === "data_provider").map((w) => w.name);
  const runnable = (workflows.data?.workflows ?? []).filter((w) => w.kind !== "data_provider").map((w) => ({ value: w.name, label: w.description ? `${w.name} — ${w.description}` : w.name }));
  // An edit clears the last save's messages (they were about the values before it).
  const set = (patch: Partial<Settings>) => (save.reset(), setSettings((s) => ({ ...s, ...patch })));
  const setField = (i: number, patch: Partial<BuilderField>) => (save.reset(), setFields((fs) => fs!.map((f, j) => (j === i ? { ...f, ...patch } : f))));
  const move = (i: number, by: number) =>
    setFields((fs) => {
      const next = [...fs!];
      const [f] = next.splice(i, 1);
      next.splice(i + by, 0, f!);
      return next;
    });
  const unplaced = save.error instanceof ApiError ? save.error.fields.filter((f) => !/^(name|workflow|title|description|access\.roles|fields\.\d+\.\w+)$/.test(f.path)) : [];
  const { schema, uiSchema } = workflow.data && rendered && options.data ? formSchemaWithOptions(workflow.data.paramsSchema, rendered, options.data) : { schema: null, uiSchema: undefined };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{isNew ? "New custom form" : `Edit ${settings.name}`}</Title>
        <Group>
          <Anchor component={Link} to="/custom-forms">
            All custom forms
          </Anchor>
          {!isNew ? (
            <Anchor component={Link} to={`/forms/custom/${id}`}>
              Open the form
            </Anchor>
          ) : null}
        </Group>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <form noValidate aria-label="Form settings" onSubmit={(e) => (e.preventDefault(), save.mutate())}>
          <Stack>
            <Card withBorder>
              <Stack gap="sm">
                <Group grow align="start">
                  <TextInput label="Name" required value={settings.name} onChange={(e) => set({ name: e.currentTarget.value })} error={fieldError(save.error, "name")} />
                  <TextInput label="Title" value={settings.title} onChange={(e) => set({ title: e.currentTarget.value })} error={fieldError(save.error, "title")} />
                </Group>
                <Textarea label="Description" autosize minRows={1} value={settings.description} onChange={(e) => set({ description: e.currentTarget.value })} error={fieldError(save.error, "description")} />
                <Group grow align="start">
                  <Select label="Workflow" required searchable data={runnable} value={settings.workflow} onChange={(v) => (set({ workflow: v }), setFields(null))} error={fieldError(save.error, "workflow")} comboboxProps={{ withinPortal: true }} />
                  <Select label="Scope" data={scopeChoices(me.data, org)} value={settings.scope} disabled={!isNew} onChange={(v) => v && set({ scope: v })} allowDeselect={false} comboboxProps={{ withinPortal: true }} />
                </Group>
                <Group grow align="start">
                  <Select
                    label="Who may use it"
                    data={[
                      { value: "authenticated", label: "Everyone who may run the workflow" },
                      { value: "roleBased", label: "Only these roles" },
                    ]}
                    value={settings.level}
                    onChange={(v) => v && set({ level: v as Settings["level"] })}
                    allowDeselect={false}
                    comboboxProps={{ withinPortal: true }}
                  />
                  <MultiSelect
                    label="Roles"
                    data={(roles.data?.roles ?? []).map((r) => r.name)}
                    value={settings.roles}
                    disabled={settings.level !== "roleBased"}
                    onChange={(v) => set({ roles: v })}
                    error={fieldError(save.error, "access.roles")}
                    comboboxProps={{ withinPortal: true }}
                  />
                </Group>
              </Stack>
            </Card>
            {derived.error ? <ErrorAlert error={derived.error} /> : null}
            {fields ? (
              <Stack gap="xs" role="list" aria-label="Fields">
                {fields.map((f, i) => (
                  <Card key={f.name} withBorder padding="sm" role="listitem" aria-label={`Field ${f.name}`}>
                    <Stack gap={6}>
                      <Group justify="space-between">
                        <Text fw={600}>{f.name}</Text>
                        <Group gap={4}>
                          <ActionIcon variant="default" aria-label={`Move ${f.name} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                            ↑
                          </ActionIcon>
                          <ActionIcon variant="default" aria-label={`Move ${f.name} down`} disabled={i === fields.length - 1} onClick={() => move(i, 1)}>
                            ↓
                          </ActionIcon>
                        </Group>
                      </Group>
                      <Group grow align="start">
                        <TextInput label={`Label of ${f.name}`} placeholder={derived.data?.fields.find((d) => d.name === f.name)?.label} value={f.label} onChange={(e) => setField(i, { label: e.currentTarget.value })} error={fieldError(save.error, `fields.${i}.label`)} />
                        <TextInput label={`Help text of ${f.name}`} value={f.helpText} onChange={(e) => setField(i, { helpText: e.currentTarget.value })} error={fieldError(save.error, `fields.${i}.helpText`)} />
                      </Group>
                      <Group grow align="start">
                        <TextInput label={`Default of ${f.name}`} placeholder="JSON or text" value={f.default} onChange={(e) => setField(i, { default: e.currentTarget.value })} error={fieldError(save.error, `fields.${i}.default`)} />
                        <Select
                          label={`Dropdown of ${f.name}`}
                          placeholder={derived.data?.fields.find((d) => d.name === f.name)?.dataProvider ?? "No data provider"}
                          data={providers}
                          value={f.dataProvider}
                          clearable
                          onChange={(v) => setField(i, { dataProvider: v })}
                          error={fieldError(save.error, `fields.${i}.dataProvider`)}
                          comboboxProps={{ withinPortal: true }}
                        />
                      </Group>
                      <Checkbox label={`Hide ${f.name} (always sends its default)`} checked={f.hidden} onChange={(e) => setField(i, { hidden: e.currentTarget.checked })} error={fieldError(save.error, `fields.${i}.name`)} />
                    </Stack>
                  </Card>
                ))}
              </Stack>
            ) : wf ? (
              <LoadingRows rows={2} />
            ) : (
              <Empty title="Pick a workflow">Its parameters become the form's fields.</Empty>
            )}
            {unplaced.length ? (
              <Text c="red" size="sm" role="alert">
                {unplaced.map((f) => `${f.path}: ${f.message}`).join("; ")}
              </Text>
            ) : null}
            {save.error && !(save.error instanceof ApiError && save.error.fields.length) ? <ErrorAlert error={save.error} /> : null}
            <Group>
              <Button type="submit" loading={save.isPending}>
                Save form
              </Button>
              {save.isSuccess ? (
                <Text size="sm" role="status">
                  Saved.{" "}
                  <Anchor component={Link} to={`/forms/custom/${save.data.id}`}>
                    Open it
                  </Anchor>
                </Text>
              ) : null}
            </Group>
          </Stack>
          </form>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Card withBorder role="region" aria-label="Preview">
            <Stack gap="xs">
              <Title order={4}>Preview</Title>
              <Text fw={600}>{settings.title || settings.name || "Untitled form"}</Text>
              {settings.description ? <Text size="sm" c="dimmed">{settings.description}</Text> : null}
              {options.error ? <ErrorAlert error={options.error} /> : null}
              {schema ? (
                <RunForm
                  key={JSON.stringify(rendered)}
                  schema={schema}
                  uiSchema={uiSchema}
                  submit={() => Promise.reject(new Error("This is the preview: save the form, then open it to run the workflow."))}
                />
              ) : (
                <Text size="sm" c="dimmed">
                  The form appears here as you build it.
                </Text>
              )}
            </Stack>
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
