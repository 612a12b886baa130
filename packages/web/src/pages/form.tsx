import { Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import type { UiSchema } from "@rjsf/utils";
import { api } from "../lib/api.js";
import { useOrg } from "../lib/session.js";
import type { ExecutionRecord, Workflow } from "../lib/types.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import { RunForm, type RunAnswer } from "../components/run-form.js";

export interface FormField {
  name: string;
  label: string;
  helpText?: string;
  dataProvider?: string;
  default?: unknown;
}

interface FormAnswer {
  workflow: { name: string; description: string | null; executionMode: "sync" | "async" };
  fields: FormField[];
  submit: string;
}

type Options = Record<string, { label: string; value: unknown }[]>;

/**
 * The form over the workflow's JSON Schema: its fields only (a custom form's hidden ones
 * are left out: the server fills them), in its order, with its labels, help and defaults,
 * and each data provider's options as a choice.
 */
export function formSchemaWithOptions(schema: Record<string, unknown>, fields: FormField[], options: Options): { schema: Record<string, unknown>; uiSchema: UiSchema } {
  const all = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const properties: Record<string, Record<string, unknown>> = {};
  for (const f of fields) {
    const prop = all[f.name];
    if (!prop) continue;
    const choices = f.dataProvider ? options[f.dataProvider] : undefined;
    properties[f.name] = {
      ...prop,
      title: f.label,
      ...(f.helpText ? { description: f.helpText } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
      ...(choices ? { oneOf: choices.map((o) => ({ const: o.value, title: o.label })) } : {}),
    };
  }
  const required = ((schema.required ?? []) as string[]).filter((n) => n in properties && (fields.find((f) => f.name === n)?.default === undefined));
  // A choice shown as chosen stays chosen when clicked again (Mantine's Select would clear it), and
  // rjsf's Mantine dropdown leaves a schema description out: its help text goes in as "ui:help".
  const ui: Record<string, Record<string, unknown>> = {};
  for (const f of fields) {
    if (!(f.name in properties)) continue;
    if (f.dataProvider && options[f.dataProvider]) ui[f.name] = { ...ui[f.name], "ui:options": { allowDeselect: false } };
    if (f.helpText && properties[f.name]?.oneOf) ui[f.name] = { ...ui[f.name], "ui:help": f.helpText };
  }
  return { schema: { ...schema, properties, required }, uiSchema: { ...ui, "ui:order": [...Object.keys(properties), "*"] } };
}

/**
 * The options of every data provider the fields name, from `base` (a custom form's own
 * route serves the providers it grants to its roles).
 */
export function useProviderOptions(fields: FormField[] | undefined, base = "/api/data-providers") {
  const { org } = useOrg();
  const providers = [...new Set((fields ?? []).flatMap((f) => (f.dataProvider ? [f.dataProvider] : [])))];
  return useQuery({
    queryKey: [org, "providers", base, providers],
    enabled: fields !== undefined,
    queryFn: async () => {
      const out: Options = {};
      for (const p of providers) out[p] = (await api<{ options: { label: string; value: unknown }[] }>(`${base}/${encodeURIComponent(p)}`)).options;
      return out;
    },
  });
}

const submitTo =
  (url: string) =>
  async (params: Record<string, unknown>): Promise<RunAnswer> => {
    const answer = await api<ExecutionRecord | { executionId: string }>(url, { method: "POST", body: params });
    return "workflowName" in answer ? { record: answer } : { queued: answer };
  };

interface CustomFormAnswer {
  id: string;
  name: string;
  title: string | null;
  description: string | null;
  workflow: { name: string };
  render: FormField[];
  submit: string;
}

/** A custom form (`/forms/custom/{id}`): an admin's order, labels and fixed values over a workflow. */
export function CustomFormPage() {
  const { id = "" } = useParams();
  const { org } = useOrg();
  const form = useQuery({ queryKey: [org, "custom-form", id], queryFn: () => api<CustomFormAnswer>(`/api/custom-forms/${encodeURIComponent(id)}`) });
  const name = form.data?.workflow.name;
  const workflow = useQuery({ queryKey: [org, "workflow", name], enabled: !!name, queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(name!)}`) });
  const options = useProviderOptions(form.data?.render, `/api/custom-forms/${encodeURIComponent(id)}/data-providers`);
  const error = form.error ?? workflow.error ?? options.error;
  if (error) return <ErrorAlert error={error} />;
  if (!form.data || !workflow.data || !options.data) return <LoadingRows />;
  const f = form.data;
  const { schema, uiSchema } = formSchemaWithOptions(workflow.data.paramsSchema, f.render, options.data);
  return (
    <Stack maw={720}>
      <Title order={2}>{f.title ?? f.name}</Title>
      {f.description ? <Text c="dimmed">{f.description}</Text> : null}
      <RunForm key={f.id} schema={schema} uiSchema={uiSchema} submit={submitTo(f.submit)} />
    </Stack>
  );
}

/** A workflow's form (`/forms/{name}`): labels and help from the form, choices from its data providers, run with trigger `form`. */
export function FormPage() {
  const { name = "" } = useParams();
  const { org } = useOrg();
  const form = useQuery({ queryKey: [org, "form", name], queryFn: () => api<FormAnswer>(`/api/forms/${encodeURIComponent(name)}`) });
  const workflow = useQuery({ queryKey: [org, "workflow", name], queryFn: () => api<Workflow>(`/api/workflows/${encodeURIComponent(name)}`) });
  const options = useProviderOptions(form.data?.fields);
  const error = form.error ?? workflow.error ?? options.error;
  if (error) return <ErrorAlert error={error} />;
  if (!form.data || !workflow.data || !options.data) return <LoadingRows />;
  const f = form.data;
  const { schema, uiSchema } = formSchemaWithOptions(workflow.data.paramsSchema, f.fields, options.data);
  return (
    <Stack maw={720}>
      <Title order={2}>{f.workflow.description ?? f.workflow.name}</Title>
      <Text c="dimmed" size="sm">
        {f.workflow.name}
      </Text>
      <RunForm key={f.workflow.name} schema={schema} uiSchema={uiSchema} submit={submitTo(f.submit)} />
    </Stack>
  );
}
